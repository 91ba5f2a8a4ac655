// SPDX-License-Identifier: MIT
/*
 * relay.c - a UDP relay that impairs what it carries, standing in for a bad underlay between
 * two WireGuard endpoints (the host kernel here has no netem), for
 * tests/interop/test_impaired_underlay.sh, tests/kernel/test_impaired_underlay.sh and
 * bench/impaired.
 *
 * Usage:
 *   impair_relay [OPTION...] LISTEN_A PEER_A LISTEN_B PEER_B
 *     Each is ADDR:PORT or [ADDR6]:PORT. A datagram that reaches LISTEN_A (sent by side A,
 *     whose peer's endpoint is LISTEN_A) leaves from LISTEN_B to PEER_B, and one that reaches
 *     LISTEN_B leaves from LISTEN_A to PEER_A: each side sees the other at the relay's address
 *     and keeps seeing it there when it learns its peer's endpoint from what arrives.
 *   --drop PCT        drop PCT % of the datagrams
 *   --duplicate PCT   send PCT % of those left twice (both copies impaired alike from here on)
 *   --reorder PCT     hold PCT % back until GAP later datagrams of the same direction have
 *                     left (or HOLD ms have passed, should the later ones not come)
 *   --gap N           (default 3)   --hold MS   (default 20)
 *   --delay MS        hold every datagram MS milliseconds ...
 *   --jitter MS       ... plus a uniformly random 0 to MS more, as a queue that varies: no
 *                     datagram overtakes an earlier one (reordering is --reorder's job) ...
 *   --scatter MS      ... plus a uniformly random 0 to MS more for each datagram on its own,
 *                     so that they overtake each other, the more of them the faster they
 *                     come
 *   --seed N          of the random choices (default 1), so a run can be repeated
 *   --stats FILE      the counters, written once the relay is ready (its sockets bound), on
 *                     SIGUSR1, and on SIGTERM or SIGINT (which end it); a write replaces
 *                     the file at once (rename), and its first line, "dumps N", counts the
 *                     writes, so that a reader can wait for its own
 * Every percentage applies to each direction and every kind of datagram, handshakes included.
 *
 * The counters, a line per direction ("a>b", "b>a") of key=value pairs: received, and of
 * those initiation, response, cookie, data, other (by wg_msg_classify), then dropped,
 * duplicated (copies added) and duplicated_data (of data messages: what the receiver's
 * replay window must refuse), reordered (held back), hold_expired (of those, released by
 * HOLD rather than GAP), sent, send_errors (a refused datagram, e.g. an ICMP port
 * unreachable answer to an earlier one, is counted and forgotten).
 *
 * One thread; recvmmsg() and sendmmsg() in batches, and UDP GRO and GSO, so that its cost
 * per datagram stays small beside the tunnel's on a loaded machine: what a sender batched
 * (kwg sends with GSO) arrives as one message and is cut into its datagrams, each impaired
 * on its own, and datagrams of one size leaving together go as one GSO send. Datagrams in
 * flight wait in a heap ordered by when they are due.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "wg/messages.h"

enum {
	BATCH = 64,     /* datagrams per sendmmsg(), and per GSO send at most */
	RX_BATCH = 16,  /* messages per recvmmsg(), each up to RX_MAX */
	RX_MAX = 65536, /* a GRO message: datagrams of one size back to back */
	GSO_MAX_BYTES = 65000,
	DATAGRAM_MAX = 2048, /* the start of a longer one goes on, counted as other */
	HELD_MAX = 256,      /* datagrams held back per direction at once; beyond, none is */
	SOCKET_BUFFER = 8 << 20,
	PPM = 1000000,
};

#define NSEC_PER_MSEC 1000000ULL

struct packet {
	struct packet *next_free;
	uint64_t due;     /* CLOCK_MONOTONIC ns, for the heap */
	uint64_t seq;     /* arrival order, so that equal due times keep it */
	unsigned int gap; /* while held back: later datagrams still to go first */
	unsigned int dir;
	bool cut; /* longer than DATAGRAM_MAX: only its start goes on */
	size_t len;
	uint8_t data[DATAGRAM_MAX];
};

struct counters {
	uint64_t received, by_type[5], dropped, duplicated, duplicated_data, reordered;
	uint64_t hold_expired, sent, send_errors;
};

struct direction {
	const char *name;
	int in_fd, out_fd;
	struct sockaddr_storage to;
	socklen_t to_len;
	uint64_t last_due; /* of the latest datagram before --scatter */
	struct packet *held[HELD_MAX];
	unsigned int n_held;
	struct packet *out[BATCH]; /* queued for the next sendmmsg() */
	unsigned int n_out;
	struct counters c;
};

/* Every field a uint64_t, so that the option table can name it by offset. */
struct impairment {
	uint64_t drop, duplicate, reorder; /* parts per million */
	uint64_t gap;
	uint64_t hold, delay, jitter, scatter; /* ns */
	uint64_t seed;
};

struct relay {
	struct impairment imp;
	struct direction dirs[2]; /* 0: a>b, 1: b>a */
	struct packet **heap;
	size_t heap_len, heap_cap;
	struct packet *free_list;
	uint8_t *rx_area; /* RX_BATCH messages of RX_MAX bytes */
	bool gso;         /* send runs of equal datagrams as one (UDP_SEGMENT) */
	uint64_t rng, seq, dumps;
	const char *stats_path;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: the choices need only be spread evenly and repeatable. */
static uint64_t next_random(struct relay *r)
{
	r->rng ^= r->rng >> 12;
	r->rng ^= r->rng << 25;
	r->rng ^= r->rng >> 27;
	return r->rng * 2685821657736338717ULL;
}

static bool chance(struct relay *r, uint64_t ppm)
{
	return ppm && next_random(r) % PPM < ppm;
}

static struct packet *packet_get(struct relay *r)
{
	struct packet *p = r->free_list;

	if (!p)
		return malloc(sizeof(*p));
	r->free_list = p->next_free;
	return p;
}

static void packet_put(struct relay *r, struct packet *p)
{
	p->next_free = r->free_list;
	r->free_list = p;
}

static bool heap_before(const struct packet *a, const struct packet *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static int heap_push(struct relay *r, struct packet *p)
{
	struct packet **grown;
	size_t i, parent;

	if (r->heap_len == r->heap_cap) {
		grown = realloc(r->heap, (r->heap_cap ? 2 * r->heap_cap : 1024) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		r->heap = grown;
		r->heap_cap = r->heap_cap ? 2 * r->heap_cap : 1024;
	}
	for (i = r->heap_len++; i > 0; i = parent) {
		parent = (i - 1) / 2;
		if (!heap_before(p, r->heap[parent]))
			break;
		r->heap[i] = r->heap[parent];
	}
	r->heap[i] = p;
	return 0;
}

static struct packet *heap_pop(struct relay *r)
{
	struct packet *top = r->heap[0], *last = r->heap[--r->heap_len];
	size_t i = 0, child;

	for (; (child = 2 * i + 1) < r->heap_len; i = child) {
		if (child + 1 < r->heap_len && heap_before(r->heap[child + 1], r->heap[child]))
			child++;
		if (!heap_before(r->heap[child], last))
			break;
		r->heap[i] = r->heap[child];
	}
	if (r->heap_len)
		r->heap[i] = last;
	return top;
}

/* How many of the n datagrams from out on can leave as one GSO send: those of the first one's
 * size, and one shorter to end the run. */
static unsigned int gso_run(struct packet *const *out, unsigned int n)
{
	size_t size = out[0]->len, total = size;
	unsigned int k = 1;

	while (k < n && out[k]->len <= size && total + out[k]->len <= GSO_MAX_BYTES) {
		total += out[k]->len;
		if (out[k++]->len < size)
			break;
	}
	return k;
}

static int send_run(struct relay *r, struct direction *d, struct packet *const *out, unsigned int k)
{
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[BATCH];
	struct msghdr msg = {
	    .msg_name = &d->to, .msg_namelen = d->to_len, .msg_iov = iov, .msg_iovlen = k};
	struct cmsghdr *c;
	unsigned int i;

	for (i = 0; i < k; i++)
		iov[i] = (struct iovec){.iov_base = out[i]->data, .iov_len = out[i]->len};
	if (k > 1) {
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_UDP;
		c->cmsg_type = UDP_SEGMENT;
		c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
		*(uint16_t *)(void *)CMSG_DATA(c) = (uint16_t)out[0]->len;
	}
	if (sendmsg(d->out_fd, &msg, 0) >= 0) {
		d->c.sent += k;
		return 0;
	}
	/* EIO: the way out cannot segment; from now on each datagram goes alone. */
	if (k > 1 && errno == EIO) {
		r->gso = false;
		for (i = 0; i < k; i++)
			send_run(r, d, out + i, 1);
		return 0;
	}
	d->c.send_errors += k;
	return -errno;
}

static void flush(struct relay *r, struct direction *d)
{
	unsigned int i, k;

	for (i = 0; i < d->n_out; i += k) {
		k = r->gso ? gso_run(d->out + i, d->n_out - i) : 1;
		send_run(r, d, d->out + i, k);
	}
	for (i = 0; i < d->n_out; i++)
		packet_put(r, d->out[i]);
	d->n_out = 0;
}

static void queue_out(struct relay *r, struct direction *d, struct packet *p)
{
	if (d->n_out == BATCH)
		flush(r, d);
	d->out[d->n_out++] = p;
}

/* A datagram leaves: those held back for it count one more gone ahead of them. */
static void send_packet(struct relay *r, struct packet *p)
{
	struct direction *d = &r->dirs[p->dir];
	unsigned int i = 0;

	queue_out(r, d, p);
	while (i < d->n_held) {
		if (--d->held[i]->gap) {
			i++;
			continue;
		}
		queue_out(r, d, d->held[i]);
		d->held[i] = d->held[--d->n_held];
	}
}

/* One copy of a datagram from here on: held back, delayed, or sent now. */
static int schedule(struct relay *r, struct packet *p, uint64_t now)
{
	struct direction *d = &r->dirs[p->dir];
	uint64_t due = now + r->imp.delay;

	if (r->imp.jitter)
		due += next_random(r) % (r->imp.jitter + 1);
	if (due < d->last_due)
		due = d->last_due;
	d->last_due = due;
	if (r->imp.scatter)
		due += next_random(r) % (r->imp.scatter + 1);
	p->seq = r->seq++;
	if (d->n_held < HELD_MAX && chance(r, r->imp.reorder)) {
		p->gap = r->imp.gap;
		p->due = due + r->imp.hold;
		d->held[d->n_held++] = p;
		d->c.reordered++;
		return 0;
	}
	if (due <= now) {
		send_packet(r, p);
		return 0;
	}
	p->due = due;
	return heap_push(r, p);
}

static int impair(struct relay *r, struct packet *p, uint64_t now)
{
	struct direction *d = &r->dirs[p->dir];
	enum wg_msg_type type = p->cut ? MESSAGE_INVALID : wg_msg_classify(p->data, p->len);
	struct packet *copy;
	int ret;

	d->c.received++;
	d->c.by_type[type]++;
	if (chance(r, r->imp.drop)) {
		d->c.dropped++;
		packet_put(r, p);
		return 0;
	}
	if (chance(r, r->imp.duplicate)) {
		copy = packet_get(r);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, p, sizeof(*p));
		d->c.duplicated++;
		d->c.duplicated_data += type == MESSAGE_DATA;
		ret = schedule(r, copy, now);
		if (ret)
			return ret;
	}
	return schedule(r, p, now);
}

/* The size of the datagrams a GRO message holds back to back; 0 if it holds one. */
static size_t gro_size(struct msghdr *msg)
{
	struct cmsghdr *c;
	int size;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
			memcpy(&size, CMSG_DATA(c), sizeof(size));
			return size > 0 ? (size_t)size : 0;
		}
	}
	return 0;
}

/* Cuts one message into its datagrams and impairs each. */
static int take(struct relay *r, unsigned int dir, const uint8_t *data, size_t len, size_t size,
                uint64_t now)
{
	struct packet *p;
	size_t off, n;
	int ret;

	if (!size)
		size = len;
	for (off = 0; off < len; off += n) {
		n = len - off < size ? len - off : size;
		p = packet_get(r);
		if (!p)
			return -ENOMEM;
		p->cut = n > DATAGRAM_MAX;
		p->len = p->cut ? DATAGRAM_MAX : n;
		p->dir = dir;
		memcpy(p->data, data + off, p->len);
		ret = impair(r, p, now);
		if (ret)
			return ret;
	}
	return 0;
}

static int receive(struct relay *r, unsigned int dir, uint64_t now)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl[RX_BATCH];
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iov[RX_BATCH];
	int i, n, ret = 0;

	for (i = 0; i < RX_BATCH; i++) {
		iov[i] =
		    (struct iovec){.iov_base = r->rx_area + (size_t)i * RX_MAX, .iov_len = RX_MAX};
		msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i],
		                                       .msg_iovlen = 1,
		                                       .msg_control = ctl[i].buf,
		                                       .msg_controllen = sizeof(ctl[i].buf)}};
	}
	n = recvmmsg(r->dirs[dir].in_fd, msgs, RX_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR || errno == ECONNREFUSED ? 0 : -errno;
	for (i = 0; i < n && !ret; i++)
		ret =
		    take(r, dir, iov[i].iov_base, msgs[i].msg_len, gro_size(&msgs[i].msg_hdr), now);
	return ret;
}

/* Sends what is due; returns the ns until the next datagram is (UINT64_MAX: none waits). */
static uint64_t release(struct relay *r, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	struct direction *d;
	unsigned int i, k;

	while (r->heap_len && r->heap[0]->due <= now)
		send_packet(r, heap_pop(r));
	for (k = 0; k < 2; k++) {
		d = &r->dirs[k];
		for (i = 0; i < d->n_held;) {
			if (d->held[i]->due > now) {
				next = d->held[i]->due < next ? d->held[i]->due : next;
				i++;
				continue;
			}
			d->c.hold_expired++;
			queue_out(r, d, d->held[i]);
			d->held[i] = d->held[--d->n_held];
		}
		flush(r, d);
	}
	if (r->heap_len && r->heap[0]->due < next)
		next = r->heap[0]->due;
	return next == UINT64_MAX ? next : next - now;
}

static void write_counters(FILE *f, const struct direction *d)
{
	const struct counters *c = &d->c;

	fprintf(
	    f,
	    "%s received=%llu initiation=%llu response=%llu cookie=%llu data=%llu other=%llu "
	    "dropped=%llu duplicated=%llu duplicated_data=%llu reordered=%llu hold_expired=%llu "
	    "sent=%llu send_errors=%llu\n",
	    d->name, (unsigned long long)c->received,
	    (unsigned long long)c->by_type[MESSAGE_HANDSHAKE_INITIATION],
	    (unsigned long long)c->by_type[MESSAGE_HANDSHAKE_RESPONSE],
	    (unsigned long long)c->by_type[MESSAGE_HANDSHAKE_COOKIE],
	    (unsigned long long)c->by_type[MESSAGE_DATA],
	    (unsigned long long)c->by_type[MESSAGE_INVALID], (unsigned long long)c->dropped,
	    (unsigned long long)c->duplicated, (unsigned long long)c->duplicated_data,
	    (unsigned long long)c->reordered, (unsigned long long)c->hold_expired,
	    (unsigned long long)c->sent, (unsigned long long)c->send_errors);
}

static void dump_stats(struct relay *r)
{
	char tmp[4096];
	FILE *f;

	if (!r->stats_path)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", r->stats_path);
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "impair_relay: cannot write %s: %s\n", tmp, strerror(errno));
		return;
	}
	fprintf(f, "dumps %llu\n", (unsigned long long)++r->dumps);
	write_counters(f, &r->dirs[0]);
	write_counters(f, &r->dirs[1]);
	if (fclose(f) || rename(tmp, r->stats_path))
		fprintf(stderr, "impair_relay: cannot write %s: %s\n", r->stats_path,
		        strerror(errno));
}

/* "ADDR:PORT" or "[ADDR6]:PORT". */
static int parse_endpoint(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	const char *colon = strrchr(text, ':'), *host = text;
	char buf[INET6_ADDRSTRLEN];
	size_t host_len;
	long port;
	char *end;

	if (!colon)
		return -EINVAL;
	host_len = (size_t)(colon - text);
	if (*host == '[' && host_len >= 2 && colon[-1] == ']') {
		host++;
		host_len -= 2;
	}
	if (host_len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, host, host_len);
	buf[host_len] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 0 || port > 65535)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, buf, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*len = sizeof(*in);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

static int open_socket(const char *listen)
{
	struct sockaddr_storage ss;
	int fd, size = SOCKET_BUFFER;
	socklen_t len;

	if (parse_endpoint(listen, &ss, &len) < 0) {
		fprintf(stderr, "impair_relay: not ADDR:PORT or [ADDR6]:PORT: '%s'\n", listen);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0) {
		fprintf(stderr, "impair_relay: cannot listen on %s: %s\n", listen, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* What a sender batched arrives as one message (see receive()). */
	setsockopt(fd, SOL_UDP, UDP_GRO, &(int){1}, sizeof(int));
	/* Root may go past the system's limits; anyone else gets what they allow. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	return fd;
}

static int usage(const char *why, const char *arg)
{
	if (why)
		fprintf(stderr, "impair_relay: %s%s%s%s\n", why, arg ? ": '" : "", arg ? arg : "",
		        arg ? "'" : "");
	fprintf(stderr,
	        "usage: impair_relay [--drop PCT] [--duplicate PCT] [--reorder PCT] "
	        "[--gap N] [--hold MS] [--delay MS] [--jitter MS] [--scatter MS] [--seed N] "
	        "[--stats FILE] LISTEN_A PEER_A LISTEN_B PEER_B\n");
	return 2;
}

static const struct option {
	const char *name;
	double max, scale; /* the value given times scale is stored */
	size_t field;
} options[] = {
    {"drop", 100, PPM / 100, offsetof(struct impairment, drop)},
    {"duplicate", 100, PPM / 100, offsetof(struct impairment, duplicate)},
    {"reorder", 100, PPM / 100, offsetof(struct impairment, reorder)},
    {"gap", HELD_MAX, 1, offsetof(struct impairment, gap)},
    {"hold", 60000, NSEC_PER_MSEC, offsetof(struct impairment, hold)},
    {"delay", 60000, NSEC_PER_MSEC, offsetof(struct impairment, delay)},
    {"jitter", 60000, NSEC_PER_MSEC, offsetof(struct impairment, jitter)},
    {"scatter", 60000, NSEC_PER_MSEC, offsetof(struct impairment, scatter)},
    {"seed", 1e15, 1, offsetof(struct impairment, seed)},
};

static int parse_option(struct impairment *imp, const char *name, const char *value)
{
	const struct option *o;
	char *end;
	double v;

	for (o = options; o < options + sizeof(options) / sizeof(*options); o++) {
		if (strcmp(name, o->name))
			continue;
		v = strtod(value, &end);
		if (end == value || *end || !(v >= 0 && v <= o->max))
			return usage("not a number from 0 to the option's maximum", value);
		*(uint64_t *)((char *)imp + o->field) = (uint64_t)(v * o->scale + 0.5);
		return 0;
	}
	return usage("unknown option", name);
}

/* Sets *first to the index of LISTEN_A. */
static int parse_args(struct relay *r, int argc, char **argv, int *first)
{
	int i, ret;

	for (i = 1; i < argc && !strncmp(argv[i], "--", 2); i += 2) {
		if (i + 1 >= argc)
			return usage("no value for", argv[i]);
		if (!strcmp(argv[i], "--stats")) {
			r->stats_path = argv[i + 1];
			continue;
		}
		ret = parse_option(&r->imp, argv[i] + 2, argv[i + 1]);
		if (ret)
			return ret;
	}
	if (r->imp.gap == 0)
		return usage("--gap must be at least 1", NULL);
	*first = i;
	return argc - i == 4 ? 0 : usage("needs LISTEN_A PEER_A LISTEN_B PEER_B", NULL);
}

static int setup(struct relay *r, char **endpoints)
{
	int fd_a = open_socket(endpoints[0]), fd_b = fd_a < 0 ? -1 : open_socket(endpoints[2]);

	r->dirs[0] = (struct direction){.name = "a>b", .in_fd = fd_a, .out_fd = fd_b};
	r->dirs[1] = (struct direction){.name = "b>a", .in_fd = fd_b, .out_fd = fd_a};
	if (fd_b < 0)
		return 1;
	if (parse_endpoint(endpoints[3], &r->dirs[0].to, &r->dirs[0].to_len) < 0)
		return usage("not ADDR:PORT or [ADDR6]:PORT", endpoints[3]);
	if (parse_endpoint(endpoints[1], &r->dirs[1].to, &r->dirs[1].to_len) < 0)
		return usage("not ADDR:PORT or [ADDR6]:PORT", endpoints[1]);
	return 0;
}

static int run(struct relay *r, int sig_fd)
{
	struct pollfd fds[3] = {{.fd = sig_fd, .events = POLLIN},
	                        {.fd = r->dirs[0].in_fd, .events = POLLIN},
	                        {.fd = r->dirs[1].in_fd, .events = POLLIN}};
	struct signalfd_siginfo si;
	struct timespec wait, *timeout = NULL;
	uint64_t next;
	unsigned int k;
	int ret;

	for (;;) {
		if (ppoll(fds, 3, timeout, NULL) < 0 && errno != EINTR)
			return -errno;
		if (fds[0].revents && read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
			dump_stats(r);
			if (si.ssi_signo != SIGUSR1)
				return 0;
		}
		for (k = 0; k < 2; k++) {
			ret = fds[k + 1].revents ? receive(r, k, now_ns()) : 0;
			if (ret)
				return ret;
		}
		next = release(r, now_ns());
		timeout = next == UINT64_MAX ? NULL : &wait;
		wait = (struct timespec){.tv_sec = (time_t)(next / 1000000000ULL),
		                         .tv_nsec = (long)(next % 1000000000ULL)};
	}
}

static void relay_free(struct relay *r)
{
	struct packet *p;
	unsigned int k;

	for (k = 0; k < 2; k++) {
		while (r->dirs[k].n_held)
			packet_put(r, r->dirs[k].held[--r->dirs[k].n_held]);
		if (r->dirs[k].in_fd >= 0)
			close(r->dirs[k].in_fd);
	}
	while (r->heap_len)
		packet_put(r, heap_pop(r));
	free(r->heap);
	free(r->rx_area);
	while ((p = r->free_list)) {
		r->free_list = p->next_free;
		free(p);
	}
}

int main(int argc, char **argv)
{
	struct relay r = {.imp = {.gap = 3, .hold = 20 * NSEC_PER_MSEC, .seed = 1},
	                  .dirs = {{.in_fd = -1}, {.in_fd = -1}}};
	sigset_t signals;
	int first = 0, sig_fd = -1, ret;

	ret = parse_args(&r, argc, argv, &first);
	if (ret)
		return ret;
	/* xorshift never leaves 0. */
	r.rng = r.imp.seed ? r.imp.seed : 1;
	sigemptyset(&signals);
	sigaddset(&signals, SIGUSR1);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigprocmask(SIG_BLOCK, &signals, NULL);
	ret = setup(&r, argv + first);
	if (ret)
		goto out;
	r.rx_area = malloc((size_t)RX_BATCH * RX_MAX);
	if (!r.rx_area) {
		fprintf(stderr, "impair_relay: out of memory\n");
		ret = 1;
		goto out;
	}
	r.gso = true;
	sig_fd = signalfd(-1, &signals, SFD_CLOEXEC);
	if (sig_fd < 0) {
		fprintf(stderr, "impair_relay: signalfd: %s\n", strerror(errno));
		ret = 1;
		goto out;
	}
	dump_stats(&r);
	ret = run(&r, sig_fd);
	if (ret) {
		fprintf(stderr, "impair_relay: %s\n", strerror(-ret));
		dump_stats(&r);
		ret = 1;
	}
out:
	if (sig_fd >= 0)
		close(sig_fd);
	relay_free(&r);
	return ret;
}
