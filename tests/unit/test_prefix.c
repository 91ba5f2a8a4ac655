// SPDX-License-Identifier: MIT
/* Addresses, prefixes and endpoints of the mesh model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "mesh/model/model.h"
#include "mesh/model/prefix.h"

static void assert_prefix_roundtrip(const char *text)
{
	struct mesh_prefix p;
	char buf[MESH_PREFIX_STRLEN];

	assert_int_equal(mesh_prefix_parse(text, &p), 0);
	assert_string_equal(mesh_prefix_format(&p, buf), text);
}

static void test_prefix_keeps_host_bits_like_kilo(void **state)
{
	(void)state;
	assert_prefix_roundtrip("10.1.0.2/24");
	assert_prefix_roundtrip("10.4.0.0/16");
	assert_prefix_roundtrip("0.0.0.0/0");
	assert_prefix_roundtrip("fd00::1/64");
	assert_prefix_roundtrip("2001:db8::/32");
	assert_prefix_roundtrip("::/0");
}

static void test_prefix_rejects_malformed_text(void **state)
{
	static const char *const bad[] = {
	    "",
	    "10.0.0.1",
	    "10.0.0.1/",
	    "10.0.0.1/33",
	    "10.0.0.1/-1",
	    "10.0.0.1/+8",
	    "10.0.0.1/08",
	    "/8",
	    "fd00::/129",
	    "10.0.0.256/8",
	    "10.0.0.1/8 ",
	    "host/8",
	    "10.0.0.1/8/8",
	};
	struct mesh_prefix p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(mesh_prefix_parse(bad[i], &p), -EINVAL);
		assert_false(mesh_prefix_is_set(&p));
	}
}

static struct mesh_prefix prefix(const char *text)
{
	struct mesh_prefix p;

	assert_int_equal(mesh_prefix_parse(text, &p), 0);
	return p;
}

static void test_prefix_masked_clears_host_bits(void **state)
{
	struct mesh_prefix p = prefix("10.1.13.74/20"), m = mesh_prefix_masked(&p);
	char buf[MESH_PREFIX_STRLEN];

	(void)state;
	assert_string_equal(mesh_prefix_format(&m, buf), "10.1.0.0/20");
	p = prefix("fd00:1:2:3::9/49");
	m = mesh_prefix_masked(&p);
	assert_string_equal(mesh_prefix_format(&m, buf), "fd00:1:2::/49");
}

static void test_prefix_containment_and_overlap(void **state)
{
	struct mesh_prefix net = prefix("10.2.0.0/16"), sub = prefix("10.2.3.0/24"),
	                   other = prefix("10.3.0.0/24"), host = prefix("10.2.3.4/32"),
	                   v6 = prefix("fd00::/8");

	(void)state;
	assert_true(mesh_prefix_contains(&net, &sub));
	assert_false(mesh_prefix_contains(&sub, &net));
	assert_true(mesh_prefix_contains(&sub, &host));
	assert_true(mesh_prefix_contains(&net, &net));
	assert_true(mesh_prefix_overlaps(&sub, &net));
	assert_true(mesh_prefix_overlaps(&net, &sub));
	assert_false(mesh_prefix_overlaps(&net, &other));
	assert_false(mesh_prefix_overlaps(&net, &v6));
	assert_true(mesh_prefix_contains_addr(&sub, &host.addr));
	assert_false(mesh_prefix_contains_addr(&other, &host.addr));
}

static void test_public_addresses_follow_kilo_is_public(void **state)
{
	static const struct {
		const char *ip;
		bool public;
	} cases[] = {
	    {"10.0.0.1", false},  {"172.16.0.1", false},  {"172.31.255.255", false},
	    {"172.32.0.1", true}, {"192.168.1.1", false}, {"192.169.1.1", true},
	    {"100.64.0.1", true}, {"8.8.8.8", true},      {"fd00::1", false},
	    {"fd01::1", true},    {"fc00::1", true},      {"2001:db8::1", true},
	};
	struct ip_addr a;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		assert_int_equal(ip_addr_parse(cases[i].ip, &a), 0);
		assert_int_equal(mesh_addr_is_public(&a), cases[i].public);
	}
}

static void test_endpoint_parses_ip_ipv6_and_dns(void **state)
{
	struct mesh_endpoint e;
	char buf[MESH_ENDPOINT_STRLEN];

	(void)state;
	assert_int_equal(mesh_endpoint_parse("1.2.3.4:51820", &e), 0);
	assert_int_equal(e.ip.family, AF_INET);
	assert_string_equal(mesh_endpoint_format(&e, buf), "1.2.3.4:51820");
	assert_int_equal(mesh_endpoint_parse("[fd00::1]:1", &e), 0);
	assert_int_equal(e.ip.family, AF_INET6);
	assert_string_equal(mesh_endpoint_format(&e, buf), "[fd00::1]:1");
	assert_int_equal(mesh_endpoint_parse("node-1.example.com:65535", &e), 0);
	assert_string_equal(e.dns, "node-1.example.com");
	assert_string_equal(mesh_endpoint_format(&e, buf), "node-1.example.com:65535");
}

static void test_endpoint_rejects_bad_ports_and_hosts(void **state)
{
	static const char *const bad[] = {
	    "1.2.3.4",       "1.2.3.4:0",     "1.2.3.4:65536", "1.2.3.4:-1",   "1.2.3.4:",
	    "fd00::1:51820", "[fd00::1]",     "[host]:1",      "Upper.case:1", "-bad:1",
	    ":51820",        "under_score:1", "a..b:1",        "[]:1",
	};
	struct mesh_endpoint e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(mesh_endpoint_parse(bad[i], &e), -EINVAL);
		assert_false(mesh_endpoint_is_set(&e));
	}
}

static void test_granularity_and_encapsulation_names(void **state)
{
	enum mesh_granularity g;
	enum mesh_encapsulate e;

	(void)state;
	assert_int_equal(mesh_granularity_parse("cross", &g), 0);
	assert_int_equal(g, MESH_GRANULARITY_CROSS);
	assert_string_equal(mesh_granularity_name(MESH_GRANULARITY_FULL), "full");
	assert_int_equal(mesh_granularity_parse("", &g), -EINVAL);
	assert_int_equal(mesh_granularity_parse("Location", &g), -EINVAL);
	assert_int_equal(mesh_encapsulate_parse("crosssubnet", &e), 0);
	assert_int_equal(e, MESH_ENCAPSULATE_CROSSSUBNET);
	assert_int_equal(mesh_encapsulate_parse("sometimes", &e), -EINVAL);
}

static void test_node_readiness_needs_key_endpoint_subnet_and_heartbeat(void **state)
{
	struct mesh_node n = {.last_seen = 1000};

	(void)state;
	assert_int_equal(mesh_endpoint_parse("1.2.3.4:51820", &n.endpoint), 0);
	n.subnet = prefix("10.2.0.0/24");
	assert_false(mesh_node_is_ready(&n, 1000)); /* no key */
	n.key[0] = 1;
	assert_true(mesh_node_is_ready(&n, 1059));
	assert_false(mesh_node_is_ready(&n, 1060));
	n.subnet = (struct mesh_prefix){0};
	assert_false(mesh_node_is_ready(&n, 1000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prefix_keeps_host_bits_like_kilo),
	    cmocka_unit_test(test_prefix_rejects_malformed_text),
	    cmocka_unit_test(test_prefix_masked_clears_host_bits),
	    cmocka_unit_test(test_prefix_containment_and_overlap),
	    cmocka_unit_test(test_public_addresses_follow_kilo_is_public),
	    cmocka_unit_test(test_endpoint_parses_ip_ipv6_and_dns),
	    cmocka_unit_test(test_endpoint_rejects_bad_ports_and_hosts),
	    cmocka_unit_test(test_granularity_and_encapsulation_names),
	    cmocka_unit_test(test_node_readiness_needs_key_endpoint_subnet_and_heartbeat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
