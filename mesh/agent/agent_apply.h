/* SPDX-License-Identifier: MIT */
/*
 * Private to the agent: from the listed cluster to the host. Implemented by
 * agent_apply.c; included by agent.c and agent_watch.c.
 */
#ifndef MESH_AGENT_APPLY_H
#define MESH_AGENT_APPLY_H

#include "mesh/agent/agent.h"

/* Kilo's enc.Init: the IPIP tunnel over the private interface, when encapsulating. */
int agent_create_tunnel(struct mesh_agent *agent);
/* The topology onto the engine, kilo0, iptables and routes; a missing device is recreated. */
void agent_apply(struct mesh_agent *agent);
/* --cni: the local pod CIDR into the CNI conflist. */
void agent_update_cni(struct mesh_agent *agent);
void agent_clean_up(struct mesh_agent *agent);

#endif /* MESH_AGENT_APPLY_H */
