/* SPDX-License-Identifier: MIT */
/*
 * The topology as a Graphviz DOT graph, byte for byte what Kilo's
 * `kgctl graph` prints (pkg/mesh/graph.go through the gographviz version Kilo
 * vendors), without the newline kgctl adds after it.
 *
 * "digraph kilo" is labelled with the Kilo subnet. Edges come first, in
 * Kilo's order: in each segment the leader to every member, then every pair
 * of segment leaders, then every leader to every Peer (dashed); all are
 * dir=both. Then one dashed, rounded cluster per segment, named and labelled
 * by its location ("location:aws", "node:edge-1"), whose nodes are labelled
 * location, name, pod CIDR, private IP and, for the leader (rank=1), its
 * WireGuard IP and endpoint; then the "peers" cluster, each Peer labelled
 * with its name and endpoint (and the stray newline Kilo leaves there).
 * Not in Kilo: Kilo's leader when it is passed over for its tunnels
 * (leader.h) is drawn dashed, its label ending "passed over: no tunnel
 * since <Unix time>".
 *
 * With cross granularity (not in upstream Kilo; drawn as its proposal draws
 * it) the nodes of one logical location share a cluster and are joined by
 * dotted, arrowless edges from the first of them: they talk over the private
 * network. Unlike the proposal, no WireGuard edge is drawn inside a location
 * and no plain edge twice.
 *
 * Double quotes and backslashes inside names and locations are escaped so the
 * graph always parses (Kilo writes them raw). The caller frees the text; NULL
 * means out of memory.
 */
#ifndef MESH_GRAPH_H
#define MESH_GRAPH_H

#include "mesh/view/topology.h"

char *mesh_graph_dot(const struct mesh_topology *topology);

#endif /* MESH_GRAPH_H */
