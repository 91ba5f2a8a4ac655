// SPDX-License-Identifier: MIT
/* offload.c - TCP segmentation, TCP and UDP coalescing for a TUN with a virtio-net header. */

#include "tun/offload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

enum {
	IPV4_LEN = 20,
	IPV6_LEN = 40,
	IPV4_ID = 4,
	IPV4_FRAG = 6,
	IPV4_DF = 0x4000,
	TCP_LEN = 20,
	TCP_FIN = 0x01,
	TCP_SYN = 0x02,
	TCP_RST = 0x04,
	TCP_PSH = 0x08,
	TCP_ACK = 0x10,
	TCP_URG = 0x20,
	TCP_ECE = 0x40,
	TCP_CWR = 0x80,
	TCP_SEQ = 4,
	TCP_ACK_SEQ = 8,
	TCP_OFF = 12,
	TCP_FLAGS = 13,
	TCP_WINDOW = 14,
	TCP_CHECK = 16,
	UDP_LEN = 8,
	UDP_LENGTH = 4,
	UDP_CHECK = 6,
	/* The kernel's UDP_MAX_SEGMENTS before 6.9: what any kernel with USO segments. */
	UDP_GRO_MAX_SEGMENTS = 64,
};

/* Two pairs of 64-bit lanes, which the compiler keeps in vector registers (SSE2, NEON). */
typedef uint64_t csum_lanes __attribute__((vector_size(16)));

/*
 * One's complement sums are the same in either byte order, so words are added as they lie in
 * memory and the folded result is stored the same way. With dst, the bytes are copied there on
 * the way: one pass both checks a segment and appends it.
 */
static inline uint64_t csum_walk(uint64_t sum, uint8_t *dst, const uint8_t *p, size_t len)
{
	const csum_lanes low = {0xffffffff, 0xffffffff};
	csum_lanes a = {0, 0}, b = {0, 0}, x, y;
	uint64_t wide;
	uint32_t word = 0;
	uint16_t half = 0;

	/* Two 32-bit halves per 64-bit word: a 64-bit sum has room for 2^31 such words. */
	for (; len >= 32; p += 32, len -= 32) {
		memcpy(&x, p, 16);
		memcpy(&y, p + 16, 16);
		if (dst) {
			memcpy(dst, &x, 16);
			memcpy(dst + 16, &y, 16);
			dst += 32;
		}
		a += (x & low) + (x >> 32);
		b += (y & low) + (y >> 32);
	}
	a += b;
	sum += a[0] + a[1];
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&wide, p, 8);
		sum += (wide & 0xffffffff) + (wide >> 32);
		if (dst) {
			memcpy(dst, &wide, 8);
			dst += 8;
		}
	}
	if (dst)
		memcpy(dst, p, len);
	for (; len >= 4; p += 4, len -= 4) {
		memcpy(&word, p, 4);
		sum += word;
	}
	if (len >= 2) {
		memcpy(&half, p, 2);
		sum += half;
		p += 2;
		len -= 2;
	}
	if (len) {
		half = 0;
		memcpy(&half, p, 1);
		sum += half;
	}
	return sum;
}

static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	return csum_walk(sum, NULL, p, len);
}

static uint64_t csum_copy(uint64_t sum, uint8_t *dst, const uint8_t *p, size_t len)
{
	return csum_walk(sum, dst, p, len);
}

static uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return ntohs(v);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

static void put16(uint8_t *p, uint16_t v)
{
	v = htons(v);
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

/* The pseudo-header sum of a TCP or UDP segment of l4_len bytes. */
static uint64_t pseudo_sum(const uint8_t *packet, bool v4, uint8_t proto, size_t l4_len)
{
	uint8_t tail[8] = {0};

	if (v4) {
		tail[1] = proto;
		put16(tail + 2, (uint16_t)l4_len);
		return csum_add(csum_add(0, packet + 12, 8), tail, 4);
	}
	put32(tail, (uint32_t)l4_len);
	tail[7] = proto;
	return csum_add(csum_add(0, packet + 8, 32), tail, 8);
}

static void ipv4_checksum(uint8_t *packet)
{
	uint16_t check;

	packet[10] = packet[11] = 0;
	check = (uint16_t)~csum_fold(csum_add(0, packet, IPV4_LEN));
	memcpy(packet + 10, &check, 2);
}

/* Completes a checksum the kernel left partial (its field holds the pseudo-header sum);
 * start + offset + 2 is within len. */
static void finish_checksum(uint8_t *packet, size_t len, size_t start, size_t offset)
{
	bool udp = (packet[0] >> 4 == 4 && packet[9] == IPPROTO_UDP) ||
	           (packet[0] >> 4 == 6 && len > 6 && packet[6] == IPPROTO_UDP);
	uint16_t check;

	check = (uint16_t)~csum_fold(csum_add(0, packet + start, len - start));
	/* For UDP a zero checksum means "none"; its all-ones twin is the same sum. */
	if (udp && check == 0)
		check = 0xffff;
	memcpy(packet + start + offset, &check, 2);
}

/* Where the TCP header starts and how long IP + TCP headers are; 0 if not plain TCP. */
static size_t tcp_headers(const uint8_t *packet, size_t len, bool v4, size_t l4)
{
	size_t tcp_len;

	if (l4 + TCP_LEN > len)
		return 0;
	tcp_len = (size_t)(packet[l4 + TCP_OFF] >> 4) * 4;
	if (tcp_len < TCP_LEN || l4 + tcp_len > len)
		return 0;
	if (v4 ? (packet[0] >> 4 != 4 || (size_t)(packet[0] & 15) * 4 != l4)
	       : (packet[0] >> 4 != 6 || l4 < IPV6_LEN))
		return 0;
	return l4 + tcp_len;
}

/* Fixes a segment's headers; payload_sum is the sum of its bytes past hdr_len (which is even
 * past l4, so the sums add). */
static void finish_segment(uint8_t *seg, size_t len, bool v4, size_t l4, size_t hdr_len,
                           uint16_t id, uint64_t payload_sum)
{
	uint16_t check;

	if (v4) {
		put16(seg + 2, (uint16_t)len);
		put16(seg + 4, id);
		ipv4_checksum(seg);
	} else {
		put16(seg + 4, (uint16_t)(len - IPV6_LEN));
	}
	seg[l4 + TCP_CHECK] = seg[l4 + TCP_CHECK + 1] = 0;
	check = (uint16_t)~csum_fold(csum_add(
	    pseudo_sum(seg, v4, IPPROTO_TCP, len - l4) + payload_sum, seg + l4, hdr_len - l4));
	memcpy(seg + l4 + TCP_CHECK, &check, 2);
}

int tun_offload_segments(const struct virtio_net_hdr *hdr, const uint8_t *packet, size_t len,
                         size_t cap)
{
	size_t l4 = hdr->csum_start, hdr_len;
	uint8_t type = hdr->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;

	switch (type) {
	case VIRTIO_NET_HDR_GSO_NONE:
		if (len > cap || ((hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
		                  (size_t)hdr->csum_start + hdr->csum_offset + 2 > len))
			return -EINVAL;
		return 1;
	case VIRTIO_NET_HDR_GSO_TCPV4:
	case VIRTIO_NET_HDR_GSO_TCPV6:
		hdr_len = tcp_headers(packet, len, type == VIRTIO_NET_HDR_GSO_TCPV4, l4);
		if (!hdr_len || !hdr->gso_size || hdr_len + hdr->gso_size > cap)
			return -EINVAL;
		if (len == hdr_len)
			return 1;
		return (int)((len - hdr_len + hdr->gso_size - 1) / hdr->gso_size);
	default:
		return -EINVAL;
	}
}

/* A TCP super-packet tun_offload_segments() found to be n segments. */
static void split_tcp(const struct virtio_net_hdr *hdr, bool v4, uint8_t *packet, size_t len,
                      unsigned int n, uint8_t *const *segs, size_t *seg_lens)
{
	size_t l4 = hdr->csum_start, hdr_len = tcp_headers(packet, len, v4, l4), off, chunk;
	uint32_t seq = get32(packet + l4 + TCP_SEQ);
	uint16_t id = v4 ? get16(packet + 4) : 0;
	uint64_t sum;
	unsigned int i;
	uint8_t *seg;

	/* Backwards, so that a first segment finished in place is the last thing touched. */
	for (i = n; i-- > 0;) {
		off = (size_t)i * hdr->gso_size;
		chunk = len - hdr_len - off < hdr->gso_size ? len - hdr_len - off : hdr->gso_size;
		seg = segs[i];
		/* The payload is summed as it is copied: one pass over it. */
		if (seg != packet) {
			memcpy(seg, packet, hdr_len);
			sum = csum_copy(0, seg + hdr_len, packet + hdr_len + off, chunk);
		} else {
			sum = csum_add(0, seg + hdr_len, chunk);
		}
		put32(seg + l4 + TCP_SEQ, seq + (uint32_t)off);
		if (i != n - 1)
			seg[l4 + TCP_FLAGS] &= (uint8_t) ~(TCP_FIN | TCP_PSH);
		if (i != 0)
			seg[l4 + TCP_FLAGS] &= (uint8_t)~TCP_CWR;
		seg_lens[i] = hdr_len + chunk;
		finish_segment(seg, seg_lens[i], v4, l4, hdr_len, (uint16_t)(id + i), sum);
	}
}

int tun_offload_split(const struct virtio_net_hdr *hdr, uint8_t *packet, size_t len,
                      uint8_t *const *segs, size_t *seg_lens, unsigned int max_segs, size_t cap)
{
	uint8_t type = hdr->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	int n = tun_offload_segments(hdr, packet, len, cap);

	if (n < 0)
		return n;
	if ((unsigned int)n > max_segs)
		return -ENOSPC;
	if (type == VIRTIO_NET_HDR_GSO_NONE) {
		if (segs[0] != packet)
			memcpy(segs[0], packet, len);
		seg_lens[0] = len;
		if (hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
			finish_checksum(segs[0], len, hdr->csum_start, hdr->csum_offset);
		return 1;
	}
	split_tcp(hdr, type == VIRTIO_NET_HDR_GSO_TCPV4, packet, len, (unsigned int)n, segs,
	          seg_lens);
	return n;
}

/* The L4 header offset of a packet GRO may grow (TCP, or UDP when udp is set), or 0. */
static size_t gro_candidate(const uint8_t *packet, size_t len, bool udp)
{
	uint8_t proto;

	/* IPv4 without options, neither a fragment nor with the reserved flag. */
	if (len >= IPV4_LEN && packet[0] == 0x45) {
		proto = packet[9];
		if ((get16(packet + IPV4_FRAG) & ~IPV4_DF) || get16(packet + 2) != len)
			return 0;
		return proto == IPPROTO_TCP || (udp && proto == IPPROTO_UDP) ? IPV4_LEN : 0;
	}
	if (len >= IPV6_LEN && packet[0] >> 4 == 6) {
		proto = packet[6];
		if (get16(packet + 4) + (size_t)IPV6_LEN != len)
			return 0;
		return proto == IPPROTO_TCP || (udp && proto == IPPROTO_UDP) ? IPV6_LEN : 0;
	}
	return 0;
}

static uint8_t l4_proto(const uint8_t *packet)
{
	return packet[0] >> 4 == 4 ? packet[9] : packet[6];
}

/* A TCP segment with payload, ACK and at most PSH and ECE set, starts a run. */
static void start_tcp(struct tun_gro *gro, size_t l4)
{
	const uint8_t *packet = gro->packet;
	uint8_t flags;

	gro->hdr_len = tcp_headers(packet, gro->len, l4 == IPV4_LEN, l4);
	flags = packet[l4 + TCP_FLAGS];
	if (!gro->hdr_len || gro->hdr_len == gro->len || (flags & ~(TCP_PSH | TCP_ECE)) != TCP_ACK)
		return;
	gro->l4 = l4;
	gro->gso_size = (uint16_t)(gro->len - gro->hdr_len);
	gro->next_seq = get32(packet + l4 + TCP_SEQ) + gro->gso_size;
	gro->closed = flags & TCP_PSH;
}

/* A UDP datagram with payload whose length field is honest starts a run. */
static void start_udp(struct tun_gro *gro, size_t l4)
{
	if (gro->len <= l4 + UDP_LEN || get16(gro->packet + l4 + UDP_LENGTH) != gro->len - l4)
		return;
	gro->l4 = l4;
	gro->hdr_len = l4 + UDP_LEN;
	gro->gso_size = (uint16_t)(gro->len - gro->hdr_len);
}

void tun_gro_start(struct tun_gro *gro, const uint8_t *packet, size_t len, bool holds, bool udp)
{
	size_t l4 = gro_candidate(packet, len, udp);

	gro->packet = packet;
	gro->len = len;
	gro->l4 = 0;
	gro->hdr_len = 0;
	gro->next_seq = 0;
	gro->gso_size = 0;
	gro->segments = 1;
	gro->proto = 0;
	gro->udp = udp;
	gro->closed = false;
	gro->fixed_id = false;
	gro->iov[1] = (struct iovec){.iov_base = (void *)packet, .iov_len = len};
	gro->iovcnt = 2;
	/* A packet whose sums fail goes up alone and unmended: the kernel drops it then, where in a
	 * super-packet it would have been summed afresh and taken. */
	if (!l4 || !holds)
		return;
	gro->proto = l4_proto(packet);
	if (gro->proto == IPPROTO_TCP)
		start_tcp(gro, l4);
	else
		start_udp(gro, l4);
	if (gro->hdr_len > sizeof(gro->head))
		gro->l4 = 0;
}

/*
 * Same addresses and ports, and what the kernel's GRO wants equal besides: IPv4 TOS, DF, TTL;
 * IPv6 traffic class, flow label, hop limit; for TCP the ACK number, header length, window and
 * options (the flags are continues()'s).
 */
static bool same_flow(const struct tun_gro *gro, const uint8_t *next)
{
	const uint8_t *head = gro->packet;
	size_t l4 = gro->l4;

	if (l4 == IPV4_LEN ? memcmp(head, next, 2) || memcmp(head + 6, next + 6, 4) ||
	                         memcmp(head + 12, next + 12, 8)
	                   : memcmp(head, next, 4) || memcmp(head + 6, next + 6, 34))
		return false;
	if (memcmp(head + l4, next + l4, 4))
		return false;
	return gro->proto == IPPROTO_UDP ||
	       (!memcmp(head + l4 + TCP_ACK_SEQ, next + l4 + TCP_ACK_SEQ, 5) &&
	        !memcmp(head + l4 + TCP_WINDOW, next + l4 + TCP_WINDOW, 2) &&
	        !memcmp(head + l4 + TCP_LEN, next + l4 + TCP_LEN, gro->hdr_len - l4 - TCP_LEN));
}

/*
 * IPv4 ids count up by one a segment, as a sender's segmentation numbers them; with DF set they
 * may instead all repeat the first one's, as the second segment decides. The kernel's GRO takes
 * nothing else, since without DF the ids are what reassembles fragments.
 */
static bool id_follows(const struct tun_gro *gro, const uint8_t *next)
{
	uint16_t step;

	if (gro->l4 != IPV4_LEN)
		return true;
	step = (uint16_t)(get16(next + IPV4_ID) - get16(gro->packet + IPV4_ID));
	if (step == 0 && (get16(next + IPV4_FRAG) & IPV4_DF) &&
	    (gro->segments == 1 || gro->fixed_id))
		return true;
	return !gro->fixed_id && step == (uint16_t)gro->segments;
}

/* next continues the run in order: TCP by sequence number, UDP by its place in the batch. */
static bool continues(const struct tun_gro *gro, const uint8_t *next, size_t len)
{
	const uint8_t *head = gro->packet;
	size_t l4 = gro->l4;

	if (!id_follows(gro, next))
		return false;
	if (gro->proto == IPPROTO_UDP)
		return get16(next + l4 + UDP_LENGTH) == len - l4 &&
		       gro->segments < UDP_GRO_MAX_SEGMENTS;
	return (next[l4 + TCP_FLAGS] & ~TCP_PSH) == (head[l4 + TCP_FLAGS] & ~TCP_PSH) &&
	       get32(next + l4 + TCP_SEQ) == gro->next_seq;
}

/*
 * Whether a segment's checksums hold: the IPv4 header's, and the TCP or UDP one over the
 * pseudo-header and the L4 bytes. Over IPv4 a UDP checksum of 0 means none was sent; over IPv6
 * the kernel drops such a datagram.
 */
bool tun_gro_checksums_hold(const uint8_t *packet, size_t len)
{
	size_t l4 = gro_candidate(packet, len, true);
	uint8_t proto;
	bool v4;

	if (!l4)
		return false;
	v4 = l4 == IPV4_LEN;
	proto = l4_proto(packet);
	if (v4 && csum_fold(csum_add(0, packet, IPV4_LEN)) != 0xffff)
		return false;
	if (len < l4 + (proto == IPPROTO_UDP ? UDP_LEN : TCP_LEN))
		return false;
	if (proto == IPPROTO_UDP && !packet[l4 + UDP_CHECK] && !packet[l4 + UDP_CHECK + 1])
		return v4;
	return csum_fold(csum_add(pseudo_sum(packet, v4, proto, len - l4), packet + l4,
	                          len - l4)) == 0xffff;
}

bool tun_gro_append(struct tun_gro *gro, const uint8_t *next, size_t len, bool holds)
{
	size_t l4 = gro->l4, payload;
	uint8_t flags;

	if (!l4 || !holds || gro->closed || len <= gro->hdr_len ||
	    gro_candidate(next, len, gro->udp) != l4 || gro->segments == TUN_GRO_MAX_SEGMENTS)
		return false;
	payload = len - gro->hdr_len;
	if (!same_flow(gro, next) || payload > gro->gso_size || !continues(gro, next, len) ||
	    gro->len + payload > TUN_OFFLOAD_MAX)
		return false;
	if (gro->segments == 1) {
		/* The run's headers, to be fixed up, apart from the packet they came with. */
		memcpy(gro->head, gro->packet, gro->hdr_len);
		gro->iov[1] = (struct iovec){.iov_base = gro->head, .iov_len = gro->hdr_len};
		gro->iov[2] = (struct iovec){.iov_base = (void *)(gro->packet + gro->hdr_len),
		                             .iov_len = gro->len - gro->hdr_len};
		gro->iovcnt = 3;
	}
	gro->iov[gro->iovcnt++] =
	    (struct iovec){.iov_base = (void *)(next + gro->hdr_len), .iov_len = payload};
	gro->len += payload;
	gro->next_seq += (uint32_t)payload;
	gro->segments++;
	gro->fixed_id = l4 == IPV4_LEN && get16(next + IPV4_ID) == get16(gro->packet + IPV4_ID);
	gro->closed = payload < gro->gso_size;
	if (gro->proto == IPPROTO_UDP)
		return true;
	/* PSH travels on; a short or pushed segment ends the run. */
	flags = next[l4 + TCP_FLAGS];
	gro->head[l4 + TCP_FLAGS] |= flags & TCP_PSH;
	gro->closed |= (flags & TCP_PSH) != 0;
	return true;
}

void tun_gro_finish(struct tun_gro *gro)
{
	bool v4 = gro->l4 == IPV4_LEN, udp = gro->proto == IPPROTO_UDP;
	size_t check = udp ? UDP_CHECK : TCP_CHECK;
	uint8_t *head = gro->head;
	uint16_t partial;

	memset(&gro->hdr, 0, sizeof(gro->hdr));
	gro->iov[0] = (struct iovec){.iov_base = &gro->hdr, .iov_len = sizeof(gro->hdr)};
	if (gro->segments < 2)
		return;
	if (v4) {
		put16(head + 2, (uint16_t)gro->len);
		ipv4_checksum(head);
	} else {
		put16(head + 4, (uint16_t)(gro->len - IPV6_LEN));
	}
	if (udp)
		put16(head + gro->l4 + UDP_LENGTH, (uint16_t)(gro->len - gro->l4));
	/* The kernel finishes the sum it is handed: the pseudo-header's, not inverted. */
	partial = csum_fold(pseudo_sum(head, v4, gro->proto, gro->len - gro->l4));
	memcpy(head + gro->l4 + check, &partial, 2);
	gro->hdr.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	if (udp)
		gro->hdr.gso_type = TUN_VNET_GSO_UDP_L4;
	else
		gro->hdr.gso_type = v4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
	gro->hdr.hdr_len = (uint16_t)gro->hdr_len;
	gro->hdr.gso_size = gro->gso_size;
	gro->hdr.csum_start = (uint16_t)gro->l4;
	gro->hdr.csum_offset = (uint16_t)check;
}
