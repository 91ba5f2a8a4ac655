// SPDX-License-Identifier: MIT
/* udp.c - IPv4 + IPv6 UDP sockets on one port, batched with sendmmsg/recvmmsg. */

#include "wg/udp.h"

#include <errno.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
	SOCKET_BUFFER_SIZE = 7 << 20,
	RANDOM_PORT_TRIES = 100,
	MMSG_CHUNK = 64,
	/* The kernel's limits for one UDP GSO send and one GRO receive. */
	GSO_MAX_SEGMENTS = 64,
	GSO_MAX_BYTES = 65535 - 20 - 8,
	GRO_MAX_SEGMENTS = 64,
};

static void set_buffer(int fd, int force_opt, int opt)
{
	int size = SOCKET_BUFFER_SIZE;

	/* The FORCE variants ignore rmem_max/wmem_max but need CAP_NET_ADMIN. */
	if (setsockopt(fd, SOL_SOCKET, force_opt, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size));
}

static int set_mark(int fd, uint32_t fwmark)
{
	if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_MARK, &fwmark, sizeof(fwmark)) < 0)
		return -errno;
	return 0;
}

static int bind_any(int fd, int family, uint16_t port)
{
	union wg_endpoint addr = {0};
	socklen_t len;

	if (family == AF_INET) {
		addr.in.sin_family = AF_INET;
		addr.in.sin_port = htons(port);
		len = sizeof(addr.in);
	} else {
		addr.in6.sin6_family = AF_INET6;
		addr.in6.sin6_port = htons(port);
		len = sizeof(addr.in6);
	}
	if (bind(fd, &addr.sa, len) < 0)
		return -errno;
	return 0;
}

static int open_socket(int family, uint16_t port, uint32_t fwmark, int *fd_out)
{
	int one = 1, fd, ret;

	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	set_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF);
	set_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF);
	ret = family == AF_INET6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) : 0;
	if (ret < 0) {
		ret = -errno;
		goto err;
	}
	ret = fwmark ? set_mark(fd, fwmark) : 0;
	if (ret < 0)
		goto err;
	ret = bind_any(fd, family, port);
	if (ret < 0)
		goto err;
	*fd_out = fd;
	return 0;
err:
	close(fd);
	return ret;
}

static int bound_port(int fd, uint16_t *port)
{
	struct sockaddr_in addr;
	socklen_t len = sizeof(addr);

	if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
		return -errno;
	*port = ntohs(addr.sin_port);
	return 0;
}

static int open_pair(struct wg_udp *udp, uint16_t port, uint32_t fwmark)
{
	int ret;

	ret = open_socket(AF_INET, port, fwmark, &udp->fd4);
	if (ret < 0)
		return ret;
	ret = bound_port(udp->fd4, &udp->port);
	if (ret < 0)
		goto err;
	ret = open_socket(AF_INET6, udp->port, fwmark, &udp->fd6);
	if (ret == -EAFNOSUPPORT || ret == -EADDRNOTAVAIL) {
		udp->fd6 = -1;
		ret = 0;
	}
	if (ret < 0)
		goto err;
	return 0;
err:
	close(udp->fd4);
	udp->fd4 = -1;
	return ret;
}

static bool kernel_has_gso(int fd)
{
	int size;
	socklen_t len = sizeof(size);

	return getsockopt(fd, SOL_UDP, UDP_SEGMENT, &size, &len) == 0;
}

static bool enable_gro(const struct wg_udp *udp)
{
	int one = 1;

	if (setsockopt(udp->fd4, SOL_UDP, UDP_GRO, &one, sizeof(one)) < 0)
		return false;
	return udp->fd6 < 0 || setsockopt(udp->fd6, SOL_UDP, UDP_GRO, &one, sizeof(one)) == 0;
}

int wg_udp_open(struct wg_udp *udp, uint16_t port, uint32_t fwmark, bool offload)
{
	int ret, tries = port ? 1 : RANDOM_PORT_TRIES;

	udp->fd4 = udp->fd6 = -1;
	udp->port = 0;
	/* A random IPv4 port may already be taken for IPv6: pick another. */
	do {
		ret = open_pair(udp, port, fwmark);
	} while (ret == -EADDRINUSE && --tries > 0);
	udp->gso = ret == 0 && offload && kernel_has_gso(udp->fd4);
	udp->gro = ret == 0 && offload && enable_gro(udp);
	return ret;
}

void wg_udp_close(struct wg_udp *udp)
{
	if (udp->fd4 >= 0)
		close(udp->fd4);
	if (udp->fd6 >= 0)
		close(udp->fd6);
	udp->fd4 = udp->fd6 = -1;
}

int wg_udp_set_fwmark(const struct wg_udp *udp, uint32_t fwmark)
{
	int ret = set_mark(udp->fd4, fwmark);

	return ret < 0 ? ret : set_mark(udp->fd6, fwmark);
}

static bool same_addr(const union wg_endpoint *a, const union wg_endpoint *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_port == b->in.sin_port &&
		       a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	return a->in6.sin6_port == b->in6.sin6_port &&
	       a->in6.sin6_scope_id == b->in6.sin6_scope_id &&
	       !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, sizeof(a->in6.sin6_addr));
}

/* How many datagrams from msgs[0] on can leave as one UDP GSO send: one address, one size, but
 * a shorter one may close the run. */
static unsigned int gso_run(const struct wg_udp_msg *msgs, unsigned int n)
{
	size_t size = msgs[0].len, total = size;
	unsigned int k;

	for (k = 1; k < n && k < GSO_MAX_SEGMENTS; k++) {
		if (msgs[k].len > size || total + msgs[k].len > GSO_MAX_BYTES ||
		    !same_addr(&msgs[k].addr, &msgs[0].addr))
			break;
		total += msgs[k].len;
		if (msgs[k].len < size)
			return k + 1;
	}
	return k;
}

union segment_cmsg {
	char buf[CMSG_SPACE(sizeof(uint16_t))];
	struct cmsghdr align;
};

static void set_segment_size(struct msghdr *hdr, union segment_cmsg *cmsg, uint16_t size)
{
	struct cmsghdr *c = &cmsg->align;

	hdr->msg_control = cmsg->buf;
	hdr->msg_controllen = sizeof(cmsg->buf);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(size));
	memcpy(CMSG_DATA(c), &size, sizeof(size));
}

/* Sends msgs[0..n) on fd, runs of them as single GSO sends; returns how many left or -errno. */
static int send_chunk(int fd, const struct wg_udp_msg *msgs, unsigned int n, bool gso)
{
	struct mmsghdr hdrs[MMSG_CHUNK];
	struct iovec iovs[MMSG_CHUNK];
	union segment_cmsg cmsgs[MMSG_CHUNK];
	unsigned int runs[MMSG_CHUNK], i, k, h, done = 0, sent = 0;
	int ret;

	memset(hdrs, 0, sizeof(hdrs));
	for (i = 0, h = 0; i < n; i += runs[h++]) {
		runs[h] = gso ? gso_run(msgs + i, n - i) : 1;
		for (k = 0; k < runs[h]; k++)
			iovs[i + k] = (struct iovec){.iov_base = msgs[i + k].data,
			                             .iov_len = msgs[i + k].len};
		hdrs[h].msg_hdr.msg_iov = &iovs[i];
		hdrs[h].msg_hdr.msg_iovlen = runs[h];
		hdrs[h].msg_hdr.msg_name = (void *)&msgs[i].addr;
		hdrs[h].msg_hdr.msg_namelen = msgs[i].addr.sa.sa_family == AF_INET
		                                  ? sizeof(struct sockaddr_in)
		                                  : sizeof(struct sockaddr_in6);
		if (runs[h] > 1)
			set_segment_size(&hdrs[h].msg_hdr, &cmsgs[h], (uint16_t)msgs[i].len);
	}
	while (done < h) {
		ret = sendmmsg(fd, hdrs + done, h - done, 0);
		if (ret < 0 && errno == EINTR)
			continue;
		/* EIO: the route's device cannot checksum what GSO hands it; send them one by one.
		 */
		if (ret < 0 && errno == EIO && gso) {
			ret = send_chunk(fd, msgs + sent, n - sent, false);
			return ret < 0 ? (sent ? (int)sent : ret) : (int)sent + ret;
		}
		if (ret < 0)
			return sent ? (int)sent : -errno;
		for (k = 0; k < (unsigned int)ret; k++)
			sent += runs[done + k];
		done += (unsigned int)ret;
	}
	return (int)sent;
}

int wg_udp_send(const struct wg_udp *udp, const struct wg_udp_msg *msgs, unsigned int n)
{
	unsigned int start = 0, end, sent = 0;
	int family, fd, ret = -EAFNOSUPPORT;

	/* One sendmmsg per run of same-family datagrams, keeping their order. */
	while (start < n) {
		family = msgs[start].addr.sa.sa_family;
		for (end = start + 1; end < n && end - start < MMSG_CHUNK; end++)
			if (msgs[end].addr.sa.sa_family != family)
				break;
		fd = family == AF_INET ? udp->fd4 : family == AF_INET6 ? udp->fd6 : -1;
		ret = fd < 0 ? -EAFNOSUPPORT : send_chunk(fd, msgs + start, end - start, udp->gso);
		if (ret > 0)
			sent += (unsigned int)ret;
		start = end;
	}
	return sent ? (int)sent : ret;
}

union gro_cmsg {
	char buf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};

/* The size of the datagrams a GRO message joined, or 0 for a single datagram. */
static size_t gro_segment_size(struct msghdr *hdr)
{
	struct cmsghdr *c;
	int size;

	for (c = CMSG_FIRSTHDR(hdr); c; c = CMSG_NXTHDR(hdr, c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
			memcpy(&size, CMSG_DATA(c), sizeof(size));
			return size > 0 ? (size_t)size : 0;
		}
	}
	return 0;
}

static void swap(struct wg_udp_msg *msgs, unsigned int a, unsigned int b)
{
	struct wg_udp_msg tmp = msgs[a];

	msgs[a] = msgs[b];
	msgs[b] = tmp;
}

/* Splits message `head` (a GRO message of len bytes) into the entries after it, which point at
 * their datagram where it lies in head's buffer (no copy), then moves them down to
 * msgs[out...]; returns the new out. Entries past the new out are untouched. */
static unsigned int split_gro(struct wg_udp_msg *msgs, unsigned int head, size_t len, size_t size,
                              unsigned int out)
{
	unsigned int k, j;
	size_t off, part;

	for (k = 0, off = 0; off < len && k < GRO_MAX_SEGMENTS; k++, off += size) {
		part = len - off < size ? len - off : size;
		if (k) {
			msgs[head + k].data = msgs[head].data + off;
			msgs[head + k].addr = msgs[head].addr;
		}
		msgs[head + k].len = part;
	}
	for (j = 0; j < k; j++)
		swap(msgs, out++, head + j);
	return out;
}

int wg_udp_recv(const struct wg_udp *udp, int fd, struct wg_udp_msg *msgs, unsigned int n)
{
	unsigned int stride = udp->gro ? GRO_MAX_SEGMENTS : 1, m = n / stride, i, out = 0;
	struct mmsghdr hdrs[MMSG_CHUNK];
	struct iovec iovs[MMSG_CHUNK];
	union gro_cmsg cmsgs[MMSG_CHUNK];
	struct wg_udp_msg *msg;
	size_t len, size;
	int ret;

	/* With GRO one message may carry GRO_MAX_SEGMENTS datagrams: each gets as many entries. */
	if (m > MMSG_CHUNK)
		m = MMSG_CHUNK;
	memset(hdrs, 0, sizeof(hdrs[0]) * m);
	for (i = 0; i < m; i++) {
		msg = &msgs[i * stride];
		iovs[i] = (struct iovec){.iov_base = msg->data, .iov_len = msg->cap};
		hdrs[i].msg_hdr.msg_iov = &iovs[i];
		hdrs[i].msg_hdr.msg_iovlen = 1;
		hdrs[i].msg_hdr.msg_name = &msg->addr;
		hdrs[i].msg_hdr.msg_namelen = sizeof(msg->addr);
		if (udp->gro) {
			hdrs[i].msg_hdr.msg_control = cmsgs[i].buf;
			hdrs[i].msg_hdr.msg_controllen = sizeof(cmsgs[i].buf);
		}
	}
	if (!m)
		return 0;
	do
		ret = recvmmsg(fd, hdrs, m, MSG_DONTWAIT, NULL);
	while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return errno == EAGAIN ? 0 : -errno;
	for (i = 0; i < (unsigned int)ret; i++) {
		/* A truncated datagram has no valid length: it is left out. */
		len = hdrs[i].msg_hdr.msg_flags & MSG_TRUNC ? 0 : hdrs[i].msg_len;
		size = gro_segment_size(&hdrs[i].msg_hdr);
		out = split_gro(msgs, i * stride, len, size ? size : len, out);
	}
	return (int)out;
}
