// SPDX-License-Identifier: MIT
/* The one IP address type and the one "host:port" splitter (netlink/ip_addr.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "netlink/ip_addr.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

static void test_addresses_read_back_as_printed(void **state)
{
	static const char *const texts[] = {"10.0.0.1", "0.0.0.0", "fd00::1", "::", "2001:db8::"};
	char buf[IP_ADDR_STRLEN];
	struct ip_addr addr;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		assert_int_equal(ip_addr_parse(texts[i], &addr), 0);
		assert_string_equal(ip_addr_format(&addr, buf), texts[i]);
	}
	assert_int_equal(ip_addr_parse("10.0.0.1", &addr), 0);
	assert_int_equal(addr.family, AF_INET);
	assert_int_equal(ip_addr_len(&addr), 4);
	assert_int_equal(ip_addr_parse("fd00::1", &addr), 0);
	assert_int_equal(addr.family, AF_INET6);
	assert_int_equal(ip_addr_len(&addr), 16);
}

static void test_addresses_reject_names_and_prefixes(void **state)
{
	static const char *const bad[] = {"",           "10.0.0", "10.0.0.256",
	                                  "10.0.0.0/8", "host",   "[::1]"};
	char buf[IP_ADDR_STRLEN];
	struct ip_addr addr;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(ip_addr_parse(bad[i], &addr), -EINVAL);
		assert_false(ip_addr_is_set(&addr));
		assert_string_equal(ip_addr_format(&addr, buf), "");
	}
}

static void test_addresses_order_by_family_then_bytes(void **state)
{
	struct ip_addr a, b;

	(void)state;
	assert_int_equal(ip_addr_parse("10.0.0.2", &a), 0);
	assert_int_equal(ip_addr_parse("10.0.0.10", &b), 0);
	assert_true(ip_addr_compare(&a, &b) < 0);
	assert_false(ip_addr_equal(&a, &b));
	assert_int_equal(ip_addr_parse("::1", &b), 0);
	assert_true(ip_addr_compare(&a, &b) < 0);
	assert_int_equal(ip_addr_parse("10.0.0.2", &b), 0);
	assert_true(ip_addr_equal(&a, &b));
}

static void test_host_port_splits_ips_names_and_brackets(void **state)
{
	static const struct {
		const char *text, *host;
		uint16_t port;
	} cases[] = {
	    {"1.2.3.4:51820", "1.2.3.4", 51820},
	    {"[fd00::1]:1", "fd00::1", 1},
	    {"[fe80::1%eth0]:51820", "fe80::1%eth0", 51820},
	    {"[1.2.3.4]:80", "1.2.3.4", 80},
	    {"node-1.example.com:65535", "node-1.example.com", 65535},
	    {"localhost:0", "localhost", 0},
	    {":1107", "", 1107},
	    {"[]:1107", "", 1107},
	    {"host:0080", "host", 80},
	};
	char host[64];
	uint16_t port;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(ip_host_port_split(cases[i].text, host, sizeof(host), &port), 0);
		assert_string_equal(host, cases[i].host);
		assert_int_equal(port, cases[i].port);
	}
}

static void assert_all_rejected(const char *const *bad, size_t n)
{
	char host[64];
	uint16_t port;

	for (size_t i = 0; i < n; i++)
		assert_int_equal(ip_host_port_split(bad[i], host, sizeof(host), &port), -EINVAL);
}

static void test_host_port_rejects_bare_ipv6_and_stray_brackets(void **state)
{
	static const char *const bad[] = {
	    "fd00::1:51820", "::1:80", "[fd00::1]", "[fd00::1:80", "[fd00::1]x:80", "[fd00::1]::80",
	    "[[::1]:80",     "a]b:80", "a[b:80",    "fd00::1]:80", "[a]b]:80",
	};

	(void)state;
	assert_all_rejected(bad, ARRAY_SIZE(bad));
}

static void test_host_port_takes_decimal_ports_up_to_65535(void **state)
{
	static const char *const bad[] = {
	    "1.2.3.4",
	    "1.2.3.4:",
	    "1.2.3.4:65536",
	    "1:99999999999999999999",
	    "1.2.3.4:-1",
	    "1.2.3.4:+1",
	    "1.2.3.4: 1",
	    "1.2.3.4:1 ",
	    "host:http",
	    "host:0x50",
	    "",
	    ":",
	};

	(void)state;
	assert_all_rejected(bad, ARRAY_SIZE(bad));
}

static void test_host_port_fails_without_writing_when_host_does_not_fit(void **state)
{
	char host[8] = "unset";
	uint16_t port = 7;

	(void)state;
	/* Seven bytes and the NUL fit; eight do not. */
	assert_int_equal(ip_host_port_split("1234567:1", host, sizeof(host), &port), 0);
	assert_string_equal(host, "1234567");
	assert_int_equal(port, 1);
	strcpy(host, "unset");
	port = 7;
	assert_int_equal(ip_host_port_split("12345678:2", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(ip_host_port_split("[1:2:3:4:5]:2", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(ip_host_port_split("x:1", host, 0, &port), -EINVAL);
	assert_int_equal(ip_host_port_split("bad:port", host, sizeof(host), &port), -EINVAL);
	assert_string_equal(host, "unset");
	assert_int_equal(port, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_addresses_read_back_as_printed),
	    cmocka_unit_test(test_addresses_reject_names_and_prefixes),
	    cmocka_unit_test(test_addresses_order_by_family_then_bytes),
	    cmocka_unit_test(test_host_port_splits_ips_names_and_brackets),
	    cmocka_unit_test(test_host_port_rejects_bare_ipv6_and_stray_brackets),
	    cmocka_unit_test(test_host_port_takes_decimal_ports_up_to_65535),
	    cmocka_unit_test(test_host_port_fails_without_writing_when_host_does_not_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
