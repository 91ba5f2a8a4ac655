// SPDX-License-Identifier: MIT
/*
 * The clock other nodes' readiness is judged by. Kilo judges it by the wall
 * clock, so when the API server is away for longer than the readiness
 * window every last-seen goes stale at once; the node whose own check-in
 * happened to be the latest then counts the others out while it still
 * counts itself in, and when the server comes back, the first to check in
 * drops the nodes that have not yet. Either tears down a mesh whose data
 * plane never failed. So the clock stops while this agent cannot check in
 * (the others most likely cannot either) and starts again only a readiness
 * window after a check-in succeeds: every node has had its chance to check
 * in again before anyone is counted out.
 */
#include "mesh/agent/agent_readiness.h"
#include "mesh/model/model.h"

/*
 * The clock stops this much before the failed check-in: two nodes checking
 * in 30 s apart, with a little delay and whole seconds, may look 60 s apart,
 * and the other node would be counted out for the whole outage.
 */
#define SLACK 5

bool agent_readiness_lost(struct agent_readiness *clock, int64_t now)
{
	bool stopping = !clock->stopped_at;

	if (stopping)
		clock->stopped_at = now - SLACK;
	/* Lost again before it restarted: the window starts over when back. */
	clock->restart_at = 0;
	return stopping;
}

bool agent_readiness_regained(struct agent_readiness *clock, int64_t now)
{
	if (!clock->stopped_at || clock->restart_at)
		return false;
	clock->restart_at = now + MESH_READY_WINDOW;
	return true;
}

int64_t agent_readiness_now(struct agent_readiness *clock, int64_t now)
{
	if (clock->restart_at && now >= clock->restart_at)
		clock->stopped_at = clock->restart_at = 0;
	return clock->stopped_at ? clock->stopped_at : now;
}
