/* SPDX-License-Identifier: MIT */
/*
 * Who leads a segment: Kilo's findLeader, and the health rule over it that
 * passes over a leader whose tunnels to other locations are down while a
 * candidate of its location is in contact (mesh/README.md, "Leaders that
 * stop forwarding", says why it is built this way).
 *
 * Everything here is a pure function of the nodes' annotations: the
 * tunnel-health each node publishes (mesh/model/health.h) and Kilo's own.
 * It reads no clock, so every node and kgctl elect the same leaders from the
 * same listing, and a published change flips everyone at the same event.
 *
 * The rule, per segment, in location granularity:
 *   - Kilo's order ranks the nodes: leader annotation and public endpoint,
 *     annotation, public endpoint, the rest; name order within a rank. Its
 *     first is Kilo's leader ("preferred"); the first 1 + MESH_SEGMENT_STANDBYS
 *     are the candidates.
 *   - A segment is judged by health only if it has two nodes or more, all of
 *     them publish tunnel-health (none runs Kilo's Go agent), and every
 *     segment that is not so judged is led by a node that publishes it (a Go
 *     agent leading another location would still dial Kilo's leader).
 *     Otherwise Kilo's leader leads and nobody stands by.
 *   - The preferred node leads unless it is down and a later candidate is up
 *     and was up before the preferred node's contact resumed (its run began
 *     MESH_LEADER_MARGIN before the other's "recovering", or the other has no
 *     contact at all). The first such candidate leads; the leader annotation
 *     is a preference, not a pin: an annotated leader that is down is passed
 *     over too.
 *   - The other candidates stand by: they keep sessions to the other
 *     locations' leaders (wgconfig.h) to judge their own tunnels.
 */
#ifndef MESH_LEADER_H
#define MESH_LEADER_H

#include <stdbool.h>
#include <stddef.h>

#include "mesh/view/topology.h"

/*
 * A candidate that came up within this long before the preferred node's
 * contact resumed was reconnected by the same event (another location's
 * leader changing, typically): it proves nothing against the preferred node.
 */
#define MESH_LEADER_MARGIN 30
/* Keepalive of a leader towards the standbys of other locations, seconds. */
#define MESH_HEALTH_KEEPALIVE 5
/* Keepalive of a standby towards the leaders: longer, so that theirs come first. */
#define MESH_HEALTH_STANDBY_KEEPALIVE 15

/* Kilo's findLeader over name-sorted nodes: the index of Kilo's leader. */
size_t mesh_leader_find(const struct mesh_node *const *nodes, size_t n);

/*
 * The health rule over every segment of a topology whose segments are
 * grouped and whose leader and preferred are Kilo's: sets leader and the
 * standbys of the segments it judges.
 */
void mesh_leader_elect(struct mesh_topology *topology);

static inline bool mesh_segment_passed_over(const struct mesh_segment *segment)
{
	return segment->leader != segment->preferred;
}

/* Does the local node stand by for the leader of its segment? */
bool mesh_topology_standby(const struct mesh_topology *topology);

/*
 * Does the local node keep a session to the leader of segment to judge its
 * own tunnels? A leader or standby does, to every other segment's leader
 * that publishes tunnel-health, in location granularity.
 */
bool mesh_topology_health_target(const struct mesh_topology *topology,
                                 const struct mesh_segment *segment);

#endif /* MESH_LEADER_H */
