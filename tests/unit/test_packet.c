// SPDX-License-Identifier: MIT
/* test_packet.c - padding and inner IP header rules (wg/packet.h). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "wg/packet.h"

static void test_padding_rounds_up_to_sixteen(void **state)
{
	(void)state;
	assert_int_equal(wg_packet_padded_len(0, 1420), 0);
	assert_int_equal(wg_packet_padded_len(1, 1420), 16);
	assert_int_equal(wg_packet_padded_len(16, 1420), 16);
	assert_int_equal(wg_packet_padded_len(17, 1420), 32);
	assert_int_equal(wg_packet_padded_len(84, 1420), 96);
}

static void test_padding_never_passes_the_mtu(void **state)
{
	(void)state;
	assert_int_equal(wg_packet_padded_len(1419, 1420), 1420);
	assert_int_equal(wg_packet_padded_len(1420, 1420), 1420);
	assert_int_equal(wg_packet_padded_len(1401, 1410), 1408);
	assert_int_equal(wg_packet_padded_len(1409, 1410), 1410);
}

static void test_padding_of_oversized_packet_pads_its_last_piece(void **state)
{
	(void)state;
	/* 1500 over an MTU of 1420: the last 80-byte piece is already aligned. */
	assert_int_equal(wg_packet_padded_len(1500, 1420), 1500);
	assert_int_equal(wg_packet_padded_len(1501, 1420), 1516);
}

static void ipv4(uint8_t *p, size_t len, uint16_t tot_len)
{
	memset(p, 0, len);
	p[0] = 0x45;
	tot_len = htons(tot_len);
	memcpy(p + 2, &tot_len, 2);
	p[12] = 10, p[15] = 1;
	p[16] = 10, p[19] = 2;
}

static void ipv6(uint8_t *p, size_t len, uint16_t payload_len)
{
	memset(p, 0, len);
	p[0] = 0x60;
	payload_len = htons(payload_len);
	memcpy(p + 4, &payload_len, 2);
	p[8] = 0xfd, p[23] = 1;
	p[24] = 0xfd, p[39] = 2;
}

static void test_ipv4_length_comes_from_header_and_padding_is_trimmed(void **state)
{
	uint8_t p[64];

	(void)state;
	ipv4(p, sizeof(p), 40);
	assert_int_equal(wg_packet_ip_len(p, sizeof(p)), 40);
	ipv4(p, sizeof(p), 64);
	assert_int_equal(wg_packet_ip_len(p, sizeof(p)), 64);
}

static void test_dishonest_ipv4_headers_are_rejected(void **state)
{
	uint8_t p[64];

	(void)state;
	ipv4(p, sizeof(p), 65);
	assert_int_equal(wg_packet_ip_len(p, sizeof(p)), 0);
	ipv4(p, sizeof(p), 19);
	assert_int_equal(wg_packet_ip_len(p, sizeof(p)), 0);
	ipv4(p, sizeof(p), 20);
	assert_int_equal(wg_packet_ip_len(p, 19), 0);
}

static void test_ipv6_length_is_payload_plus_header(void **state)
{
	uint8_t p[80];

	(void)state;
	ipv6(p, sizeof(p), 8);
	assert_int_equal(wg_packet_ip_len(p, sizeof(p)), 48);
	ipv6(p, sizeof(p), 41);
	assert_int_equal(wg_packet_ip_len(p, sizeof(p)), 0);
	ipv6(p, sizeof(p), 0);
	assert_int_equal(wg_packet_ip_len(p, 39), 0);
}

static void test_other_versions_are_not_ip(void **state)
{
	uint8_t p[64] = {0x55};
	const uint8_t *addr;

	(void)state;
	assert_int_equal(wg_packet_ip_len(p, sizeof(p)), 0);
	assert_int_equal(wg_packet_ip_len(p, 0), 0);
	assert_int_equal(wg_packet_addr(p, sizeof(p), true, &addr), 0);
}

static void test_addresses_point_into_the_header(void **state)
{
	uint8_t p4[40], p6[60];
	const uint8_t *addr;

	(void)state;
	ipv4(p4, sizeof(p4), 40);
	assert_int_equal(wg_packet_addr(p4, sizeof(p4), true, &addr), AF_INET);
	assert_ptr_equal(addr, p4 + 12);
	assert_int_equal(wg_packet_addr(p4, sizeof(p4), false, &addr), AF_INET);
	assert_ptr_equal(addr, p4 + 16);
	ipv6(p6, sizeof(p6), 20);
	assert_int_equal(wg_packet_addr(p6, sizeof(p6), true, &addr), AF_INET6);
	assert_ptr_equal(addr, p6 + 8);
	assert_int_equal(wg_packet_addr(p6, sizeof(p6), false, &addr), AF_INET6);
	assert_ptr_equal(addr, p6 + 24);
	assert_int_equal(wg_packet_addr(p6, 39, false, &addr), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_padding_rounds_up_to_sixteen),
	    cmocka_unit_test(test_padding_never_passes_the_mtu),
	    cmocka_unit_test(test_padding_of_oversized_packet_pads_its_last_piece),
	    cmocka_unit_test(test_ipv4_length_comes_from_header_and_padding_is_trimmed),
	    cmocka_unit_test(test_dishonest_ipv4_headers_are_rejected),
	    cmocka_unit_test(test_ipv6_length_is_payload_plus_header),
	    cmocka_unit_test(test_other_versions_are_not_ip),
	    cmocka_unit_test(test_addresses_point_into_the_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
