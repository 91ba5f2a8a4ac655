/* SPDX-License-Identifier: MIT */
/*
 * Private to the agent: deletions behind its back. Implemented by
 * agent_watch.c; included by agent.c.
 */
#ifndef MESH_AGENT_WATCH_H
#define MESH_AGENT_WATCH_H

#include "mesh/agent/agent.h"

/* Without a watch (a failure is only reported), deletions wait for the next resync. */
void agent_watch_open(struct mesh_agent *agent);
/* Restore what was deleted: routes and rules alone, or a deleted interface and everything. */
void agent_watch_read(struct mesh_agent *agent);

#endif /* MESH_AGENT_WATCH_H */
