// SPDX-License-Identifier: MIT
/*
 * mesh/ipip against the kernel, in a network namespace of the test's own. This host's kernel
 * has no ipip module, so the tunnel is a veth already holding the name (adopted, as Kilo
 * adopts an existing tunl0); the creation request itself is checked byte by byte in
 * test_netlink.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>

#include "mesh/ipip.h"
#include "netns.h"

#define TUNNEL "an-tunl"

static int enter_namespace(void **state)
{
	struct tun_nl *nl;

	if (netns_enter("ip link add an0 type veth peer name an1 && ip link set an0 mtu 1500 up && "
	                "ip link add " TUNNEL " type veth peer name an-tunl-p") < 0 ||
	    tun_nl_open(&nl) < 0)
		return -1;
	*state = nl;
	return 0;
}

static int leave_namespace(void **state)
{
	tun_nl_close(*state);
	return 0;
}

static void test_tunnel_is_up_with_private_mtu_minus_20(void **state)
{
	struct tun_nl *nl = *state;
	struct tun_nl_link private_link, tunnel, again;
	char err[256] = "";

	assert_int_equal(tun_nl_link_get(nl, "an0", &private_link), 0);
	assert_int_equal(tun_nl_link_get(nl, TUNNEL, &tunnel), 0);
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
	struct tun_nl_link tunnel;
	char err[256] = "";

	assert_int_equal(mesh_ipip_init(*state, TUNNEL, 9999, &tunnel, err, sizeof(err)), -ENODEV);
	assert_string_equal(err, "IPIP tunnel " TUNNEL
	                         ": reading the private interface: No such device");
}

static void test_tunnel_address_is_set_once(void **state)
{
	struct tun_nl *nl = *state;
	struct tun_nl_link tunnel;
	struct mesh_prefix address;
	bool changed;

	assert_int_equal(mesh_prefix_parse("10.2.1.1/32", &address), 0);
	assert_int_equal(tun_nl_link_get(nl, TUNNEL, &tunnel), 0);
	assert_int_equal(mesh_ipip_set_address(nl, tunnel.ifindex, &address, &changed), 0);
	assert_true(changed);
	assert_int_equal(mesh_ipip_set_address(nl, tunnel.ifindex, &address, &changed), 0);
	assert_false(changed);
	address.addr.bytes[2] = 7; /* the pod CIDR moved */
	assert_int_equal(mesh_ipip_set_address(nl, tunnel.ifindex, &address, &changed), 0);
	assert_true(changed);
}

static void test_clean_up_removes_the_tunnel_and_is_idempotent(void **state)
{
	struct tun_nl *nl = *state;
	struct tun_nl_link tunnel;

	assert_int_equal(mesh_ipip_clean_up(nl, TUNNEL), 0);
	assert_int_equal(tun_nl_link_get(nl, TUNNEL, &tunnel), -ENODEV);
	assert_int_equal(mesh_ipip_clean_up(nl, TUNNEL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tunnel_is_up_with_private_mtu_minus_20),
	    cmocka_unit_test(test_missing_private_interface_is_named),
	    cmocka_unit_test(test_tunnel_address_is_set_once),
	    cmocka_unit_test(test_clean_up_removes_the_tunnel_and_is_idempotent),
	};

	return cmocka_run_group_tests(tests, enter_namespace, leave_namespace);
}
