// SPDX-License-Identifier: MIT
/* mesh/graph: the DOT text Kilo's `kgctl graph` prints for a topology. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mesh/k8s/cluster_file.h"
#include "mesh/k8s/codec.h"
#include "mesh/view/graph.h"

static struct mesh_cluster cluster;

static int load_cluster(void **state)
{
	struct mesh_cluster_objects objects;
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/cluster.yaml", KILO_FIXTURES_DIR);
	if (mesh_cluster_file_load(path, &objects, NULL))
		return -1;
	if (mesh_codec_cluster_decode(objects.nodes, objects.peers, NULL, &cluster))
		return -1;
	mesh_cluster_objects_release(&objects);
	return 0;
}

static int release_cluster(void **state)
{
	(void)state;
	mesh_cluster_release(&cluster);
	return 0;
}

static void build(const struct mesh_cluster *c, enum mesh_granularity granularity,
                  const char *hostname, struct mesh_topology *topology)
{
	struct mesh_topology_options options = {
	    .granularity = granularity,
	    .hostname = hostname,
	    .port = 51820,
	    .now = 1795629600,
	};

	assert_int_equal(mesh_prefix_parse("10.4.0.0/16", &options.subnet), 0);
	assert_int_equal(mesh_topology_build(c, &options, topology, NULL, 0), 0);
}

/* What every graph of the fixture starts and ends with: Peers hang off every leader. */
#define GRAPH_HEAD                                                                                 \
	"digraph kilo {\n"                                                                         \
	"\tlabel=\"10.4.0.0/16\";\n"                                                               \
	"\tlabelloc=t;\n"                                                                          \
	"\toutputorder=nodesfirst;\n"                                                              \
	"\toverlap=false;\n"
#define PEER_EDGES(leader)                                                                         \
	"\t\"" leader "\"->\"laptop\"[ dir=both, style=dashed ];\n"                                \
	"\t\"" leader "\"->\"phone\"[ dir=both, style=dashed ];\n"
#define GRAPH_TAIL                                                                                 \
	"\tsubgraph \"cluster_peers\" {\n"                                                         \
	"\tlabel=\"peers\";\n"                                                                     \
	"\tstyle=\"dashed,rounded\";\n"                                                            \
	"\t\"laptop\" [ label=\"laptop\\n\n\", shape=ellipse ];\n"                                 \
	"\t\"phone\" [ label=\"phone\\n198.51.100.20:51820\n\", shape=ellipse ];\n"                \
	"\n"                                                                                       \
	"}\n"                                                                                      \
	";\n"                                                                                      \
	"\n"                                                                                       \
	"}\n"

/* Between nodes of different locations, in full and in cross granularity. */
#define EDGES_ACROSS_LOCATIONS                                                                     \
	"\t\"aws-1\"->\"edge-1\"[ dir=both ];\n"                                                   \
	"\t\"aws-1\"->\"gcp-1\"[ dir=both ];\n"                                                    \
	"\t\"aws-1\"->\"gcp-2\"[ dir=both ];\n"                                                    \
	"\t\"aws-2\"->\"edge-1\"[ dir=both ];\n"                                                   \
	"\t\"aws-2\"->\"gcp-1\"[ dir=both ];\n"                                                    \
	"\t\"aws-2\"->\"gcp-2\"[ dir=both ];\n"                                                    \
	"\t\"edge-1\"->\"gcp-1\"[ dir=both ];\n"                                                   \
	"\t\"edge-1\"->\"gcp-2\"[ dir=both ];\n"
#define PEER_EDGES_OF_EVERY_NODE                                                                   \
	PEER_EDGES("aws-1")                                                                        \
	PEER_EDGES("aws-2") PEER_EDGES("edge-1") PEER_EDGES("gcp-1") PEER_EDGES("gcp-2")
/* The cluster of a segment with one node, its leader. */
#define SINGLE_NODE_CLUSTER(segment, name, label)                                                  \
	"\tsubgraph \"cluster_location_" segment "\" {\n"                                          \
	"\tlabel=\"" segment "\";\n"                                                               \
	"\tstyle=\"dashed,rounded\";\n"                                                            \
	"\t\"" name "\" [ label=\"" segment "\\n" name label "\", rank=1, shape=ellipse ];\n"      \
	"\n"                                                                                       \
	"}\n"                                                                                      \
	";\n"
#define EDGE_1_CLUSTER                                                                             \
	SINGLE_NODE_CLUSTER("node:edge-1", "edge-1",                                               \
	                    "\\n10.2.4.0/24\\n10.4.0.3\\n192.168.1.10:51820")

/* clang-format off */
/*
 * Derived by hand from Kilo's graph.go: the not-ready aws-3 and gcp-3 are
 * absent; edge-1 has no private IP, so it is its own segment; leaders are
 * the nodes with public endpoints.
 */
static const char location_graph[] =
    GRAPH_HEAD
    "\t\"aws-1\"->\"aws-2\"[ dir=both ];\n"
    "\t\"gcp-1\"->\"gcp-2\"[ dir=both ];\n"
    "\t\"aws-1\"->\"gcp-1\"[ dir=both ];\n"
    "\t\"aws-1\"->\"edge-1\"[ dir=both ];\n"
    "\t\"gcp-1\"->\"edge-1\"[ dir=both ];\n"
    PEER_EDGES("aws-1") PEER_EDGES("gcp-1") PEER_EDGES("edge-1")
    "\tsubgraph \"cluster_location_location:aws\" {\n"
    "\tlabel=\"location:aws\";\n"
    "\tstyle=\"dashed,rounded\";\n"
    "\t\"aws-1\" [ label=\"location:aws\\naws-1\\n10.2.0.0/24\\n10.0.0.5\\n10.4.0.1\\n"
    "3.120.246.76:51820\", rank=1, shape=ellipse ];\n"
    "\t\"aws-2\" [ label=\"location:aws\\naws-2\\n10.2.1.0/24\\n10.0.0.6\", shape=ellipse ];\n"
    "\n"
    "}\n"
    ";\n"
    "\tsubgraph \"cluster_location_location:gcp\" {\n"
    "\tlabel=\"location:gcp\";\n"
    "\tstyle=\"dashed,rounded\";\n"
    "\t\"gcp-1\" [ label=\"location:gcp\\ngcp-1\\n10.2.2.0/24\\n10.1.96.6\\n10.4.0.2\\n"
    "34.1.2.3:51820\", rank=1, shape=ellipse ];\n"
    "\t\"gcp-2\" [ label=\"location:gcp\\ngcp-2\\n10.2.3.0/24\\n10.1.96.8\", shape=ellipse ];\n"
    "\n"
    "}\n"
    ";\n"
    EDGE_1_CLUSTER
    GRAPH_TAIL;

/* Full: every node leads its own segment and every pair of nodes is joined. */
static const char full_graph[] =
    GRAPH_HEAD
    "\t\"aws-1\"->\"aws-2\"[ dir=both ];\n"
    EDGES_ACROSS_LOCATIONS
    "\t\"gcp-1\"->\"gcp-2\"[ dir=both ];\n"
    PEER_EDGES_OF_EVERY_NODE
    SINGLE_NODE_CLUSTER("node:aws-1", "aws-1",
                        "\\n10.2.0.0/24\\n10.0.0.5\\n10.4.0.1\\n3.120.246.76:51820")
    SINGLE_NODE_CLUSTER("node:aws-2", "aws-2",
                        "\\n10.2.1.0/24\\n10.0.0.6\\n10.4.0.2\\n10.0.0.6:51820")
    EDGE_1_CLUSTER
    SINGLE_NODE_CLUSTER("node:gcp-1", "gcp-1",
                        "\\n10.2.2.0/24\\n10.1.96.6\\n10.4.0.4\\n34.1.2.3:51820")
    SINGLE_NODE_CLUSTER("node:gcp-2", "gcp-2",
                        "\\n10.2.3.0/24\\n10.1.96.8\\n10.4.0.5\\n10.1.96.8:51820")
    GRAPH_TAIL;

/* Cross: nodes of one location share a cluster and a dotted private link. */
static const char cross_graph[] =
    GRAPH_HEAD
    "\t\"aws-1\"->\"aws-2\"[ arrowhead=none, arrowtail=none, dir=both, style=dotted ];\n"
    "\t\"gcp-1\"->\"gcp-2\"[ arrowhead=none, arrowtail=none, dir=both, style=dotted ];\n"
    EDGES_ACROSS_LOCATIONS
    PEER_EDGES_OF_EVERY_NODE
    "\tsubgraph \"cluster_location_location:aws\" {\n"
    "\tlabel=\"location:aws\";\n"
    "\tstyle=\"dashed,rounded\";\n"
    "\t\"aws-1\" [ label=\"location:aws\\naws-1\\n10.2.0.0/24\\n10.0.0.5\\n10.4.0.1\\n"
    "3.120.246.76:51820\", rank=1, shape=ellipse ];\n"
    "\t\"aws-2\" [ label=\"location:aws\\naws-2\\n10.2.1.0/24\\n10.0.0.6\\n10.4.0.2\\n"
    "10.0.0.6:51820\", rank=1, shape=ellipse ];\n"
    "\n"
    "}\n"
    ";\n"
    "\tsubgraph \"cluster_location_location:gcp\" {\n"
    "\tlabel=\"location:gcp\";\n"
    "\tstyle=\"dashed,rounded\";\n"
    "\t\"gcp-1\" [ label=\"location:gcp\\ngcp-1\\n10.2.2.0/24\\n10.1.96.6\\n10.4.0.4\\n"
    "34.1.2.3:51820\", rank=1, shape=ellipse ];\n"
    "\t\"gcp-2\" [ label=\"location:gcp\\ngcp-2\\n10.2.3.0/24\\n10.1.96.8\\n10.4.0.5\\n"
    "10.1.96.8:51820\", rank=1, shape=ellipse ];\n"
    "\n"
    "}\n"
    ";\n"
    EDGE_1_CLUSTER
    GRAPH_TAIL;
/* clang-format on */

/* The graph shows the cluster, not a viewpoint: any ready node gives it. */
static const struct {
	enum mesh_granularity granularity;
	const char *viewer, *dot;
} graph_cases[] = {
    {MESH_GRANULARITY_LOCATION, "aws-1", location_graph},
    {MESH_GRANULARITY_LOCATION, "aws-2", location_graph},
    {MESH_GRANULARITY_LOCATION, "gcp-1", location_graph},
    {MESH_GRANULARITY_LOCATION, "gcp-2", location_graph},
    {MESH_GRANULARITY_LOCATION, "edge-1", location_graph},
    {MESH_GRANULARITY_FULL, "gcp-2", full_graph},
    {MESH_GRANULARITY_CROSS, "aws-2", cross_graph},
};

static void test_graphs_are_kilos_from_every_node(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(graph_cases) / sizeof(*graph_cases); i++) {
		struct mesh_topology topology;
		char *dot;

		build(&cluster, graph_cases[i].granularity, graph_cases[i].viewer, &topology);
		dot = mesh_graph_dot(&topology);
		assert_non_null(dot);
		if (strcmp(dot, graph_cases[i].dot))
			fail_msg("%s graph from %s:\n%s",
			         mesh_granularity_name(graph_cases[i].granularity),
			         graph_cases[i].viewer, dot);
		free(dot);
		mesh_topology_release(&topology);
	}
}

/*
 * gographviz sorts clusters by their quoted names, so "eu west" (a space)
 * comes before "eu" (whose closing quote sorts after the space), while the
 * segments, and so the edges, stay in plain string order.
 */
static void test_clusters_sort_by_quoted_name(void **state)
{
	struct mesh_node nodes[2] = {cluster.nodes[0], cluster.nodes[3]};
	struct mesh_cluster two = {.nodes = nodes, .n_nodes = 2};
	struct mesh_topology topology;
	char *dot, *eu_west, *eu;

	(void)state;
	strcpy(nodes[0].location, "eu");
	strcpy(nodes[1].location, "eu west");
	build(&two, MESH_GRANULARITY_LOCATION, "aws-1", &topology);
	assert_string_equal(topology.segments[0].location, "location:eu");
	dot = mesh_graph_dot(&topology);
	eu_west = strstr(dot, "subgraph \"cluster_location_location:eu west\"");
	eu = strstr(dot, "subgraph \"cluster_location_location:eu\"");
	assert_non_null(eu_west);
	assert_non_null(eu);
	assert_true(eu_west < eu);
	assert_non_null(strstr(dot, "\t\"aws-1\"->\"gcp-1\"[ dir=both ];\n"));
	free(dot);
	mesh_topology_release(&topology);
}

static void test_quotes_in_a_location_are_escaped(void **state)
{
	struct mesh_cluster one = {.nodes = &cluster.nodes[0], .n_nodes = 1};
	char saved[sizeof(cluster.nodes[0].location)];
	struct mesh_topology topology;
	char *dot;

	(void)state;
	memcpy(saved, cluster.nodes[0].location, sizeof(saved));
	strcpy(cluster.nodes[0].location, "a\"b\\c");
	build(&one, MESH_GRANULARITY_LOCATION, "aws-1", &topology);
	dot = mesh_graph_dot(&topology);
	assert_non_null(strstr(dot, "\tsubgraph \"cluster_location_location:a\\\"b\\\\c\" {\n"
	                            "\tlabel=\"location:a\\\"b\\\\c\";\n"));
	/* No Peers: the peers cluster is still there, empty. */
	assert_non_null(strstr(dot, "\tsubgraph \"cluster_peers\" {\n\tlabel=\"peers\";\n"
	                            "\tstyle=\"dashed,rounded\";\n\n}\n;\n\n}\n"));
	assert_null(strstr(dot, "->"));
	free(dot);
	mesh_topology_release(&topology);
	memcpy(cluster.nodes[0].location, saved, sizeof(saved));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_graphs_are_kilos_from_every_node),
	    cmocka_unit_test(test_clusters_sort_by_quoted_name),
	    cmocka_unit_test(test_quotes_in_a_location_are_escaped),
	};

	return cmocka_run_group_tests(tests, load_cluster, release_cluster);
}
