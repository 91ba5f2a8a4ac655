// SPDX-License-Identifier: MIT
/*
 * mesh/apply_routes: the diff as a pure function (what is ours, what changes, what stays),
 * then the applier against the kernel in a network namespace of the test's own: a first
 * apply adds, a resync changes nothing, a route deleted behind our back comes back, a
 * changed topology is replaced in place, and an empty state cleans up only what is ours.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mesh/host/apply_routes.h"
#include "mesh_fixture.h"
#include "netns.h"

static struct ip_addr ip(const char *text)
{
	struct ip_addr out = {.family = strchr(text, ':') ? AF_INET6 : AF_INET};

	assert_int_equal(inet_pton(out.family, text, out.bytes), 1);
	return out;
}

static struct mesh_prefix prefix(const char *text)
{
	struct mesh_prefix out;

	assert_int_equal(mesh_prefix_parse(text, &out), 0);
	return out;
}

static struct ip_addr addr(const char *text)
{
	struct ip_addr out;

	assert_int_equal(ip_addr_parse(text, &out), 0);
	return out;
}

static struct nl_route ours(const char *dst, uint8_t len, const char *gw, uint32_t table)
{
	return (struct nl_route){.dst = ip(dst),
	                         .dst_len = len,
	                         .gw = gw ? ip(gw) : (struct ip_addr){0},
	                         .ifindex = 2,
	                         .table = table,
	                         .protocol = MESH_APPLY_ROUTES_PROTOCOL,
	                         .onlink = true};
}

static struct nl_rule rule_to(const char *dst, uint32_t table, uint32_t priority)
{
	return (struct nl_rule){
	    .family = AF_INET, .dst = ip(dst), .dst_len = 32, .table = table, .priority = priority};
}

#define STATE(r, nr, u, nu) ((struct mesh_route_state){(r), (nr), (u), (nu)})

static void test_resync_with_nothing_changed_plans_nothing(void **state)
{
	struct nl_route routes[] = {ours("10.2.2.0", 24, "10.4.0.2", RT_TABLE_MAIN),
	                            ours("192.168.0.2", 32, "192.168.0.2", MESH_ROUTE_TABLE)};
	struct nl_rule want = rule_to("192.168.0.2", MESH_ROUTE_TABLE, 0);
	struct nl_rule have = rule_to("192.168.0.2", MESH_ROUTE_TABLE, 32765);
	struct mesh_route_plan plan;

	(void)state;
	assert_int_equal(
	    mesh_apply_routes_diff(&STATE(routes, 2, &want, 1), &STATE(routes, 2, &have, 1), &plan),
	    0);
	assert_int_equal(plan.add.n_routes + plan.add.n_rules, 0);
	assert_int_equal(plan.remove.n_routes + plan.remove.n_rules, 0);
	mesh_route_plan_release(&plan);
}

static void test_missing_route_is_replaced_and_changed_gateway_is_not_deleted(void **state)
{
	struct nl_route want[] = {ours("10.2.2.0", 24, "10.4.0.3", RT_TABLE_MAIN),
	                          ours("10.2.3.0", 24, "10.4.0.2", RT_TABLE_MAIN)};
	struct nl_route have[] = {ours("10.2.2.0", 24, "10.4.0.2", RT_TABLE_MAIN)};
	struct mesh_route_plan plan;

	(void)state;
	assert_int_equal(
	    mesh_apply_routes_diff(&STATE(want, 2, NULL, 0), &STATE(have, 1, NULL, 0), &plan), 0);
	assert_int_equal(plan.add.n_routes, 2);
	assert_true(nl_route_equal(&plan.add.routes[0], &want[0]));
	assert_true(nl_route_equal(&plan.add.routes[1], &want[1]));
	/* Replacing 10.2.2.0/24 overwrites the old gateway; deleting it would cut traffic. */
	assert_int_equal(plan.remove.n_routes, 0);
	mesh_route_plan_release(&plan);
}

static void test_only_our_routes_are_removed(void **state)
{
	struct nl_route admin = ours("172.16.0.0", 16, "10.0.0.1", RT_TABLE_MAIN);
	struct nl_route kernel = ours("10.0.0.0", 24, NULL, RT_TABLE_MAIN);
	struct nl_route have[] = {admin, kernel, ours("10.2.9.0", 24, "10.4.0.9", RT_TABLE_MAIN),
	                          ours("192.168.0.9", 32, "192.168.0.9", MESH_ROUTE_TABLE)};
	struct mesh_route_plan plan;

	(void)state;
	have[0].protocol = RTPROT_STATIC; /* an administrator's "proto static" route */
	have[1].protocol = RTPROT_KERNEL;
	have[3].protocol = RTPROT_STATIC; /* table 1107 is ours whatever the protocol */
	assert_int_equal(
	    mesh_apply_routes_diff(&STATE(NULL, 0, NULL, 0), &STATE(have, 4, NULL, 0), &plan), 0);
	assert_false(mesh_apply_routes_owns(&have[0]));
	assert_false(mesh_apply_routes_owns(&have[1]));
	assert_true(mesh_apply_routes_owns(&have[2]));
	assert_true(mesh_apply_routes_owns(&have[3]));
	assert_int_equal(plan.add.n_routes, 0);
	assert_int_equal(plan.remove.n_routes, 2);
	assert_true(nl_route_equal(&plan.remove.routes[0], &have[2]));
	assert_true(nl_route_equal(&plan.remove.routes[1], &have[3]));
	mesh_route_plan_release(&plan);
}

static void test_foreign_route_to_our_destination_is_taken_over(void **state)
{
	struct nl_route want = ours("10.2.2.0", 24, "10.4.0.2", RT_TABLE_MAIN);
	struct nl_route kilo = want;
	struct mesh_route_plan plan;

	(void)state;
	kilo.protocol = RTPROT_STATIC; /* left by Kilo's Go agent */
	assert_int_equal(
	    mesh_apply_routes_diff(&STATE(&want, 1, NULL, 0), &STATE(&kilo, 1, NULL, 0), &plan), 0);
	assert_int_equal(plan.add.n_routes, 1);
	assert_int_equal(plan.add.routes[0].protocol, MESH_APPLY_ROUTES_PROTOCOL);
	assert_int_equal(plan.remove.n_routes, 0);
	mesh_route_plan_release(&plan);
}

static void test_same_destination_twice_keeps_the_last(void **state)
{
	struct nl_route want[] = {ours("10.2.2.0", 24, "10.4.0.2", RT_TABLE_MAIN),
	                          ours("10.2.2.0", 24, "10.4.0.3", RT_TABLE_MAIN)};
	struct mesh_route_plan plan;

	(void)state;
	/* Whatever is there: if it is the last one, a resync must not flip it back and forth. */
	assert_int_equal(
	    mesh_apply_routes_diff(&STATE(want, 2, NULL, 0), &STATE(&want[1], 1, NULL, 0), &plan),
	    0);
	assert_int_equal(plan.add.n_routes, 0);
	assert_int_equal(plan.remove.n_routes, 0);
	mesh_route_plan_release(&plan);
}

static void test_thousands_of_routes_in_any_order_diff_to_the_difference(void **state)
{
	enum { N = 5000 };
	struct nl_route *want = calloc(N, sizeof(*want)), *have = calloc(N, sizeof(*have));
	struct mesh_route_plan plan;

	(void)state;
	for (size_t i = 0; i < N; i++) {
		want[i] =
		    ours("10.0.0.0", 24, "10.4.0.2", i % 2 ? MESH_ROUTE_TABLE : RT_TABLE_MAIN);
		want[i].dst.bytes[1] = (uint8_t)(i >> 8);
		want[i].dst.bytes[2] = (uint8_t)i;
		have[N - 1 - i] = want[i]; /* the kernel's order is not ours */
	}
	have[0].gw.bytes[3] = 9;   /* want[N - 1] changed its gateway */
	have[7].dst.bytes[0] = 11; /* want[N - 8] is missing, 11.x a stale one */
	assert_int_equal(
	    mesh_apply_routes_diff(&STATE(want, N, NULL, 0), &STATE(have, N, NULL, 0), &plan), 0);
	assert_int_equal(plan.add.n_routes, 2);
	assert_true(nl_route_equal(&plan.add.routes[0], &want[N - 8]));
	assert_true(nl_route_equal(&plan.add.routes[1], &want[N - 1]));
	assert_int_equal(plan.remove.n_routes, 1);
	assert_true(nl_route_equal(&plan.remove.routes[0], &have[7]));
	mesh_route_plan_release(&plan);
	free(want);
	free(have);
}

static void test_rules_are_added_once_and_stale_ones_of_table_1107_removed(void **state)
{
	struct nl_rule want[] = {rule_to("192.168.0.2", MESH_ROUTE_TABLE, 0),
	                         rule_to("192.168.0.2", MESH_ROUTE_TABLE, 0)};
	struct nl_rule have[] = {rule_to("192.168.0.3", MESH_ROUTE_TABLE, 32765),
	                         rule_to("0.0.0.0", RT_TABLE_MAIN, 32766)};
	struct mesh_route_plan plan;

	(void)state;
	have[1].dst = (struct ip_addr){0};
	have[1].dst_len = 0;
	assert_int_equal(
	    mesh_apply_routes_diff(&STATE(NULL, 0, want, 2), &STATE(NULL, 0, have, 2), &plan), 0);
	assert_int_equal(plan.add.n_rules, 1);
	assert_true(nl_rule_equal(&plan.add.rules[0], &want[0]));
	assert_int_equal(plan.remove.n_rules, 1);
	assert_int_equal(plan.remove.rules[0].priority, 32765); /* deleted exactly */
	mesh_route_plan_release(&plan);
}

static void test_deleted_route_comes_back_only_if_ours_and_still_desired(void **state)
{
	struct nl_route want[] = {ours("10.2.2.0", 24, "10.4.0.2", RT_TABLE_MAIN),
	                          ours("192.168.0.2", 32, "192.168.0.2", MESH_ROUTE_TABLE)};
	struct nl_route moved = ours("10.2.2.0", 24, "10.4.0.9", RT_TABLE_MAIN);
	struct nl_route in_1107 = ours("192.168.0.2", 32, NULL, MESH_ROUTE_TABLE);
	struct nl_route admin = ours("10.2.2.0", 24, "10.4.0.2", RT_TABLE_MAIN);
	struct nl_route other_table = ours("10.2.2.0", 24, "10.4.0.2", 100);
	struct nl_route stale = ours("10.2.9.0", 24, "10.4.0.2", RT_TABLE_MAIN);
	const struct mesh_route_state desired = STATE(want, 2, NULL, 0);

	(void)state;
	/* What the route pointed to does not matter: the destination is ours to hold. */
	assert_true(mesh_apply_routes_wants_route(&desired, &moved));
	in_1107.protocol = RTPROT_STATIC; /* table 1107 is ours whatever the protocol */
	assert_true(mesh_apply_routes_wants_route(&desired, &in_1107));
	admin.protocol = RTPROT_STATIC;
	assert_false(mesh_apply_routes_wants_route(&desired, &admin));
	assert_false(mesh_apply_routes_wants_route(&desired, &other_table));
	/* Our own removal of a route no longer desired is not undone. */
	assert_false(mesh_apply_routes_wants_route(&desired, &stale));
}

static void test_deleted_rule_comes_back_whatever_its_priority(void **state)
{
	struct nl_rule want = rule_to("192.168.0.2", MESH_ROUTE_TABLE, 0);
	struct nl_rule deleted = rule_to("192.168.0.2", MESH_ROUTE_TABLE, 32765);
	struct nl_rule stale = rule_to("192.168.0.3", MESH_ROUTE_TABLE, 32765);
	const struct mesh_route_state desired = STATE(NULL, 0, &want, 1);

	(void)state;
	assert_true(mesh_apply_routes_wants_rule(&desired, &deleted));
	assert_false(mesh_apply_routes_wants_rule(&desired, &stale));
}

static void test_desired_state_resolves_roles_masks_and_names_the_main_table(void **state)
{
	struct mesh_route route = {.destination = prefix("10.2.2.7/24"),
	                           .gateway = addr("10.4.0.2"),
	                           .source = addr("192.168.0.1"),
	                           .device = MESH_DEVICE_KILO,
	                           .onlink = true};
	struct mesh_rule rule = {
	    .destination = prefix("192.168.0.2/32"), .from_kilo = true, .table = MESH_ROUTE_TABLE};
	struct mesh_routes routes = {&route, 1, &rule, 1};
	struct mesh_route_links links = {.kilo = 7, .private_iface = 3, .kilo_name = "kilo0"};
	struct ip_addr network = ip("10.2.2.0");
	struct mesh_route_state desired;
	char err[256] = "";

	(void)state;
	assert_int_equal(mesh_apply_routes_desired(&routes, &links, &desired, err, sizeof(err)), 0);
	assert_true(ip_addr_equal(&desired.routes[0].dst, &network));
	assert_int_equal(desired.routes[0].ifindex, 7);
	assert_int_equal(desired.routes[0].table, RT_TABLE_MAIN);
	assert_int_equal(desired.routes[0].protocol, MESH_APPLY_ROUTES_PROTOCOL);
	assert_string_equal(desired.rules[0].iif, "kilo0");
	assert_int_equal(desired.rules[0].table, MESH_ROUTE_TABLE);
	mesh_route_state_release(&desired);
}

static void test_routes_over_a_missing_link_are_left_out_and_named(void **state)
{
	struct mesh_route both[3] = {
	    {.destination = prefix("10.2.3.0/24"),
	     .gateway = addr("192.168.0.3"),
	     .device = MESH_DEVICE_TUNNEL,
	     .onlink = true},
	    {.destination = prefix("10.2.2.0/24"), .gateway = addr("10.4.0.2"), .onlink = true},
	    {.destination = prefix("10.2.4.0/24"),
	     .gateway = addr("192.168.0.4"),
	     .device = MESH_DEVICE_TUNNEL,
	     .onlink = true},
	};
	struct mesh_rule rule = {.destination = prefix("192.168.0.3/32"),
	                         .table = MESH_ROUTE_TABLE};
	struct mesh_routes routes = {both, 3, &rule, 1};
	struct mesh_route_links no_tunnel = {.kilo = 7, .private_iface = 3, .kilo_name = "kilo0"};
	struct mesh_route_state desired;
	char err[256] = "";

	(void)state;
	assert_int_equal(mesh_apply_routes_desired(&routes, &no_tunnel, &desired, err, sizeof(err)),
	                 -ENODEV);
	assert_string_equal(err, "route \"10.2.3.0/24 via 192.168.0.3 dev tunnel onlink\": the "
	                         "tunnel interface does not exist");
	assert_int_equal(desired.n_routes, 1);
	assert_int_equal(desired.routes[0].ifindex, 7);
	assert_int_equal(desired.n_rules, 1);
	mesh_route_state_release(&desired);
}

/* Against the kernel: an0 plays kilo0, an2 the private interface, an4 the tunnel. */

struct kernel {
	struct nl_socket *nl;
	struct mesh_route_links links;
};

static int link_up(struct nl_socket *nl, const char *name, const char *address, uint8_t len)
{
	struct nl_link link;
	struct nl_address a = {.ip = ip(address), .prefixlen = len};

	if (nl_link_get(nl, name, &link) < 0 || nl_link_set(nl, link.ifindex, 1, 0) < 0)
		return -1;
	a.ifindex = link.ifindex;
	return nl_address_add(nl, &a) < 0 ? -1 : link.ifindex;
}

static int enter_namespace(void **state)
{
	static struct kernel k = {.links.kilo_name = "an0"};

	if (netns_enter("ip link add an0 type veth peer name an1 && "
	                "ip link add an2 type veth peer name an3 && "
	                "ip link add an4 type veth peer name an5") < 0 ||
	    nl_open(&k.nl) < 0)
		return -1;
	k.links.kilo = link_up(k.nl, "an0", "10.4.0.1", 16);
	k.links.private_iface = link_up(k.nl, "an2", "192.168.0.1", 24);
	k.links.tunnel = link_up(k.nl, "an4", "10.2.1.1", 32);
	if (k.links.kilo < 0 || k.links.private_iface < 0 || k.links.tunnel < 0 ||
	    link_up(k.nl, "an0", "fd00:4::1", 64) < 0)
		return -1;
	*state = &k;
	return 0;
}

static int leave_namespace(void **state)
{
	struct kernel *k = *state;

	nl_close(k->nl);
	return 0;
}

/* A leader's kind of routes: other segments, a peer, the own location through the tunnel. */
static struct mesh_route leader_routes[] = {
    {.destination = {{AF_INET, {10, 2, 2, 0}}, 24},
     .gateway = {AF_INET, {10, 4, 0, 2}},
     .source = {AF_INET, {192, 168, 0, 1}},
     .device = MESH_DEVICE_KILO,
     .onlink = true},
    {.destination = {{AF_INET, {10, 5, 0, 1}}, 32},
     .source = {AF_INET, {192, 168, 0, 1}},
     .device = MESH_DEVICE_KILO},
    {.destination = {{AF_INET, {10, 2, 3, 0}}, 24},
     .gateway = {AF_INET, {192, 168, 0, 3}},
     .device = MESH_DEVICE_PRIVATE,
     .onlink = true},
    {.destination = {{AF_INET, {192, 168, 0, 3}}, 32},
     .gateway = {AF_INET, {192, 168, 0, 3}},
     .source = {AF_INET, {192, 168, 0, 1}},
     .device = MESH_DEVICE_TUNNEL,
     .onlink = true,
     .table = MESH_ROUTE_TABLE},
    {.destination = {{AF_INET6, {0xfd, 0, 0, 2}}, 64},
     .gateway = {AF_INET6, {0xfd, 0, 0, 4, [15] = 2}},
     .device = MESH_DEVICE_KILO,
     .onlink = true},
};

static struct mesh_rule leader_rules[] = {
    {.source = {{AF_INET, {10, 2, 1, 0}}, 24},
     .destination = {{AF_INET, {192, 168, 0, 3}}, 32},
     .table = MESH_ROUTE_TABLE},
    {.destination = {{AF_INET, {192, 168, 0, 3}}, 32},
     .from_kilo = true,
     .table = MESH_ROUTE_TABLE},
};

static struct mesh_route_changes apply(struct kernel *k, const struct mesh_routes *routes)
{
	struct mesh_route_state desired;
	struct mesh_route_changes changes;
	char err[256] = "";

	assert_int_equal(mesh_apply_routes_desired(routes, &k->links, &desired, err, sizeof(err)),
	                 0);
	if (mesh_apply_routes(k->nl, &desired, &changes, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	mesh_route_state_release(&desired);
	return changes;
}

static size_t count_ours(struct kernel *k, size_t *n_rules)
{
	struct mesh_route_state current;
	size_t n = 0;

	assert_int_equal(mesh_apply_routes_dump(k->nl, &current), 0);
	for (size_t i = 0; i < current.n_routes; i++)
		n += current.routes[i].table == MESH_ROUTE_TABLE ||
		     current.routes[i].protocol == MESH_APPLY_ROUTES_PROTOCOL;
	*n_rules = 0;
	for (size_t i = 0; i < current.n_rules; i++)
		*n_rules += current.rules[i].table == MESH_ROUTE_TABLE;
	mesh_route_state_release(&current);
	return n;
}

static void test_applier_converges_and_resync_touches_nothing(void **state)
{
	struct kernel *k = *state;
	struct mesh_routes routes = {leader_routes, 5, leader_rules, 2};
	struct mesh_route_changes c;
	size_t n_rules;

	c = apply(k, &routes);
	assert_int_equal(c.routes_replaced, 5);
	assert_int_equal(c.rules_added, 2);
	assert_int_equal(count_ours(k, &n_rules), 5);
	assert_int_equal(n_rules, 2);

	c = apply(k, &routes);
	assert_int_equal(c.routes_replaced + c.routes_removed + c.rules_added + c.rules_removed, 0);
}

static void test_route_deleted_behind_our_back_comes_back(void **state)
{
	struct kernel *k = *state;
	struct mesh_routes routes = {leader_routes, 5, leader_rules, 2};
	struct mesh_route_state desired;
	struct mesh_route_changes c;
	char err[256];
	size_t n_rules;

	apply(k, &routes);
	assert_int_equal(mesh_apply_routes_desired(&routes, &k->links, &desired, err, sizeof(err)),
	                 0);
	assert_int_equal(nl_route_del(k->nl, &desired.routes[3]), 0);
	assert_int_equal(nl_rule_del(k->nl, &desired.rules[1]), 0);
	mesh_route_state_release(&desired);
	assert_int_equal(count_ours(k, &n_rules), 4);

	c = apply(k, &routes);
	assert_int_equal(c.routes_replaced, 1);
	assert_int_equal(c.rules_added, 1);
	assert_int_equal(c.routes_removed + c.rules_removed, 0);
	assert_int_equal(count_ours(k, &n_rules), 5);
	assert_int_equal(n_rules, 2);
}

static void test_changed_topology_replaces_and_removes_only_the_difference(void **state)
{
	struct kernel *k = *state;
	struct mesh_route changed[3];
	struct mesh_routes all = {leader_routes, 5, leader_rules, 2};
	struct mesh_routes fewer = {changed, 3, leader_rules, 1};
	struct mesh_route_changes c;
	size_t n_rules;

	apply(k, &all);
	memcpy(changed, leader_routes, sizeof(changed));
	changed[0].gateway.bytes[3] = 3; /* the segment's leader moved to 10.4.0.3 */
	c = apply(k, &fewer);
	assert_int_equal(c.routes_replaced, 1);
	assert_int_equal(c.routes_removed, 2);
	assert_int_equal(c.rules_added, 0);
	assert_int_equal(c.rules_removed, 1);
	assert_int_equal(count_ours(k, &n_rules), 3);
	assert_int_equal(n_rules, 1);
}

/* ifindex holds prefix (none when NULL), and only it. */
static void hold(struct kernel *k, int ifindex, const struct mesh_prefix *prefix)
{
	struct nl_address address = {.ifindex = ifindex};

	if (prefix) {
		address.ip.family = prefix->addr.family;
		memcpy(address.ip.bytes, prefix->addr.bytes, sizeof(address.ip.bytes));
		address.prefixlen = prefix->cidr;
	}
	assert_int_equal(nl_address_set(k->nl, &address, NULL), 0);
}

/*
 * Every route and rule the topology makes, from every node of the demo cluster, reads back
 * from the kernel as written: otherwise each resync would replace it again.
 */
static void test_demo_cluster_routes_read_back_as_written_from_every_node(void **state)
{
	static const char *const viewers[] = {"aws-a", "aws-b", "aws-c",
	                                      "gcp-a", "gcp-b", "home-nat"};
	const struct mesh_routes_options options = {.encapsulate = MESH_ENCAPSULATE_ALWAYS,
	                                            .local = true};
	struct kernel *k = *state;
	struct mesh_routes routes, none = {0};
	struct mesh_route_changes c;
	struct mesh_cluster cluster;
	struct mesh_topology t;

	demo_cluster(&cluster);
	for (size_t i = 0; i < sizeof(viewers) / sizeof(*viewers); i++) {
		fixture_topology(&t, &cluster, MESH_GRANULARITY_LOCATION, viewers[i]);
		assert_int_equal(mesh_routes_build(&t, &options, &routes), 0);
		/* The viewer's own addresses: preferred sources, never gateways. */
		hold(k, k->links.kilo, t.leader ? &t.wireguard_cidr : NULL);
		hold(k, k->links.private_iface, mesh_node_private_ip(t.local));
		apply(k, &routes);
		c = apply(k, &routes);
		if (c.routes_replaced + c.routes_removed + c.rules_added + c.rules_removed)
			fail_msg("the routes of %s differ once written", viewers[i]);
		mesh_routes_release(&routes);
		mesh_topology_release(&t);
	}
	mesh_cluster_release(&cluster);
	apply(k, &none);
	assert_int_equal(link_up(k->nl, "an0", "10.4.0.1", 16), k->links.kilo);
	assert_int_equal(link_up(k->nl, "an2", "192.168.0.1", 24), k->links.private_iface);
}

static void test_clean_up_removes_ours_and_keeps_the_administrators(void **state)
{
	struct kernel *k = *state;
	struct mesh_routes all = {leader_routes, 5, leader_rules, 2};
	struct nl_route admin = {.dst = ip("172.16.0.0"),
	                         .dst_len = 16,
	                         .gw = ip("192.168.0.254"),
	                         .ifindex = k->links.private_iface,
	                         .table = RT_TABLE_MAIN,
	                         .protocol = RTPROT_STATIC};
	struct mesh_routes none = {0};
	struct mesh_route_state current;
	struct mesh_route_changes c;
	size_t n_rules, found = 0;

	apply(k, &all);
	assert_int_equal(nl_route_replace(k->nl, &admin), 0);
	c = apply(k, &none);
	assert_int_equal(c.routes_removed, 5);
	assert_int_equal(c.rules_removed, 2);
	assert_int_equal(count_ours(k, &n_rules), 0);
	assert_int_equal(n_rules, 0);
	assert_int_equal(mesh_apply_routes_dump(k->nl, &current), 0);
	for (size_t i = 0; i < current.n_routes; i++)
		found += nl_route_equal(&current.routes[i], &admin);
	mesh_route_state_release(&current);
	assert_int_equal(found, 1);
}

int main(void)
{
	const struct CMUnitTest diff[] = {
	    cmocka_unit_test(test_resync_with_nothing_changed_plans_nothing),
	    cmocka_unit_test(test_missing_route_is_replaced_and_changed_gateway_is_not_deleted),
	    cmocka_unit_test(test_only_our_routes_are_removed),
	    cmocka_unit_test(test_foreign_route_to_our_destination_is_taken_over),
	    cmocka_unit_test(test_same_destination_twice_keeps_the_last),
	    cmocka_unit_test(test_thousands_of_routes_in_any_order_diff_to_the_difference),
	    cmocka_unit_test(test_rules_are_added_once_and_stale_ones_of_table_1107_removed),
	    cmocka_unit_test(test_deleted_route_comes_back_only_if_ours_and_still_desired),
	    cmocka_unit_test(test_deleted_rule_comes_back_whatever_its_priority),
	    cmocka_unit_test(test_desired_state_resolves_roles_masks_and_names_the_main_table),
	    cmocka_unit_test(test_routes_over_a_missing_link_are_left_out_and_named),
	};
	const struct CMUnitTest kernel[] = {
	    cmocka_unit_test(test_applier_converges_and_resync_touches_nothing),
	    cmocka_unit_test(test_route_deleted_behind_our_back_comes_back),
	    cmocka_unit_test(test_changed_topology_replaces_and_removes_only_the_difference),
	    cmocka_unit_test(test_demo_cluster_routes_read_back_as_written_from_every_node),
	    cmocka_unit_test(test_clean_up_removes_ours_and_keeps_the_administrators),
	};

	return cmocka_run_group_tests_name("diff", diff, NULL, NULL) |
	       cmocka_run_group_tests_name("kernel", kernel, enter_namespace, leave_namespace);
}
