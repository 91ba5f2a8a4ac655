/* SPDX-License-Identifier: MIT */
/*
 * How a node judges its own tunnels to other locations, for its
 * tunnel-health annotation (mesh/model/health.h): a state machine over an
 * injected clock, fed once per sample with whether the device proved
 * contact since the last one. Pure, like wg/timers.h: the agent reads the
 * device and the clock (mesh/agent/agent_health.h).
 *
 * Contact with a target peer (another location's leader, leader.h) is
 * proven when it sent us something since the last sample over a session at
 * most MESH_HEALTH_SESSION old: bytes alone could be handshake initiations,
 * which a peer keeps sending even when our answers never reach it, and a
 * handshake that completes within the session's lifetime proves both
 * directions.
 *
 * The published state:
 *   - unknown while nothing is measured (no targets) and until judged;
 *   - down once MESH_HEALTH_DOWN_AFTER passed without contact ("since": the
 *     last contact, or when measuring began); "recovering" is the start of
 *     a run of contact that has not lasted MESH_HEALTH_UP_AFTER yet;
 *   - up once a run of contact has lasted MESH_HEALTH_UP_AFTER ("since":
 *     when the run began). A silence longer than MESH_HEALTH_GAP ends a run.
 * Silences shorter than MESH_HEALTH_DOWN_AFTER never make an up node down,
 * and contact shorter than MESH_HEALTH_UP_AFTER never makes a down node up:
 * that is the hysteresis that keeps a flapping link from flapping a leader.
 */
#ifndef MESH_TUNNEL_HEALTH_H
#define MESH_TUNNEL_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "mesh/model/health.h"

#define MESH_HEALTH_PERIOD 5      /* seconds between samples */
#define MESH_HEALTH_DOWN_AFTER 30 /* T_down */
#define MESH_HEALTH_UP_AFTER 60   /* T_up */
#define MESH_HEALTH_GAP 20
/* WireGuard's REJECT_AFTER_TIME: no session outlives its handshake longer. */
#define MESH_HEALTH_SESSION 180

struct mesh_health_tracker {
	struct mesh_health published;
	int64_t measuring_since; /* 0: nothing measured */
	int64_t last_contact;    /* since measuring began; 0: none */
	int64_t run_start;       /* of the current run of contact; 0: none */
};

/*
 * Starts from what the node published before (an agent restarted while
 * down stays down until its contact lasts), or unknown when published is
 * NULL or says neither up nor down.
 */
void mesh_health_tracker_init(struct mesh_health_tracker *tracker,
                              const struct mesh_health *published);

/* One sample at now: measuring (there are targets) and contact since the last one. */
void mesh_health_tracker_step(struct mesh_health_tracker *tracker, bool measuring, bool contact,
                              int64_t now);

/*
 * Did a target peer prove contact between two samples? rx_before is what it
 * had received at the last one (0 for a peer new to the device), and
 * last_handshake the Unix time of its latest handshake (0: none).
 */
bool mesh_health_contact(uint64_t rx_before, uint64_t rx_now, int64_t last_handshake, int64_t now);

#endif /* MESH_TUNNEL_HEALTH_H */
