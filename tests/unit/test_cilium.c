// SPDX-License-Identifier: MIT
/*
 * mesh/cilium against the kernel, in a network namespace of the test's own
 * (so Cilium's fixed link names meet no other test): cilium_host as Cilium
 * makes it (a veth with cilium_net), and cilium_tunl stood in for by a veth,
 * since this host's kernel has neither the ipip nor the dummy module.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>

#include "mesh/host/cilium.h"
#include "netns.h"

static int enter_namespace(void **state)
{
	struct nl_socket *nl;

	/* Another link's IPv4 must not be taken for cilium_host's. */
	if (netns_enter("ip link add ci-eth0 type veth peer name ci-eth1 && "
	                "ip addr add 10.0.0.5/24 dev ci-eth0") < 0 ||
	    nl_open(&nl) < 0)
		return -1;
	*state = nl;
	return 0;
}

static int leave_namespace(void **state)
{
	nl_close(*state);
	return 0;
}

static void sh(const char *commands)
{
	if (system(commands) != 0)
		fail_msg("failed: %s", commands);
}

static void test_without_cilium_host_nothing_is_published(void **state)
{
	struct mesh_prefix ip;

	assert_int_equal(mesh_cilium_host_ip(*state, &ip), 0);
	assert_false(mesh_prefix_is_set(&ip));
	/* Cilium made the link but has not addressed it yet. */
	sh("ip link add " MESH_CILIUM_HOST " type veth peer name cilium_net");
	assert_int_equal(mesh_cilium_host_ip(*state, &ip), 0);
	assert_false(mesh_prefix_is_set(&ip));
}

static void test_first_ipv4_of_cilium_host_is_published_as_a_host_prefix(void **state)
{
	char text[MESH_PREFIX_STRLEN];
	struct mesh_prefix ip;

	sh("ip link set " MESH_CILIUM_HOST " up && "
	   "ip addr add fd00:10:2::77/64 dev " MESH_CILIUM_HOST " && "
	   "ip addr add 10.2.0.77/32 dev " MESH_CILIUM_HOST " && "
	   "ip addr add 10.2.0.78/24 dev " MESH_CILIUM_HOST);
	assert_int_equal(mesh_cilium_host_ip(*state, &ip), 0);
	assert_string_equal(mesh_prefix_format(&ip, text), "10.2.0.77/32");
}

static void test_cilium_tunl_is_adopted_and_set_up(void **state)
{
	struct nl_link tunnel;
	bool adopted = true;

	assert_int_equal(mesh_cilium_tunnel_adopt(*state, &adopted), 0);
	assert_false(adopted);
	sh("ip link add " MESH_CILIUM_TUNNEL " type veth peer name ci-tunl-peer");
	assert_int_equal(mesh_cilium_tunnel_adopt(*state, &adopted), 0);
	assert_true(adopted);
	assert_int_equal(nl_link_get(*state, MESH_CILIUM_TUNNEL, &tunnel), 0);
	assert_true(tunnel.up);
	/* Up already: adopted again without a change. */
	assert_int_equal(mesh_cilium_tunnel_adopt(*state, &adopted), 0);
	assert_true(adopted);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_without_cilium_host_nothing_is_published),
	    cmocka_unit_test(test_first_ipv4_of_cilium_host_is_published_as_a_host_prefix),
	    cmocka_unit_test(test_cilium_tunl_is_adopted_and_set_up),
	};

	return cmocka_run_group_tests(tests, enter_namespace, leave_namespace);
}
