// SPDX-License-Identifier: MIT
/*
 * topology.c - how the topology scales: the time to build the topology and
 * the local node's WireGuard config (plus its routes and iptables rules, the
 * other views an agent computes on every resync) for 1, 100, 1 000 and
 * 10 000 nodes spread over 10 or 100 locations, with 100 peers, for each
 * granularity. Each row keeps its best of several rounds; "growth" is the
 * row's total over the previous row's against the growth in nodes
 * ("9.8x/10x" is linear).
 *
 * The synthetic cluster: the first node of each location has a public
 * endpoint (so it leads) and one allowed-location IP; every tenth node is
 * behind NAT with keepalive, and the viewpoint node has seen all of them.
 *
 * Usage: bench_topology [rounds, default 5]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mesh/view/iptables.h"
#include "mesh/view/routes.h"
#include "mesh/view/topology.h"
#include "mesh/view/wgconfig.h"

#define NSEC_PER_MSEC 1000000.0
#define NOW 1700000000
#define PEERS 100

struct timing {
	double topology_ms, config_ms, total_ms;
	size_t segments, config_peers;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / NSEC_PER_MSEC;
}

static void must(int ret, const char *what)
{
	if (ret) {
		fprintf(stderr, "bench_topology: %s failed: %s\n", what, strerror(-ret));
		exit(1);
	}
}

static struct mesh_prefix prefix(const char *fmt, unsigned int a, unsigned int b)
{
	struct mesh_prefix p;
	char text[MESH_PREFIX_STRLEN];

	snprintf(text, sizeof(text), fmt, a, b);
	must(mesh_prefix_parse(text, &p), text);
	return p;
}

static void make_node(struct mesh_node *node, unsigned int i, unsigned int locations)
{
	char endpoint[64];
	bool first = i < locations;

	snprintf(node->name, sizeof(node->name), "node-%05u", i);
	snprintf(node->location, sizeof(node->location), "loc-%03u", i % locations);
	if (first)
		snprintf(endpoint, sizeof(endpoint), "198.51.%u.%u:51820", i / 256, i % 256);
	else
		snprintf(endpoint, sizeof(endpoint), "172.16.%u.%u:51820", i / 256, i % 256);
	must(mesh_endpoint_parse(endpoint, &node->endpoint), endpoint);
	node->internal_ip = prefix("172.16.%u.%u/12", i / 256, i % 256);
	node->subnet = prefix("10.%u.%u.0/24", 100 + i / 256, i % 256);
	node->key[0] = (uint8_t)i;
	node->key[1] = (uint8_t)(i >> 8);
	node->key[2] = 'n';
	node->last_seen = NOW;
	node->persistent_keepalive = i % 10 == 9 ? 25 : 0;
	if (first) {
		node->allowed_location_ips = calloc(1, sizeof(struct mesh_prefix));
		node->allowed_location_ips[0] = prefix("192.168.%u.%u/32", i / 256, i % 256);
		node->n_allowed_location_ips = 1;
	}
}

/* The viewpoint (node 0) has seen every NAT node. */
static void add_sightings(struct mesh_cluster *c)
{
	struct mesh_node *viewer = &c->nodes[0];
	size_t n = 0;

	viewer->discovered_endpoints =
	    calloc(c->n_nodes / 10 + 1, sizeof(*viewer->discovered_endpoints));
	for (size_t i = 0; i < c->n_nodes; i++) {
		struct mesh_discovered_endpoint *d = &viewer->discovered_endpoints[n];

		if (!c->nodes[i].persistent_keepalive)
			continue;
		memcpy(d->key, c->nodes[i].key, MESH_KEY_LEN);
		d->endpoint = c->nodes[i].endpoint;
		d->endpoint.port = 40000;
		n++;
	}
	viewer->n_discovered_endpoints = n;
}

static void make_cluster(struct mesh_cluster *c, unsigned int nodes, unsigned int locations)
{
	memset(c, 0, sizeof(*c));
	c->nodes = calloc(nodes, sizeof(*c->nodes));
	c->peers = calloc(PEERS, sizeof(*c->peers));
	c->n_nodes = nodes;
	c->n_peers = PEERS;
	for (unsigned int i = 0; i < nodes; i++)
		make_node(&c->nodes[i], i, locations);
	for (unsigned int j = 0; j < PEERS; j++) {
		struct mesh_peer *p = &c->peers[j];

		snprintf(p->name, sizeof(p->name), "peer-%03u", j);
		p->allowed_ips = calloc(1, sizeof(struct mesh_prefix));
		p->allowed_ips[0] = prefix("10.200.%u.%u/32", j / 256, j % 256);
		p->n_allowed_ips = 1;
		p->public_key[0] = (uint8_t)j;
		p->public_key[2] = 'p';
		p->persistent_keepalive = 10;
	}
	add_sightings(c);
}

/* One round: topology, then the views the agent derives from it. */
static struct timing run_once(const struct mesh_cluster *c, enum mesh_granularity granularity)
{
	struct mesh_topology_options options = {.granularity = granularity,
	                                        .hostname = "node-00000",
	                                        .port = MESH_DEFAULT_PORT,
	                                        .now = NOW};
	struct mesh_routes_options route_options = {.encapsulate = MESH_ENCAPSULATE_ALWAYS,
	                                            .local = true};
	struct mesh_iptables_options rule_options = {
	    .cni = true, .local = true, .encapsulate = MESH_ENCAPSULATE_ALWAYS};
	struct mesh_topology t;
	struct mesh_wg_config config;
	struct mesh_routes routes;
	struct mesh_iptables_ruleset rules;
	struct timing timing;
	char err[256];
	double start = now_ms(), built;

	must(mesh_prefix_parse(MESH_DEFAULT_SUBNET, &options.subnet), "subnet");
	must(mesh_topology_build(c, &options, &t, err, sizeof(err)), err);
	built = now_ms();
	must(mesh_wgconfig_local(&t, &config), "config");
	must(mesh_routes_build(&t, &route_options, &routes), "routes");
	must(mesh_iptables_build(&t, &rule_options, &rules), "iptables");
	timing.total_ms = now_ms() - start;
	timing.topology_ms = built - start;
	timing.config_ms = timing.total_ms - timing.topology_ms;
	timing.segments = t.n_segments;
	timing.config_peers = config.n_peers;
	mesh_iptables_release(&rules);
	mesh_routes_release(&routes);
	mesh_wgconfig_release(&config);
	mesh_topology_release(&t);
	return timing;
}

static struct timing best_of(const struct mesh_cluster *c, enum mesh_granularity g, int rounds)
{
	struct timing best = run_once(c, g);

	for (int r = 1; r < rounds; r++) {
		struct timing next = run_once(c, g);

		if (next.total_ms < best.total_ms)
			best = next;
	}
	return best;
}

int main(int argc, char **argv)
{
	static const unsigned int sizes[] = {1, 100, 1000, 10000};
	static const unsigned int locations[] = {10, 100};
	static const enum mesh_granularity granularities[] = {
	    MESH_GRANULARITY_LOCATION, MESH_GRANULARITY_FULL, MESH_GRANULARITY_CROSS};
	int rounds = argc > 1 ? atoi(argv[1]) : 5;

	if (rounds < 1)
		rounds = 1;
	printf("%-11s %6s %5s %8s %8s %12s %10s %10s %12s\n", "granularity", "nodes", "locs",
	       "segments", "wg peers", "topology ms", "views ms", "total ms", "growth");
	for (size_t l = 0; l < sizeof(locations) / sizeof(*locations); l++) {
		for (size_t g = 0; g < sizeof(granularities) / sizeof(*granularities); g++) {
			double previous = 0;

			for (size_t s = 0; s < sizeof(sizes) / sizeof(*sizes); s++) {
				struct mesh_cluster c;
				struct timing t;

				make_cluster(&c, sizes[s], locations[l]);
				t = best_of(&c, granularities[g], rounds);
				printf("%-11s %6u %5u %8zu %8zu %12.3f %10.3f %10.3f",
				       mesh_granularity_name(granularities[g]), sizes[s],
				       locations[l], t.segments, t.config_peers, t.topology_ms,
				       t.config_ms, t.total_ms);
				if (previous > 0)
					printf(" %6.1fx/%ux\n", t.total_ms / previous,
					       sizes[s] / sizes[s - 1]);
				else
					printf(" %12s\n", "-");
				previous = t.total_ms;
				mesh_cluster_release(&c);
			}
		}
	}
	return 0;
}
