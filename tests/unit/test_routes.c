// SPDX-License-Identifier: MIT
/*
 * Routes and policy rules. The first cases are Kilo's own TestRoutes cases
 * (pkg/mesh/routes_test.go) on Kilo's fixture, written as `ip route`
 * lines; the others cover the demo cluster, crosssubnet, cross and Cilium.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mesh/view/routes.h"
#include "mesh/view/topology.h"
#include "mesh_fixture.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))
#define NONE ((const char *const[]){NULL})

static const struct mesh_route_devices devices = {"kilo0", "eth0", "tunl0"};

struct routes_case {
	const char *name;
	void (*cluster)(struct mesh_cluster *);
	enum mesh_granularity granularity;
	const char *viewer;
	enum mesh_encapsulate encapsulate;
	enum mesh_compatibility compatibility;
	bool local;
	const char *const *routes;
	const char *const *rules;
};

#define KILO_PEERS_VIA_KILO0(src)                                                                  \
	"10.5.0.1/24 dev kilo0" src, "10.5.0.2/24 dev kilo0" src, "10.5.0.3/24 dev kilo0" src
#define DEMO_PEERS_VIA(gw) "10.5.0.1/32 via " gw, "10.5.0.2/32 via " gw

/*
 * The demo cluster under Cilium (--compatibility=cilium): aws-a and aws-b
 * published their cilium_host IPs; aws-c, whose agent has not yet, did not.
 */
static void cilium_cluster(struct mesh_cluster *c)
{
	demo_cluster(c);
	fixture_find_node(c, "aws-a")->cni_compatibility_ip = fixture_prefix("10.2.0.77/32");
	fixture_find_node(c, "aws-b")->cni_compatibility_ip = fixture_prefix("10.2.1.77/32");
}

/* Every cilium_host IP is the node's private IP: the overlay is the private network. */
static void cilium_cluster_on_private_ips(struct mesh_cluster *c)
{
	demo_cluster(c);
	for (size_t i = 0; i < c->n_nodes; i++)
		if (mesh_prefix_is_set(&c->nodes[i].internal_ip))
			c->nodes[i].cni_compatibility_ip =
			    mesh_prefix_host(&c->nodes[i].internal_ip.addr);
}

/* aws-a leads aws; the other segments as a leader sees them, peers on kilo0. */
#define CILIUM_AWS_A_REMOTE                                                                        \
	"10.2.2.0/24 via 10.4.0.2 dev kilo0 onlink src 10.0.0.5",                                  \
	    "10.1.96.6/32 via 10.4.0.2 dev kilo0 onlink src 10.0.0.5",                             \
	    "10.2.4.0/24 via 10.4.0.3 dev kilo0 onlink src 10.0.0.5",                              \
	    "192.168.1.10/32 via 10.4.0.3 dev kilo0 onlink src 10.0.0.5",                          \
	    "10.2.3.0/24 via 10.4.0.4 dev kilo0 onlink src 10.0.0.5",                              \
	    "10.5.0.1/32 dev kilo0 src 10.0.0.5", "10.5.0.2/32 dev kilo0 src 10.0.0.5"

static const struct routes_case cases[] = {
    {"kilo: logical from a", kilo_cluster, MESH_GRANULARITY_LOCATION, "a", MESH_ENCAPSULATE_NEVER,
     MESH_COMPATIBILITY_NONE, false,
     LINES("10.2.2.0/24 via 10.4.0.2 dev kilo0 onlink src 192.168.0.1",
           "192.168.0.1/32 via 10.4.0.2 dev kilo0 onlink src 192.168.0.1",
           "10.2.3.0/24 via 10.4.0.2 dev kilo0 onlink src 192.168.0.1",
           "192.168.0.2/32 via 10.4.0.2 dev kilo0 onlink src 192.168.0.1",
           "192.168.178.3/32 via 10.4.0.2 dev kilo0 onlink src 192.168.0.1",
           "10.2.4.0/24 via 10.4.0.3 dev kilo0 onlink src 192.168.0.1",
           KILO_PEERS_VIA_KILO0(" src 192.168.0.1")),
     NONE},
    {"kilo: logical from c", kilo_cluster, MESH_GRANULARITY_LOCATION, "c", MESH_ENCAPSULATE_NEVER,
     MESH_COMPATIBILITY_NONE, false,
     LINES("10.4.0.1/32 via 192.168.0.1 dev eth0 onlink",
           "10.2.1.0/24 via 192.168.0.1 dev eth0 onlink",
           "192.168.0.1/32 via 192.168.0.1 dev eth0 onlink",
           "10.4.0.2/32 via 192.168.0.1 dev eth0 onlink",
           "10.4.0.3/32 via 192.168.0.1 dev eth0 onlink",
           "10.2.4.0/24 via 192.168.0.1 dev eth0 onlink",
           "10.5.0.1/24 via 192.168.0.1 dev eth0 onlink",
           "10.5.0.2/24 via 192.168.0.1 dev eth0 onlink",
           "10.5.0.3/24 via 192.168.0.1 dev eth0 onlink"),
     NONE},
    {"kilo: logical from d (no private IP, no source hint)", kilo_cluster,
     MESH_GRANULARITY_LOCATION, "d", MESH_ENCAPSULATE_NEVER, MESH_COMPATIBILITY_NONE, false,
     LINES("10.2.1.0/24 via 10.4.0.1 dev kilo0 onlink",
           "192.168.0.1/32 via 10.4.0.1 dev kilo0 onlink",
           "10.2.2.0/24 via 10.4.0.2 dev kilo0 onlink",
           "192.168.0.1/32 via 10.4.0.2 dev kilo0 onlink",
           "10.2.3.0/24 via 10.4.0.2 dev kilo0 onlink",
           "192.168.0.2/32 via 10.4.0.2 dev kilo0 onlink",
           "192.168.178.3/32 via 10.4.0.2 dev kilo0 onlink", KILO_PEERS_VIA_KILO0("")),
     NONE},
    {"kilo: logical from b local always", kilo_cluster, MESH_GRANULARITY_LOCATION, "b",
     MESH_ENCAPSULATE_ALWAYS, MESH_COMPATIBILITY_NONE, true,
     LINES("10.2.1.0/24 via 10.4.0.1 dev kilo0 onlink src 192.168.0.1",
           "192.168.0.1/32 via 10.4.0.1 dev kilo0 onlink src 192.168.0.1",
           "10.2.3.0/24 via 192.168.0.2 dev tunl0 onlink src 192.168.0.1",
           "192.168.0.2/32 via 192.168.0.2 dev tunl0 onlink src 192.168.0.1 table 1107",
           "10.2.4.0/24 via 10.4.0.3 dev kilo0 onlink src 192.168.0.1",
           KILO_PEERS_VIA_KILO0(" src 192.168.0.1")),
     LINES("from 10.2.2.0/24 to 192.168.0.2/32 lookup 1107",
           "from all to 192.168.0.2/32 iif kilo0 lookup 1107")},
    {"kilo: logical from c local always", kilo_cluster, MESH_GRANULARITY_LOCATION, "c",
     MESH_ENCAPSULATE_ALWAYS, MESH_COMPATIBILITY_NONE, true,
     LINES("10.4.0.1/32 via 192.168.0.1 dev tunl0 onlink src 192.168.0.2",
           "10.2.1.0/24 via 192.168.0.1 dev tunl0 onlink src 192.168.0.2",
           "192.168.0.1/32 via 192.168.0.1 dev tunl0 onlink src 192.168.0.2",
           "10.4.0.2/32 via 192.168.0.1 dev tunl0 onlink src 192.168.0.2",
           "10.2.2.0/24 via 192.168.0.1 dev tunl0 onlink src 192.168.0.2",
           "192.168.0.1/32 via 192.168.0.1 dev tunl0 onlink src 192.168.0.2 table 1107",
           "10.4.0.3/32 via 192.168.0.1 dev tunl0 onlink src 192.168.0.2",
           "10.2.4.0/24 via 192.168.0.1 dev tunl0 onlink src 192.168.0.2",
           "10.5.0.1/24 via 192.168.0.1 dev tunl0 onlink src 192.168.0.2",
           "10.5.0.2/24 via 192.168.0.1 dev tunl0 onlink src 192.168.0.2",
           "10.5.0.3/24 via 192.168.0.1 dev tunl0 onlink src 192.168.0.2"),
     LINES("from 10.2.3.0/24 to 192.168.0.1/32 lookup 1107")},
    {"kilo: full from a local", kilo_cluster, MESH_GRANULARITY_FULL, "a", MESH_ENCAPSULATE_NEVER,
     MESH_COMPATIBILITY_NONE, true,
     LINES("10.2.2.0/24 via 10.4.0.2 dev kilo0 onlink src 192.168.0.1",
           "192.168.0.1/32 via 10.4.0.2 dev kilo0 onlink src 192.168.0.1",
           "192.168.178.3/32 via 10.4.0.2 dev kilo0 onlink src 192.168.0.1",
           "10.2.3.0/24 via 10.4.0.3 dev kilo0 onlink src 192.168.0.1",
           "192.168.0.2/32 via 10.4.0.3 dev kilo0 onlink src 192.168.0.1",
           "10.2.4.0/24 via 10.4.0.4 dev kilo0 onlink src 192.168.0.1",
           KILO_PEERS_VIA_KILO0(" src 192.168.0.1")),
     NONE},
    {"demo: location leader aws-a, always", demo_cluster, MESH_GRANULARITY_LOCATION, "aws-a",
     MESH_ENCAPSULATE_ALWAYS, MESH_COMPATIBILITY_NONE, true,
     LINES("10.2.1.0/24 via 10.0.0.6 dev tunl0 onlink src 10.0.0.5",
           "10.0.0.6/32 via 10.0.0.6 dev tunl0 onlink src 10.0.0.5 table 1107",
           "10.2.5.0/24 via 10.0.1.7 dev tunl0 onlink src 10.0.0.5",
           "10.0.1.7/32 via 10.0.1.7 dev tunl0 onlink src 10.0.0.5 table 1107",
           "10.2.2.0/24 via 10.4.0.2 dev kilo0 onlink src 10.0.0.5",
           "10.1.96.6/32 via 10.4.0.2 dev kilo0 onlink src 10.0.0.5",
           "10.2.4.0/24 via 10.4.0.3 dev kilo0 onlink src 10.0.0.5",
           "192.168.1.10/32 via 10.4.0.3 dev kilo0 onlink src 10.0.0.5",
           "10.2.3.0/24 via 10.4.0.4 dev kilo0 onlink src 10.0.0.5",
           "10.5.0.1/32 dev kilo0 src 10.0.0.5", "10.5.0.2/32 dev kilo0 src 10.0.0.5"),
     LINES("from 10.2.0.0/24 to 10.0.0.6/32 lookup 1107",
           "from all to 10.0.0.6/32 iif kilo0 lookup 1107",
           "from 10.2.0.0/24 to 10.0.1.7/32 lookup 1107",
           "from all to 10.0.1.7/32 iif kilo0 lookup 1107")},
    {"demo: member aws-b, crosssubnet tunnels only to aws-c's subnet", demo_cluster,
     MESH_GRANULARITY_LOCATION, "aws-b", MESH_ENCAPSULATE_CROSSSUBNET, MESH_COMPATIBILITY_NONE,
     true,
     LINES("10.4.0.1/32 via 10.0.0.5 dev eth0 onlink", "10.2.0.0/24 via 10.0.0.5 dev eth0 onlink",
           "10.2.5.0/24 via 10.0.1.7 dev tunl0 onlink src 10.0.0.6",
           "10.0.1.7/32 via 10.0.1.7 dev tunl0 onlink src 10.0.0.6 table 1107",
           "10.4.0.2/32 via 10.0.0.5 dev eth0 onlink", "10.2.2.0/24 via 10.0.0.5 dev eth0 onlink",
           "10.1.96.6/32 via 10.0.0.5 dev eth0 onlink", "10.4.0.3/32 via 10.0.0.5 dev eth0 onlink",
           "10.2.4.0/24 via 10.0.0.5 dev eth0 onlink",
           "192.168.1.10/32 via 10.0.0.5 dev eth0 onlink",
           "10.4.0.4/32 via 10.0.0.5 dev eth0 onlink", "10.2.3.0/24 via 10.0.0.5 dev eth0 onlink",
           DEMO_PEERS_VIA("10.0.0.5 dev eth0 onlink")),
     LINES("from 10.2.1.0/24 to 10.0.1.7/32 lookup 1107")},
    {"demo: member aws-c, never, without local routes", demo_cluster, MESH_GRANULARITY_LOCATION,
     "aws-c", MESH_ENCAPSULATE_NEVER, MESH_COMPATIBILITY_NONE, false,
     LINES("10.4.0.1/32 via 10.0.0.5 dev eth0 onlink", "10.4.0.2/32 via 10.0.0.5 dev eth0 onlink",
           "10.2.2.0/24 via 10.0.0.5 dev eth0 onlink", "10.1.96.6/32 via 10.0.0.5 dev eth0 onlink",
           "10.4.0.3/32 via 10.0.0.5 dev eth0 onlink", "10.2.4.0/24 via 10.0.0.5 dev eth0 onlink",
           "192.168.1.10/32 via 10.0.0.5 dev eth0 onlink",
           "10.4.0.4/32 via 10.0.0.5 dev eth0 onlink", "10.2.3.0/24 via 10.0.0.5 dev eth0 onlink",
           DEMO_PEERS_VIA("10.0.0.5 dev eth0 onlink")),
     NONE},
    {"demo: gcp-b without private IP leads alone", demo_cluster, MESH_GRANULARITY_LOCATION, "gcp-b",
     MESH_ENCAPSULATE_ALWAYS, MESH_COMPATIBILITY_NONE, true,
     LINES("10.2.0.0/24 via 10.4.0.1 dev kilo0 onlink", "10.0.0.5/32 via 10.4.0.1 dev kilo0 onlink",
           "10.2.1.0/24 via 10.4.0.1 dev kilo0 onlink", "10.0.0.6/32 via 10.4.0.1 dev kilo0 onlink",
           "10.2.5.0/24 via 10.4.0.1 dev kilo0 onlink", "10.0.1.7/32 via 10.4.0.1 dev kilo0 onlink",
           "192.168.50.0/24 via 10.4.0.1 dev kilo0 onlink",
           "10.2.2.0/24 via 10.4.0.2 dev kilo0 onlink",
           "10.1.96.6/32 via 10.4.0.2 dev kilo0 onlink",
           "10.2.4.0/24 via 10.4.0.3 dev kilo0 onlink",
           "192.168.1.10/32 via 10.4.0.3 dev kilo0 onlink", "10.5.0.1/32 dev kilo0",
           "10.5.0.2/32 dev kilo0"),
     NONE},
    {"demo: cross from aws-a reaches its location over the private network", demo_cluster,
     MESH_GRANULARITY_CROSS, "aws-a", MESH_ENCAPSULATE_ALWAYS, MESH_COMPATIBILITY_NONE, true,
     LINES("10.2.1.0/24 via 10.0.0.6 dev tunl0 onlink src 10.0.0.5",
           "10.0.0.6/32 via 10.0.0.6 dev tunl0 onlink src 10.0.0.5 table 1107",
           "10.2.5.0/24 via 10.0.1.7 dev tunl0 onlink src 10.0.0.5",
           "10.0.1.7/32 via 10.0.1.7 dev tunl0 onlink src 10.0.0.5 table 1107",
           "10.2.2.0/24 via 10.4.0.4 dev kilo0 onlink src 10.0.0.5",
           "10.1.96.6/32 via 10.4.0.4 dev kilo0 onlink src 10.0.0.5",
           "10.2.3.0/24 via 10.4.0.5 dev kilo0 onlink src 10.0.0.5",
           "10.2.4.0/24 via 10.4.0.6 dev kilo0 onlink src 10.0.0.5",
           "192.168.1.10/32 via 10.4.0.6 dev kilo0 onlink src 10.0.0.5",
           "10.5.0.1/32 dev kilo0 src 10.0.0.5", "10.5.0.2/32 dev kilo0 src 10.0.0.5"),
     LINES("from 10.2.0.0/24 to 10.0.0.6/32 lookup 1107",
           "from all to 10.0.0.6/32 iif kilo0 lookup 1107",
           "from 10.2.0.0/24 to 10.0.1.7/32 lookup 1107",
           "from all to 10.0.1.7/32 iif kilo0 lookup 1107")},
    /* aws-b and aws-c are dialled on their private IPs: no route to those through themselves. */
    {"demo: cross from gcp-a tunnels to every aws node", demo_cluster, MESH_GRANULARITY_CROSS,
     "gcp-a", MESH_ENCAPSULATE_NEVER, MESH_COMPATIBILITY_NONE, true,
     LINES("10.2.0.0/24 via 10.4.0.1 dev kilo0 onlink src 10.1.96.6",
           "10.0.0.5/32 via 10.4.0.1 dev kilo0 onlink src 10.1.96.6",
           "10.2.1.0/24 via 10.4.0.2 dev kilo0 onlink src 10.1.96.6",
           "10.2.5.0/24 via 10.4.0.3 dev kilo0 onlink src 10.1.96.6",
           "192.168.50.0/24 via 10.4.0.3 dev kilo0 onlink src 10.1.96.6",
           "10.2.3.0/24 via 10.4.0.5 dev kilo0 onlink src 10.1.96.6",
           "10.2.4.0/24 via 10.4.0.6 dev kilo0 onlink src 10.1.96.6",
           "192.168.1.10/32 via 10.4.0.6 dev kilo0 onlink src 10.1.96.6",
           "10.5.0.1/32 dev kilo0 src 10.1.96.6", "10.5.0.2/32 dev kilo0 src 10.1.96.6"),
     NONE},
    /* The add-on manifest's flags: --local=false --encapsulate=crosssubnet. */
    {"cilium: leader aws-a returns to members through their cilium_host IPs", cilium_cluster,
     MESH_GRANULARITY_LOCATION, "aws-a", MESH_ENCAPSULATE_CROSSSUBNET, MESH_COMPATIBILITY_CILIUM,
     false,
     LINES("10.0.0.6/32 via 10.2.1.77 dev tunl0 onlink table 1107",
           "10.0.1.7/32 via 10.2.5.0 dev tunl0 onlink table 1107", CILIUM_AWS_A_REMOTE),
     LINES("from all to 10.0.0.6/32 iif kilo0 lookup 1107",
           "from all to 10.0.1.7/32 iif kilo0 lookup 1107")},
    {"cilium: member aws-b tunnels everything to its leader's cilium_host IP", cilium_cluster,
     MESH_GRANULARITY_LOCATION, "aws-b", MESH_ENCAPSULATE_CROSSSUBNET, MESH_COMPATIBILITY_CILIUM,
     false,
     LINES("10.4.0.1/32 via 10.2.0.77 dev tunl0 onlink src 10.0.0.6",
           "10.4.0.2/32 via 10.2.0.77 dev tunl0 onlink src 10.0.0.6",
           "10.2.2.0/24 via 10.2.0.77 dev tunl0 onlink src 10.0.0.6",
           "10.1.96.6/32 via 10.2.0.77 dev tunl0 onlink src 10.0.0.6",
           "10.4.0.3/32 via 10.2.0.77 dev tunl0 onlink src 10.0.0.6",
           "10.2.4.0/24 via 10.2.0.77 dev tunl0 onlink src 10.0.0.6",
           "192.168.1.10/32 via 10.2.0.77 dev tunl0 onlink src 10.0.0.6",
           "10.4.0.4/32 via 10.2.0.77 dev tunl0 onlink src 10.0.0.6",
           "10.2.3.0/24 via 10.2.0.77 dev tunl0 onlink src 10.0.0.6",
           DEMO_PEERS_VIA("10.2.0.77 dev tunl0 onlink src 10.0.0.6")),
     NONE},
    {"cilium: member aws-b never encapsulates: the same gateway on eth0", cilium_cluster,
     MESH_GRANULARITY_LOCATION, "aws-b", MESH_ENCAPSULATE_NEVER, MESH_COMPATIBILITY_CILIUM, false,
     LINES("10.4.0.1/32 via 10.2.0.77 dev eth0 onlink", "10.4.0.2/32 via 10.2.0.77 dev eth0 onlink",
           "10.2.2.0/24 via 10.2.0.77 dev eth0 onlink",
           "10.1.96.6/32 via 10.2.0.77 dev eth0 onlink",
           "10.4.0.3/32 via 10.2.0.77 dev eth0 onlink", "10.2.4.0/24 via 10.2.0.77 dev eth0 onlink",
           "192.168.1.10/32 via 10.2.0.77 dev eth0 onlink",
           "10.4.0.4/32 via 10.2.0.77 dev eth0 onlink", "10.2.3.0/24 via 10.2.0.77 dev eth0 onlink",
           DEMO_PEERS_VIA("10.2.0.77 dev eth0 onlink")),
     NONE},
    {"cilium: leader aws-a that never encapsulates has no return path", cilium_cluster,
     MESH_GRANULARITY_LOCATION, "aws-a", MESH_ENCAPSULATE_NEVER, MESH_COMPATIBILITY_CILIUM, false,
     LINES(CILIUM_AWS_A_REMOTE), NONE},
    {"cilium: leader aws-a with --local=true routes its location as Kilo's IPIP", cilium_cluster,
     MESH_GRANULARITY_LOCATION, "aws-a", MESH_ENCAPSULATE_ALWAYS, MESH_COMPATIBILITY_CILIUM, true,
     LINES("10.2.1.0/24 via 10.0.0.6 dev tunl0 onlink src 10.0.0.5",
           "10.0.0.6/32 via 10.0.0.6 dev tunl0 onlink src 10.0.0.5 table 1107",
           "10.2.5.0/24 via 10.0.1.7 dev tunl0 onlink src 10.0.0.5",
           "10.0.1.7/32 via 10.0.1.7 dev tunl0 onlink src 10.0.0.5 table 1107",
           CILIUM_AWS_A_REMOTE),
     LINES("from 10.2.0.0/24 to 10.0.0.6/32 lookup 1107",
           "from all to 10.0.0.6/32 iif kilo0 lookup 1107",
           "from 10.2.0.0/24 to 10.0.1.7/32 lookup 1107",
           "from all to 10.0.1.7/32 iif kilo0 lookup 1107")},
    {"cilium: no return path to members whose cilium_host IP is their private IP",
     cilium_cluster_on_private_ips, MESH_GRANULARITY_LOCATION, "aws-a",
     MESH_ENCAPSULATE_CROSSSUBNET, MESH_COMPATIBILITY_CILIUM, false, LINES(CILIUM_AWS_A_REMOTE),
     NONE},
};

static void assert_routes(const char *what, const struct mesh_routes *r, const char *const *routes,
                          const char *const *rules)
{
	char **lines = calloc(r->n_routes + r->n_rules + 1, sizeof(*lines));
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

static void test_routes_and_rules_per_viewpoint(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct routes_case *tc = &cases[i];
		struct mesh_routes_options options = {.encapsulate = tc->encapsulate,
		                                      .compatibility = tc->compatibility,
		                                      .local = tc->local};
		struct mesh_cluster cluster;
		struct mesh_topology t;
		struct mesh_routes routes;

		tc->cluster(&cluster);
		fixture_topology(&t, &cluster, tc->granularity, tc->viewer);
		assert_int_equal(mesh_routes_build(&t, &options, &routes), 0);
		assert_routes(tc->name, &routes, tc->routes, tc->rules);
		mesh_routes_release(&routes);
		mesh_topology_release(&t);
		mesh_cluster_release(&cluster);
	}
}

/* Kilo's flannel add-on mode: the leader is reached at its flannel.1 address. */
static void test_flannel_member_routes_through_its_leaders_pod_cidr_address(void **state)
{
	static const struct mesh_route_devices flannel = {"kilo0", "eth0", "flannel.1"};
	static const char *const expected[] = {
	    "10.4.0.1/32 via 10.2.0.0 dev flannel.1 onlink src 10.0.0.6",
	    "10.4.0.2/32 via 10.2.0.0 dev flannel.1 onlink src 10.0.0.6",
	    "10.2.2.0/24 via 10.2.0.0 dev flannel.1 onlink src 10.0.0.6",
	    "10.1.96.6/32 via 10.2.0.0 dev flannel.1 onlink src 10.0.0.6",
	    "10.4.0.3/32 via 10.2.0.0 dev flannel.1 onlink src 10.0.0.6",
	    "10.2.4.0/24 via 10.2.0.0 dev flannel.1 onlink src 10.0.0.6",
	    "192.168.1.10/32 via 10.2.0.0 dev flannel.1 onlink src 10.0.0.6",
	    "10.4.0.4/32 via 10.2.0.0 dev flannel.1 onlink src 10.0.0.6",
	    "10.2.3.0/24 via 10.2.0.0 dev flannel.1 onlink src 10.0.0.6",
	    "10.5.0.1/32 via 10.2.0.0 dev flannel.1 onlink src 10.0.0.6",
	    "10.5.0.2/32 via 10.2.0.0 dev flannel.1 onlink src 10.0.0.6",
	    NULL,
	};
	/* The add-on manifests' flags: --compatibility=flannel --local=false. */
	struct mesh_routes_options options = {.encapsulate = MESH_ENCAPSULATE_CROSSSUBNET,
	                                      .compatibility = MESH_COMPATIBILITY_FLANNEL};
	struct mesh_cluster cluster;
	struct mesh_topology t;
	struct mesh_routes routes;
	char **lines;
	char buf[MESH_ROUTE_STRLEN];

	(void)state;
	demo_cluster(&cluster);
	fixture_topology(&t, &cluster, MESH_GRANULARITY_LOCATION, "aws-b");
	assert_int_equal(mesh_routes_build(&t, &options, &routes), 0);
	lines = calloc(routes.n_routes + 1, sizeof(*lines));
	for (size_t i = 0; i < routes.n_routes; i++)
		lines[i] = strdup(mesh_route_format(&routes.routes[i], &flannel, buf));
	fixture_assert_lines("flannel", lines, routes.n_routes, expected);
	fixture_free_lines(lines, routes.n_routes);
	assert_int_equal(routes.n_rules, 0);
	mesh_routes_release(&routes);
	mesh_topology_release(&t);
	mesh_cluster_release(&cluster);
}

/* Nothing assumes IPv4: an IPv6 cluster with an IPv6 Kilo subnet. */
static void test_ipv6_cluster_routes_like_ipv4(void **state)
{
	static const struct node_spec nodes[] = {
	    {"v6-a", "x", "[2001:db8::1]:51820", "fd00:1::1/64", "fd00:10:1::/64", false, 0, NULL},
	    {"v6-b", "x", "[fd00:1::2]:51820", "fd00:1::2/64", "fd00:10:2::/64", false, 0, NULL},
	    {"v6-c", "y", "[2001:db8::3]:51820", "fd00:2::3/64", "fd00:10:3::/64", false, 0, NULL},
	};
	static const char *const expected[] = {
	    "fd00:10:2::/64 via fd00:1::2 dev eth0 onlink",
	    "fd00:10:3::/64 via fd00:4::2 dev kilo0 onlink src fd00:1::1",
	    "fd00:2::3/128 via fd00:4::2 dev kilo0 onlink src fd00:1::1",
	    NULL,
	};
	struct mesh_routes_options options = {.encapsulate = MESH_ENCAPSULATE_CROSSSUBNET,
	                                      .local = true};
	struct mesh_topology_options topology = fixture_options(MESH_GRANULARITY_LOCATION, "v6-a");
	struct mesh_cluster cluster;
	struct mesh_topology t;
	struct mesh_routes routes;
	char err[256];

	(void)state;
	fixture_cluster(&cluster, nodes, ARRAY_SIZE(nodes), NULL, 0, NULL, 0);
	topology.subnet = fixture_prefix("fd00:4::/112");
	assert_int_equal(mesh_topology_build(&cluster, &topology, &t, err, sizeof(err)), 0);
	assert_string_equal(mesh_prefix_format(&t.wireguard_cidr, err), "fd00:4::1/112");
	assert_int_equal(mesh_routes_build(&t, &options, &routes), 0);
	assert_routes("IPv6", &routes, expected, NONE);
	mesh_routes_release(&routes);
	mesh_topology_release(&t);
	mesh_cluster_release(&cluster);
}

/* A node reachable only on its endpoint IP cannot be routed to through itself. */
static void test_leader_skips_private_ip_that_is_the_endpoint(void **state)
{
	struct mesh_routes_options options = {.encapsulate = MESH_ENCAPSULATE_NEVER};
	struct mesh_cluster cluster;
	struct mesh_topology t;
	struct mesh_routes routes;
	char buf[MESH_ROUTE_STRLEN];

	(void)state;
	fixture_cluster(&cluster, demo_nodes, ARRAY_SIZE(demo_nodes), demo_peers,
	                ARRAY_SIZE(demo_peers), NULL, 0);
	fixture_topology(&t, &cluster, MESH_GRANULARITY_LOCATION, "aws-a");
	assert_int_equal(mesh_routes_build(&t, &options, &routes), 0);
	for (size_t i = 0; i < routes.n_routes; i++)
		assert_null(
		    strstr(mesh_route_format(&routes.routes[i], &devices, buf), "192.168.1.10/32"));
	mesh_routes_release(&routes);
	mesh_topology_release(&t);
	mesh_cluster_release(&cluster);
}

static void test_peer_routes_reach_every_segment_through_kilo0(void **state)
{
	static const char *const expected[] = {
	    "10.2.0.0/24 via 10.4.0.1 dev kilo0 onlink",
	    "10.2.1.0/24 via 10.4.0.1 dev kilo0 onlink",
	    "10.2.5.0/24 via 10.4.0.1 dev kilo0 onlink",
	    "10.0.0.5/32 via 10.4.0.1 dev kilo0 onlink",
	    "10.0.0.6/32 via 10.4.0.1 dev kilo0 onlink",
	    "10.0.1.7/32 via 10.4.0.1 dev kilo0 onlink",
	    "192.168.50.0/24 via 10.4.0.1 dev kilo0 onlink",
	    "10.4.0.1/32 dev kilo0",
	    "10.2.2.0/24 via 10.4.0.2 dev kilo0 onlink",
	    "10.1.96.6/32 via 10.4.0.2 dev kilo0 onlink",
	    "10.4.0.2/32 dev kilo0",
	    "10.2.4.0/24 via 10.4.0.3 dev kilo0 onlink",
	    "192.168.1.10/32 via 10.4.0.3 dev kilo0 onlink",
	    "10.4.0.3/32 dev kilo0",
	    "10.2.3.0/24 via 10.4.0.4 dev kilo0 onlink",
	    "10.4.0.4/32 dev kilo0",
	    "10.5.0.2/32 dev kilo0",
	    "10.96.0.0/12 via 10.4.0.1 dev kilo0 onlink",
	    NULL,
	};
	const struct mesh_prefix extra = fixture_prefix("10.96.0.0/12");
	struct mesh_cluster cluster;
	struct mesh_topology t;
	struct mesh_routes routes;

	(void)state;
	demo_cluster(&cluster);
	fixture_topology(&t, &cluster, MESH_GRANULARITY_LOCATION, "home-nat");
	assert_int_equal(mesh_routes_for_peer(&t, "laptop", &extra, 1, &routes), 0);
	assert_routes("laptop", &routes, expected, NONE);
	mesh_routes_release(&routes);
	mesh_topology_release(&t);
	mesh_cluster_release(&cluster);
}

static void test_tunnel_address_is_first_pod_ip(void **state)
{
	struct mesh_cluster cluster;
	struct mesh_topology t;
	struct mesh_prefix address;
	char buf[MESH_PREFIX_STRLEN];

	(void)state;
	demo_cluster(&cluster);
	fixture_topology(&t, &cluster, MESH_GRANULARITY_LOCATION, "aws-c");
	assert_int_equal(mesh_routes_tunnel_address(&t, &address), 0);
	assert_string_equal(mesh_prefix_format(&address, buf), "10.2.5.1/32");
	mesh_topology_release(&t);
	mesh_cluster_release(&cluster);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_routes_and_rules_per_viewpoint),
	    cmocka_unit_test(test_flannel_member_routes_through_its_leaders_pod_cidr_address),
	    cmocka_unit_test(test_ipv6_cluster_routes_like_ipv4),
	    cmocka_unit_test(test_leader_skips_private_ip_that_is_the_endpoint),
	    cmocka_unit_test(test_peer_routes_reach_every_segment_through_kilo0),
	    cmocka_unit_test(test_tunnel_address_is_first_pod_ip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
