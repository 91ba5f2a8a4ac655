/* SPDX-License-Identifier: MIT */
/*
 * Private to the agent: the state of one agent. Included by the agent's
 * own files (agent*.c here) and tests/unit/test_agent.c, which builds one
 * by hand; never by connect*.c or anything outside mesh/agent/. The steps
 * of the loop are declared in their own headers (agent_apply.h,
 * agent_local.h, agent_watch.h, agent_device.h, agent_metrics.h).
 *
 * The loop thread owns everything; lock guards what the HTTP thread reads
 * (the counters, the gauges, the graph and which device is current).
 */
#ifndef MESH_AGENT_STATE_H
#define MESH_AGENT_STATE_H

#include <pthread.h>

#include "mesh/agent/agent.h"
#include "mesh/agent/agent_health.h"
#include "mesh/agent/agent_readiness.h"
#include "mesh/host/apply_routes.h"
#include "mesh/host/iptables_metrics.h"
#include "mesh/host/wg_device.h"
#include "mesh/model/log.h"
#include "wg/wg.h"

struct mesh_agent {
	struct mesh_agent_options options;
	struct mesh_backend *backend;
	struct mesh_wg_device *device; /* NULL once its interface was deleted, until recreated */
	/* The implementation the first open chose (kernel or userspace); a recreated interface
	 * gets the same. */
	enum mesh_wg_mode wireguard;
	struct mesh_log_sink log; /* options.log: our lines, and the engine's (it borrows it) */
	struct nl_socket *nl;
	struct nl_route_watch *watch; /* NULL: deletions wait for the next resync */
	int stop_fd;
	bool interface_created; /* it did not exist before: a failed start removes it */
	uint8_t private_key[MESH_KEY_LEN], public_key[MESH_KEY_LEN];

	/* Detected at start-up (Kilo's getIP): what a node without annotations announces. */
	struct mesh_prefix private_ip, external_ip;
	struct mesh_prefix private_ip6; /* beside an IPv4 private_ip (internal-ipv6), or unset */
	int private_ifindex;            /* the interface holding private_ip, 0 if none */
	bool cilium_tunnel; /* --compatibility=cilium found Cilium's cilium_tunl: not ours */
	struct mesh_iptables_host iptables; /* the options' backend, and whether IPv6 is on */

	struct mesh_cluster cluster; /* the last listing */
	bool listed;
	struct agent_readiness readiness;
	bool node_missing; /* the listing has no Node of our hostname (reported once) */
	/* What the last apply produced, published with the annotations. */
	struct mesh_prefix wireguard_ip, wireguard_ip6;
	struct mesh_discovered_endpoint *discovered;
	size_t n_discovered;
	/* A digest of the last applied cluster, to skip applies for heartbeats alone. */
	uint64_t applied[4];
	bool has_applied;
	/* The routes and rules of the last apply, restored as soon as someone deletes one. */
	struct mesh_route_state routes;
	bool has_routes;
	struct agent_health health; /* its tunnels, as kilo.squat.ai/tunnel-health says */

	pthread_mutex_t lock;
	uint64_t reconciles;
	uint64_t failovers; /* kilo_leader_failovers_total */
	uint64_t errors[MESH_AGENT_EVENTS];
	struct mesh_iptables_metrics iptables_operations;
	bool leader;
	size_t ready_nodes, ready_peers;
	char *graph;
};

#endif /* MESH_AGENT_STATE_H */
