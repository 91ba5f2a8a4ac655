// SPDX-License-Identifier: MIT
/*
 * The topology and the WireGuard configs derived from it, from every
 * viewpoint of the fixture cluster and for every granularity, plus the
 * cases Kilo's own tests pin down (allowed-location-IP filtering, segment
 * contents; its leader election is test_leader.c's).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "mesh/view/iptables.h"
#include "mesh/view/routes.h"
#include "mesh/view/topology.h"
#include "mesh/view/wgconfig.h"
#include "mesh_fixture.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

/* Segment peers of the demo cluster as [Peer] lines; ka is the viewer's. */
#define LOC_AWS(ka)                                                                                \
	"aws-a 3.120.246.76:51820 ka=" ka " psk=no 10.2.0.0/24,10.0.0.5/32,10.2.1.0/24,"           \
	"10.0.0.6/32,10.2.5.0/24,10.0.1.7/32,10.4.0.1/32,192.168.50.0/24"
#define LOC_GCP(ka) "gcp-a 34.1.2.3:51820 ka=" ka " psk=no 10.2.2.0/24,10.1.96.6/32,10.4.0.2/32"
#define LOC_HOME(ka, ep) "home-nat " ep " ka=" ka " psk=no 10.2.4.0/24,192.168.1.10/32,10.4.0.3/32"
#define LOC_GCPB(ka) "gcp-b 34.1.2.4:51820 ka=" ka " psk=no 10.2.3.0/24,10.4.0.4/32"
#define NODE_A(ka) "aws-a 3.120.246.76:51820 ka=" ka " psk=no 10.2.0.0/24,10.0.0.5/32,10.4.0.1/32"
#define NODE_B(ka) "aws-b 10.0.0.6:51820 ka=" ka " psk=no 10.2.1.0/24,10.0.0.6/32,10.4.0.2/32"
#define NODE_C(ka)                                                                                 \
	"aws-c 10.0.1.7:51820 ka=" ka " psk=no 10.2.5.0/24,10.0.1.7/32,10.4.0.3/32,"               \
	"192.168.50.0/24"
#define NODE_G(ka) "gcp-a 34.1.2.3:51820 ka=" ka " psk=no 10.2.2.0/24,10.1.96.6/32,10.4.0.4/32"
#define NODE_GB(ka) "gcp-b 34.1.2.4:51820 ka=" ka " psk=no 10.2.3.0/24,10.4.0.5/32"
#define NODE_H(ka, ep) "home-nat " ep " ka=" ka " psk=no 10.2.4.0/24,192.168.1.10/32,10.4.0.6/32"
#define LAPTOP(ka) "laptop 81.9.9.9:5555 ka=" ka " psk=yes 10.5.0.1/32"
#define PHONE(ka) "phone 203.0.113.7:51820 ka=" ka " psk=no 10.5.0.2/32"
/* Where home-nat is dialled: aws-a's sighting wins unless gcp-a is the viewer. */
#define SEEN_BY_AWS "82.0.0.1:1000"
#define SEEN_BY_GCP "81.2.3.4:40000"

struct viewpoint_case {
	enum mesh_granularity granularity;
	const char *viewer;
	bool leader;
	const char *wireguard_cidr;
	const char *const *peers;
};

static const struct viewpoint_case viewpoints[] = {
    {MESH_GRANULARITY_LOCATION, "aws-a", true, "10.4.0.1/16",
     LINES(LOC_GCP("0"), LOC_HOME("0", SEEN_BY_AWS), LOC_GCPB("0"), LAPTOP("0"), PHONE("0"))},
    {MESH_GRANULARITY_LOCATION, "aws-b", false, "10.4.0.0/16",
     LINES(LOC_GCP("0"), LOC_HOME("0", SEEN_BY_AWS), LOC_GCPB("0"), LAPTOP("0"), PHONE("0"))},
    {MESH_GRANULARITY_LOCATION, "aws-c", false, "10.4.0.0/16",
     LINES(LOC_GCP("0"), LOC_HOME("0", SEEN_BY_AWS), LOC_GCPB("0"), LAPTOP("0"), PHONE("0"))},
    {MESH_GRANULARITY_LOCATION, "gcp-a", true, "10.4.0.2/16",
     LINES(LOC_AWS("0"), LOC_HOME("0", SEEN_BY_GCP), LOC_GCPB("0"), LAPTOP("0"), PHONE("0"))},
    {MESH_GRANULARITY_LOCATION, "gcp-b", true, "10.4.0.4/16",
     LINES(LOC_AWS("0"), LOC_GCP("0"), LOC_HOME("0", SEEN_BY_AWS), LAPTOP("0"), PHONE("0"))},
    {MESH_GRANULARITY_LOCATION, "home-nat", true, "10.4.0.3/16",
     LINES(LOC_AWS("25"), LOC_GCP("25"), LOC_GCPB("25"), LAPTOP("25"), PHONE("25"))},
    {MESH_GRANULARITY_FULL, "aws-a", true, "10.4.0.1/16",
     LINES(NODE_B("0"), NODE_C("0"), NODE_G("0"), NODE_GB("0"), NODE_H("0", SEEN_BY_AWS),
           LAPTOP("0"), PHONE("0"))},
    {MESH_GRANULARITY_FULL, "aws-b", true, "10.4.0.2/16",
     LINES(NODE_A("0"), NODE_C("0"), NODE_G("0"), NODE_GB("0"), NODE_H("0", SEEN_BY_AWS),
           LAPTOP("0"), PHONE("0"))},
    {MESH_GRANULARITY_FULL, "aws-c", true, "10.4.0.3/16",
     LINES(NODE_A("0"), NODE_B("0"), NODE_G("0"), NODE_GB("0"), NODE_H("0", SEEN_BY_AWS),
           LAPTOP("0"), PHONE("0"))},
    {MESH_GRANULARITY_FULL, "gcp-a", true, "10.4.0.4/16",
     LINES(NODE_A("0"), NODE_B("0"), NODE_C("0"), NODE_GB("0"), NODE_H("0", SEEN_BY_GCP),
           LAPTOP("0"), PHONE("0"))},
    {MESH_GRANULARITY_FULL, "gcp-b", true, "10.4.0.5/16",
     LINES(NODE_A("0"), NODE_B("0"), NODE_C("0"), NODE_G("0"), NODE_H("0", SEEN_BY_AWS),
           LAPTOP("0"), PHONE("0"))},
    {MESH_GRANULARITY_FULL, "home-nat", true, "10.4.0.6/16",
     LINES(NODE_A("25"), NODE_B("25"), NODE_C("25"), NODE_G("25"), NODE_GB("25"), LAPTOP("25"),
           PHONE("25"))},
    /* cross: no tunnel inside a location; gcp-b has no private IP, so it is everyone's peer. */
    {MESH_GRANULARITY_CROSS, "aws-a", true, "10.4.0.1/16",
     LINES(NODE_G("0"), NODE_GB("0"), NODE_H("0", SEEN_BY_AWS), LAPTOP("0"), PHONE("0"))},
    {MESH_GRANULARITY_CROSS, "aws-b", true, "10.4.0.2/16",
     LINES(NODE_G("0"), NODE_GB("0"), NODE_H("0", SEEN_BY_AWS), LAPTOP("0"), PHONE("0"))},
    {MESH_GRANULARITY_CROSS, "aws-c", true, "10.4.0.3/16",
     LINES(NODE_G("0"), NODE_GB("0"), NODE_H("0", SEEN_BY_AWS), LAPTOP("0"), PHONE("0"))},
    {MESH_GRANULARITY_CROSS, "gcp-a", true, "10.4.0.4/16",
     LINES(NODE_A("0"), NODE_B("0"), NODE_C("0"), NODE_GB("0"), NODE_H("0", SEEN_BY_GCP),
           LAPTOP("0"), PHONE("0"))},
    {MESH_GRANULARITY_CROSS, "gcp-b", true, "10.4.0.5/16",
     LINES(NODE_A("0"), NODE_B("0"), NODE_C("0"), NODE_G("0"), NODE_H("0", SEEN_BY_AWS),
           LAPTOP("0"), PHONE("0"))},
    {MESH_GRANULARITY_CROSS, "home-nat", true, "10.4.0.6/16",
     LINES(NODE_A("25"), NODE_B("25"), NODE_C("25"), NODE_G("25"), NODE_GB("25"), LAPTOP("25"),
           PHONE("25"))},
};

static void test_local_config_from_every_viewpoint(void **state)
{
	struct mesh_cluster cluster;

	(void)state;
	demo_cluster(&cluster);
	for (size_t i = 0; i < ARRAY_SIZE(viewpoints); i++) {
		const struct viewpoint_case *tc = &viewpoints[i];
		struct mesh_topology t;
		struct mesh_wg_config config;
		char what[128], cidr[MESH_PREFIX_STRLEN];

		snprintf(what, sizeof(what), "%s from %s", mesh_granularity_name(tc->granularity),
		         tc->viewer);
		fixture_topology(&t, &cluster, tc->granularity, tc->viewer);
		assert_int_equal(t.leader, tc->leader);
		assert_string_equal(mesh_prefix_format(&t.wireguard_cidr, cidr),
		                    tc->wireguard_cidr);
		assert_int_equal(mesh_wgconfig_local(&t, &config), 0);
		assert_true(config.has_interface);
		assert_int_equal(config.listen_port, 51820);
		fixture_assert_wg_config(what, &cluster, &config, tc->peers);
		mesh_wgconfig_release(&config);
		mesh_topology_release(&t);
	}
	mesh_cluster_release(&cluster);
}

struct segment_want {
	size_t index;
	const char *line; /* as segment_line() prints it */
};

struct segments_case {
	const char *what;
	void (*load)(struct mesh_cluster *c);
	enum mesh_granularity granularity;
	const char *viewer;
	bool leader;
	const char *wireguard_cidr;
	size_t n_segments, local;        /* local: the index of the viewer's segment */
	struct segment_want segments[4]; /* up to the end or the first without a line */
};

static const struct segments_case segments_cases[] = {
    /* aws-c's 10.2.2.128/25 sits inside gcp-a's pod CIDR, 10.5.0.0/24 over a peer. */
    {"location granularity isolates nodes without private IP",
     demo_cluster,
     MESH_GRANULARITY_LOCATION,
     "aws-b",
     false,
     "10.4.0.0/16",
     4,
     0,
     {{0, "location:aws logical= nodes=aws-a,aws-b,aws-c leader=aws-a ip=10.4.0.1 allowed="
          "10.2.0.0/24,10.0.0.5/32,10.2.1.0/24,10.0.0.6/32,10.2.5.0/24,10.0.1.7/32,10.4.0.1/32 "
          "location-ips=192.168.50.0/24"},
      {1, "location:gcp logical= nodes=gcp-a leader=gcp-a ip=10.4.0.2 allowed="
          "10.2.2.0/24,10.1.96.6/32,10.4.0.2/32 location-ips="},
      {2, "location:home logical= nodes=home-nat leader=home-nat ip=10.4.0.3 allowed="
          "10.2.4.0/24,192.168.1.10/32,10.4.0.3/32 location-ips="},
      {3, "node:gcp-b logical= nodes=gcp-b leader=gcp-b ip=10.4.0.4 allowed="
          "10.2.3.0/24,10.4.0.4/32 location-ips="}}},
    /* Segments are filtered in order: aws-b loses the LAN to aws-c, as in Kilo. */
    {"cross granularity keeps the logical location of private nodes",
     demo_cluster,
     MESH_GRANULARITY_CROSS,
     "gcp-a",
     true,
     "10.4.0.4/16",
     6,
     3,
     {{1, "node:aws-b logical=location:aws nodes=aws-b leader=aws-b ip=10.4.0.2 allowed="
          "10.2.1.0/24,10.0.0.6/32,10.4.0.2/32 location-ips="},
      {2, "node:aws-c logical=location:aws nodes=aws-c leader=aws-c ip=10.4.0.3 allowed="
          "10.2.5.0/24,10.0.1.7/32,10.4.0.3/32 location-ips=192.168.50.0/24"},
      {4, "node:gcp-b logical= nodes=gcp-b leader=gcp-b ip=10.4.0.5 allowed="
          "10.2.3.0/24,10.4.0.5/32 location-ips="}}},
    /* Kilo's TestNewTopology "logical from c" and "full from a", field by field. */
    {"Kilo's logical from c",
     kilo_cluster,
     MESH_GRANULARITY_LOCATION,
     "c",
     false,
     "10.4.0.0/16",
     3,
     1,
     {{0, "location:1 logical= nodes=a leader=a ip=10.4.0.1 allowed="
          "10.2.1.0/24,192.168.0.1/32,10.4.0.1/32 location-ips="},
      {1, "location:2 logical= nodes=b,c leader=b ip=10.4.0.2 allowed="
          "10.2.2.0/24,192.168.0.1/32,10.2.3.0/24,192.168.0.2/32,10.4.0.2/32 "
          "location-ips=192.168.178.3/32"},
      {2, "node:d logical= nodes=d leader=d ip=10.4.0.3 allowed=10.2.4.0/24,10.4.0.3/32 "
          "location-ips="}}},
    {"Kilo's full from a",
     kilo_cluster,
     MESH_GRANULARITY_FULL,
     "a",
     true,
     "10.4.0.1/16",
     4,
     0,
     {{1, "node:b logical= nodes=b leader=b ip=10.4.0.2 allowed="
          "10.2.2.0/24,192.168.0.1/32,10.4.0.2/32 location-ips=192.168.178.3/32"},
      {3, "node:d logical= nodes=d leader=d ip=10.4.0.4 allowed=10.2.4.0/24,10.4.0.4/32 "
          "location-ips="}}},
};

static char *segment_line(const struct mesh_segment *s, char *buf, size_t size)
{
	char nodes[256] = "", allowed[1024], location_ips[256], ip[IP_ADDR_STRLEN];
	size_t len = 0;

	for (size_t i = 0; i < s->n_nodes; i++)
		len += (size_t)snprintf(nodes + len, sizeof(nodes) - len, "%s%s", i ? "," : "",
		                        s->nodes[i]->name);
	fixture_join_prefixes(s->allowed_ips, s->n_allowed_ips, allowed, sizeof(allowed));
	fixture_join_prefixes(s->allowed_location_ips, s->n_allowed_location_ips, location_ips,
	                      sizeof(location_ips));
	snprintf(buf, size, "%s logical=%s nodes=%s leader=%s ip=%s allowed=%s location-ips=%s",
	         s->location, s->logical_location, nodes, mesh_segment_leader(s)->name,
	         ip_addr_format(&s->wireguard_ip, ip), allowed, location_ips);
	return buf;
}

static void assert_segments(const struct segments_case *tc)
{
	struct mesh_cluster cluster;
	struct mesh_topology t;
	char cidr[MESH_PREFIX_STRLEN], line[2048];

	tc->load(&cluster);
	fixture_topology(&t, &cluster, tc->granularity, tc->viewer);
	assert_int_equal(t.leader, tc->leader);
	assert_string_equal(mesh_prefix_format(&t.wireguard_cidr, cidr), tc->wireguard_cidr);
	assert_int_equal(t.n_segments, tc->n_segments);
	for (size_t i = 0; i < ARRAY_SIZE(tc->segments) && tc->segments[i].line; i++) {
		const struct segment_want *want = &tc->segments[i];

		segment_line(&t.segments[want->index], line, sizeof(line));
		if (strcmp(line, want->line))
			fail_msg("%s: segment %zu is\n  %s\nexpected\n  %s", tc->what, want->index,
			         line, want->line);
	}
	assert_int_equal(t.local_segment, tc->local);
	for (size_t i = 0; i < t.n_segments; i++)
		assert_int_equal(mesh_topology_segment_is_local(&t, &t.segments[i]),
		                 i == tc->local);
	mesh_topology_release(&t);
	mesh_cluster_release(&cluster);
}

static void test_segments_from_kilos_and_our_viewpoints(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(segments_cases); i++)
		assert_segments(&segments_cases[i]);
}

/* Peers keep host bits, so Kilo's 10.5.0.1/24 and 10.5.0.2/24 are different IPs. */
static void test_peer_allowed_ips_keep_host_bits(void **state)
{
	struct mesh_cluster cluster;
	struct mesh_topology t;

	(void)state;
	kilo_cluster(&cluster);
	fixture_topology(&t, &cluster, MESH_GRANULARITY_FULL, "a");
	assert_int_equal(t.n_peers, 2);
	assert_int_equal(t.peers[0].n_allowed_ips, 2);
	mesh_topology_release(&t);
	mesh_cluster_release(&cluster);
}

static void test_peer_config_carries_the_peers_keepalive_and_key(void **state)
{
	/* Every segment gets the laptop's keepalive and preshared key; other peers no key. */
	static const char *const expected[] = {
	    "aws-a 3.120.246.76:51820 ka=10 psk=yes 10.2.0.0/24,10.0.0.5/32,10.2.1.0/24,"
	    "10.0.0.6/32,10.2.5.0/24,10.0.1.7/32,10.4.0.1/32,192.168.50.0/24",
	    "gcp-a 34.1.2.3:51820 ka=10 psk=yes 10.2.2.0/24,10.1.96.6/32,10.4.0.2/32",
	    "home-nat 82.0.0.1:1000 ka=10 psk=yes 10.2.4.0/24,192.168.1.10/32,10.4.0.3/32",
	    "gcp-b 34.1.2.4:51820 ka=10 psk=yes 10.2.3.0/24,10.4.0.4/32",
	    "phone 203.0.113.7:51820 ka=10 psk=no 10.5.0.2/32",
	    NULL,
	};
	struct mesh_cluster cluster;
	struct mesh_topology t;
	struct mesh_wg_config config;

	(void)state;
	demo_cluster(&cluster);
	fixture_topology(&t, &cluster, MESH_GRANULARITY_LOCATION, "home-nat");
	assert_int_equal(mesh_wgconfig_for_peer(&t, "laptop", &config), 0);
	assert_false(config.has_interface);
	fixture_assert_wg_config("laptop's view", &cluster, &config, expected);
	mesh_wgconfig_release(&config);
	mesh_topology_release(&t);
	mesh_cluster_release(&cluster);
}

static void test_segment_as_peer_adds_deduplicated_allowed_ips(void **state)
{
	const struct mesh_prefix extra[] = {fixture_prefix("10.96.0.0/12"),
	                                    fixture_prefix("10.2.0.0/24")};
	struct mesh_cluster cluster;
	struct mesh_topology t;
	struct mesh_wg_peer peer;
	char line[2048];

	(void)state;
	demo_cluster(&cluster);
	fixture_topology(&t, &cluster, MESH_GRANULARITY_LOCATION, "aws-b");
	assert_int_equal(mesh_wgconfig_as_peer(&t, extra, ARRAY_SIZE(extra), &peer), 0);
	/* The leader's endpoint and key, no allowed-location IPs, no keepalive. */
	assert_string_equal(fixture_wg_peer_line(&cluster, &peer, line, sizeof(line)),
	                    "aws-a 3.120.246.76:51820 ka=0 psk=no 10.2.0.0/24,10.0.0.5/32,"
	                    "10.2.1.0/24,10.0.0.6/32,10.2.5.0/24,10.0.1.7/32,10.4.0.1/32,"
	                    "10.96.0.0/12");
	mesh_wg_peer_release(&peer);
	assert_int_equal(mesh_wgconfig_from_peer(&cluster.peers[1], extra, 1, &peer), 0);
	assert_string_equal(fixture_wg_peer_line(&cluster, &peer, line, sizeof(line)),
	                    "phone 203.0.113.7:51820 ka=0 psk=no 10.5.0.2/32,10.5.0.1/32,"
	                    "10.96.0.0/12");
	mesh_wg_peer_release(&peer);
	mesh_topology_release(&t);
	mesh_cluster_release(&cluster);
}

static void test_discovered_endpoint_only_replaces_roaming_sides(void **state)
{
	struct mesh_cluster cluster;
	struct mesh_topology t;
	struct discovery_spec stale = {"aws-a", "gcp-a", "99.9.9.9:1"};
	const struct mesh_node *gcp;
	char ep[MESH_ENDPOINT_STRLEN];

	(void)state;
	demo_cluster(&cluster);
	fixture_discover(&cluster, &stale);
	fixture_topology(&t, &cluster, MESH_GRANULARITY_LOCATION, "aws-a");
	gcp = mesh_segment_leader(&t.segments[1]);
	/* gcp-a has no keepalive: what others saw of it is ignored. */
	assert_string_equal(
	    mesh_endpoint_format(mesh_topology_endpoint(&t, gcp->key, &gcp->endpoint, 0), ep),
	    "34.1.2.3:51820");
	assert_string_equal(
	    mesh_endpoint_format(mesh_topology_endpoint(&t, gcp->key, &gcp->endpoint, 5), ep),
	    "99.9.9.9:1");
	mesh_topology_release(&t);
	mesh_cluster_release(&cluster);
}

/* Where aws-a dials home-nat (keepalive 25, so it roams) with these options. */
static const char *home_seen_from_aws(struct mesh_cluster *c,
                                      const struct mesh_topology_options *options, char *ep)
{
	const struct mesh_node *home = fixture_find_node(c, "home-nat");
	struct mesh_topology t;

	assert_int_equal(mesh_topology_build(c, options, &t, NULL, 0), 0);
	mesh_endpoint_format(mesh_topology_endpoint(&t, home->key, &home->endpoint, 25), ep);
	mesh_topology_release(&t);
	return ep;
}

static void test_discovered_option_stands_for_the_local_annotation(void **state)
{
	struct mesh_topology_options options = fixture_options(MESH_GRANULARITY_LOCATION, "aws-a");
	struct mesh_discovered_endpoint fresh;
	struct mesh_cluster cluster;
	char ep[MESH_ENDPOINT_STRLEN];

	(void)state;
	demo_cluster(&cluster);
	/* Without the option: aws-a's own annotation comes first. */
	assert_string_equal(home_seen_from_aws(&cluster, &options, ep), SEEN_BY_AWS);
	/* With it: what the device sees now, in place of the annotation. */
	memset(&fresh, 0, sizeof(fresh));
	memcpy(fresh.key, fixture_key_of(&cluster, "home-nat"), MESH_KEY_LEN);
	assert_int_equal(mesh_endpoint_parse("198.51.100.1:2000", &fresh.endpoint), 0);
	options.discovered = &fresh;
	options.n_discovered = 1;
	assert_string_equal(home_seen_from_aws(&cluster, &options, ep), "198.51.100.1:2000");
	/* A device that saw nothing: the annotation is still not used; gcp-a's sighting is. */
	options.n_discovered = 0;
	assert_string_equal(home_seen_from_aws(&cluster, &options, ep), SEEN_BY_GCP);
	mesh_cluster_release(&cluster);
}

static struct mesh_observed_peer observed(const struct mesh_cluster *c, const char *name,
                                          const char *endpoint, bool handshake)
{
	struct mesh_observed_peer o = {.handshake = handshake};

	memcpy(o.key, fixture_key_of(c, name), MESH_KEY_LEN);
	assert_int_equal(mesh_endpoint_parse(endpoint, &o.endpoint), 0);
	return o;
}

/* Kilo's discoverNATEndpoints: roaming nodes and every Peer, once a handshake happened. */
static void test_device_sightings_become_discovered_endpoints(void **state)
{
	struct mesh_cluster cluster;
	struct mesh_observed_peer seen[5];
	struct mesh_discovered_endpoint *found;
	size_t n;
	char ep[MESH_ENDPOINT_STRLEN];

	(void)state;
	demo_cluster(&cluster);
	seen[0] = observed(&cluster, "gcp-a", "34.1.2.3:51820", true); /* no keepalive */
	seen[1] = observed(&cluster, "home-nat", "81.2.3.4:40000", true);
	seen[2] = observed(&cluster, "phone", "198.51.100.9:7", true);  /* peers always count */
	seen[3] = observed(&cluster, "laptop", "81.9.9.9:5555", false); /* never shook hands */
	seen[4] = observed(&cluster, "aws-b", "10.0.0.6:51820", true);
	assert_int_equal(mesh_topology_discover(&cluster, FIXTURE_NOW, seen, 5, &found, &n), 0);
	assert_int_equal(n, 2);
	/* Sorted by key: nodes (0x10 + i) before peers (0x80 + i). */
	assert_memory_equal(found[0].key, fixture_key_of(&cluster, "home-nat"), MESH_KEY_LEN);
	assert_string_equal(mesh_endpoint_format(&found[0].endpoint, ep), "81.2.3.4:40000");
	assert_memory_equal(found[1].key, fixture_key_of(&cluster, "phone"), MESH_KEY_LEN);
	assert_string_equal(mesh_endpoint_format(&found[1].endpoint, ep), "198.51.100.9:7");
	free(found);
	/* A roaming node that stopped checking in is not tracked. */
	fixture_find_node(&cluster, "home-nat")->last_seen = 0;
	assert_int_equal(mesh_topology_discover(&cluster, FIXTURE_NOW, seen, 5, &found, &n), 0);
	assert_int_equal(n, 1);
	free(found);
	mesh_cluster_release(&cluster);
}

struct filter_case {
	const char *name;
	const char *a, *b, *d; /* allowed-location IPs of Kilo's nodes a, b and d */
	const char *want_a, *want_b, *want_d;
};

/* Kilo's TestFilterAllowedIPs, through annotations (segments: a, b+c, d). */
static const struct filter_case filter_cases[] = {
    {"nothing to filter", "192.168.178.4/32", "192.168.178.5/32",
     "192.168.178.6/32,192.168.178.7/32", "192.168.178.4/32", "192.168.178.5/32",
     "192.168.178.6/32,192.168.178.7/32"},
    {"intersections between segments", "192.168.178.4/32,192.168.178.8/32", "192.168.178.5/32",
     "192.168.178.6/32,192.168.178.7/32,192.168.178.4/32", "192.168.178.8/32", "192.168.178.5/32",
     "192.168.178.4/32,192.168.178.6/32,192.168.178.7/32"},
    {"intersections with wireGuardCIDR", "10.4.0.1/32,192.168.178.8/32", "192.168.178.5/32",
     "192.168.178.6/32,192.168.178.7/32", "192.168.178.8/32", "192.168.178.5/32",
     "192.168.178.6/32,192.168.178.7/32"},
    {"intersections with more than one allowedLocationIPs", "192.168.178.8/32", "192.168.178.5/32",
     "192.168.178.0/24", "", "", "192.168.178.0/24"},
    {"containing a private IP is fine, equal to a pod CIDR is not", "192.168.0.0/16", "10.2.3.0/24",
     "10.5.0.0/16", "192.168.0.0/16", "", ""},
};

static void test_allowed_location_ip_filter_matches_kilo(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(filter_cases); i++) {
		const struct filter_case *tc = &filter_cases[i];
		struct node_spec specs[ARRAY_SIZE(kilo_nodes)];
		struct mesh_cluster cluster;
		struct mesh_topology t;
		char got[512];

		memcpy(specs, kilo_nodes, sizeof(specs));
		specs[0].allowed_location_ips = tc->a;
		specs[1].allowed_location_ips = tc->b;
		specs[3].allowed_location_ips = tc->d;
		fixture_cluster(&cluster, specs, ARRAY_SIZE(specs), kilo_peers,
		                ARRAY_SIZE(kilo_peers), NULL, 0);
		fixture_topology(&t, &cluster, MESH_GRANULARITY_LOCATION, "a");
		for (size_t s = 0; s < 3; s++) {
			const char *want[] = {tc->want_a, tc->want_b, tc->want_d};
			const struct mesh_segment *seg = &t.segments[s];

			fixture_join_prefixes(seg->allowed_location_ips,
			                      seg->n_allowed_location_ips, got, sizeof(got));
			if (strcmp(got, want[s]))
				fail_msg("%s: segment %zu kept [%s], expected [%s]", tc->name, s,
				         got, want[s]);
		}
		mesh_topology_release(&t);
		mesh_cluster_release(&cluster);
	}
}

/* Building fails with error and the one message that names the cause; nothing is kept. */
static void assert_build_fails(const struct mesh_cluster *c,
                               const struct mesh_topology_options *options, int error,
                               const char *message)
{
	struct mesh_topology t;
	char err[256] = "";

	assert_int_equal(mesh_topology_build(c, options, &t, err, sizeof(err)), error);
	assert_string_equal(err, message);
	assert_null(t.segments);
}

static void test_subnet_exhaustion_is_an_error_naming_the_subnet(void **state)
{
	struct mesh_cluster cluster;
	struct mesh_topology t;
	struct mesh_topology_options options = fixture_options(MESH_GRANULARITY_LOCATION, "aws-a");

	(void)state;
	demo_cluster(&cluster);
	options.subnet = fixture_prefix("10.4.0.0/30"); /* .1 .2 .3 for four segments */
	assert_build_fails(&cluster, &options, -ENOSPC,
	                   "failed to allocate an IP address; ran out of IP addresses in subnet "
	                   "10.4.0.0/30 for 4 segments");
	options.subnet = fixture_prefix("10.4.0.0/29");
	assert_int_equal(mesh_topology_build(&cluster, &options, &t, NULL, 0), 0);
	assert_int_equal(t.n_segments, 4);
	mesh_topology_release(&t);
	mesh_cluster_release(&cluster);
}

static void test_only_ready_nodes_and_peers_take_part(void **state)
{
	struct mesh_cluster cluster;
	struct mesh_topology t;
	struct mesh_topology_options options = fixture_options(MESH_GRANULARITY_LOCATION, "gcp-b");

	(void)state;
	demo_cluster(&cluster);
	fixture_find_node(&cluster, "gcp-b")->last_seen = FIXTURE_NOW - MESH_READY_WINDOW;
	memset(cluster.peers[0].public_key, 0, MESH_KEY_LEN);
	fixture_topology(&t, &cluster, MESH_GRANULARITY_LOCATION, "aws-a");
	assert_int_equal(t.n_segments, 3);
	assert_int_equal(t.n_peers, 1);
	/* With laptop gone, phone keeps the IP it repeated. */
	assert_int_equal(t.peers[0].n_allowed_ips, 2);
	mesh_topology_release(&t);
	assert_build_fails(&cluster, &options, -ENOENT,
	                   "node gcp-b: not found among the ready nodes");
	mesh_cluster_release(&cluster);
}

static void test_bad_options_are_rejected(void **state)
{
	struct mesh_cluster cluster;
	struct mesh_topology_options options = fixture_options(MESH_GRANULARITY_AUTO, "aws-a");
	char unknown[128];

	(void)state;
	demo_cluster(&cluster);
	snprintf(unknown, sizeof(unknown),
	         "mesh granularity %d unknown; possible values are: location, full, cross",
	         (int)MESH_GRANULARITY_AUTO);
	assert_build_fails(&cluster, &options, -EINVAL, unknown);
	options = fixture_options(MESH_GRANULARITY_FULL, "aws-a");
	options.subnet = (struct mesh_prefix){0};
	assert_build_fails(&cluster, &options, -EINVAL, "subnet is not set");
	options = fixture_options(MESH_GRANULARITY_FULL, NULL);
	assert_build_fails(&cluster, &options, -EINVAL, "hostname is not set");
	mesh_cluster_release(&cluster);
}

static void test_a_node_listed_twice_is_rejected_by_name(void **state)
{
	struct mesh_cluster cluster;
	struct mesh_topology_options options = fixture_options(MESH_GRANULARITY_FULL, "aws-a");

	(void)state;
	demo_cluster(&cluster);
	memcpy(fixture_find_node(&cluster, "gcp-a")->name, "aws-b", sizeof("aws-b"));
	assert_build_fails(&cluster, &options, -EINVAL, "node aws-b: listed more than once");
	mesh_cluster_release(&cluster);
}

static void test_same_input_in_any_order_gives_the_same_topology(void **state)
{
	struct mesh_cluster cluster;
	struct mesh_topology t;
	struct mesh_wg_config before, after;

	(void)state;
	demo_cluster(&cluster);
	fixture_topology(&t, &cluster, MESH_GRANULARITY_LOCATION, "gcp-a");
	assert_int_equal(mesh_wgconfig_local(&t, &before), 0);
	mesh_topology_release(&t);
	for (size_t i = 0; i < cluster.n_nodes / 2; i++) {
		struct mesh_node tmp = cluster.nodes[i];

		cluster.nodes[i] = cluster.nodes[cluster.n_nodes - 1 - i];
		cluster.nodes[cluster.n_nodes - 1 - i] = tmp;
	}
	fixture_topology(&t, &cluster, MESH_GRANULARITY_LOCATION, "gcp-a");
	assert_int_equal(mesh_wgconfig_local(&t, &after), 0);
	assert_int_equal(before.n_peers, after.n_peers);
	for (size_t i = 0; i < before.n_peers; i++) {
		char a[2048], b[2048];

		assert_string_equal(fixture_wg_peer_line(&cluster, &before.peers[i], a, sizeof(a)),
		                    fixture_wg_peer_line(&cluster, &after.peers[i], b, sizeof(b)));
	}
	mesh_wgconfig_release(&before);
	mesh_wgconfig_release(&after);
	mesh_topology_release(&t);
	mesh_cluster_release(&cluster);
}

/*
 * A deterministic pseudo-random cluster: nodes without private IP, volunteers,
 * roaming nodes that node n00 has seen, and a LAN per location announced by
 * some of its nodes (plus, sometimes, a bad one inside the node's pod CIDR).
 */
static void random_cluster(struct mesh_cluster *c, unsigned int seed, size_t n)
{
	static const char *const locations[] = {"a", "b", "c", ""};
	struct node_spec *specs = calloc(n, sizeof(*specs));
	char(*text)[5][64] = calloc(n, sizeof(*text));

	for (size_t i = 0; i < n; i++) {
		unsigned int location;

		seed = seed * 1103515245u + 12345u;
		location = (seed >> 3) % 4;
		/* Listed backwards, so input order never equals name order. */
		snprintf(text[i][0], sizeof(text[i][0]), "n%02zu", n - 1 - i);
		snprintf(text[i][1], sizeof(text[i][1]), "%s.0.%zu.1:51820",
		         seed & 1 ? "8.8" : "10.9", i);
		snprintf(text[i][2], sizeof(text[i][2]), "172.16.%zu.1/24", i);
		snprintf(text[i][3], sizeof(text[i][3]), "10.100.%zu.0/24", i);
		snprintf(text[i][4], sizeof(text[i][4]), "192.168.%u.0/24%s", location,
		         (seed >> 9) % 4 ? "" : ",10.100.0.128/25");
		specs[i] = (struct node_spec){text[i][0],
		                              locations[location],
		                              text[i][1],
		                              (seed >> 5) % 5 ? text[i][2] : NULL,
		                              text[i][3],
		                              (seed >> 7) % 3 == 0,
		                              (seed >> 11) % 3 ? 0 : 25,
		                              (seed >> 13) % 3 ? NULL : text[i][4]};
	}
	fixture_cluster(c, specs, n, demo_peers, ARRAY_SIZE(demo_peers), NULL, 0);
	for (size_t i = 0; i < n; i++) {
		struct discovery_spec seen = {"n00", specs[i].name, "203.0.113.1:4000"};

		if (specs[i].keepalive)
			fixture_discover(c, &seen);
	}
	free(specs);
	free(text);
}

/* WireGuard routes by allowed IP: no two entries of one config may overlap. */
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

/* The other views build from any viewpoint. */
static void assert_views_build(const struct mesh_topology *t)
{
	struct mesh_routes_options route_options = {.encapsulate = MESH_ENCAPSULATE_CROSSSUBNET,
	                                            .local = true};
	struct mesh_iptables_options rule_options = {.cni = true,
	                                             .forward_rules = true,
	                                             .local = true,
	                                             .encapsulate = MESH_ENCAPSULATE_ALWAYS};
	struct mesh_routes routes;
	struct mesh_iptables_ruleset rules;

	assert_int_equal(mesh_routes_build(t, &route_options, &routes), 0);
	assert_int_equal(mesh_iptables_build(t, &rule_options, &rules), 0);
	mesh_routes_release(&routes);
	mesh_iptables_release(&rules);
}

/* Does the config of from carry a [Peer] with the key of to? */
static bool config_has_key(const struct mesh_wg_config *config, const uint8_t *key)
{
	for (size_t i = 0; i < config->n_peers; i++)
		if (!memcmp(config->peers[i].public_key, key, MESH_KEY_LEN))
			return true;
	return false;
}

static void assert_views_agree(const struct mesh_cluster *c, enum mesh_granularity g)
{
	struct mesh_topology *t = calloc(c->n_nodes, sizeof(*t));
	struct mesh_wg_config *conf = calloc(c->n_nodes, sizeof(*conf));

	for (size_t i = 0; i < c->n_nodes; i++) {
		fixture_topology(&t[i], c, g, c->nodes[i].name);
		assert_int_equal(mesh_wgconfig_local(&t[i], &conf[i]), 0);
		assert_allowed_ips_disjoint(&conf[i]);
		assert_views_build(&t[i]);
	}
	for (size_t i = 0; i < c->n_nodes; i++) {
		assert_int_equal(t[i].n_segments, t[0].n_segments);
		for (size_t s = 0; s < t[0].n_segments; s++) {
			assert_string_equal(t[i].segments[s].location, t[0].segments[s].location);
			assert_true(ip_addr_equal(&t[i].segments[s].wireguard_ip,
			                          &t[0].segments[s].wireguard_ip));
			assert_ptr_equal(mesh_segment_leader(&t[i].segments[s]),
			                 mesh_segment_leader(&t[0].segments[s]));
		}
		/* Tunnels come in pairs between leaders. */
		for (size_t j = 0; j < c->n_nodes; j++)
			if (t[i].leader && t[j].leader)
				assert_int_equal(config_has_key(&conf[i], c->nodes[j].key),
				                 config_has_key(&conf[j], c->nodes[i].key));
	}
	for (size_t i = 0; i < c->n_nodes; i++) {
		mesh_wgconfig_release(&conf[i]);
		mesh_topology_release(&t[i]);
	}
	free(conf);
	free(t);
}

static void test_random_clusters_agree_from_every_viewpoint(void **state)
{
	static const enum mesh_granularity granularities[] = {
	    MESH_GRANULARITY_LOCATION, MESH_GRANULARITY_FULL, MESH_GRANULARITY_CROSS};

	(void)state;
	for (unsigned int seed = 1; seed <= 20; seed++) {
		struct mesh_cluster cluster;

		random_cluster(&cluster, seed, 5 + seed % 12);
		for (size_t g = 0; g < ARRAY_SIZE(granularities); g++)
			assert_views_agree(&cluster, granularities[g]);
		mesh_cluster_release(&cluster);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_local_config_from_every_viewpoint),
	    cmocka_unit_test(test_segments_from_kilos_and_our_viewpoints),
	    cmocka_unit_test(test_peer_allowed_ips_keep_host_bits),
	    cmocka_unit_test(test_peer_config_carries_the_peers_keepalive_and_key),
	    cmocka_unit_test(test_segment_as_peer_adds_deduplicated_allowed_ips),
	    cmocka_unit_test(test_discovered_endpoint_only_replaces_roaming_sides),
	    cmocka_unit_test(test_discovered_option_stands_for_the_local_annotation),
	    cmocka_unit_test(test_device_sightings_become_discovered_endpoints),
	    cmocka_unit_test(test_allowed_location_ip_filter_matches_kilo),
	    cmocka_unit_test(test_subnet_exhaustion_is_an_error_naming_the_subnet),
	    cmocka_unit_test(test_only_ready_nodes_and_peers_take_part),
	    cmocka_unit_test(test_bad_options_are_rejected),
	    cmocka_unit_test(test_a_node_listed_twice_is_rejected_by_name),
	    cmocka_unit_test(test_same_input_in_any_order_gives_the_same_topology),
	    cmocka_unit_test(test_random_clusters_agree_from_every_viewpoint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
