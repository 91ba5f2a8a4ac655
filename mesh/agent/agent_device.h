/* SPDX-License-Identifier: MIT */
/*
 * Private to the agent: its WireGuard device on options.interface (mesh/host/wg_device.h),
 * kernel WireGuard or the in-process engine. Implemented by agent_device.c; included by
 * agent.c (start-up and shut-down), agent_apply.c (a deleted interface is recreated by the
 * next apply) and agent_watch.c (which sees it deleted).
 */
#ifndef MESH_AGENT_DEVICE_H
#define MESH_AGENT_DEVICE_H

#include "mesh/agent/agent.h"

/*
 * The device on options.interface (created first if options.create_interface), in the mode
 * options.wireguard asks the first time, in the mode then chosen every later time.
 */
int agent_open_device(struct mesh_agent *agent);
/* Its key: set unless the device holds it already. */
int agent_key_device(struct mesh_agent *agent);
/* The device goes; with remove_interface its interface too, else it stays. */
void agent_close_device(struct mesh_agent *agent, bool remove_interface);

#endif /* MESH_AGENT_DEVICE_H */
