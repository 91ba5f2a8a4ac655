// SPDX-License-Identifier: MIT
/* Kilo's findLeader and the health rule over it (leader.h states the rule). */
#include "mesh/view/leader.h"

#include "mesh/model/health.h"

#define CANDIDATES (1 + MESH_SEGMENT_STANDBYS)

/* Kilo's preference: annotated with a public IP, annotated, public IP, the rest. */
static unsigned int rank(const struct mesh_node *node)
{
	bool is_public = mesh_addr_is_public(&node->endpoint.ip);

	if (node->leader)
		return is_public ? 0 : 1;
	return is_public ? 2 : 3;
}

/* The first max nodes in Kilo's order, best first; name order within a rank. */
static size_t candidates(const struct mesh_node *const *nodes, size_t n, size_t *out, size_t max)
{
	size_t found = 0;

	for (unsigned int r = 0; r < 4 && found < max; r++)
		for (size_t i = 0; i < n && found < max; i++)
			if (rank(nodes[i]) == r)
				out[found++] = i;
	return found;
}

size_t mesh_leader_find(const struct mesh_node *const *nodes, size_t n)
{
	size_t first = 0;

	candidates(nodes, n, &first, 1);
	return first;
}

static bool all_publish(const struct mesh_segment *segment)
{
	for (size_t i = 0; i < segment->n_nodes; i++)
		if (!mesh_health_is_published(&segment->nodes[i]->health))
			return false;
	return true;
}

static bool judged(const struct mesh_segment *segment)
{
	return segment->n_nodes >= 2 && all_publish(segment);
}

/*
 * A Go agent leading some location dials Kilo's leader of every other
 * location, whatever we elect: then nobody is judged, so nobody disagrees.
 */
static bool go_agents_lead_nowhere(const struct mesh_topology *t)
{
	for (size_t s = 0; s < t->n_segments; s++)
		if (!judged(&t->segments[s]) &&
		    !mesh_health_is_published(&mesh_segment_leader(&t->segments[s])->health))
			return false;
	return true;
}

/* Was candidate in contact with the others while preferred, which is down, was not? */
static bool displaces(const struct mesh_node *candidate, const struct mesh_node *preferred)
{
	const struct mesh_health *c = &candidate->health, *p = &preferred->health;

	return c->state == MESH_HEALTH_UP &&
	       (!p->recovering || c->since + MESH_LEADER_MARGIN < p->recovering);
}

static void elect(struct mesh_segment *segment)
{
	size_t cand[CANDIDATES], chosen = 0;
	size_t n = candidates(segment->nodes, segment->n_nodes, cand, CANDIDATES);
	const struct mesh_node *preferred = segment->nodes[cand[0]];

	if (preferred->health.state == MESH_HEALTH_DOWN)
		for (size_t i = 1; i < n && !chosen; i++)
			if (displaces(segment->nodes[cand[i]], preferred))
				chosen = i;
	segment->preferred = cand[0];
	segment->leader = cand[chosen];
	segment->n_standbys = 0;
	for (size_t i = 0; i < n; i++)
		if (i != chosen)
			segment->standbys[segment->n_standbys++] = cand[i];
}

void mesh_leader_elect(struct mesh_topology *t)
{
	if (t->granularity != MESH_GRANULARITY_LOCATION || !go_agents_lead_nowhere(t))
		return;
	for (size_t s = 0; s < t->n_segments; s++)
		if (judged(&t->segments[s]))
			elect(&t->segments[s]);
}

bool mesh_topology_standby(const struct mesh_topology *t)
{
	const struct mesh_segment *own = &t->segments[t->local_segment];

	for (size_t i = 0; i < own->n_standbys; i++)
		if (own->nodes[own->standbys[i]] == t->local)
			return true;
	return false;
}

bool mesh_topology_health_target(const struct mesh_topology *t, const struct mesh_segment *segment)
{
	return t->granularity == MESH_GRANULARITY_LOCATION &&
	       (t->leader || mesh_topology_standby(t)) &&
	       !mesh_topology_segment_is_local(t, segment) &&
	       mesh_health_is_published(&mesh_segment_leader(segment)->health);
}
