/* SPDX-License-Identifier: MIT */
/*
 * Private to the agent: what the loop thread counts and sets for the HTTP
 * thread to read (under agent->lock). Implemented by agent_metrics.c;
 * included by agent.c, agent_apply.c, agent_local.c and agent_watch.c.
 */
#ifndef MESH_AGENT_METRICS_H
#define MESH_AGENT_METRICS_H

#include "mesh/agent/agent.h"
#include "mesh/host/iptables_metrics.h"
#include "mesh/view/topology.h"

void agent_count_error(struct mesh_agent *agent, enum mesh_agent_event event);
void agent_count_reconcile(struct mesh_agent *agent);
/* The own location's leader was passed over for its tunnels (leader.h). */
void agent_count_failover(struct mesh_agent *agent);
/* Add the operations of one iptables apply to the metrics, and release them. */
void agent_count_iptables(struct mesh_agent *agent, struct mesh_iptables_metrics *operations);
/* NULL: there is no topology (the local node is not ready), so no leader. */
void agent_set_gauges(struct mesh_agent *agent, const struct mesh_topology *topology, int64_t now);
/* NULL: there is no topology, so no graph. */
void agent_set_graph(struct mesh_agent *agent, const struct mesh_topology *topology);

#endif /* MESH_AGENT_METRICS_H */
