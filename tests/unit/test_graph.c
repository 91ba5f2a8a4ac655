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

#include "mesh/cluster_file.h"
#include "mesh/codec.h"
#include "mesh/graph.h"

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

static void assert_graph(enum mesh_granularity granularity, const char *hostname,
                         const char *expected)
{
	struct mesh_topology_options options = {
	    .granularity = granularity,
	    .hostname = hostname,
	    .port = 51820,
	    .now = 1795629600,
	};
	struct mesh_topology topology;
	char *dot;

	assert_int_equal(mesh_prefix_parse("10.4.0.0/16", &options.subnet), 0);
	assert_int_equal(mesh_topology_build(&cluster, &options, &topology, NULL, 0), 0);
	dot = mesh_graph_dot(&topology);
	assert_non_null(dot);
	assert_string_equal(dot, expected);
	free(dot);
	mesh_topology_release(&topology);
}

/*
 * Derived by hand from Kilo's graph.go: the not-ready aws-3 and gcp-3 are
 * absent; edge-1 has no private IP, so it is its own segment; leaders are
 * the nodes with public endpoints; Peers hang off every leader.
 */
static const char location_graph[] =
    "digraph kilo {\n"
    "\tlabel=\"10.4.0.0/16\";\n"
    "\tlabelloc=t;\n"
    "\toutputorder=nodesfirst;\n"
    "\toverlap=false;\n"
    "\t\"aws-1\"->\"aws-2\"[ dir=both ];\n"
    "\t\"gcp-1\"->\"gcp-2\"[ dir=both ];\n"
    "\t\"aws-1\"->\"gcp-1\"[ dir=both ];\n"
    "\t\"aws-1\"->\"edge-1\"[ dir=both ];\n"
    "\t\"gcp-1\"->\"edge-1\"[ dir=both ];\n"
    "\t\"aws-1\"->\"laptop\"[ dir=both, style=dashed ];\n"
    "\t\"aws-1\"->\"phone\"[ dir=both, style=dashed ];\n"
    "\t\"gcp-1\"->\"laptop\"[ dir=both, style=dashed ];\n"
    "\t\"gcp-1\"->\"phone\"[ dir=both, style=dashed ];\n"
    "\t\"edge-1\"->\"laptop\"[ dir=both, style=dashed ];\n"
    "\t\"edge-1\"->\"phone\"[ dir=both, style=dashed ];\n"
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
    "\tsubgraph \"cluster_location_node:edge-1\" {\n"
    "\tlabel=\"node:edge-1\";\n"
    "\tstyle=\"dashed,rounded\";\n"
    "\t\"edge-1\" [ label=\"node:edge-1\\nedge-1\\n10.2.4.0/24\\n10.4.0.3\\n"
    "192.168.1.10:51820\", rank=1, shape=ellipse ];\n"
    "\n"
    "}\n"
    ";\n"
    "\tsubgraph \"cluster_peers\" {\n"
    "\tlabel=\"peers\";\n"
    "\tstyle=\"dashed,rounded\";\n"
    "\t\"laptop\" [ label=\"laptop\\n\n\", shape=ellipse ];\n"
    "\t\"phone\" [ label=\"phone\\n198.51.100.20:51820\n\", shape=ellipse ];\n"
    "\n"
    "}\n"
    ";\n"
    "\n"
    "}\n";

static void test_location_graph_is_kilos(void **state)
{
	(void)state;
	assert_graph(MESH_GRANULARITY_LOCATION, "aws-1", location_graph);
}

/* The graph shows the cluster, not a viewpoint: any ready node gives it. */
static void test_graph_is_the_same_from_every_node(void **state)
{
	static const char *const nodes[] = {"aws-2", "gcp-1", "gcp-2", "edge-1"};

	(void)state;
	for (size_t i = 0; i < sizeof(nodes) / sizeof(*nodes); i++)
		assert_graph(MESH_GRANULARITY_LOCATION, nodes[i], location_graph);
}

/* Every node leads its own segment and every pair of nodes is joined. */
static void test_full_graph(void **state)
{
	(void)state;
	assert_graph(MESH_GRANULARITY_FULL, "gcp-2",
	             "digraph kilo {\n"
	             "\tlabel=\"10.4.0.0/16\";\n"
	             "\tlabelloc=t;\n"
	             "\toutputorder=nodesfirst;\n"
	             "\toverlap=false;\n"
	             "\t\"aws-1\"->\"aws-2\"[ dir=both ];\n"
	             "\t\"aws-1\"->\"edge-1\"[ dir=both ];\n"
	             "\t\"aws-1\"->\"gcp-1\"[ dir=both ];\n"
	             "\t\"aws-1\"->\"gcp-2\"[ dir=both ];\n"
	             "\t\"aws-2\"->\"edge-1\"[ dir=both ];\n"
	             "\t\"aws-2\"->\"gcp-1\"[ dir=both ];\n"
	             "\t\"aws-2\"->\"gcp-2\"[ dir=both ];\n"
	             "\t\"edge-1\"->\"gcp-1\"[ dir=both ];\n"
	             "\t\"edge-1\"->\"gcp-2\"[ dir=both ];\n"
	             "\t\"gcp-1\"->\"gcp-2\"[ dir=both ];\n"
	             "\t\"aws-1\"->\"laptop\"[ dir=both, style=dashed ];\n"
	             "\t\"aws-1\"->\"phone\"[ dir=both, style=dashed ];\n"
	             "\t\"aws-2\"->\"laptop\"[ dir=both, style=dashed ];\n"
	             "\t\"aws-2\"->\"phone\"[ dir=both, style=dashed ];\n"
	             "\t\"edge-1\"->\"laptop\"[ dir=both, style=dashed ];\n"
	             "\t\"edge-1\"->\"phone\"[ dir=both, style=dashed ];\n"
	             "\t\"gcp-1\"->\"laptop\"[ dir=both, style=dashed ];\n"
	             "\t\"gcp-1\"->\"phone\"[ dir=both, style=dashed ];\n"
	             "\t\"gcp-2\"->\"laptop\"[ dir=both, style=dashed ];\n"
	             "\t\"gcp-2\"->\"phone\"[ dir=both, style=dashed ];\n"
	             "\tsubgraph \"cluster_location_node:aws-1\" {\n"
	             "\tlabel=\"node:aws-1\";\n"
	             "\tstyle=\"dashed,rounded\";\n"
	             "\t\"aws-1\" [ "
	             "label=\"node:aws-1\\naws-1\\n10.2.0.0/"
	             "24\\n10.0.0.5\\n10.4.0.1\\n3.120.246.76:51820\", rank=1, shape=ellipse ];\n"
	             "\n"
	             "}\n"
	             ";\n"
	             "\tsubgraph \"cluster_location_node:aws-2\" {\n"
	             "\tlabel=\"node:aws-2\";\n"
	             "\tstyle=\"dashed,rounded\";\n"
	             "\t\"aws-2\" [ "
	             "label=\"node:aws-2\\naws-2\\n10.2.1.0/"
	             "24\\n10.0.0.6\\n10.4.0.2\\n10.0.0.6:51820\", rank=1, shape=ellipse ];\n"
	             "\n"
	             "}\n"
	             ";\n"
	             "\tsubgraph \"cluster_location_node:edge-1\" {\n"
	             "\tlabel=\"node:edge-1\";\n"
	             "\tstyle=\"dashed,rounded\";\n"
	             "\t\"edge-1\" [ "
	             "label=\"node:edge-1\\nedge-1\\n10.2.4.0/"
	             "24\\n10.4.0.3\\n192.168.1.10:51820\", rank=1, shape=ellipse ];\n"
	             "\n"
	             "}\n"
	             ";\n"
	             "\tsubgraph \"cluster_location_node:gcp-1\" {\n"
	             "\tlabel=\"node:gcp-1\";\n"
	             "\tstyle=\"dashed,rounded\";\n"
	             "\t\"gcp-1\" [ "
	             "label=\"node:gcp-1\\ngcp-1\\n10.2.2.0/"
	             "24\\n10.1.96.6\\n10.4.0.4\\n34.1.2.3:51820\", rank=1, shape=ellipse ];\n"
	             "\n"
	             "}\n"
	             ";\n"
	             "\tsubgraph \"cluster_location_node:gcp-2\" {\n"
	             "\tlabel=\"node:gcp-2\";\n"
	             "\tstyle=\"dashed,rounded\";\n"
	             "\t\"gcp-2\" [ "
	             "label=\"node:gcp-2\\ngcp-2\\n10.2.3.0/"
	             "24\\n10.1.96.8\\n10.4.0.5\\n10.1.96.8:51820\", rank=1, shape=ellipse ];\n"
	             "\n"
	             "}\n"
	             ";\n"
	             "\tsubgraph \"cluster_peers\" {\n"
	             "\tlabel=\"peers\";\n"
	             "\tstyle=\"dashed,rounded\";\n"
	             "\t\"laptop\" [ label=\"laptop\\n\n"
	             "\", shape=ellipse ];\n"
	             "\t\"phone\" [ label=\"phone\\n198.51.100.20:51820\n"
	             "\", shape=ellipse ];\n"
	             "\n"
	             "}\n"
	             ";\n"
	             "\n"
	             "}\n");
}

/* Nodes of one location share a cluster and a dotted private link. */
static void test_cross_graph(void **state)
{
	(void)state;
	assert_graph(
	    MESH_GRANULARITY_CROSS, "aws-2",
	    "digraph kilo {\n"
	    "\tlabel=\"10.4.0.0/16\";\n"
	    "\tlabelloc=t;\n"
	    "\toutputorder=nodesfirst;\n"
	    "\toverlap=false;\n"
	    "\t\"aws-1\"->\"aws-2\"[ arrowhead=none, arrowtail=none, dir=both, style=dotted ];\n"
	    "\t\"gcp-1\"->\"gcp-2\"[ arrowhead=none, arrowtail=none, dir=both, style=dotted ];\n"
	    "\t\"aws-1\"->\"edge-1\"[ dir=both ];\n"
	    "\t\"aws-1\"->\"gcp-1\"[ dir=both ];\n"
	    "\t\"aws-1\"->\"gcp-2\"[ dir=both ];\n"
	    "\t\"aws-2\"->\"edge-1\"[ dir=both ];\n"
	    "\t\"aws-2\"->\"gcp-1\"[ dir=both ];\n"
	    "\t\"aws-2\"->\"gcp-2\"[ dir=both ];\n"
	    "\t\"edge-1\"->\"gcp-1\"[ dir=both ];\n"
	    "\t\"edge-1\"->\"gcp-2\"[ dir=both ];\n"
	    "\t\"aws-1\"->\"laptop\"[ dir=both, style=dashed ];\n"
	    "\t\"aws-1\"->\"phone\"[ dir=both, style=dashed ];\n"
	    "\t\"aws-2\"->\"laptop\"[ dir=both, style=dashed ];\n"
	    "\t\"aws-2\"->\"phone\"[ dir=both, style=dashed ];\n"
	    "\t\"edge-1\"->\"laptop\"[ dir=both, style=dashed ];\n"
	    "\t\"edge-1\"->\"phone\"[ dir=both, style=dashed ];\n"
	    "\t\"gcp-1\"->\"laptop\"[ dir=both, style=dashed ];\n"
	    "\t\"gcp-1\"->\"phone\"[ dir=both, style=dashed ];\n"
	    "\t\"gcp-2\"->\"laptop\"[ dir=both, style=dashed ];\n"
	    "\t\"gcp-2\"->\"phone\"[ dir=both, style=dashed ];\n"
	    "\tsubgraph \"cluster_location_location:aws\" {\n"
	    "\tlabel=\"location:aws\";\n"
	    "\tstyle=\"dashed,rounded\";\n"
	    "\t\"aws-1\" [ "
	    "label=\"location:aws\\naws-1\\n10.2.0.0/"
	    "24\\n10.0.0.5\\n10.4.0.1\\n3.120.246.76:51820\", rank=1, shape=ellipse ];\n"
	    "\t\"aws-2\" [ "
	    "label=\"location:aws\\naws-2\\n10.2.1.0/24\\n10.0.0.6\\n10.4.0.2\\n10.0.0.6:51820\", "
	    "rank=1, shape=ellipse ];\n"
	    "\n"
	    "}\n"
	    ";\n"
	    "\tsubgraph \"cluster_location_location:gcp\" {\n"
	    "\tlabel=\"location:gcp\";\n"
	    "\tstyle=\"dashed,rounded\";\n"
	    "\t\"gcp-1\" [ "
	    "label=\"location:gcp\\ngcp-1\\n10.2.2.0/24\\n10.1.96.6\\n10.4.0.4\\n34.1.2.3:51820\", "
	    "rank=1, shape=ellipse ];\n"
	    "\t\"gcp-2\" [ "
	    "label=\"location:gcp\\ngcp-2\\n10.2.3.0/"
	    "24\\n10.1.96.8\\n10.4.0.5\\n10.1.96.8:51820\", rank=1, shape=ellipse ];\n"
	    "\n"
	    "}\n"
	    ";\n"
	    "\tsubgraph \"cluster_location_node:edge-1\" {\n"
	    "\tlabel=\"node:edge-1\";\n"
	    "\tstyle=\"dashed,rounded\";\n"
	    "\t\"edge-1\" [ "
	    "label=\"node:edge-1\\nedge-1\\n10.2.4.0/24\\n10.4.0.3\\n192.168.1.10:51820\", rank=1, "
	    "shape=ellipse ];\n"
	    "\n"
	    "}\n"
	    ";\n"
	    "\tsubgraph \"cluster_peers\" {\n"
	    "\tlabel=\"peers\";\n"
	    "\tstyle=\"dashed,rounded\";\n"
	    "\t\"laptop\" [ label=\"laptop\\n\n"
	    "\", shape=ellipse ];\n"
	    "\t\"phone\" [ label=\"phone\\n198.51.100.20:51820\n"
	    "\", shape=ellipse ];\n"
	    "\n"
	    "}\n"
	    ";\n"
	    "\n"
	    "}\n");
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
	struct mesh_topology_options options = {
	    .granularity = MESH_GRANULARITY_LOCATION,
	    .hostname = "aws-1",
	    .port = 51820,
	    .now = 1795629600,
	};
	struct mesh_topology topology;
	char *dot, *eu_west, *eu;

	(void)state;
	strcpy(nodes[0].location, "eu");
	strcpy(nodes[1].location, "eu west");
	assert_int_equal(mesh_prefix_parse("10.4.0.0/16", &options.subnet), 0);
	assert_int_equal(mesh_topology_build(&two, &options, &topology, NULL, 0), 0);
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
	struct mesh_topology_options options = {
	    .granularity = MESH_GRANULARITY_LOCATION,
	    .hostname = "aws-1",
	    .port = 51820,
	    .now = 1795629600,
	};
	char saved[sizeof(cluster.nodes[0].location)];
	struct mesh_topology topology;
	char *dot;

	(void)state;
	memcpy(saved, cluster.nodes[0].location, sizeof(saved));
	strcpy(cluster.nodes[0].location, "a\"b\\c");
	assert_int_equal(mesh_prefix_parse("10.4.0.0/16", &options.subnet), 0);
	assert_int_equal(mesh_topology_build(&one, &options, &topology, NULL, 0), 0);
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
	    cmocka_unit_test(test_location_graph_is_kilos),
	    cmocka_unit_test(test_graph_is_the_same_from_every_node),
	    cmocka_unit_test(test_full_graph),
	    cmocka_unit_test(test_cross_graph),
	    cmocka_unit_test(test_clusters_sort_by_quoted_name),
	    cmocka_unit_test(test_quotes_in_a_location_are_escaped),
	};

	return cmocka_run_group_tests(tests, load_cluster, release_cluster);
}
