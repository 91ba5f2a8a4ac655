/* SPDX-License-Identifier: MIT */
/*
 * Private to the agent: its own Node and the change detection. Implemented
 * by agent_local.c; included by agent.c, agent_apply.c and
 * tests/unit/test_agent.c.
 */
#ifndef MESH_AGENT_LOCAL_H
#define MESH_AGENT_LOCAL_H

#include <stdbool.h>
#include <stdint.h>

#include "mesh/agent/agent.h"

/* The listing's Node of our hostname, NULL if it has none. */
struct mesh_node *agent_local_node(struct mesh_agent *agent);
/* Publish the own annotations if the backend's differ (or check_in: always). */
void agent_publish(struct mesh_agent *agent, bool check_in);
/* Has the cluster changed since the last apply in a way the topology sees? */
bool agent_cluster_changed(const struct mesh_agent *agent, int64_t now);
void agent_remember_applied(struct mesh_agent *agent, int64_t now);

#endif /* MESH_AGENT_LOCAL_H */
