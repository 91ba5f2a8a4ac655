// SPDX-License-Identifier: MIT
/*
 * Dual-stack and IPv6-only meshes (Kilo #94): from every viewpoint of the two
 * fixture clusters, the WireGuard config, the routes and rules, the iptables
 * rules, a Peer's config and routes and the graph, exactly. In a dual-stack
 * mesh Kilo's IPv4 values keep their places and the IPv6 ones follow them;
 * an IPv6-only mesh is an IPv4 one with other addresses, but that IPIP never
 * applies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <sys/socket.h>

#include "iptables_text.h"
#include "mesh/view/graph.h"
#include "mesh/view/iptables.h"
#include "mesh/view/routes.h"
#include "mesh/view/topology.h"
#include "mesh/view/wgconfig.h"
#include "mesh_fixture.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))
#define NONE ((const char *const[]){NULL})

static const struct mesh_route_devices devices = {"kilo0", "eth0", "tunl0"};

/* The dual-stack mesh's subnets; the IPv6-only one has fd00:4::/64 alone. */
#define SUBNET "10.4.0.0/16"
#define SUBNET6 "fd00:4::/64"

static void topology_of(struct mesh_topology *t, const struct mesh_cluster *c, const char *subnet,
                        const char *subnet6, const char *viewer)
{
	struct mesh_topology_options options = fixture_options(MESH_GRANULARITY_LOCATION, viewer);
	char err[256] = "";

	options.subnet = fixture_prefix(subnet);
	if (subnet6)
		options.subnet6 = fixture_prefix(subnet6);
	if (mesh_topology_build(c, &options, t, err, sizeof(err)))
		fail_msg("topology from %s: %s", viewer, err);
}

/* [Peer] lines of the dual-stack mesh: Kilo's IPv4 value first, then its IPv6 twin. */
#define DS_EAST(ka)                                                                                \
	"east-a 198.51.100.1:51820 ka=" ka " psk=no 10.2.1.0/24,fd00:2:1::/64,10.0.0.1/32,"        \
	"fd00:10::1/128,10.2.2.0/24,fd00:2:2::/64,10.0.0.2/32,fd00:10::2/128,10.4.0.1/32,"         \
	"fd00:4::1/128"
#define DS_WEST(ka)                                                                                \
	"west-a [2001:db8::3]:51820 ka=" ka " psk=no 10.2.3.0/24,fd00:2:3::/64,10.1.0.3/32,"       \
	"fd00:11::3/128,10.4.0.2/32,fd00:4::2/128,192.168.9.0/24,fd00:99::/64"
#define DS_LAPTOP "laptop [2001:db8::9]:51820 ka=0 psk=no 10.5.0.1/32,fd00:5::1/128"
#define V6_A                                                                                       \
	"a1 [2001:db8::1]:51820 ka=10 psk=no fd00:2:1::/64,fd00:10::1/128,fd00:2:2::/64,"          \
	"fd00:10::2/128,fd00:4::1/128"
#define V6_B(ka)                                                                                   \
	"b1 [2001:db8::3]:51820 ka=" ka " psk=no fd00:2:3::/64,fd00:11::3/128,fd00:4::2/128,"      \
	"fd00:99::/64"

struct config_case {
	void (*cluster)(struct mesh_cluster *);
	const char *subnet, *subnet6, *viewer;
	bool leader;
	const char *wireguard_cidr, *wireguard_cidr6; /* "" for unset */
	const char *const *peers;
};

static const struct config_case config_cases[] = {
    {dual_stack_cluster, SUBNET, SUBNET6, "east-a", true, "10.4.0.1/16", "fd00:4::1/64",
     LINES(DS_WEST("0"), DS_LAPTOP)},
    {dual_stack_cluster, SUBNET, SUBNET6, "east-b", false, "10.4.0.0/16", "fd00:4::/64",
     LINES(DS_WEST("0"), DS_LAPTOP)},
    {dual_stack_cluster, SUBNET, SUBNET6, "west-a", true, "10.4.0.2/16", "fd00:4::2/64",
     LINES(DS_EAST("0"), DS_LAPTOP)},
    /* Without an IPv6 subnet: no IPv6 WireGuard IPs, everything else as before. */
    {dual_stack_cluster, SUBNET, NULL, "east-a", true, "10.4.0.1/16", "",
     LINES("west-a [2001:db8::3]:51820 ka=0 psk=no 10.2.3.0/24,fd00:2:3::/64,10.1.0.3/32,"
           "fd00:11::3/128,10.4.0.2/32,192.168.9.0/24,fd00:99::/64",
           DS_LAPTOP)},
    {ipv6_only_cluster, SUBNET6, NULL, "a1", true, "fd00:4::1/64", "",
     LINES(V6_B("0"), "laptop - ka=0 psk=no fd00:5::1/128")},
    {ipv6_only_cluster, SUBNET6, NULL, "a2", false, "fd00:4::/64", "",
     LINES(V6_B("0"), "laptop - ka=0 psk=no fd00:5::1/128")},
    {ipv6_only_cluster, SUBNET6, NULL, "b1", true, "fd00:4::2/64", "",
     LINES("a1 [2001:db8::1]:51820 ka=0 psk=no fd00:2:1::/64,fd00:10::1/128,fd00:2:2::/64,"
           "fd00:10::2/128,fd00:4::1/128",
           "laptop - ka=0 psk=no fd00:5::1/128")},
};

static void test_configs_from_every_viewpoint(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(config_cases); i++) {
		const struct config_case *tc = &config_cases[i];
		char what[128], cidr[MESH_PREFIX_STRLEN];
		struct mesh_cluster cluster;
		struct mesh_wg_config config;
		struct mesh_topology t;

		snprintf(what, sizeof(what), "config of %s (case %zu)", tc->viewer, i);
		tc->cluster(&cluster);
		topology_of(&t, &cluster, tc->subnet, tc->subnet6, tc->viewer);
		assert_int_equal(t.leader, tc->leader);
		assert_string_equal(mesh_prefix_format(&t.wireguard_cidr, cidr),
		                    tc->wireguard_cidr);
		assert_string_equal(mesh_prefix_format(&t.wireguard_cidr6, cidr),
		                    tc->wireguard_cidr6);
		assert_int_equal(mesh_wgconfig_local(&t, &config), 0);
		fixture_assert_wg_config(what, &cluster, &config, tc->peers);
		mesh_wgconfig_release(&config);
		mesh_topology_release(&t);
		mesh_cluster_release(&cluster);
	}
}

/* What the laptop configures (showconf peer): every location, both families. */
static void test_peer_config_and_routes_cover_both_families(void **state)
{
	static const char *const routes[] = {
	    "10.2.1.0/24 via 10.4.0.1 dev kilo0 onlink",
	    "fd00:2:1::/64 via fd00:4::1 dev kilo0 onlink",
	    "10.2.2.0/24 via 10.4.0.1 dev kilo0 onlink",
	    "fd00:2:2::/64 via fd00:4::1 dev kilo0 onlink",
	    "10.0.0.1/32 via 10.4.0.1 dev kilo0 onlink",
	    "fd00:10::1/128 via fd00:4::1 dev kilo0 onlink",
	    "10.0.0.2/32 via 10.4.0.1 dev kilo0 onlink",
	    "fd00:10::2/128 via fd00:4::1 dev kilo0 onlink",
	    "10.4.0.1/32 dev kilo0",
	    "fd00:4::1/128 dev kilo0",
	    "10.2.3.0/24 via 10.4.0.2 dev kilo0 onlink",
	    "fd00:2:3::/64 via fd00:4::2 dev kilo0 onlink",
	    "10.1.0.3/32 via 10.4.0.2 dev kilo0 onlink",
	    "fd00:11::3/128 via fd00:4::2 dev kilo0 onlink",
	    "192.168.9.0/24 via 10.4.0.2 dev kilo0 onlink",
	    "fd00:99::/64 via fd00:4::2 dev kilo0 onlink",
	    "10.4.0.2/32 dev kilo0",
	    "fd00:4::2/128 dev kilo0",
	    "10.96.0.0/12 via 10.4.0.1 dev kilo0 onlink",
	    "fd00:96::/108 via fd00:4::1 dev kilo0 onlink",
	    NULL,
	};
	const struct mesh_prefix extra[] = {fixture_prefix("10.96.0.0/12"),
	                                    fixture_prefix("fd00:96::/108")};
	struct mesh_cluster cluster;
	struct mesh_wg_config config;
	struct mesh_routes r;
	struct mesh_topology t;
	char **lines, buf[MESH_ROUTE_STRLEN];

	(void)state;
	dual_stack_cluster(&cluster);
	topology_of(&t, &cluster, SUBNET, SUBNET6, "west-a");
	assert_int_equal(mesh_wgconfig_for_peer(&t, "laptop", &config), 0);
	fixture_assert_wg_config("laptop's view", &cluster, &config,
	                         LINES(DS_EAST("10"), DS_WEST("10")));
	mesh_wgconfig_release(&config);
	assert_int_equal(mesh_routes_for_peer(&t, "laptop", extra, ARRAY_SIZE(extra), &r), 0);
	lines = calloc(r.n_routes + 1, sizeof(*lines));
	for (size_t i = 0; i < r.n_routes; i++)
		lines[i] = strdup(mesh_route_format(&r.routes[i], &devices, buf));
	fixture_assert_lines("laptop's routes", lines, r.n_routes, routes);
	fixture_free_lines(lines, r.n_routes);
	assert_int_equal(r.n_rules, 0);
	mesh_routes_release(&r);
	mesh_topology_release(&t);
	mesh_cluster_release(&cluster);
	/* The IPv6-only laptop's view, with the roaming laptop's keepalive. */
	ipv6_only_cluster(&cluster);
	topology_of(&t, &cluster, SUBNET6, NULL, "b1");
	assert_int_equal(mesh_wgconfig_for_peer(&t, "laptop", &config), 0);
	fixture_assert_wg_config("IPv6 laptop's view", &cluster, &config, LINES(V6_A, V6_B("10")));
	mesh_wgconfig_release(&config);
	mesh_topology_release(&t);
	mesh_cluster_release(&cluster);
}

struct routes_case {
	const char *what;
	void (*cluster)(struct mesh_cluster *);
	const char *subnet, *subnet6, *viewer;
	enum mesh_encapsulate encapsulate;
	const char *const *routes, *const *rules;
};

#define DS_WEST_FROM_EAST_A                                                                        \
	"10.2.3.0/24 via 10.4.0.2 dev kilo0 onlink src 10.0.0.1",                                  \
	    "fd00:2:3::/64 via fd00:4::2 dev kilo0 onlink src fd00:10::1",                         \
	    "10.1.0.3/32 via 10.4.0.2 dev kilo0 onlink src 10.0.0.1",                              \
	    "fd00:11::3/128 via fd00:4::2 dev kilo0 onlink src fd00:10::1",                        \
	    "192.168.9.0/24 via 10.4.0.2 dev kilo0 onlink src 10.0.0.1",                           \
	    "fd00:99::/64 via fd00:4::2 dev kilo0 onlink src fd00:10::1",                          \
	    "10.5.0.1/32 dev kilo0 src 10.0.0.1", "fd00:5::1/128 dev kilo0 src fd00:10::1"
/* east-b hands each family to east-a's address of that family. */
#define DS_EAST_B_VIA(v4, v6)                                                                      \
	"10.4.0.1/32 via 10.0.0.1 " v4, "fd00:4::1/128 via fd00:10::1 " v6,                        \
	    "10.2.1.0/24 via 10.0.0.1 " v4, "fd00:2:1::/64 via fd00:10::1 " v6
#define DS_EAST_B_REST(v4, v6)                                                                     \
	"10.4.0.2/32 via 10.0.0.1 " v4, "fd00:4::2/128 via fd00:10::1 " v6,                        \
	    "10.2.3.0/24 via 10.0.0.1 " v4, "fd00:2:3::/64 via fd00:10::1 " v6,                    \
	    "10.1.0.3/32 via 10.0.0.1 " v4, "fd00:11::3/128 via fd00:10::1 " v6,                   \
	    "192.168.9.0/24 via 10.0.0.1 " v4, "fd00:99::/64 via fd00:10::1 " v6,                  \
	    "10.5.0.1/32 via 10.0.0.1 " v4, "fd00:5::1/128 via fd00:10::1 " v6
#define PLAIN "dev eth0 onlink"
#define TUNNELED "dev tunl0 onlink src 10.0.0.2"

static const struct routes_case routes_cases[] = {
    {"dual stack: leader east-a", dual_stack_cluster, SUBNET, SUBNET6, "east-a",
     MESH_ENCAPSULATE_NEVER,
     LINES("10.2.2.0/24 via 10.0.0.2 dev eth0 onlink",
           "fd00:2:2::/64 via fd00:10::2 dev eth0 onlink", DS_WEST_FROM_EAST_A),
     NONE},
    /* IPIP carries the IPv4 routes only; IPv6 goes to east-b's IPv6 address plainly. */
    {"dual stack: leader east-a, always", dual_stack_cluster, SUBNET, SUBNET6, "east-a",
     MESH_ENCAPSULATE_ALWAYS,
     LINES("10.2.2.0/24 via 10.0.0.2 dev tunl0 onlink src 10.0.0.1",
           "fd00:2:2::/64 via fd00:10::2 dev eth0 onlink",
           "10.0.0.2/32 via 10.0.0.2 dev tunl0 onlink src 10.0.0.1 table 1107",
           DS_WEST_FROM_EAST_A),
     LINES("from 10.2.1.0/24 to 10.0.0.2/32 lookup 1107",
           "from all to 10.0.0.2/32 iif kilo0 lookup 1107")},
    {"dual stack: member east-b", dual_stack_cluster, SUBNET, SUBNET6, "east-b",
     MESH_ENCAPSULATE_NEVER, LINES(DS_EAST_B_VIA(PLAIN, PLAIN), DS_EAST_B_REST(PLAIN, PLAIN)),
     NONE},
    {"dual stack: member east-b, always", dual_stack_cluster, SUBNET, SUBNET6, "east-b",
     MESH_ENCAPSULATE_ALWAYS,
     LINES("10.4.0.1/32 via 10.0.0.1 " TUNNELED, "fd00:4::1/128 via fd00:10::1 " PLAIN,
           "10.2.1.0/24 via 10.0.0.1 " TUNNELED, "fd00:2:1::/64 via fd00:10::1 " PLAIN,
           "10.0.0.1/32 via 10.0.0.1 dev tunl0 onlink src 10.0.0.2 table 1107",
           DS_EAST_B_REST(TUNNELED, PLAIN)),
     LINES("from 10.2.2.0/24 to 10.0.0.1/32 lookup 1107")},
    /* No IPv6 WireGuard subnet: IPv6 goes on kilo0 without a gateway. */
    {"dual stack without an IPv6 subnet: leader west-a", dual_stack_cluster, SUBNET, NULL, "west-a",
     MESH_ENCAPSULATE_NEVER,
     LINES("10.2.1.0/24 via 10.4.0.1 dev kilo0 onlink src 10.1.0.3",
           "fd00:2:1::/64 dev kilo0 src fd00:11::3",
           "10.0.0.1/32 via 10.4.0.1 dev kilo0 onlink src 10.1.0.3",
           "fd00:10::1/128 dev kilo0 src fd00:11::3",
           "10.2.2.0/24 via 10.4.0.1 dev kilo0 onlink src 10.1.0.3",
           "fd00:2:2::/64 dev kilo0 src fd00:11::3",
           "10.0.0.2/32 via 10.4.0.1 dev kilo0 onlink src 10.1.0.3",
           "fd00:10::2/128 dev kilo0 src fd00:11::3", "10.5.0.1/32 dev kilo0 src 10.1.0.3",
           "fd00:5::1/128 dev kilo0 src fd00:11::3"),
     NONE},
    /* Encapsulation asked for, and nothing to encapsulate: no IPv4 anywhere. */
    {"IPv6 only: leader a1, always", ipv6_only_cluster, SUBNET6, NULL, "a1",
     MESH_ENCAPSULATE_ALWAYS,
     LINES("fd00:2:2::/64 via fd00:10::2 dev eth0 onlink",
           "fd00:2:3::/64 via fd00:4::2 dev kilo0 onlink src fd00:10::1",
           "fd00:11::3/128 via fd00:4::2 dev kilo0 onlink src fd00:10::1",
           "fd00:99::/64 via fd00:4::2 dev kilo0 onlink src fd00:10::1",
           "fd00:5::1/128 dev kilo0 src fd00:10::1"),
     NONE},
    {"IPv6 only: member a2, always", ipv6_only_cluster, SUBNET6, NULL, "a2",
     MESH_ENCAPSULATE_ALWAYS,
     LINES("fd00:4::1/128 via fd00:10::1 dev eth0 onlink",
           "fd00:2:1::/64 via fd00:10::1 dev eth0 onlink",
           "fd00:4::2/128 via fd00:10::1 dev eth0 onlink",
           "fd00:2:3::/64 via fd00:10::1 dev eth0 onlink",
           "fd00:11::3/128 via fd00:10::1 dev eth0 onlink",
           "fd00:99::/64 via fd00:10::1 dev eth0 onlink",
           "fd00:5::1/128 via fd00:10::1 dev eth0 onlink"),
     NONE},
    /* Kilo's default IPv4 subnet on an IPv6 mesh: kilo0's IPs are no gateways for IPv6. */
    {"IPv6 only with the default subnet: leader b1", ipv6_only_cluster, SUBNET, NULL, "b1",
     MESH_ENCAPSULATE_NEVER,
     LINES("fd00:2:1::/64 dev kilo0 src fd00:11::3", "fd00:10::1/128 dev kilo0 src fd00:11::3",
           "fd00:2:2::/64 dev kilo0 src fd00:11::3", "fd00:10::2/128 dev kilo0 src fd00:11::3",
           "fd00:5::1/128 dev kilo0 src fd00:11::3"),
     NONE},
    {"IPv6 only with the default subnet: member a2", ipv6_only_cluster, SUBNET, NULL, "a2",
     MESH_ENCAPSULATE_NEVER,
     LINES("fd00:2:1::/64 via fd00:10::1 dev eth0 onlink",
           "fd00:2:3::/64 via fd00:10::1 dev eth0 onlink",
           "fd00:11::3/128 via fd00:10::1 dev eth0 onlink",
           "fd00:99::/64 via fd00:10::1 dev eth0 onlink",
           "fd00:5::1/128 via fd00:10::1 dev eth0 onlink"),
     NONE},
};

static void assert_routes(const char *what, const struct mesh_routes *r, const char *const *routes,
                          const char *const *rules)
{
	char **lines = calloc(r->n_routes + 1, sizeof(*lines));
	char buf[MESH_ROUTE_STRLEN];

	for (size_t i = 0; i < r->n_routes; i++)
		lines[i] = strdup(mesh_route_format(&r->routes[i], &devices, buf));
	fixture_assert_lines(what, lines, r->n_routes, routes);
	fixture_free_lines(lines, r->n_routes);
	lines = calloc(r->n_rules + 1, sizeof(*lines));
	for (size_t i = 0; i < r->n_rules; i++)
		lines[i] = strdup(mesh_rule_format(&r->rules[i], &devices, buf));
	fixture_assert_lines(what, lines, r->n_rules, rules);
	fixture_free_lines(lines, r->n_rules);
}

static void test_routes_keep_to_their_family(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(routes_cases); i++) {
		const struct routes_case *tc = &routes_cases[i];
		struct mesh_routes_options options = {.encapsulate = tc->encapsulate,
		                                      .local = true};
		struct mesh_cluster cluster;
		struct mesh_topology t;
		struct mesh_routes r;

		tc->cluster(&cluster);
		topology_of(&t, &cluster, tc->subnet, tc->subnet6, tc->viewer);
		assert_int_equal(mesh_routes_build(&t, &options, &r), 0);
		assert_routes(tc->what, &r, tc->routes, tc->rules);
		mesh_routes_release(&r);
		mesh_topology_release(&t);
		mesh_cluster_release(&cluster);
	}
}

#define COMMENT(text) " -m comment --comment \"Kilo: " text "\""
#define NAT4 "iptables -t nat "
#define NAT6 "ip6tables -t nat "
#define KNOWN(nat, ip)                                                                             \
	nat "-I KILO-NAT 1 -d " ip COMMENT("do not NAT packets destined for known IPs") " -j "     \
	                                                                                "RETURN"
#define WG(nat, ip)                                                                                \
	nat "-I KILO-NAT 1 -d " ip COMMENT(                                                        \
	    "do not NAT packets destined for WireGuared IPs") " -j RETURN"
#define JUMP(nat, pods)                                                                            \
	nat "-I POSTROUTING 1 -s " pods COMMENT("jump to KILO-NAT chain") " -j KILO-NAT"
#define LOCATION(nat, ip) nat "-I POSTROUTING 1 -d " ip COMMENT("jump to NAT chain") " -j KILO-NAT"
#define PEER(nat, ip)                                                                              \
	nat "-I POSTROUTING 1 -s " ip COMMENT("jump to NAT chain") " -j KILO-NAT", nat             \
	    "-I KILO-NAT 1 -d " ip COMMENT("do not NAT packets destined for peers") " -j RETURN"
#define NAT_CHAINS_AND_TAIL(service)                                                               \
	NAT4 "-N KILO-NAT", NAT6 "-N KILO-NAT", service,                                           \
	    NAT4 "-A KILO-NAT" COMMENT("NAT remaining packets") " -j MASQUERADE",                  \
	    NAT6 "-A KILO-NAT" COMMENT("NAT remaining packets") " -j MASQUERADE"
#define SERVICE6                                                                                   \
	NAT6 "-A KILO-NAT -d fd00:96::/108" COMMENT(                                               \
	    "do not NAT packets destined for service CIDRs") " -j RETURN"

static void assert_rules(const char *what, const struct mesh_iptables_rule *rules, size_t n,
                         bool prepend, const char *const *expected)
{
	char **lines = calloc(n + 1, sizeof(*lines));
	char buf[IPTABLES_TEXT_STRLEN];

	for (size_t i = 0; i < n; i++)
		lines[i] = strdup(iptables_text(&rules[i], prepend, buf));
	fixture_assert_lines(what, lines, n, expected);
	fixture_free_lines(lines, n);
}

struct rules_case {
	const char *what;
	void (*cluster)(struct mesh_cluster *);
	const char *subnet, *subnet6, *viewer;
	const char *const *append, *const *prepend;
};

static const struct rules_case rules_cases[] = {
    /* Both families' pods masqueraded, both families' mesh IPs exempt; no IPv6 IPIP rule. */
    {"dual stack: member east-b", dual_stack_cluster, SUBNET, SUBNET6, "east-b",
     LINES(
         "iptables -t filter -N KILO-IPIP", "ip6tables -t filter -N KILO-IPIP",
         "iptables -t filter -A INPUT -p ipencap" COMMENT("jump to IPIP chain") " -j KILO-IPIP",
         "ip6tables -t filter -A INPUT -p ipencap" COMMENT("jump to IPIP chain") " -j KILO-IPIP",
         "iptables -t filter -A INPUT -p ipencap" COMMENT("reject other IPIP traffic") " -j DROP",
         "ip6tables -t filter -A INPUT -p ipencap" COMMENT("reject other IPIP traffic") " -j DROP",
         NAT_CHAINS_AND_TAIL(SERVICE6)),
     LINES("iptables -t filter -I KILO-IPIP 1 -s 10.0.0.1/32" COMMENT(
               "allow IPIP traffic") " -j ACCEPT",
           "iptables -t filter -I KILO-IPIP 1 -s 10.0.0.2/32" COMMENT(
               "allow IPIP traffic") " -j ACCEPT",
           JUMP(NAT4, "10.2.2.0/24"), JUMP(NAT6, "fd00:2:2::/64"), WG(NAT4, "10.4.0.1/32"),
           WG(NAT6, "fd00:4::1/128"), KNOWN(NAT4, "10.2.1.0/24"), KNOWN(NAT6, "fd00:2:1::/64"),
           KNOWN(NAT4, "10.0.0.1/32"), KNOWN(NAT6, "fd00:10::1/128"), KNOWN(NAT4, "10.2.2.0/24"),
           KNOWN(NAT6, "fd00:2:2::/64"), KNOWN(NAT4, "10.0.0.2/32"), KNOWN(NAT6, "fd00:10::2/128"),
           KNOWN(NAT4, "10.4.0.1/32"), KNOWN(NAT6, "fd00:4::1/128"), WG(NAT4, "10.4.0.2/32"),
           WG(NAT6, "fd00:4::2/128"), KNOWN(NAT4, "10.2.3.0/24"), KNOWN(NAT6, "fd00:2:3::/64"),
           KNOWN(NAT4, "10.1.0.3/32"), KNOWN(NAT6, "fd00:11::3/128"), KNOWN(NAT4, "10.4.0.2/32"),
           KNOWN(NAT6, "fd00:4::2/128"), PEER(NAT4, "10.5.0.1/32"), PEER(NAT6, "fd00:5::1/128"))},
    {"dual stack: leader west-a with its LANs", dual_stack_cluster, SUBNET, SUBNET6, "west-a",
     LINES(
         "iptables -t filter -N KILO-IPIP", "ip6tables -t filter -N KILO-IPIP",
         "iptables -t filter -A INPUT -p ipencap" COMMENT("jump to IPIP chain") " -j KILO-IPIP",
         "ip6tables -t filter -A INPUT -p ipencap" COMMENT("jump to IPIP chain") " -j KILO-IPIP",
         "iptables -t filter -A INPUT -p ipencap" COMMENT("reject other IPIP traffic") " -j DROP",
         "ip6tables -t filter -A INPUT -p ipencap" COMMENT("reject other IPIP traffic") " -j DROP",
         NAT_CHAINS_AND_TAIL(SERVICE6)),
     LINES("iptables -t filter -I KILO-IPIP 1 -s 10.1.0.3/32" COMMENT(
               "allow IPIP traffic") " -j ACCEPT",
           JUMP(NAT4, "10.2.3.0/24"), JUMP(NAT6, "fd00:2:3::/64"), WG(NAT4, "10.4.0.1/32"),
           WG(NAT6, "fd00:4::1/128"), KNOWN(NAT4, "10.2.1.0/24"), KNOWN(NAT6, "fd00:2:1::/64"),
           KNOWN(NAT4, "10.0.0.1/32"), KNOWN(NAT6, "fd00:10::1/128"), KNOWN(NAT4, "10.2.2.0/24"),
           KNOWN(NAT6, "fd00:2:2::/64"), KNOWN(NAT4, "10.0.0.2/32"), KNOWN(NAT6, "fd00:10::2/128"),
           KNOWN(NAT4, "10.4.0.1/32"), KNOWN(NAT6, "fd00:4::1/128"), WG(NAT4, "10.4.0.2/32"),
           WG(NAT6, "fd00:4::2/128"), KNOWN(NAT4, "10.2.3.0/24"), KNOWN(NAT6, "fd00:2:3::/64"),
           KNOWN(NAT4, "10.1.0.3/32"), KNOWN(NAT6, "fd00:11::3/128"), KNOWN(NAT4, "10.4.0.2/32"),
           KNOWN(NAT6, "fd00:4::2/128"), LOCATION(NAT4, "192.168.9.0/24"),
           LOCATION(NAT6, "fd00:99::/64"), PEER(NAT4, "10.5.0.1/32"), PEER(NAT6, "fd00:5::1/128"))},
    /* IPv6 only: ip6tables does the work; IPIP has nothing to carry, so no KILO-IPIP. */
    {"IPv6 only: leader a1", ipv6_only_cluster, SUBNET6, NULL, "a1",
     LINES(NAT_CHAINS_AND_TAIL(SERVICE6)),
     LINES(JUMP(NAT6, "fd00:2:1::/64"), WG(NAT6, "fd00:4::1/128"), KNOWN(NAT6, "fd00:2:1::/64"),
           KNOWN(NAT6, "fd00:10::1/128"), KNOWN(NAT6, "fd00:2:2::/64"),
           KNOWN(NAT6, "fd00:10::2/128"), KNOWN(NAT6, "fd00:4::1/128"), WG(NAT6, "fd00:4::2/128"),
           KNOWN(NAT6, "fd00:2:3::/64"), KNOWN(NAT6, "fd00:11::3/128"),
           KNOWN(NAT6, "fd00:4::2/128"), PEER(NAT6, "fd00:5::1/128"))},
};

static void test_iptables_rules_per_family(void **state)
{
	const struct mesh_prefix service = fixture_prefix("fd00:96::/108");

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rules_cases); i++) {
		const struct rules_case *tc = &rules_cases[i];
		const struct mesh_iptables_options options = {.cni = true,
		                                              .local = true,
		                                              .encapsulate =
		                                                  MESH_ENCAPSULATE_ALWAYS,
		                                              .service_cidrs = &service,
		                                              .n_service_cidrs = 1};
		struct mesh_iptables_ruleset set;
		struct mesh_cluster cluster;
		struct mesh_topology t;

		tc->cluster(&cluster);
		topology_of(&t, &cluster, tc->subnet, tc->subnet6, tc->viewer);
		assert_int_equal(mesh_iptables_build(&t, &options, &set), 0);
		assert_rules(tc->what, set.append, set.n_append, false, tc->append);
		assert_rules(tc->what, set.prepend, set.n_prepend, true, tc->prepend);
		mesh_iptables_release(&set);
		mesh_topology_release(&t);
		mesh_cluster_release(&cluster);
	}
}

/* Forwarding is accepted for both families of the segment. */
static void test_forward_rules_cover_both_families(void **state)
{
	static const char *const wanted[] = {
	    "iptables -t filter -I FORWARD 1 -s 10.2.2.0/24",
	    "ip6tables -t filter -I FORWARD 1 -s fd00:2:2::/64",
	    "ip6tables -t filter -I FORWARD 1 -d fd00:10::2/128",
	};
	const struct mesh_iptables_options options = {.cni = true, .forward_rules = true};
	struct mesh_iptables_ruleset set;
	struct mesh_cluster cluster;
	struct mesh_topology t;
	char buf[IPTABLES_TEXT_STRLEN];

	(void)state;
	dual_stack_cluster(&cluster);
	topology_of(&t, &cluster, SUBNET, SUBNET6, "east-a");
	assert_int_equal(mesh_iptables_build(&t, &options, &set), 0);
	for (size_t w = 0; w < ARRAY_SIZE(wanted); w++) {
		bool found = false;

		for (size_t i = 0; i < set.n_prepend && !found; i++)
			found = !strncmp(iptables_text(&set.prepend[i], true, buf), wanted[w],
			                 strlen(wanted[w]));
		if (!found)
			fail_msg("no rule starting %s", wanted[w]);
	}
	mesh_iptables_release(&set);
	mesh_topology_release(&t);
	mesh_cluster_release(&cluster);
}

static void test_graph_shows_both_families(void **state)
{
	struct mesh_cluster cluster;
	struct mesh_topology t;
	char *dot;

	(void)state;
	dual_stack_cluster(&cluster);
	topology_of(&t, &cluster, SUBNET, SUBNET6, "east-b");
	dot = mesh_graph_dot(&t);
	assert_non_null(dot);
	assert_non_null(strstr(dot, "\tlabel=\"10.4.0.0/16 fd00:4::/64\";\n"));
	assert_non_null(strstr(dot,
	                       "\t\"east-a\" [ label=\"location:east\\neast-a\\n10.2.1.0/24\\n"
	                       "fd00:2:1::/64\\n10.0.0.1\\nfd00:10::1\\n10.4.0.1\\nfd00:4::1\\n"
	                       "198.51.100.1:51820\", rank=1, shape=ellipse ];\n"));
	assert_non_null(strstr(dot, "\t\"east-b\" [ label=\"location:east\\neast-b\\n10.2.2.0/24\\n"
	                            "fd00:2:2::/64\\n10.0.0.2\\nfd00:10::2\", shape=ellipse ];\n"));
	assert_non_null(strstr(dot, "\\n10.4.0.2\\nfd00:4::2\\n[2001:db8::3]:51820\""));
	free(dot);
	mesh_topology_release(&t);
	mesh_cluster_release(&cluster);
	ipv6_only_cluster(&cluster);
	topology_of(&t, &cluster, SUBNET6, NULL, "a1");
	dot = mesh_graph_dot(&t);
	assert_non_null(strstr(dot, "\tlabel=\"fd00:4::/64\";\n"));
	assert_non_null(strstr(dot, "\t\"a1\" [ label=\"location:a\\na1\\nfd00:2:1::/64\\n"
	                            "fd00:10::1\\nfd00:4::1\\n[2001:db8::1]:51820\", rank=1, "
	                            "shape=ellipse ];\n"));
	free(dot);
	mesh_topology_release(&t);
	mesh_cluster_release(&cluster);
}

/* Building fails with error and the one message that names the cause. */
static void assert_build_fails(const struct mesh_cluster *c, const char *subnet,
                               const char *subnet6, int error, const char *message)
{
	struct mesh_topology_options options = fixture_options(MESH_GRANULARITY_LOCATION, "east-a");
	struct mesh_topology t;
	char err[256] = "";

	options.subnet = fixture_prefix(subnet);
	options.subnet6 = fixture_prefix(subnet6);
	assert_int_equal(mesh_topology_build(c, &options, &t, err, sizeof(err)), error);
	assert_string_equal(err, message);
	assert_null(t.segments);
}

static void test_ipv6_subnet_is_checked_and_can_run_out(void **state)
{
	struct mesh_cluster cluster;

	(void)state;
	dual_stack_cluster(&cluster);
	assert_build_fails(
	    &cluster, SUBNET, "10.5.0.0/16", -EINVAL,
	    "subnets 10.4.0.0/16 and 10.5.0.0/16: want one IPv4 and one IPv6 subnet");
	assert_build_fails(
	    &cluster, SUBNET6, "fd00:5::/64", -EINVAL,
	    "subnets fd00:4::/64 and fd00:5::/64: want one IPv4 and one IPv6 subnet");
	assert_build_fails(&cluster, SUBNET, "fd00:4::/127", -ENOSPC,
	                   "failed to allocate an IP address; ran out of IP addresses in subnet "
	                   "fd00:4::/127 for 2 segments");
	mesh_cluster_release(&cluster);
}

/*
 * A deterministic pseudo-random dual-stack cluster: nodes with and without
 * an IPv6 pod CIDR or private IP, some without any private IP, endpoints of
 * either family, volunteers, a LAN of each family per location.
 */
static void random_dual_cluster(struct mesh_cluster *c, unsigned int seed, size_t n)
{
	static const char *const locations[] = {"a", "b", "c"};
	struct node_spec *specs = calloc(n, sizeof(*specs));
	struct dual_spec *dual = calloc(n, sizeof(*dual));
	char(*text)[7][64] = calloc(n, sizeof(*text));
	size_t n_dual = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned int location;

		seed = seed * 1103515245u + 12345u;
		location = (seed >> 3) % 3;
		snprintf(text[i][0], sizeof(text[i][0]), "n%02zu", n - 1 - i);
		snprintf(text[i][1], sizeof(text[i][1]),
		         seed & 1 ? "[2001:db8::%zx]:51820" : "198.51.100.%zu:51820", i + 1);
		snprintf(text[i][2], sizeof(text[i][2]), "172.16.%u.%zu/24", location, i + 1);
		snprintf(text[i][3], sizeof(text[i][3]), "10.100.%zu.0/24", i);
		snprintf(text[i][4], sizeof(text[i][4]), "192.168.%u.0/24,fd00:99:%u::/64",
		         location, location);
		snprintf(text[i][5], sizeof(text[i][5]), "fd00:100:%zx::/64", i);
		snprintf(text[i][6], sizeof(text[i][6]), "fd00:16:%u::%zx/64", location, i + 1);
		specs[i] = (struct node_spec){text[i][0], locations[location],
		                              text[i][1], (seed >> 5) % 5 ? text[i][2] : NULL,
		                              text[i][3], (seed >> 7) % 3 == 0,
		                              0,          (seed >> 13) % 3 ? NULL : text[i][4]};
		if ((seed >> 9) % 4)
			dual[n_dual++] = (struct dual_spec){text[i][0], text[i][5],
			                                    (seed >> 11) % 3 ? text[i][6] : NULL};
	}
	fixture_cluster(c, specs, n, ds_peers, ARRAY_SIZE(ds_peers), NULL, 0);
	fixture_dual_stack(c, dual, n_dual);
	free(specs);
	free(dual);
	free(text);
}

static void assert_route_keeps_to_its_family(const struct mesh_route *route)
{
	int family = route->destination.addr.family;
	char text[MESH_ROUTE_STRLEN];

	if ((ip_addr_is_set(&route->gateway) && route->gateway.family != family) ||
	    (ip_addr_is_set(&route->source) && route->source.family != family))
		fail_msg("route of two families: %s", mesh_route_format(route, &devices, text));
}

/* No two peers of a config claim overlapping IPs: WireGuard routes by them. */
static void assert_allowed_ips_disjoint(const struct mesh_wg_config *config)
{
	for (size_t p = 0; p < config->n_peers; p++)
		for (size_t i = 0; i < config->peers[p].n_allowed_ips; i++)
			for (size_t q = p + 1; q < config->n_peers; q++)
				for (size_t j = 0; j < config->peers[q].n_allowed_ips; j++)
					assert_false(
					    mesh_prefix_overlaps(&config->peers[p].allowed_ips[i],
					                         &config->peers[q].allowed_ips[j]));
}

static void assert_dual_views(const struct mesh_cluster *c, enum mesh_granularity g,
                              enum mesh_encapsulate encapsulate)
{
	const struct mesh_routes_options route_options = {.encapsulate = encapsulate,
	                                                  .local = true};
	const struct mesh_iptables_options rule_options = {
	    .cni = true, .forward_rules = true, .local = true, .encapsulate = encapsulate};

	for (size_t i = 0; i < c->n_nodes; i++) {
		struct mesh_topology_options options = fixture_options(g, c->nodes[i].name);
		struct mesh_iptables_ruleset rules;
		struct mesh_wg_config config;
		struct mesh_routes routes;
		struct mesh_topology t;

		options.subnet6 = fixture_prefix(SUBNET6);
		assert_int_equal(mesh_topology_build(c, &options, &t, NULL, 0), 0);
		assert_int_equal(mesh_wgconfig_local(&t, &config), 0);
		assert_allowed_ips_disjoint(&config);
		assert_int_equal(mesh_routes_build(&t, &route_options, &routes), 0);
		for (size_t r = 0; r < routes.n_routes; r++) {
			assert_route_keeps_to_its_family(&routes.routes[r]);
			/* IPIP carries IPv4 only. */
			if (routes.routes[r].device == MESH_DEVICE_TUNNEL)
				assert_int_equal(routes.routes[r].destination.addr.family, AF_INET);
		}
		for (size_t r = 0; r < routes.n_rules; r++)
			assert_int_equal(routes.rules[r].destination.addr.family, AF_INET);
		assert_int_equal(mesh_iptables_build(&t, &rule_options, &rules), 0);
		mesh_iptables_release(&rules);
		mesh_routes_release(&routes);
		mesh_wgconfig_release(&config);
		mesh_topology_release(&t);
	}
}

static void test_random_dual_stack_clusters_keep_families_apart(void **state)
{
	static const enum mesh_granularity granularities[] = {
	    MESH_GRANULARITY_LOCATION, MESH_GRANULARITY_FULL, MESH_GRANULARITY_CROSS};

	(void)state;
	for (unsigned int seed = 1; seed <= 20; seed++) {
		struct mesh_cluster cluster;

		random_dual_cluster(&cluster, seed, 4 + seed % 9);
		for (size_t g = 0; g < ARRAY_SIZE(granularities); g++) {
			assert_dual_views(&cluster, granularities[g], MESH_ENCAPSULATE_ALWAYS);
			assert_dual_views(&cluster, granularities[g], MESH_ENCAPSULATE_CROSSSUBNET);
		}
		mesh_cluster_release(&cluster);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_configs_from_every_viewpoint),
	    cmocka_unit_test(test_peer_config_and_routes_cover_both_families),
	    cmocka_unit_test(test_routes_keep_to_their_family),
	    cmocka_unit_test(test_iptables_rules_per_family),
	    cmocka_unit_test(test_forward_rules_cover_both_families),
	    cmocka_unit_test(test_graph_shows_both_families),
	    cmocka_unit_test(test_ipv6_subnet_is_checked_and_can_run_out),
	    cmocka_unit_test(test_random_dual_stack_clusters_keep_families_apart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
