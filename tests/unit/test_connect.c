// SPDX-License-Identifier: MIT
/*
 * What kgctl connect configures (mesh_connect_plan) on the fixture cluster:
 * the Peer's view of the mesh plus Kilo's two connect-only twists, the
 * ListenPort and the extra cluster CIDRs on the first ready node.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mesh/agent/connect.h"
#include "mesh_fixture.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

static const struct mesh_route_devices devices = {"kilo0", "eth0", "tunl0"};

static struct mesh_connect_plan_options
plan_options(const char *peer, const struct mesh_prefix *extra, size_t n_extra)
{
	/* Kilo looks from the last ready node listed: home-nat in the fixture. */
	return (struct mesh_connect_plan_options){
	    .view = fixture_options(MESH_GRANULARITY_LOCATION, "home-nat"),
	    .peer_name = peer,
	    .allowed_ips = extra,
	    .n_allowed_ips = n_extra,
	};
}

static void assert_routes(const struct mesh_routes *routes, const char *const *expected)
{
	char **lines = calloc(routes->n_routes + 1, sizeof(*lines));
	char buf[MESH_ROUTE_STRLEN];

	for (size_t i = 0; i < routes->n_routes; i++)
		lines[i] = strdup(mesh_route_format(&routes->routes[i], &devices, buf));
	fixture_assert_lines("routes", lines, routes->n_routes, expected);
	fixture_free_lines(lines, routes->n_routes);
	assert_int_equal(routes->n_rules, 0);
}

static void test_plan_is_the_peers_view_listening_on_the_mesh_port(void **state)
{
	struct mesh_connect_plan_options options = plan_options("laptop", NULL, 0);
	struct mesh_connect_plan plan;
	struct mesh_cluster cluster;
	char err[256] = "";

	(void)state;
	demo_cluster(&cluster);
	assert_int_equal(mesh_connect_plan(&cluster, &options, &plan, err, sizeof(err)), 0);
	assert_true(plan.config.has_interface);
	assert_int_equal(plan.config.listen_port, MESH_DEFAULT_PORT);
	fixture_assert_wg_config(
	    "laptop", &cluster, &plan.config,
	    LINES("aws-a 3.120.246.76:51820 ka=10 psk=yes 10.2.0.0/24,10.0.0.5/32,10.2.1.0/24,"
	          "10.0.0.6/32,10.2.5.0/24,10.0.1.7/32,10.4.0.1/32,192.168.50.0/24",
	          "gcp-a 34.1.2.3:51820 ka=10 psk=yes 10.2.2.0/24,10.1.96.6/32,10.4.0.2/32",
	          "home-nat 82.0.0.1:1000 ka=10 psk=yes 10.2.4.0/24,192.168.1.10/32,10.4.0.3/32",
	          "gcp-b 34.1.2.4:51820 ka=10 psk=yes 10.2.3.0/24,10.4.0.4/32",
	          "phone 203.0.113.7:51820 ka=10 psk=no 10.5.0.2/32"));
	/* Everything through the interface: segments via their WireGuard IP, phone directly. */
	assert_routes(&plan.routes,
	              LINES("10.2.0.0/24 via 10.4.0.1 dev kilo0 onlink",
	                    "10.2.1.0/24 via 10.4.0.1 dev kilo0 onlink",
	                    "10.2.5.0/24 via 10.4.0.1 dev kilo0 onlink",
	                    "10.0.0.5/32 via 10.4.0.1 dev kilo0 onlink",
	                    "10.0.0.6/32 via 10.4.0.1 dev kilo0 onlink",
	                    "10.0.1.7/32 via 10.4.0.1 dev kilo0 onlink",
	                    "192.168.50.0/24 via 10.4.0.1 dev kilo0 onlink",
	                    "10.4.0.1/32 dev kilo0", "10.2.2.0/24 via 10.4.0.2 dev kilo0 onlink",
	                    "10.1.96.6/32 via 10.4.0.2 dev kilo0 onlink", "10.4.0.2/32 dev kilo0",
	                    "10.2.4.0/24 via 10.4.0.3 dev kilo0 onlink",
	                    "192.168.1.10/32 via 10.4.0.3 dev kilo0 onlink",
	                    "10.4.0.3/32 dev kilo0", "10.2.3.0/24 via 10.4.0.4 dev kilo0 onlink",
	                    "10.4.0.4/32 dev kilo0", "10.5.0.2/32 dev kilo0"));
	mesh_connect_plan_release(&plan);
	mesh_cluster_release(&cluster);
}

static void test_extra_allowed_ips_join_the_first_ready_node_by_name(void **state)
{
	const struct mesh_prefix extra[] = {fixture_prefix("10.96.0.0/12")};
	struct mesh_connect_plan_options options = plan_options("laptop", extra, ARRAY_SIZE(extra));
	struct mesh_connect_plan plan;
	struct mesh_cluster cluster;
	char err[256] = "", line[2048], buf[MESH_ROUTE_STRLEN];

	(void)state;
	demo_cluster(&cluster);
	assert_int_equal(mesh_connect_plan(&cluster, &options, &plan, err, sizeof(err)), 0);
	/* aws-a sorts first: its segment announces the service CIDR... */
	assert_string_equal(
	    fixture_wg_peer_line(&cluster, &plan.config.peers[0], line, sizeof(line)),
	    "aws-a 3.120.246.76:51820 ka=10 psk=yes 10.2.0.0/24,10.0.0.5/32,"
	    "10.2.1.0/24,10.0.0.6/32,10.2.5.0/24,10.0.1.7/32,10.4.0.1/32,"
	    "10.96.0.0/12,192.168.50.0/24");
	/* ...routed as its allowed-location IP and again through the first segment, as Kilo does.
	 */
	assert_string_equal(mesh_route_format(&plan.routes.routes[6], &devices, buf),
	                    "10.96.0.0/12 via 10.4.0.1 dev kilo0 onlink");
	assert_string_equal(
	    mesh_route_format(&plan.routes.routes[plan.routes.n_routes - 1], &devices, buf),
	    "10.96.0.0/12 via 10.4.0.1 dev kilo0 onlink");
	/* The listing itself is left as the backend gave it. */
	assert_int_equal(fixture_find_node(&cluster, "aws-a")->n_allowed_location_ips, 0);
	mesh_connect_plan_release(&plan);
	mesh_cluster_release(&cluster);
}

/* A dual-stack laptop: both families of every location through the interface. */
static void test_dual_stack_plan_routes_both_families(void **state)
{
	const struct mesh_prefix extra[] = {fixture_prefix("10.96.0.0/12"),
	                                    fixture_prefix("fd00:96::/108")};
	struct mesh_connect_plan_options options = plan_options("laptop", extra, ARRAY_SIZE(extra));
	struct mesh_connect_plan plan;
	struct mesh_cluster cluster;
	char err[256] = "";

	(void)state;
	dual_stack_cluster(&cluster);
	options.view.hostname = "west-a";
	options.view.subnet6 = fixture_prefix("fd00:4::/64");
	assert_int_equal(mesh_connect_plan(&cluster, &options, &plan, err, sizeof(err)), 0);
	/* east-a sorts first: its segment announces the extra CIDRs of both families. */
	fixture_assert_wg_config(
	    "dual-stack laptop", &cluster, &plan.config,
	    LINES("east-a 198.51.100.1:51820 ka=10 psk=no 10.2.1.0/24,fd00:2:1::/64,10.0.0.1/32,"
	          "fd00:10::1/128,10.2.2.0/24,fd00:2:2::/64,10.0.0.2/32,fd00:10::2/128,"
	          "10.4.0.1/32,fd00:4::1/128,10.96.0.0/12,fd00:96::/108",
	          "west-a [2001:db8::3]:51820 ka=10 psk=no 10.2.3.0/24,fd00:2:3::/64,10.1.0.3/32,"
	          "fd00:11::3/128,10.4.0.2/32,fd00:4::2/128,192.168.9.0/24,fd00:99::/64"));
	assert_routes(&plan.routes,
	              LINES("10.2.1.0/24 via 10.4.0.1 dev kilo0 onlink",
	                    "fd00:2:1::/64 via fd00:4::1 dev kilo0 onlink",
	                    "10.2.2.0/24 via 10.4.0.1 dev kilo0 onlink",
	                    "fd00:2:2::/64 via fd00:4::1 dev kilo0 onlink",
	                    "10.0.0.1/32 via 10.4.0.1 dev kilo0 onlink",
	                    "fd00:10::1/128 via fd00:4::1 dev kilo0 onlink",
	                    "10.0.0.2/32 via 10.4.0.1 dev kilo0 onlink",
	                    "fd00:10::2/128 via fd00:4::1 dev kilo0 onlink",
	                    "10.96.0.0/12 via 10.4.0.1 dev kilo0 onlink",
	                    "fd00:96::/108 via fd00:4::1 dev kilo0 onlink", "10.4.0.1/32 dev kilo0",
	                    "fd00:4::1/128 dev kilo0", "10.2.3.0/24 via 10.4.0.2 dev kilo0 onlink",
	                    "fd00:2:3::/64 via fd00:4::2 dev kilo0 onlink",
	                    "10.1.0.3/32 via 10.4.0.2 dev kilo0 onlink",
	                    "fd00:11::3/128 via fd00:4::2 dev kilo0 onlink",
	                    "192.168.9.0/24 via 10.4.0.2 dev kilo0 onlink",
	                    "fd00:99::/64 via fd00:4::2 dev kilo0 onlink", "10.4.0.2/32 dev kilo0",
	                    "fd00:4::2/128 dev kilo0", "10.96.0.0/12 via 10.4.0.1 dev kilo0 onlink",
	                    "fd00:96::/108 via fd00:4::1 dev kilo0 onlink"));
	mesh_connect_plan_release(&plan);
	mesh_cluster_release(&cluster);
}

static void test_plan_needs_the_peer_to_be_a_ready_peer(void **state)
{
	struct mesh_connect_plan_options options = plan_options("tablet", NULL, 0);
	struct mesh_connect_plan plan;
	struct mesh_cluster cluster;
	char err[256] = "";

	(void)state;
	demo_cluster(&cluster);
	assert_int_equal(mesh_connect_plan(&cluster, &options, &plan, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "did not find any peer named \"tablet\" in the cluster");
	/* A Peer without allowed IPs is listed but not ready. */
	cluster.peers[1].n_allowed_ips = 0;
	options.peer_name = "phone";
	assert_int_equal(mesh_connect_plan(&cluster, &options, &plan, err, sizeof(err)), -ENOENT);
	cluster.peers[1].n_allowed_ips = 2;
	mesh_cluster_release(&cluster);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plan_is_the_peers_view_listening_on_the_mesh_port),
	    cmocka_unit_test(test_extra_allowed_ips_join_the_first_ready_node_by_name),
	    cmocka_unit_test(test_dual_stack_plan_routes_both_families),
	    cmocka_unit_test(test_plan_needs_the_peer_to_be_a_ready_peer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
