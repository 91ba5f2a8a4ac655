/* SPDX-License-Identifier: MIT */
/*
 * Private to the agent: its clocks. Implemented by agent_readiness.c;
 * included by agent_state.h (the readiness clock is part of the state), by
 * the files that read a clock (agent.c, agent_apply.c, agent_local.c) and
 * by tests/unit/test_agent_readiness.c.
 *
 * agent_now() is the wall clock. The readiness clock is the one other
 * nodes' readiness is judged by. It is the wall clock while this agent can
 * check in; it stops at a failed check-in (set back by a few seconds of
 * slack) and starts again (jumping to the wall clock) a readiness window
 * after a check-in succeeds, so that an API server away for longer than the
 * window does not count out nodes that could not check in. Its functions
 * take the wall-clock time as an argument and read no clock themselves.
 */
#ifndef MESH_AGENT_READINESS_H
#define MESH_AGENT_READINESS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct agent_readiness {
	int64_t stopped_at; /* 0: running */
	int64_t restart_at; /* 0: not checked in since it stopped */
};

/* Unix seconds, as last-seen is written. */
static inline int64_t agent_now(void)
{
	return (int64_t)time(NULL);
}

/* A check-in failed at now; true if that stopped the clock. */
bool agent_readiness_lost(struct agent_readiness *clock, int64_t now);
/* A check-in succeeded at now; true if the clock was stopped and now restarts later. */
bool agent_readiness_regained(struct agent_readiness *clock, int64_t now);
/* The time to judge readiness by at wall-clock time now. */
int64_t agent_readiness_now(struct agent_readiness *clock, int64_t now);

#endif /* MESH_AGENT_READINESS_H */
