// SPDX-License-Identifier: MIT
/*
 * mesh/ipip against the kernel, in a network namespace of the test's own. First with a veth
 * already holding the name (adopted, as Kilo adopts an existing tunl0), which works on any
 * kernel; the creation request itself is checked byte by byte in test_netlink.c. Then the
 * real tunnel: tunl0 created (or the kernel's fallback adopted) and cleaned up, a second
 * tunnel from and to any address refused by name. Those need the ipip module, which the
 * development host's kernel lacks: there they are skipped, and the kernel stage runs this
 * program in its VM (tests/kernel/test_ipip.sh), where they must pass.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mesh/host/ipip.h"
#include "mesh/host/link_address.h"
#include "netns.h"

#define TUNNEL "an-tunl"

/* A namespace of our own where commands ran, and a netlink socket in it as the state. */
static int namespace_with(const char *commands, void **state)
{
	struct nl_socket *nl;

	if (netns_enter(commands) < 0 || nl_open(&nl) < 0)
		return -1;
	*state = nl;
	return 0;
}

static int enter_namespace(void **state)
{
	return namespace_with("ip link add an0 type veth peer name an1 && "
	                      "ip link set an0 mtu 1500 up && "
	                      "ip link add " TUNNEL " type veth peer name an-tunl-p",
	                      state);
}

static int leave_namespace(void **state)
{
	nl_close(*state);
	return 0;
}

static void test_tunnel_is_up_with_private_mtu_minus_20(void **state)
{
	struct nl_socket *nl = *state;
	struct nl_link private_link, tunnel, again;
	char err[256] = "";

	assert_int_equal(nl_link_get(nl, "an0", &private_link), 0);
	assert_int_equal(nl_link_get(nl, TUNNEL, &tunnel), 0);
	assert_false(tunnel.up);
	if (mesh_ipip_init(nl, TUNNEL, private_link.ifindex, &tunnel, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_true(tunnel.up);
	assert_int_equal(tunnel.mtu, 1480);
	assert_int_equal(mesh_ipip_init(nl, TUNNEL, private_link.ifindex, &again, err, sizeof(err)),
	                 0);
	assert_int_equal(again.ifindex, tunnel.ifindex);
	assert_int_equal(again.mtu, 1480);
}

static void test_missing_private_interface_is_named(void **state)
{
	struct nl_link tunnel;
	char err[256] = "";

	assert_int_equal(mesh_ipip_init(*state, TUNNEL, 9999, &tunnel, err, sizeof(err)), -ENODEV);
	assert_string_equal(err, "IPIP tunnel " TUNNEL
	                         ": reading the private interface: No such device");
}

static void test_tunnel_address_is_set_once(void **state)
{
	struct nl_socket *nl = *state;
	struct nl_link tunnel;
	struct mesh_prefix address;
	bool changed;

	assert_int_equal(mesh_prefix_parse("10.2.1.1/32", &address), 0);
	assert_int_equal(nl_link_get(nl, TUNNEL, &tunnel), 0);
	assert_int_equal(mesh_link_set_address(nl, tunnel.ifindex, &address, &changed), 0);
	assert_true(changed);
	assert_int_equal(mesh_link_set_address(nl, tunnel.ifindex, &address, &changed), 0);
	assert_false(changed);
	address.addr.bytes[2] = 7; /* the pod CIDR moved */
	assert_int_equal(mesh_link_set_address(nl, tunnel.ifindex, &address, &changed), 0);
	assert_true(changed);
}

static void test_clean_up_removes_the_tunnel_and_is_idempotent(void **state)
{
	struct nl_socket *nl = *state;
	struct nl_link tunnel;

	assert_int_equal(mesh_ipip_clean_up(nl, TUNNEL), 0);
	assert_int_equal(nl_link_get(nl, TUNNEL, &tunnel), -ENODEV);
	assert_int_equal(mesh_ipip_clean_up(nl, TUNNEL), 0);
}

/*
 * The real tunnel needs the ipip module. Where it makes a fallback tunl0 in every namespace
 * (the default), tunl0 is adopted; with net.core.fb_tunnels_only_for_init_net=1 our request
 * creates it. The kernel stage runs this program once each way.
 */
static bool kernel_has_ipip, had_fallback;

static int enter_ipip_namespace(void **state)
{
	struct nl_link fallback;

	if (namespace_with("ip link add an0 type veth peer name an1 && "
	                   "ip link set an0 mtu 1500 up",
	                   state))
		return -1;
	kernel_has_ipip = access("/sys/module/ipip", F_OK) == 0;
	had_fallback = nl_link_get(*state, MESH_IPIP_NAME, &fallback) == 0;
	if (!kernel_has_ipip)
		fprintf(stderr, "unit_ipip: no ipip in this kernel: the real-tunnel tests are "
		                "skipped here and run in the kernel stage (kernel_ipip)\n");
	return 0;
}

/* mesh_ipip_init() of tunl0 over an0 (MTU 1500), which must leave it up at 1480. */
static struct nl_link tunl0_made(struct nl_socket *nl)
{
	struct nl_link private_link, tunnel, read;
	char err[256] = "";

	assert_int_equal(nl_link_get(nl, "an0", &private_link), 0);
	if (mesh_ipip_init(nl, MESH_IPIP_NAME, private_link.ifindex, &tunnel, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_int_equal(nl_link_get(nl, MESH_IPIP_NAME, &read), 0);
	assert_int_equal(read.ifindex, tunnel.ifindex);
	assert_true(read.up);
	assert_int_equal(read.mtu, 1480);
	assert_int_equal(system("ip link show tunl0 | grep -q link/ipip"), 0);
	return tunnel;
}

static void test_tunl0_is_created_up_at_private_mtu_minus_20(void **state)
{
	if (!kernel_has_ipip || had_fallback)
		skip();
	tunl0_made(*state);
}

static void test_fallback_tunl0_is_adopted_up_at_private_mtu_minus_20(void **state)
{
	struct nl_link fallback;

	if (!kernel_has_ipip || !had_fallback)
		skip();
	assert_int_equal(nl_link_get(*state, MESH_IPIP_NAME, &fallback), 0);
	assert_int_equal(tunl0_made(*state).ifindex, fallback.ifindex);
}

static void test_second_tunnel_from_and_to_any_address_is_refused_by_name(void **state)
{
	struct nl_link private_link, tunnel;
	char err[256] = "";

	if (!kernel_has_ipip)
		skip();
	assert_int_equal(nl_link_get(*state, "an0", &private_link), 0);
	assert_int_equal(
	    mesh_ipip_init(*state, "an-ipip", private_link.ifindex, &tunnel, err, sizeof(err)),
	    -EEXIST);
	assert_string_equal(err, "IPIP tunnel an-ipip: not created, the kernel's tunl0 is the one "
	                         "tunnel from and to any address: File exists");
}

static void test_clean_up_leaves_nothing_of_ours_on_tunl0(void **state)
{
	struct nl_socket *nl = *state;
	struct nl_link tunnel;
	struct mesh_prefix address;
	bool changed;

	if (!kernel_has_ipip)
		skip();
	assert_int_equal(nl_link_get(nl, MESH_IPIP_NAME, &tunnel), 0);
	assert_int_equal(mesh_prefix_parse("10.2.1.1/32", &address), 0);
	assert_int_equal(mesh_link_set_address(nl, tunnel.ifindex, &address, &changed), 0);
	assert_true(changed);
	assert_int_equal(system("ip addr show dev tunl0 | grep -q 'inet 10.2.1.1/32'"), 0);
	assert_int_equal(mesh_ipip_clean_up(nl, MESH_IPIP_NAME), 0);
	/* The kernel keeps its fallback device, without our address; ours goes. */
	if (had_fallback)
		assert_int_not_equal(system("ip addr show dev tunl0 | grep -q inet"), 0);
	else
		assert_int_equal(nl_link_get(nl, MESH_IPIP_NAME, &tunnel), -ENODEV);
}

int main(void)
{
	const struct CMUnitTest adopted_veth[] = {
	    cmocka_unit_test(test_tunnel_is_up_with_private_mtu_minus_20),
	    cmocka_unit_test(test_missing_private_interface_is_named),
	    cmocka_unit_test(test_tunnel_address_is_set_once),
	    cmocka_unit_test(test_clean_up_removes_the_tunnel_and_is_idempotent),
	};
	const struct CMUnitTest kernel_ipip[] = {
	    cmocka_unit_test(test_tunl0_is_created_up_at_private_mtu_minus_20),
	    cmocka_unit_test(test_fallback_tunl0_is_adopted_up_at_private_mtu_minus_20),
	    cmocka_unit_test(test_second_tunnel_from_and_to_any_address_is_refused_by_name),
	    cmocka_unit_test(test_clean_up_leaves_nothing_of_ours_on_tunl0),
	};

	return cmocka_run_group_tests_name("adopted_veth", adopted_veth, enter_namespace,
	                                   leave_namespace) |
	       cmocka_run_group_tests_name("kernel_ipip", kernel_ipip, enter_ipip_namespace,
	                                   leave_namespace);
}
