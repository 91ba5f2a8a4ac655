// SPDX-License-Identifier: MIT
/* test_offload.c - TCP segmentation of TUN super-packets (offload.h); coalescing is test_gro.c's.
 */

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

static void split_and_check(bool v4)
{
	size_t l4 = v4 ? 20 : 40, payload = MSS * 3 + 123, lens[SEGS], in_lens[SEGS], i;
	uint8_t *super = malloc(65536), *copy = malloc(65536), *segs[SEGS], *in_place[SEGS];
	struct virtio_net_hdr hdr = {.gso_type =
	                                 v4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6,
	                             .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
	                             .gso_size = MSS,
	                             .csum_start = (uint16_t)l4,
	                             .csum_offset = 16};
	size_t len = make_tcp(super, v4, payload, 0x08 | 0x01);
	uint32_t seq;
	int n;

	for (i = 0; i < SEGS; i++)
		segs[i] = malloc(CAP);
	n = tun_offload_split(&hdr, super, len, segs, lens, SEGS, CAP);
	assert_int_equal(n, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(lens[i], l4 + 20 + (i < 3 ? MSS : 123));
		assert_memory_equal(segs[i] + l4 + 20, super + l4 + 20 + i * MSS,
		                    lens[i] - l4 - 20);
		memcpy(&seq, segs[i] + l4 + 4, 4);
		assert_int_equal(ntohl(seq), 1000 + i * MSS);
		assert_true(l4_checksum_ok(segs[i], lens[i]));
		/* FIN and PSH only on the last segment. */
		assert_int_equal(segs[i][l4 + 13], i == 3 ? 0x19 : 0x10);
		if (v4)
			assert_int_equal(ref_fold(ref_sum(segs[i], 20, 0)), 0xffff);
	}
	assert_int_equal(tun_offload_split(&hdr, super, len, segs, lens, 3, CAP), -ENOSPC);

	/* In place: the first segment stays where the super-packet was, the same bytes. */
	in_place[0] = copy;
	for (i = 1; i < SEGS; i++)
		in_place[i] = malloc(CAP);
	memcpy(copy, super, len);
	assert_int_equal(tun_offload_split(&hdr, copy, len, in_place, in_lens, SEGS, CAP), 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(in_lens[i], lens[i]);
		assert_memory_equal(in_place[i], segs[i], lens[i]);
	}
	for (i = 0; i < SEGS; i++) {
		free(segs[i]);
		if (i)
			free(in_place[i]);
	}
	free(super);
	free(copy);
}

static void test_tso_ipv4_is_split_into_valid_segments(void **state)
{
	(void)state;
	split_and_check(true);
}

static void test_tso_ipv6_is_split_into_valid_segments(void **state)
{
	(void)state;
	split_and_check(false);
}

static void test_partial_checksum_is_completed(void **state)
{
	struct virtio_net_hdr hdr = {
	    .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 20, .csum_offset = 16};
	uint8_t packet[200], out[CAP], *segs[1] = {out};
	size_t len = make_tcp(packet, true, 100, 0), lens[1];
	uint16_t partial;

	(void)state;
	/* The kernel leaves the pseudo-header sum in the field. */
	partial = htons(ref_fold(ref_sum(packet + 12, 8, IPPROTO_TCP + (uint32_t)(len - 20))));
	memcpy(packet + 36, &partial, 2);
	assert_int_equal(tun_offload_split(&hdr, packet, len, segs, lens, 1, CAP), 1);
	assert_int_equal(lens[0], len);
	assert_true(l4_checksum_ok(out, len));
}

static void test_partial_checksums_are_completed_at_every_length(void **state)
{
	struct virtio_net_hdr hdr = {
	    .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 20, .csum_offset = 16};
	uint8_t packet[400], out[CAP], *segs[1] = {out};
	size_t payload, len, lens[1];
	uint16_t partial;

	(void)state;
	/* Every length a word, a vector step and their remainders can leave. */
	for (payload = 0; payload <= 300; payload++) {
		len = make_tcp(packet, true, payload, 0);
		partial =
		    htons(ref_fold(ref_sum(packet + 12, 8, IPPROTO_TCP + (uint32_t)(len - 20))));
		memcpy(packet + 36, &partial, 2);
		assert_int_equal(tun_offload_split(&hdr, packet, len, segs, lens, 1, CAP), 1);
		assert_true(l4_checksum_ok(out, len));
	}
}

static void test_lying_headers_are_rejected(void **state)
{
	struct virtio_net_hdr hdr = {
	    .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = MSS, .csum_start = 24};
	uint8_t packet[2000], out[CAP], *segs[1] = {out};
	size_t len = make_tcp(packet, true, 500, 0), lens[1];

	(void)state;
	assert_int_equal(tun_offload_split(&hdr, packet, len, segs, lens, 1, CAP), -EINVAL);
	hdr.csum_start = 20;
	hdr.gso_size = 0;
	assert_int_equal(tun_offload_split(&hdr, packet, len, segs, lens, 1, CAP), -EINVAL);
	hdr.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	assert_int_equal(tun_offload_split(&hdr, packet, len, segs, lens, 1, CAP), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tso_ipv4_is_split_into_valid_segments),
	    cmocka_unit_test(test_tso_ipv6_is_split_into_valid_segments),
	    cmocka_unit_test(test_partial_checksum_is_completed),
	    cmocka_unit_test(test_partial_checksums_are_completed_at_every_length),
	    cmocka_unit_test(test_lying_headers_are_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
