/* SPDX-License-Identifier: MIT */
/*
 * What a node says of its own tunnels to other locations: the value of its
 * kilo.squat.ai/tunnel-health annotation (mesh/README.md, "Leaders that
 * stop forwarding"). Our agent always publishes one; Kilo's Go agent never
 * does, so its absence marks a node the health rule must leave to Kilo.
 *
 * The publisher debounces: it says "down" only once it has been out of
 * contact for a while and "up" only once contact has lasted a while, and
 * the timestamps say since when the condition holds. Readers compare these
 * timestamps with each other and never with their own clock, so every node
 * flips its view of a leader at the same watch event.
 */
#ifndef MESH_HEALTH_H
#define MESH_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

enum mesh_health_state {
	MESH_HEALTH_ABSENT = 0, /* no annotation: not our agent */
	MESH_HEALTH_UNKNOWN,    /* ours, but nothing judged (no tunnels to judge, or not yet) */
	MESH_HEALTH_UP,         /* in contact with another location's leader since `since` */
	MESH_HEALTH_DOWN,       /* out of contact since `since` (the last contact) */
};

struct mesh_health {
	enum mesh_health_state state;
	int64_t since;      /* Unix seconds; UP and DOWN only */
	int64_t recovering; /* DOWN only: contact again since then, not yet for long; 0: none */
};

/* "unknown", "up", "down" ("" for ABSENT). */
const char *mesh_health_state_name(enum mesh_health_state state);
/* The names above but ""; -EINVAL otherwise. */
int mesh_health_state_parse(const char *text, enum mesh_health_state *state);

static inline bool mesh_health_is_published(const struct mesh_health *health)
{
	return health->state != MESH_HEALTH_ABSENT;
}

bool mesh_health_equal(const struct mesh_health *a, const struct mesh_health *b);

#endif /* MESH_HEALTH_H */
