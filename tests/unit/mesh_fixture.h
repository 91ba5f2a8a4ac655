/* SPDX-License-Identifier: MIT */
/*
 * Fixture clusters for the mesh tests, written as tables of annotation-like
 * strings, and helpers that print topology views one line per item so the
 * expectations read like `wg showconf` and `ip route` output.
 *
 * Include after cmocka.h. Every helper is static inline so each test file
 * uses what it needs.
 */
#ifndef TESTS_MESH_FIXTURE_H
#define TESTS_MESH_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/model/model.h"
#include "mesh/view/topology.h"
#include "mesh/view/wgconfig.h"

#define FIXTURE_NOW 1700000000

/* An expected list of lines, NULL-terminated, written in place. */
#define LINES(...) ((const char *const[]){__VA_ARGS__, NULL})

struct node_spec {
	const char *name, *location, *endpoint;
	const char *internal_ip; /* NULL = none detected, "-" = forced off */
	const char *subnet;
	bool leader;
	uint32_t keepalive;
	const char *allowed_location_ips; /* comma-separated, or NULL */
};

struct peer_spec {
	const char *name, *allowed_ips, *endpoint;
	uint32_t keepalive;
	bool preshared_key;
};

/* node saw the key of about (a node or peer) at endpoint. */
struct discovery_spec {
	const char *node, *about, *endpoint;
};

/* Keys are recognisable bytes: nodes 0x10 + i, peers 0x80 + i. */
/* Whether name is an item of list (comma-separated). */
static inline bool fixture_listed(const char *list, const char *name)
{
	char *copy = strdup(list), *save = NULL;
	bool found = false;

	for (char *item = strtok_r(copy, ",", &save); item && !found;
	     item = strtok_r(NULL, ",", &save))
		found = !strcmp(item, name);
	free(copy);
	return found;
}

static inline void fixture_key(uint8_t key[MESH_KEY_LEN], uint8_t id)
{
	memset(key, 0, MESH_KEY_LEN);
	key[0] = id;
	key[1] = 'k';
}

static inline struct mesh_prefix fixture_prefix(const char *text)
{
	struct mesh_prefix prefix;

	assert_int_equal(mesh_prefix_parse(text, &prefix), 0);
	return prefix;
}

/* "a,b,c" as a heap array of prefixes. */
static inline struct mesh_prefix *fixture_prefixes(const char *list, size_t *n)
{
	struct mesh_prefix *out = calloc(16, sizeof(*out));
	char *copy = strdup(list), *save = NULL;

	*n = 0;
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save))
		out[(*n)++] = fixture_prefix(item);
	free(copy);
	return out;
}

static inline void fixture_node(struct mesh_node *node, const struct node_spec *spec, uint8_t id)
{
	snprintf(node->name, sizeof(node->name), "%s", spec->name);
	snprintf(node->location, sizeof(node->location), "%s", spec->location);
	assert_int_equal(mesh_endpoint_parse(spec->endpoint, &node->endpoint), 0);
	if (spec->internal_ip && !strcmp(spec->internal_ip, "-"))
		node->no_internal_ip = true;
	else if (spec->internal_ip)
		node->internal_ip = fixture_prefix(spec->internal_ip);
	node->subnet = fixture_prefix(spec->subnet);
	fixture_key(node->key, id);
	node->last_seen = FIXTURE_NOW;
	node->leader = spec->leader;
	node->persistent_keepalive = spec->keepalive;
	node->granularity = MESH_GRANULARITY_LOCATION;
	if (spec->allowed_location_ips)
		node->allowed_location_ips =
		    fixture_prefixes(spec->allowed_location_ips, &node->n_allowed_location_ips);
}

static inline void fixture_peer(struct mesh_peer *peer, const struct peer_spec *spec, uint8_t id)
{
	snprintf(peer->name, sizeof(peer->name), "%s", spec->name);
	peer->allowed_ips = fixture_prefixes(spec->allowed_ips, &peer->n_allowed_ips);
	if (spec->endpoint)
		assert_int_equal(mesh_endpoint_parse(spec->endpoint, &peer->endpoint), 0);
	fixture_key(peer->public_key, id);
	if (spec->preshared_key)
		memset(peer->preshared_key, 0xee, MESH_KEY_LEN);
	peer->persistent_keepalive = spec->keepalive;
}

static inline const uint8_t *fixture_key_of(const struct mesh_cluster *c, const char *name)
{
	for (size_t i = 0; i < c->n_nodes; i++)
		if (!strcmp(c->nodes[i].name, name))
			return c->nodes[i].key;
	for (size_t i = 0; i < c->n_peers; i++)
		if (!strcmp(c->peers[i].name, name))
			return c->peers[i].public_key;
	fail_msg("no node or peer named %s", name);
	return NULL;
}

static inline struct mesh_node *fixture_find_node(struct mesh_cluster *c, const char *name)
{
	for (size_t i = 0; i < c->n_nodes; i++)
		if (!strcmp(c->nodes[i].name, name))
			return &c->nodes[i];
	fail_msg("no node named %s", name);
	return NULL;
}

static inline void fixture_discover(struct mesh_cluster *c, const struct discovery_spec *spec)
{
	struct mesh_node *node = fixture_find_node(c, spec->node);
	struct mesh_discovered_endpoint *d;

	node->discovered_endpoints =
	    realloc(node->discovered_endpoints, (node->n_discovered_endpoints + 1) * sizeof(*d));
	d = &node->discovered_endpoints[node->n_discovered_endpoints++];
	memset(d, 0, sizeof(*d));
	memcpy(d->key, fixture_key_of(c, spec->about), MESH_KEY_LEN);
	assert_int_equal(mesh_endpoint_parse(spec->endpoint, &d->endpoint), 0);
}

static inline void fixture_cluster(struct mesh_cluster *c, const struct node_spec *nodes,
                                   size_t n_nodes, const struct peer_spec *peers, size_t n_peers,
                                   const struct discovery_spec *seen, size_t n_seen)
{
	memset(c, 0, sizeof(*c));
	c->nodes = calloc(n_nodes, sizeof(*c->nodes));
	c->peers = calloc(n_peers ? n_peers : 1, sizeof(*c->peers));
	c->n_nodes = n_nodes;
	c->n_peers = n_peers;
	for (size_t i = 0; i < n_nodes; i++)
		fixture_node(&c->nodes[i], &nodes[i], (uint8_t)(0x10 + i));
	for (size_t i = 0; i < n_peers; i++)
		fixture_peer(&c->peers[i], &peers[i], (uint8_t)(0x80 + i));
	for (size_t i = 0; i < n_seen; i++)
		fixture_discover(c, &seen[i]);
}

static inline struct mesh_topology_options fixture_options(enum mesh_granularity granularity,
                                                           const char *hostname)
{
	return (struct mesh_topology_options){.granularity = granularity,
	                                      .hostname = hostname,
	                                      .port = MESH_DEFAULT_PORT,
	                                      .subnet = fixture_prefix(MESH_DEFAULT_SUBNET),
	                                      .now = FIXTURE_NOW};
}

static inline void fixture_topology(struct mesh_topology *t, const struct mesh_cluster *c,
                                    enum mesh_granularity granularity, const char *hostname)
{
	struct mesh_topology_options options = fixture_options(granularity, hostname);
	char err[256] = "";

	if (mesh_topology_build(c, &options, t, err, sizeof(err)))
		fail_msg("topology from %s: %s", hostname, err);
}

static inline const char *fixture_name_of_key(const struct mesh_cluster *c, const uint8_t *key)
{
	for (size_t i = 0; i < c->n_nodes; i++)
		if (!memcmp(c->nodes[i].key, key, MESH_KEY_LEN))
			return c->nodes[i].name;
	for (size_t i = 0; i < c->n_peers; i++)
		if (!memcmp(c->peers[i].public_key, key, MESH_KEY_LEN))
			return c->peers[i].name;
	return "?";
}

static inline char *fixture_join_prefixes(const struct mesh_prefix *ips, size_t n, char *buf,
                                          size_t size)
{
	size_t len = 0;
	char ip[MESH_PREFIX_STRLEN];

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? "," : "",
		                        mesh_prefix_format(&ips[i], ip));
	return buf;
}

/* "gcp-a 34.1.2.3:51820 ka=0 psk=no 10.2.2.0/24,10.1.96.6/32,10.4.0.2/32" */
static inline char *fixture_wg_peer_line(const struct mesh_cluster *c,
                                         const struct mesh_wg_peer *peer, char *buf, size_t size)
{
	char endpoint[MESH_ENDPOINT_STRLEN], ips[1024];
	static const uint8_t zero[MESH_KEY_LEN];

	mesh_endpoint_format(&peer->endpoint, endpoint);
	snprintf(buf, size, "%s %s ka=%u psk=%s %s", fixture_name_of_key(c, peer->public_key),
	         endpoint[0] ? endpoint : "-", peer->persistent_keepalive,
	         memcmp(peer->preshared_key, zero, MESH_KEY_LEN) ? "yes" : "no",
	         fixture_join_prefixes(peer->allowed_ips, peer->n_allowed_ips, ips, sizeof(ips)));
	return buf;
}

/* Compare produced lines with a NULL-terminated list of expected lines. */
static inline void fixture_assert_lines(const char *what, char **got, size_t n_got,
                                        const char *const *expected)
{
	size_t n = 0;

	for (; expected[n]; n++) {
		if (n >= n_got)
			fail_msg("%s: missing line %zu: %s", what, n, expected[n]);
		if (strcmp(got[n], expected[n]))
			fail_msg("%s: line %zu\n  got:      %s\n  expected: %s", what, n, got[n],
			         expected[n]);
	}
	if (n_got != n)
		fail_msg("%s: %zu extra lines, first: %s", what, n_got - n, got[n]);
}

static inline void fixture_free_lines(char **lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

static inline void fixture_assert_wg_config(const char *what, const struct mesh_cluster *c,
                                            const struct mesh_wg_config *config,
                                            const char *const *expected)
{
	char **lines = calloc(config->n_peers + 1, sizeof(*lines));
	char buf[2048];

	for (size_t i = 0; i < config->n_peers; i++)
		lines[i] = strdup(fixture_wg_peer_line(c, &config->peers[i], buf, sizeof(buf)));
	fixture_assert_lines(what, lines, config->n_peers, expected);
	fixture_free_lines(lines, config->n_peers);
}

/*
 * The fixture cluster: three locations. aws has three nodes (aws-a public,
 * aws-c on another subnet with allowed-location IPs, two of them bad), gcp
 * has one node plus gcp-b whose internal IP is forced off (so it gets its
 * own segment), home is one node behind NAT with keepalive. Two peers; phone
 * repeats laptop's IP. gcp-a and aws-a saw home-nat at different addresses.
 */
static const struct node_spec demo_nodes[] = {
    {"aws-a", "aws", "3.120.246.76:51820", "10.0.0.5/24", "10.2.0.0/24", false, 0, NULL},
    {"aws-b", "aws", "10.0.0.6:51820", "10.0.0.6/24", "10.2.1.0/24", false, 0, "192.168.50.0/24"},
    {"aws-c", "aws", "10.0.1.7:51820", "10.0.1.7/24", "10.2.5.0/24", false, 0,
     "192.168.50.0/24,10.2.2.128/25,10.5.0.0/24"},
    {"gcp-a", "gcp", "34.1.2.3:51820", "10.1.96.6/20", "10.2.2.0/24", false, 0, NULL},
    {"gcp-b", "gcp", "34.1.2.4:51820", "-", "10.2.3.0/24", false, 0, NULL},
    {"home-nat", "home", "192.168.1.10:51820", "192.168.1.10/24", "10.2.4.0/24", false, 25, NULL},
};

static const struct peer_spec demo_peers[] = {
    {"laptop", "10.5.0.1/32", NULL, 10, true},
    {"phone", "10.5.0.2/32,10.5.0.1/32", "203.0.113.7:51820", 0, false},
};

static const struct discovery_spec demo_seen[] = {
    {"gcp-a", "home-nat", "81.2.3.4:40000"},
    {"gcp-a", "laptop", "81.9.9.9:5555"},
    {"aws-a", "home-nat", "82.0.0.1:1000"},
};

static inline void demo_cluster(struct mesh_cluster *c)
{
	fixture_cluster(c, demo_nodes, sizeof(demo_nodes) / sizeof(*demo_nodes), demo_peers,
	                sizeof(demo_peers) / sizeof(*demo_peers), demo_seen,
	                sizeof(demo_seen) / sizeof(*demo_seen));
}

/* Kilo's own fixture (pkg/mesh/topology_test.go setup()), to check against its tests. */
static const struct node_spec kilo_nodes[] = {
    {"a", "1", "10.1.0.1:51820", "192.168.0.1/32", "10.2.1.0/24", false, 25, NULL},
    {"b", "2", "10.1.0.2:51820", "192.168.0.1/32", "10.2.2.0/24", false, 0, "192.168.178.3/32"},
    {"c", "2", "10.1.0.3:51820", "192.168.0.2/32", "10.2.3.0/24", false, 0, NULL},
    {"d", "1", "10.1.0.4:51820", NULL, "10.2.4.0/24", false, 0, NULL},
};

static const struct peer_spec kilo_peers[] = {
    {"a", "10.5.0.1/24,10.5.0.2/24", NULL, 0, false},
    {"b", "10.5.0.3/24", "192.168.0.1:51820", 0, false},
};

static inline void kilo_cluster(struct mesh_cluster *c)
{
	fixture_cluster(c, kilo_nodes, sizeof(kilo_nodes) / sizeof(*kilo_nodes), kilo_peers,
	                sizeof(kilo_peers) / sizeof(*kilo_peers), NULL, 0);
}

/* The other family's pod CIDR and private IP of a node (dual stack). */
struct dual_spec {
	const char *name, *subnet, *internal_ip6; /* NULL: none */
};

static inline void fixture_dual_stack(struct mesh_cluster *c, const struct dual_spec *specs,
                                      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct mesh_node *node = fixture_find_node(c, specs[i].name);

		node->secondary_subnet = fixture_prefix(specs[i].subnet);
		if (specs[i].internal_ip6)
			node->internal_ip6 = fixture_prefix(specs[i].internal_ip6);
	}
}

/*
 * A dual-stack cluster: east (east-a public, east-b behind it) and west
 * (west-a, dialled over IPv6, announcing a LAN of each family), IPv4 first
 * as Kilo's values; the laptop Peer has an address of each family.
 */
static const struct node_spec ds_nodes[] = {
    {"east-a", "east", "198.51.100.1:51820", "10.0.0.1/24", "10.2.1.0/24", false, 0, NULL},
    {"east-b", "east", "10.0.0.2:51820", "10.0.0.2/24", "10.2.2.0/24", false, 0, NULL},
    {"west-a", "west", "[2001:db8::3]:51820", "10.1.0.3/24", "10.2.3.0/24", false, 0,
     "192.168.9.0/24,fd00:99::/64"},
};

static const struct dual_spec ds_dual[] = {
    {"east-a", "fd00:2:1::/64", "fd00:10::1/64"},
    {"east-b", "fd00:2:2::/64", "fd00:10::2/64"},
    {"west-a", "fd00:2:3::/64", "fd00:11::3/64"},
};

static const struct peer_spec ds_peers[] = {
    {"laptop", "10.5.0.1/32,fd00:5::1/128", "[2001:db8::9]:51820", 10, false},
};

static inline void dual_stack_cluster(struct mesh_cluster *c)
{
	fixture_cluster(c, ds_nodes, sizeof(ds_nodes) / sizeof(*ds_nodes), ds_peers,
	                sizeof(ds_peers) / sizeof(*ds_peers), NULL, 0);
	fixture_dual_stack(c, ds_dual, sizeof(ds_dual) / sizeof(*ds_dual));
}

/* The same mesh with no IPv4 anywhere: underlay, pods, Peer. */
static const struct node_spec v6_nodes[] = {
    {"a1", "a", "[2001:db8::1]:51820", "fd00:10::1/64", "fd00:2:1::/64", false, 0, NULL},
    {"a2", "a", "[fd00:10::2]:51820", "fd00:10::2/64", "fd00:2:2::/64", false, 0, NULL},
    {"b1", "b", "[2001:db8::3]:51820", "fd00:11::3/64", "fd00:2:3::/64", false, 0, "fd00:99::/64"},
};

static const struct peer_spec v6_peers[] = {
    {"laptop", "fd00:5::1/128", NULL, 10, false},
};

static inline void ipv6_only_cluster(struct mesh_cluster *c)
{
	fixture_cluster(c, v6_nodes, sizeof(v6_nodes) / sizeof(*v6_nodes), v6_peers,
	                sizeof(v6_peers) / sizeof(*v6_peers), NULL, 0);
}

#endif /* TESTS_MESH_FIXTURE_H */
