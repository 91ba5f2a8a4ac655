// SPDX-License-Identifier: MIT
/*
 * mesh/ipdetect: Kilo's getIP and --mtu auto over host snapshots written as tables, then the
 * snapshot itself taken over netlink in a network namespace of the test's own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/host/ipdetect.h"
#include "netns.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

struct address_spec {
	const char *ifname, *prefix;
	bool default_route;
};

static const char *const ignore[] = {"kilo0", "kube-bridge"};

/* A snapshot from a table; hostname_ips is a NULL-terminated list or NULL. */
static struct mesh_host host_of(const struct address_spec *specs, size_t n,
                                const char *const *hostname_ips)
{
	struct mesh_host host = {.addresses = calloc(n + 1, sizeof(*host.addresses)),
	                         .n_addresses = n,
	                         .hostname_ips = calloc(8, sizeof(*host.hostname_ips))};

	for (size_t i = 0; i < n; i++) {
		strcpy(host.addresses[i].ifname, specs[i].ifname);
		host.addresses[i].ifindex = (int)i + 1;
		host.addresses[i].default_route = specs[i].default_route;
		assert_int_equal(mesh_prefix_parse(specs[i].prefix, &host.addresses[i].prefix), 0);
	}
	for (size_t i = 0; hostname_ips && hostname_ips[i]; i++)
		assert_int_equal(
		    ip_addr_parse(hostname_ips[i], &host.hostname_ips[host.n_hostname_ips++]), 0);
	return host;
}

/* "private public" as text ("-" for none), or the error message. */
static void expect_ips(struct mesh_host *host, const struct mesh_prefix *internal,
                       size_t n_internal, const char *expected)
{
	struct mesh_ipdetect_options options = {ignore, ARRAY_SIZE(ignore), internal, n_internal};
	struct mesh_prefix private_ip, public_ip;
	char err[128] = "", got[2 * MESH_PREFIX_STRLEN + 2], a[MESH_PREFIX_STRLEN],
	     b[MESH_PREFIX_STRLEN];

	if (mesh_ipdetect_ips(host, &options, &private_ip, &public_ip, err, sizeof(err)) < 0) {
		assert_string_equal(err, expected);
	} else {
		snprintf(got, sizeof(got), "%s %s",
		         mesh_prefix_is_set(&private_ip) ? mesh_prefix_format(&private_ip, a) : "-",
		         mesh_prefix_format(&public_ip, b));
		assert_string_equal(got, expected);
	}
	mesh_host_release(host);
}

static const struct address_spec typical[] = {
    {"lo", "127.0.0.1/8", false},      {"eth1", "10.0.0.5/8", false},
    {"eth0", "192.168.0.5/24", true},  {"eth0", "fe80::5/64", true},
    {"kilo0", "10.4.0.1/16", false},   {"kube-bridge", "10.2.1.1/24", false},
    {"eth2", "203.0.113.5/24", false},
};

static void test_default_route_interface_wins_over_other_interfaces(void **state)
{
	struct mesh_host host = host_of(typical, ARRAY_SIZE(typical), NULL);

	(void)state;
	expect_ips(&host, NULL, 0, "192.168.0.5/24 203.0.113.5/24");
}

static void test_hostname_address_wins_and_takes_its_interface_mask(void **state)
{
	struct mesh_host host =
	    host_of(typical, ARRAY_SIZE(typical), (const char *[]){"10.0.0.5", NULL});

	(void)state;
	expect_ips(&host, NULL, 0, "10.0.0.5/8 203.0.113.5/24");
}

static void test_hostname_resolving_to_loopback_or_elsewhere_is_ignored(void **state)
{
	struct mesh_host host =
	    host_of(typical, ARRAY_SIZE(typical), (const char *[]){"127.0.1.1", "10.9.9.9", NULL});

	(void)state;
	expect_ips(&host, NULL, 0, "192.168.0.5/24 203.0.113.5/24");
}

static void test_internal_cidr_restricts_the_private_ip(void **state)
{
	struct mesh_host host = host_of(typical, ARRAY_SIZE(typical), NULL);
	struct mesh_prefix internal;

	(void)state;
	assert_int_equal(mesh_prefix_parse("10.0.0.0/16", &internal), 0);
	expect_ips(&host, &internal, 1, "10.0.0.5/8 203.0.113.5/24");
}

static void test_without_public_ip_the_private_one_is_public(void **state)
{
	struct mesh_host host = host_of(typical, 6, NULL);

	(void)state;
	expect_ips(&host, NULL, 0, "192.168.0.5/24 192.168.0.5/24");
}

static void test_public_only_host_has_no_private_ip(void **state)
{
	const struct address_spec vps[] = {{"eth0", "2001:db8::5/64", true},
	                                   {"eth0", "198.51.100.5/24", true}};
	struct mesh_host host = host_of(vps, ARRAY_SIZE(vps), NULL);

	(void)state;
	/* IPv4 before IPv6. */
	expect_ips(&host, NULL, 0, "- 198.51.100.5/24");
}

static void test_ignored_interfaces_and_their_addresses_elsewhere_never_count(void **state)
{
	const struct address_spec only_kilo[] = {{"kilo0", "10.4.0.1/16", false},
	                                         {"kube-bridge", "10.2.1.1/24", false},
	                                         {"eth9", "10.4.0.1/16", true},
	                                         {"lo", "::1/128", false}};
	struct mesh_host host = host_of(only_kilo, ARRAY_SIZE(only_kilo), NULL);

	(void)state;
	expect_ips(&host, NULL, 0, "no valid IP was found");
}

static void test_candidates_sort_as_text_like_kilo(void **state)
{
	const struct address_spec two[] = {{"eth0", "192.168.0.9/24", false},
	                                   {"eth1", "192.168.0.10/24", false}};
	struct mesh_host host = host_of(two, ARRAY_SIZE(two), NULL);

	(void)state;
	expect_ips(&host, NULL, 0, "192.168.0.10/24 192.168.0.10/24");
}

/* "private public private6" of a host, as kg detects them at start. */
static void expect_dual(const struct address_spec *specs, size_t n, const char *expected)
{
	struct mesh_host host = host_of(specs, n, NULL);
	struct mesh_ipdetect_options options = {ignore, ARRAY_SIZE(ignore), NULL, 0};
	struct mesh_prefix private_ip, public_ip, private_ip6;
	char err[128] = "", got[3 * MESH_PREFIX_STRLEN + 3], a[MESH_PREFIX_STRLEN],
	     b[MESH_PREFIX_STRLEN], c[MESH_PREFIX_STRLEN];

	assert_int_equal(
	    mesh_ipdetect_ips(&host, &options, &private_ip, &public_ip, err, sizeof(err)), 0);
	assert_int_equal(
	    mesh_ipdetect_ip6(&host, &options, &private_ip, &private_ip6, err, sizeof(err)), 0);
	snprintf(got, sizeof(got), "%s %s %s",
	         mesh_prefix_is_set(&private_ip) ? mesh_prefix_format(&private_ip, a) : "-",
	         mesh_prefix_format(&public_ip, b),
	         mesh_prefix_is_set(&private_ip6) ? mesh_prefix_format(&private_ip6, c) : "-");
	assert_string_equal(got, expected);
	mesh_host_release(&host);
}

static void test_dual_stack_and_ipv6_only_hosts(void **state)
{
	const struct address_spec dual[] = {{"eth0", "2001:db8::5/64", true},
	                                    {"eth0", "fd00:10::5/64", true},
	                                    {"eth0", "fe80::5/64", true},
	                                    {"eth0", "10.0.0.5/24", true},
	                                    {"kilo0", "fd00:4::1/64", false}};
	/* Only the documentation prefix: no private IPv6 (fd00::/16 alone is private). */
	const struct address_spec dual_public6[] = {{"eth0", "10.0.0.5/24", true},
	                                            {"eth0", "2001:db8::5/64", true}};
	const struct address_spec v6_only[] = {{"eth0", "2001:db8::5/64", true},
	                                       {"eth0", "fd00:10::5/64", true},
	                                       {"lo", "::1/128", false}};
	const struct address_spec v6_private_only[] = {{"eth0", "fd00:10::5/64", true}};

	(void)state;
	/* Kilo's own pick (IPv4 first) is unchanged; the IPv6 private IP stands beside it. */
	expect_dual(dual, ARRAY_SIZE(dual), "10.0.0.5/24 2001:db8::5/64 fd00:10::5/64");
	expect_dual(dual_public6, ARRAY_SIZE(dual_public6), "10.0.0.5/24 2001:db8::5/64 -");
	/* IPv6 only: Kilo's pick is IPv6 itself, nothing beside it. */
	expect_dual(v6_only, ARRAY_SIZE(v6_only), "fd00:10::5/64 2001:db8::5/64 -");
	expect_dual(v6_private_only, ARRAY_SIZE(v6_private_only), "fd00:10::5/64 fd00:10::5/64 -");
}

static void test_mtu_is_default_route_mtu_minus_80_else_1420(void **state)
{
	struct mesh_host host = {.default_mtu = 1500};

	(void)state;
	assert_int_equal(mesh_ipdetect_mtu(&host), 1420);
	host.default_mtu = 9001;
	assert_int_equal(mesh_ipdetect_mtu(&host), 8921);
	host.default_mtu = 0;
	assert_int_equal(mesh_ipdetect_mtu(&host), MESH_FALLBACK_MTU);
}

static void test_snapshot_over_netlink_finds_default_route_interface(void **state)
{
	struct nl_socket *nl;
	struct mesh_host host;
	const struct mesh_host_address *found;
	struct ip_addr own;

	(void)state;
	assert_int_equal(netns_enter("ip link add an0 type veth peer name an1"
	                             " && ip link set an0 mtu 9000 up"
	                             " && ip addr add 192.168.7.2/24 dev an0"
	                             " && ip route add default via 192.168.7.1 dev an0 onlink"
	                             " && ip link add an2 type veth peer name an3"
	                             " && ip addr add 10.4.0.1/16 dev an2"),
	                 0);
	assert_int_equal(nl_open(&nl), 0);
	assert_int_equal(mesh_host_collect(nl, NULL, &host), 0);
	nl_close(nl);
	assert_int_equal(mesh_ipdetect_mtu(&host), 8920);
	assert_int_equal(ip_addr_parse("192.168.7.2", &own), 0);
	found = mesh_host_find(&host, &own);
	assert_non_null(found);
	assert_string_equal(found->ifname, "an0");
	assert_true(found->default_route);
	assert_int_equal(found->prefix.cidr, 24);
	assert_int_equal(ip_addr_parse("10.4.0.1", &own), 0);
	found = mesh_host_find(&host, &own);
	assert_non_null(found);
	assert_false(found->default_route);
	expect_ips(&host, NULL, 0, "192.168.7.2/24 192.168.7.2/24");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_route_interface_wins_over_other_interfaces),
	    cmocka_unit_test(test_hostname_address_wins_and_takes_its_interface_mask),
	    cmocka_unit_test(test_hostname_resolving_to_loopback_or_elsewhere_is_ignored),
	    cmocka_unit_test(test_internal_cidr_restricts_the_private_ip),
	    cmocka_unit_test(test_without_public_ip_the_private_one_is_public),
	    cmocka_unit_test(test_public_only_host_has_no_private_ip),
	    cmocka_unit_test(test_ignored_interfaces_and_their_addresses_elsewhere_never_count),
	    cmocka_unit_test(test_candidates_sort_as_text_like_kilo),
	    cmocka_unit_test(test_dual_stack_and_ipv6_only_hosts),
	    cmocka_unit_test(test_mtu_is_default_route_mtu_minus_80_else_1420),
	    cmocka_unit_test(test_snapshot_over_netlink_finds_default_route_interface),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
