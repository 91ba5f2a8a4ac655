// SPDX-License-Identifier: MIT
/* test_gro.c - TCP and UDP coalescing of received packets into TUN super-packets (offload.h). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "offload_packets.h"
#include "tun/offload.h"

/* Coalescing as the receive path drives it: each packet's checksums found apart (by the worker
 * that decrypted it) and handed in. */
static void start(struct tun_gro *gro, const uint8_t *packet, size_t len, bool udp)
{
	tun_gro_start(gro, packet, len, tun_gro_checksums_hold(packet, len), udp);
}

static bool append(struct tun_gro *gro, const uint8_t *next, size_t len)
{
	return tun_gro_append(gro, next, len, tun_gro_checksums_hold(next, len));
}

/* The write a finished run makes, past its virtio header, gathered into out; its length. */
static size_t gather(const struct tun_gro *gro, uint8_t *out)
{
	size_t len = 0;
	unsigned int i;

	assert_ptr_equal(gro->iov[0].iov_base, &gro->hdr);
	assert_int_equal(gro->iov[0].iov_len, sizeof(gro->hdr));
	for (i = 1; i < gro->iovcnt; i++) {
		memcpy(out + len, gro->iov[i].iov_base, gro->iov[i].iov_len);
		len += gro->iov[i].iov_len;
	}
	assert_int_equal(len, gro->len);
	return len;
}

/* A packet alone is written where it lies, as it came, with an empty virtio header. */
static void assert_alone(const struct tun_gro *gro, const uint8_t *packet, size_t len)
{
	assert_int_equal(gro->segments, 1);
	assert_int_equal(gro->iovcnt, 2);
	assert_ptr_equal(gro->iov[1].iov_base, packet);
	assert_int_equal(gro->iov[1].iov_len, len);
	assert_int_equal(gro->hdr.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	assert_int_equal(gro->hdr.flags, 0);
}

static void coalesce_and_check(bool v4)
{
	size_t l4 = v4 ? 20 : 40, payload = MSS * 3 + 123, lens[SEGS], i;
	uint8_t *super = malloc(65536), *segs[SEGS], *head = malloc(65536), *copies[SEGS];
	struct virtio_net_hdr hdr = {.gso_type =
	                                 v4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6,
	                             .gso_size = MSS,
	                             .csum_start = (uint16_t)l4};
	size_t len = make_tcp(super, v4, payload, 0x08);
	struct tun_gro gro;
	uint16_t partial;

	for (i = 0; i < SEGS; i++) {
		segs[i] = malloc(CAP);
		copies[i] = malloc(CAP);
	}
	assert_int_equal(tun_offload_split(&hdr, super, len, segs, lens, SEGS, CAP), 4);
	for (i = 0; i < 4; i++)
		memcpy(copies[i], segs[i], lens[i]);
	start(&gro, segs[0], lens[0], true);
	for (i = 1; i < 4; i++)
		assert_true(append(&gro, segs[i], lens[i]));
	/* The short last segment closed the run. */
	assert_false(append(&gro, segs[1], lens[1]));
	tun_gro_finish(&gro);
	/* Headers, then each payload where it lies: nothing else copied, nothing changed. */
	assert_int_equal(gro.iovcnt, 2 + 4);
	for (i = 0; i < 4; i++) {
		assert_ptr_equal(gro.iov[2 + i].iov_base, segs[i] + l4 + 20);
		assert_memory_equal(segs[i], copies[i], lens[i]);
	}
	assert_int_equal(gather(&gro, head), len);
	assert_memory_equal(head + l4 + 20, super + l4 + 20, payload);
	assert_int_equal(gro.hdr.gso_type, hdr.gso_type);
	assert_int_equal(gro.hdr.gso_size, MSS);
	assert_int_equal(gro.hdr.hdr_len, l4 + 20);
	assert_int_equal(gro.hdr.csum_start, l4);
	assert_int_equal(head[l4 + 13], 0x18);
	partial = htons(ref_fold(v4 ? ref_sum(head + 12, 8, IPPROTO_TCP + (uint32_t)(len - l4))
	                            : ref_sum(head + 8, 32, IPPROTO_TCP + (uint32_t)(len - l4))));
	assert_memory_equal(head + l4 + 16, &partial, 2);
	for (i = 0; i < SEGS; i++) {
		free(segs[i]);
		free(copies[i]);
	}
	free(super);
	free(head);
}

static void test_in_order_segments_coalesce_ipv4(void **state)
{
	(void)state;
	coalesce_and_check(true);
}

static void test_in_order_segments_coalesce_ipv6(void **state)
{
	(void)state;
	coalesce_and_check(false);
}

static void test_gaps_and_other_flows_do_not_coalesce(void **state)
{
	uint8_t a[CAP], b[CAP];
	size_t la = make_tcp(a, true, MSS, 0), lb;
	struct tun_gro gro;
	uint32_t seq;

	(void)state;
	start(&gro, a, la, true);
	/* A gap in the sequence. */
	lb = make_tcp(b, true, MSS, 0);
	seq = htonl(1000 + 2 * MSS);
	memcpy(b + 24, &seq, 4);
	set_checksums(b, lb);
	assert_false(append(&gro, b, lb));
	/* The right sequence but another port. */
	seq = htonl(1000 + MSS);
	memcpy(b + 24, &seq, 4);
	b[23] = 91;
	set_checksums(b, lb);
	assert_false(append(&gro, b, lb));
	/* A SYN never coalesces. */
	b[23] = 90;
	b[33] |= 0x02;
	set_checksums(b, lb);
	assert_false(append(&gro, b, lb));
	b[33] &= (uint8_t)~0x02;
	set_checksums(b, lb);
	assert_true(append(&gro, b, lb));
	tun_gro_finish(&gro);
	assert_int_equal(gro.segments, 2);
	/* Alone, a packet stays where it is, as it is, with an empty virtio header. */
	lb = make_tcp(b, true, MSS, 0);
	start(&gro, b, lb, true);
	tun_gro_finish(&gro);
	assert_alone(&gro, b, lb);
}

static void coalesce_udp_and_check(bool v4)
{
	size_t l4 = v4 ? 20 : 40, lens[5], i;
	uint8_t dgrams[5][CAP], *head = malloc(65536);
	uint16_t partial, v16;
	struct tun_gro gro;

	for (i = 0; i < 5; i++)
		lens[i] = make_udp(dgrams[i], v4, i == 3 ? 300 : MSS, 90, (uint8_t)(i + 1));
	start(&gro, dgrams[0], lens[0], true);
	for (i = 1; i < 4; i++)
		assert_true(append(&gro, dgrams[i], lens[i]));
	/* The short last datagram closed the run. */
	assert_false(append(&gro, dgrams[4], lens[4]));
	tun_gro_finish(&gro);
	assert_int_equal(gather(&gro, head), l4 + 8 + 3 * MSS + 300);
	for (i = 0; i < 4; i++)
		assert_memory_equal(head + l4 + 8 + i * MSS, dgrams[i] + l4 + 8, lens[i] - l4 - 8);
	assert_int_equal(gro.hdr.gso_type, TUN_VNET_GSO_UDP_L4);
	assert_int_equal(gro.hdr.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(gro.hdr.gso_size, MSS);
	assert_int_equal(gro.hdr.hdr_len, l4 + 8);
	assert_int_equal(gro.hdr.csum_start, l4);
	assert_int_equal(gro.hdr.csum_offset, 6);
	v16 = htons((uint16_t)(gro.len - l4));
	assert_memory_equal(head + l4 + 4, &v16, 2);
	if (v4)
		assert_int_equal(ref_fold(ref_sum(head, 20, 0)), 0xffff);
	partial =
	    htons(ref_fold(v4 ? ref_sum(head + 12, 8, IPPROTO_UDP + (uint32_t)(gro.len - l4))
	                      : ref_sum(head + 8, 32, IPPROTO_UDP + (uint32_t)(gro.len - l4))));
	assert_memory_equal(head + l4 + 6, &partial, 2);
	free(head);
}

static void test_udp_datagrams_of_one_flow_coalesce_ipv4(void **state)
{
	(void)state;
	coalesce_udp_and_check(true);
}

static void test_udp_datagrams_of_one_flow_coalesce_ipv6(void **state)
{
	(void)state;
	coalesce_udp_and_check(false);
}

static void test_udp_coalesces_only_with_uso_same_flow_and_size(void **state)
{
	uint8_t a[CAP], b[CAP];
	size_t la = make_udp(a, true, MSS, 90, 1), lb = make_udp(b, true, MSS, 90, 2), i;
	struct tun_gro gro;

	(void)state;
	/* A TUN without USO takes no UDP super-packet. */
	start(&gro, a, la, false);
	assert_false(append(&gro, b, lb));
	start(&gro, a, la, true);
	/* Another port, a longer datagram, a length field that lies: each travels alone. */
	b[23] = 91;
	set_checksums(b, lb);
	assert_false(append(&gro, b, lb));
	lb = make_udp(b, true, MSS + 1, 90, 2);
	assert_false(append(&gro, b, lb));
	lb = make_udp(b, true, MSS, 90, 2);
	b[25] ^= 1;
	set_checksums(b, lb);
	assert_false(append(&gro, b, lb));
	/* At most 64 datagrams per super-packet, as every USO kernel segments. */
	la = make_udp(a, true, 100, 90, 1);
	lb = make_udp(b, true, 100, 90, 2);
	start(&gro, a, la, true);
	for (i = 1; i < 64; i++)
		assert_true(append(&gro, b, lb));
	assert_false(append(&gro, b, lb));
	tun_gro_finish(&gro);
	assert_int_equal(gro.segments, 64);
}

enum { RUN = 6 };

static void set_ipv4_id(uint8_t *p, size_t len, uint16_t id, bool df)
{
	uint16_t v16 = htons(id);

	memcpy(p + 4, &v16, 2);
	p[6] = df ? 0x40 : 0;
	set_checksums(p, len);
}

/* RUN full TCP segments of one flow in order, as a sender cuts them: seq up by MSS, id by one. */
static void make_tcp_run(uint8_t (*store)[CAP], uint8_t **segs, size_t *lens, bool v4)
{
	unsigned int i;
	uint32_t seq;

	for (i = 0; i < RUN; i++) {
		segs[i] = store[i];
		lens[i] = make_tcp(segs[i], v4, MSS, 0);
		seq = htonl(1000 + i * MSS);
		memcpy(segs[i] + (v4 ? 24 : 44), &seq, 4);
		if (v4)
			set_ipv4_id(segs[i], lens[i], (uint16_t)i, true);
		else
			set_checksums(segs[i], lens[i]);
	}
}

static void make_udp_run(uint8_t (*store)[CAP], uint8_t **dgrams, size_t *lens, bool v4)
{
	unsigned int i;

	for (i = 0; i < RUN; i++) {
		dgrams[i] = store[i];
		lens[i] = make_udp(dgrams[i], v4, MSS, 90, (uint8_t)(i + 1));
	}
}

/*
 * Writes a batch of RUN packets as wg_device_deliver() does and checks the writes it took
 * against want, the segments each carries. A write of one segment must be that packet as it
 * came: where it lay, as long, with an empty virtio header.
 */
static void expect_writes(uint8_t *const *packets, const size_t *lens, const unsigned int *want,
                          unsigned int writes)
{
	unsigned int i, j, n = 0, runs[RUN];
	struct tun_gro gro;

	for (i = 0; i < RUN; i = j) {
		j = i + 1;
		start(&gro, packets[i], lens[i], true);
		while (j < RUN && append(&gro, packets[j], lens[j]))
			j++;
		tun_gro_finish(&gro);
		assert_int_equal(gro.segments, j - i);
		if (j == i + 1)
			assert_alone(&gro, packets[i], lens[i]);
		runs[n++] = j - i;
	}
	assert_int_equal(n, writes);
	assert_memory_equal(runs, want, writes * sizeof(*want));
}

#define WRITES(...)                                                                                \
	(const unsigned int[]){__VA_ARGS__},                                                       \
	    sizeof((const unsigned int[]){__VA_ARGS__}) / sizeof(unsigned int)

/*
 * A segment corrupted before it was sealed (here one flipped bit under a checksum that no longer
 * matches) reaches the TUN alone and as it came, so that the kernel drops it: merged, it would
 * have been handed up with a checksum the kernel computes afresh, and accepted.
 */
static void bad_checksum_travels_alone(bool v4, bool udp)
{
	size_t l4 = v4 ? 20 : 40, lens[RUN], at = l4 + (udp ? 8 : 20) + 100;
	uint8_t store[RUN][CAP], *packets[RUN], saved[CAP];

	if (udp)
		make_udp_run(store, packets, lens, v4);
	else
		make_tcp_run(store, packets, lens, v4);
	expect_writes(packets, lens, WRITES(RUN));
	packets[2][at] ^= 0x04;
	memcpy(saved, packets[2], lens[2]);
	expect_writes(packets, lens, WRITES(2, 1, 3));
	assert_memory_equal(packets[2], saved, lens[2]);
	assert_false(l4_checksum_ok(packets[2], lens[2]));
	/* A bad first one as well: it leaves alone, the rest go on together. */
	packets[2][at] ^= 0x04;
	packets[0][at] ^= 0x80;
	memcpy(saved, packets[0], lens[0]);
	expect_writes(packets, lens, WRITES(1, 5));
	assert_memory_equal(packets[0], saved, lens[0]);
}

static void test_tcp_segment_with_bad_checksum_travels_alone_ipv4(void **state)
{
	(void)state;
	bad_checksum_travels_alone(true, false);
}

static void test_tcp_segment_with_bad_checksum_travels_alone_ipv6(void **state)
{
	(void)state;
	bad_checksum_travels_alone(false, false);
}

static void test_udp_datagram_with_bad_checksum_travels_alone_ipv4(void **state)
{
	(void)state;
	bad_checksum_travels_alone(true, true);
}

static void test_udp_datagram_with_bad_checksum_travels_alone_ipv6(void **state)
{
	(void)state;
	bad_checksum_travels_alone(false, true);
}

static void test_udp_without_checksum_coalesces_only_over_ipv4(void **state)
{
	uint8_t store[RUN][CAP], *dgrams[RUN];
	size_t lens[RUN], i;

	(void)state;
	/* Over IPv4 a zero checksum means none was sent; there is nothing to check. */
	make_udp_run(store, dgrams, lens, true);
	for (i = 0; i < RUN; i++)
		dgrams[i][26] = dgrams[i][27] = 0;
	expect_writes(dgrams, lens, WRITES(RUN));
	/* Over IPv6 it is not allowed, and the kernel drops such a datagram. */
	make_udp_run(store, dgrams, lens, false);
	dgrams[2][46] = dgrams[2][47] = 0;
	expect_writes(dgrams, lens, WRITES(2, 1, 3));
}

static void test_ipv4_header_with_bad_checksum_travels_alone(void **state)
{
	uint8_t store[RUN][CAP], *segs[RUN], saved[CAP];
	size_t lens[RUN];

	(void)state;
	/* Its TCP checksum holds (the pseudo-header leaves the IP one out); its header's not. */
	make_tcp_run(store, segs, lens, true);
	segs[3][10] ^= 0x01;
	memcpy(saved, segs[3], lens[3]);
	expect_writes(segs, lens, WRITES(3, 1, 2));
	assert_memory_equal(segs[3], saved, lens[3]);
	segs[3][10] ^= 0x01;
	segs[0][11] ^= 0x10;
	expect_writes(segs, lens, WRITES(1, 5));
}

static void test_df_and_ipv4_id_breaks_split_the_run(void **state)
{
	static const uint16_t wrap[RUN] = {0xfffe, 0xffff, 0, 1, 2, 3};
	uint8_t store[RUN][CAP], *segs[RUN];
	size_t lens[RUN], i;

	(void)state;
	make_tcp_run(store, segs, lens, true);
	set_ipv4_id(segs[3], lens[3], 3, false);
	expect_writes(segs, lens, WRITES(3, 1, 2));
	/* Without DF the ids must count up by one, across their wrap too. */
	for (i = 0; i < RUN; i++)
		set_ipv4_id(segs[i], lens[i], wrap[i], false);
	expect_writes(segs, lens, WRITES(RUN));
	set_ipv4_id(segs[3], lens[3], 7, false);
	expect_writes(segs, lens, WRITES(3, 1, 2));
	for (i = 0; i < RUN; i++)
		set_ipv4_id(segs[i], lens[i], 0, false);
	expect_writes(segs, lens, WRITES(1, 1, 1, 1, 1, 1));
	/* With DF they may instead stay fixed, as the second segment tells; a run keeps its way. */
	for (i = 0; i < RUN; i++)
		set_ipv4_id(segs[i], lens[i], 5, true);
	expect_writes(segs, lens, WRITES(RUN));
	for (i = 3; i < RUN; i++)
		set_ipv4_id(segs[i], lens[i], 6, true);
	expect_writes(segs, lens, WRITES(3, 3));
	for (i = 0; i < RUN; i++)
		set_ipv4_id(segs[i], lens[i], (uint16_t)(i < 3 ? i : i - 1), true);
	expect_writes(segs, lens, WRITES(3, 3));
}

/* Flips `bits` of byte `at` of packet k, whose checksums are then made good again. */
static void edit(uint8_t **segs, size_t *lens, unsigned int k, size_t at, uint8_t bits)
{
	segs[k][at] ^= bits;
	set_checksums(segs[k], lens[k]);
}

static void test_tcp_header_changes_split_the_run(void **state)
{
	uint8_t store[RUN][CAP], *segs[RUN];
	size_t lens[RUN], i;

	(void)state;
	make_tcp_run(store, segs, lens, true);
	/* Another window: the kernel compares it with the flags. */
	edit(segs, lens, 3, 20 + 15, 0x01);
	expect_writes(segs, lens, WRITES(3, 1, 2));
	edit(segs, lens, 3, 20 + 15, 0x01);
	/* RST, URG, CWR neither join nor lead; FIN ends a run unmerged; PSH joins and ends it. */
	edit(segs, lens, 2, 20 + 13, 0x04);
	expect_writes(segs, lens, WRITES(2, 1, 3));
	edit(segs, lens, 2, 20 + 13, 0x04);
	edit(segs, lens, 2, 20 + 13, 0x20);
	expect_writes(segs, lens, WRITES(2, 1, 3));
	edit(segs, lens, 2, 20 + 13, 0x20);
	edit(segs, lens, 2, 20 + 13, 0x80);
	expect_writes(segs, lens, WRITES(2, 1, 3));
	edit(segs, lens, 2, 20 + 13, 0x80);
	edit(segs, lens, 5, 20 + 13, 0x01);
	expect_writes(segs, lens, WRITES(5, 1));
	edit(segs, lens, 5, 20 + 13, 0x01);
	edit(segs, lens, 2, 20 + 13, 0x08);
	expect_writes(segs, lens, WRITES(3, 3));
	edit(segs, lens, 2, 20 + 13, 0x08);
	/* ECE joins when the whole run carries it. */
	for (i = 0; i < RUN; i++)
		edit(segs, lens, (unsigned int)i, 20 + 13, 0x40);
	expect_writes(segs, lens, WRITES(RUN));
	edit(segs, lens, 3, 20 + 13, 0x40);
	expect_writes(segs, lens, WRITES(3, 1, 2));
}

/* Gives every segment of a run the options NOP, NOP, timestamp (value val, echo 1). */
static void add_timestamps(uint8_t **segs, size_t *lens, bool v4, uint32_t val)
{
	static const uint8_t options[12] = {1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 1};
	size_t l4 = v4 ? 20 : 40, i;
	uint16_t v16;

	val = htonl(val);
	for (i = 0; i < RUN; i++) {
		memmove(segs[i] + l4 + 32, segs[i] + l4 + 20, lens[i] - l4 - 20);
		memcpy(segs[i] + l4 + 20, options, sizeof(options));
		memcpy(segs[i] + l4 + 24, &val, 4);
		segs[i][l4 + 12] = 8 << 4;
		lens[i] += sizeof(options);
		v16 = htons((uint16_t)(v4 ? lens[i] : lens[i] - 40));
		memcpy(segs[i] + (v4 ? 2 : 4), &v16, 2);
		set_checksums(segs[i], lens[i]);
	}
}

static void test_tcp_options_must_match(void **state)
{
	uint8_t store[RUN][CAP], *segs[RUN];
	size_t lens[RUN];
	uint32_t val = htonl(78);

	(void)state;
	make_tcp_run(store, segs, lens, false);
	add_timestamps(segs, lens, false, 77);
	expect_writes(segs, lens, WRITES(RUN));
	memcpy(segs[3] + 40 + 24, &val, 4);
	set_checksums(segs[3], lens[3]);
	expect_writes(segs, lens, WRITES(3, 1, 2));
}

static void test_ip_header_changes_split_the_run(void **state)
{
	static const size_t v4_fields[] = {1, 6, 8}, v6_fields[] = {0, 1, 3, 7};
	uint8_t store[RUN][CAP], *segs[RUN];
	size_t lens[RUN], i;

	(void)state;
	/* IPv4 TOS, the reserved flag and TTL. */
	make_tcp_run(store, segs, lens, true);
	for (i = 0; i < sizeof(v4_fields) / sizeof(*v4_fields); i++) {
		edit(segs, lens, 2, v4_fields[i], v4_fields[i] == 6 ? 0x80 : 0x01);
		expect_writes(segs, lens, WRITES(2, 1, 3));
		edit(segs, lens, 2, v4_fields[i], v4_fields[i] == 6 ? 0x80 : 0x01);
	}
	/* IPv6 traffic class (in two bytes), flow label and hop limit. */
	make_tcp_run(store, segs, lens, false);
	for (i = 0; i < sizeof(v6_fields) / sizeof(*v6_fields); i++) {
		edit(segs, lens, 2, v6_fields[i], 0x01);
		expect_writes(segs, lens, WRITES(2, 1, 3));
		edit(segs, lens, 2, v6_fields[i], 0x01);
	}
}

static void test_checksums_hold_only_for_tcp_and_udp_whose_sums_hold(void **state)
{
	uint8_t p[CAP];
	size_t len;

	(void)state;
	len = make_tcp(p, true, MSS, 0);
	assert_true(tun_gro_checksums_hold(p, len));
	p[40 + 7] ^= 1;
	assert_false(tun_gro_checksums_hold(p, len));
	len = make_tcp(p, false, MSS, 0);
	assert_true(tun_gro_checksums_hold(p, len));
	/* The IPv4 header's own sum, which the TCP one leaves out. */
	len = make_tcp(p, true, MSS, 0);
	p[10] ^= 1;
	assert_false(tun_gro_checksums_hold(p, len));
	/* No UDP checksum at all: allowed over IPv4, not over IPv6. */
	len = make_udp(p, true, MSS, 90, 1);
	assert_true(tun_gro_checksums_hold(p, len));
	p[26] = p[27] = 0;
	assert_true(tun_gro_checksums_hold(p, len));
	len = make_udp(p, false, MSS, 90, 1);
	assert_true(tun_gro_checksums_hold(p, len));
	p[46] = p[47] = 0;
	assert_false(tun_gro_checksums_hold(p, len));
	/* Neither TCP nor UDP, a length that lies, a header cut short. */
	len = make_udp(p, true, MSS, 90, 1);
	p[9] = 1;
	set_checksums(p, 28);
	assert_false(tun_gro_checksums_hold(p, len));
	len = make_tcp(p, true, MSS, 0);
	assert_false(tun_gro_checksums_hold(p, len - 1));
	len = make_tcp(p, true, 0, 0);
	assert_false(tun_gro_checksums_hold(p, 30));
}

static void test_at_most_128_segments_join_one_super_packet(void **state)
{
	uint8_t a[CAP], b[CAP];
	size_t la = make_tcp(a, true, 10, 0), lb = make_tcp(b, true, 10, 0), i;
	struct tun_gro gro;
	uint32_t seq;
	uint16_t id;

	(void)state;
	start(&gro, a, la, true);
	for (i = 1; i <= TUN_GRO_MAX_SEGMENTS; i++) {
		seq = htonl((uint32_t)(1000 + 10 * i));
		memcpy(b + 24, &seq, 4);
		id = htons((uint16_t)i);
		memcpy(b + 4, &id, 2);
		set_checksums(b, lb);
		assert_int_equal(append(&gro, b, lb), i < TUN_GRO_MAX_SEGMENTS);
	}
	tun_gro_finish(&gro);
	assert_int_equal(gro.segments, TUN_GRO_MAX_SEGMENTS);
	assert_int_equal(gro.iovcnt, 2 + TUN_GRO_MAX_SEGMENTS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_in_order_segments_coalesce_ipv4),
	    cmocka_unit_test(test_in_order_segments_coalesce_ipv6),
	    cmocka_unit_test(test_gaps_and_other_flows_do_not_coalesce),
	    cmocka_unit_test(test_udp_datagrams_of_one_flow_coalesce_ipv4),
	    cmocka_unit_test(test_udp_datagrams_of_one_flow_coalesce_ipv6),
	    cmocka_unit_test(test_udp_coalesces_only_with_uso_same_flow_and_size),
	    cmocka_unit_test(test_tcp_segment_with_bad_checksum_travels_alone_ipv4),
	    cmocka_unit_test(test_tcp_segment_with_bad_checksum_travels_alone_ipv6),
	    cmocka_unit_test(test_udp_datagram_with_bad_checksum_travels_alone_ipv4),
	    cmocka_unit_test(test_udp_datagram_with_bad_checksum_travels_alone_ipv6),
	    cmocka_unit_test(test_udp_without_checksum_coalesces_only_over_ipv4),
	    cmocka_unit_test(test_ipv4_header_with_bad_checksum_travels_alone),
	    cmocka_unit_test(test_df_and_ipv4_id_breaks_split_the_run),
	    cmocka_unit_test(test_tcp_header_changes_split_the_run),
	    cmocka_unit_test(test_tcp_options_must_match),
	    cmocka_unit_test(test_ip_header_changes_split_the_run),
	    cmocka_unit_test(test_checksums_hold_only_for_tcp_and_udp_whose_sums_hold),
	    cmocka_unit_test(test_at_most_128_segments_join_one_super_packet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
