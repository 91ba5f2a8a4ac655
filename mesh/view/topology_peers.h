/* SPDX-License-Identifier: MIT */
/*
 * Private to the topology module: the peer list and the NAT endpoint map,
 * built in the order Kilo builds them.
 */
#ifndef MESH_TOPOLOGY_PEERS_H
#define MESH_TOPOLOGY_PEERS_H

#include "mesh/view/topology.h"

/* Ready peers sorted by name; an IP claimed by an earlier peer is dropped. */
int mesh_topology_collect_peers(struct mesh_topology *topology, const struct mesh_cluster *cluster);
/*
 * The local node's discovered endpoints (options->discovered, else its
 * annotation), then each segment's nodes' in order.
 */
int mesh_topology_merge_discovered(struct mesh_topology *topology,
                                   const struct mesh_topology_options *options);

#endif /* MESH_TOPOLOGY_PEERS_H */
