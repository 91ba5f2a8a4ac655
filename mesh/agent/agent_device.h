/* SPDX-License-Identifier: MIT */
/*
 * Private to the agent: its WireGuard device on the TUN options.interface,
 * with its UAPI socket. Implemented by agent_device.c; included by agent.c
 * (start-up and shut-down), agent_apply.c (a deleted interface is recreated
 * by the next apply) and agent_watch.c (which sees it deleted).
 */
#ifndef MESH_AGENT_DEVICE_H
#define MESH_AGENT_DEVICE_H

#include "mesh/agent/agent.h"

/*
 * A new engine on the TUN (made persistent, created first if
 * options.create_interface), keyed with the agent's private key.
 */
int agent_open_device(struct mesh_agent *agent);
/* After the interface was deleted: the engine on it has stopped. */
void agent_drop_device(struct mesh_agent *agent);
/* Drop the TUN's persistence: the interface goes when the device closes it. */
void agent_remove_interface(struct mesh_agent *agent);

#endif /* MESH_AGENT_DEVICE_H */
