/* SPDX-License-Identifier: MIT */
/*
 * Private to the agent: its judgement of its own tunnels, published as
 * kilo.squat.ai/tunnel-health (mesh/README.md, "Leaders that stop
 * forwarding"). Implemented by agent_health.c; included by agent_state.h
 * (the state is part of the agent's), so agent.c and agent_apply.c see it,
 * and by tests/unit/test_agent_health.c.
 *
 * After every build the agent follows the topology: which other locations'
 * leaders it keeps sessions to (mesh/view/leader.h), and whether its own
 * location's leader was passed over (kilo_leader_failovers_total). Every
 * MESH_HEALTH_PERIOD it samples its device (the engine or kernel WireGuard,
 * mesh/host/wg_device.h) for contact with those leaders, steps the tracker
 * (mesh/view/tunnel_health.h) and publishes when the state changes; a
 * device it cannot read is no evidence either way (the state stands). A
 * leader also sends one datagram over each of those tunnels to the other
 * leader's WireGuard IP, from an ordinary UDP socket that the host routes
 * into the WireGuard link whichever device drives it: data that a
 * WireGuard peer answers, if only with a keepalive, so that an idle tunnel
 * still proves itself both ways (keepalives alone do not: each side's
 * timer is reset by the other's packets, so on an idle tunnel only one side
 * sends them).
 */
#ifndef MESH_AGENT_HEALTH_H
#define MESH_AGENT_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/agent/agent.h"
#include "mesh/view/topology.h"
#include "mesh/view/tunnel_health.h"

/* Another location's leader whose session proves our tunnels. */
struct agent_health_target {
	uint8_t key[MESH_KEY_LEN];
	struct ip_addr wireguard_ip; /* where a leader's probe goes */
	uint64_t rx_bytes;           /* as last sampled */
};

struct agent_health {
	struct mesh_health_tracker tracker;
	bool adopted; /* the tracker started from what the listing says we published */
	struct agent_health_target *targets;
	size_t n_targets;
	bool leader;      /* probe the targets: only a leader has the address and routes */
	int probe_fd[2];  /* UDP for IPv4 and IPv6 WireGuard IPs, -1 until needed */
	bool passed_over; /* the own location's leader is passed over */
	char led_by[MESH_NAME_MAX + 1];
};

void agent_health_init(struct mesh_agent *agent);
void agent_health_release(struct mesh_agent *agent);
/* After a build: the targets, and a failover of the own location counted and logged. */
void agent_health_follow(struct mesh_agent *agent, const struct mesh_topology *topology);
/* Every MESH_HEALTH_PERIOD: sample, judge, probe, and publish a change. */
void agent_health_tick(struct mesh_agent *agent);
/*
 * The sample of one tick: has any target proven contact since the last
 * one (mesh_health_contact)? It reads only what both device implementations
 * fill in a snapshot, each peer's rx_bytes and latest handshake; peers that
 * are no target are ignored. Updates the targets' samples.
 */
bool agent_health_sample(struct agent_health *health, const struct wg_snapshot *snap, int64_t now);

#endif /* MESH_AGENT_HEALTH_H */
