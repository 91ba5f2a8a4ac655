/* SPDX-License-Identifier: MIT */
/*
 * The agent: Kilo's Mesh (pkg/mesh/mesh.go) around its WireGuard device, kernel
 * WireGuard or the in-process engine as options.wireguard says
 * (mesh/host/wg_device.h).
 *
 * mesh_agent_create() opens (or creates) the WireGuard device options.interface,
 * loads (or makes) the node's key, sets it on the device unless it holds it
 * already, and opens the backend; a start that fails leaves no interface it made.
 * mesh_agent_run() is the reconcile loop (Kilo's Mesh.Run; docs/kilo.md, Reconcile loop) until
 * mesh_agent_stop(): every backend change re-lists the cluster, publishes
 * the node's own annotations when they differ from what the backend holds
 * (endpoint and internal IP are sticky, wireguard-ip only on leaders,
 * discovered-endpoints from the engine), and re-applies the topology when
 * the cluster changed semantically (heartbeats alone do not count); a
 * check-in every 30 s refreshes last-seen (other nodes' readiness is judged
 * by a clock that stops while check-ins fail and restarts a readiness window
 * after one succeeds, so an API server outage counts no node out); a resync
 * every options.resync_period re-applies everything (a restarted agent
 * greets every peer at once). Every applier converges by
 * diff, so a resync with nothing changed touches nothing and drops no
 * session. With options.clean_up, leaving the loop removes the annotations,
 * routes, rules and iptables rules. The interface stays, like Kilo's (with its
 * address and routes, for the next agent to adopt; a kernel link with its
 * peers and sessions, still forwarding), unless options.clean_up_interface.
 *
 * mesh_agent_metrics() and mesh_agent_graph() may be called from another
 * thread (the HTTP server) at any time. Events are logged one line each
 * through options.log with <syslog.h> levels; no key is ever logged.
 */
#ifndef MESH_AGENT_H
#define MESH_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mesh/host/iptables_backend.h"
#include "mesh/host/wg_device.h"
#include "mesh/k8s/backend.h"
#include "mesh/model/model.h"

struct mesh_agent_options {
	struct mesh_backend_options backend; /* hostname, log and watch are set by the agent */
	const char *hostname;
	const char *interface; /* the WireGuard interface, kilo0 */
	enum mesh_wg_mode wireguard;
	const char *key_path; /* MESH_KEYFILE_PATH */
	bool create_interface;
	bool clean_up, clean_up_interface;
	bool cni;
	const char *cni_path;
	enum mesh_granularity granularity;
	enum mesh_encapsulate encapsulate;
	enum mesh_compatibility compatibility;
	bool local;
	bool iptables_forward_rules;
	enum mesh_iptables_backend iptables_backend; /* chosen by kg at start-up */
	bool prioritise_private_addresses;
	uint16_t port;
	struct mesh_prefix subnet;  /* Kilo's: IPv4 when --subnet names one */
	struct mesh_prefix subnet6; /* an IPv6 one beside an IPv4 subnet, or unset */
	unsigned int mtu;           /* 0 = auto */
	unsigned int resync_period; /* seconds */
	const struct mesh_prefix *service_cidrs;
	size_t n_service_cidrs;
	const struct mesh_prefix *internal_cidrs;
	size_t n_internal_cidrs;
	mesh_backend_log_fn *log;
	void *log_ctx;
	bool log_engine_debug; /* pass the engine's debug lines too (they are many) */
};

/* The events of kilo_errors_total{event}. */
enum mesh_agent_event {
	MESH_AGENT_EVENT_RUN = 0,
	MESH_AGENT_EVENT_CHECKIN,
	MESH_AGENT_EVENT_LOCAL,
	MESH_AGENT_EVENT_APPLY,
	MESH_AGENT_EVENT_CLEANUP,
	MESH_AGENT_EVENTS,
};

struct mesh_agent;

int mesh_agent_create(const struct mesh_agent_options *options, struct mesh_agent **agent);
int mesh_agent_run(struct mesh_agent *agent);
/* Async-signal-safe: makes mesh_agent_run() clean up and return. */
void mesh_agent_stop(struct mesh_agent *agent);
void mesh_agent_destroy(struct mesh_agent *agent);

/* Prometheus text: Kilo's kilo_* metrics, the WireGuard mode and the device's per-peer
 * counters. */
int mesh_agent_metrics(struct mesh_agent *agent, FILE *out);
/* DOT of the topology as this agent sees it (heap), or NULL when there is none yet. */
char *mesh_agent_graph(struct mesh_agent *agent);

#endif /* MESH_AGENT_H */
