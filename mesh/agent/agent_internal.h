/* SPDX-License-Identifier: MIT */
/*
 * Private to the agent (agent.c, agent_local.c, agent_apply.c,
 * agent_watch.c, agent_metrics.c): its state and the steps of the loop.
 *
 * The loop thread owns everything; lock guards what the HTTP thread reads
 * (the counters, the gauges, the graph and which device is current).
 */
#ifndef MESH_AGENT_INTERNAL_H
#define MESH_AGENT_INTERNAL_H

#include <pthread.h>

#include "mesh/agent/agent.h"
#include "mesh/host/apply_routes.h"
#include "mesh/host/iptables_metrics.h"
#include "mesh/model/log.h"
#include "mesh/view/topology.h"
#include "netlink/netlink.h"
#include "netlink/route_watch.h"
#include "wg/wg.h"

/* The tunnel with --compatibility=flannel (else MESH_IPIP_NAME, or Cilium's cilium_tunl). */
#define AGENT_FLANNEL_TUNNEL "flannel.1"

/*
 * agent_readiness.c: the clock other nodes' readiness is judged by. It is
 * the wall clock while this agent can check in; it stops at a failed
 * check-in (set back by a few seconds of slack) and starts again (jumping to the wall clock) a
 * readiness window after a check-in succeeds, so that an API server away for longer than the window
 * does not count out nodes that could not check in.
 */
struct agent_readiness {
	int64_t stopped_at; /* 0: running */
	int64_t restart_at; /* 0: not checked in since it stopped */
};

/* A check-in failed at now; true if that stopped the clock. */
bool agent_readiness_lost(struct agent_readiness *clock, int64_t now);
/* A check-in succeeded at now; true if the clock was stopped and now restarts later. */
bool agent_readiness_regained(struct agent_readiness *clock, int64_t now);
/* The time to judge readiness by at wall-clock time now. */
int64_t agent_readiness_now(struct agent_readiness *clock, int64_t now);

struct mesh_agent {
	struct mesh_agent_options options;
	struct mesh_backend *backend;
	struct wg_device *device;    /* NULL once its interface was deleted, until recreated */
	struct wg_uapi_server *uapi; /* NULL when the socket could not be served */
	struct mesh_log_sink log;    /* options.log: our lines, and the engine's (it borrows it) */
	struct nl_socket *nl;
	struct nl_route_watch *watch; /* NULL: deletions wait for the next resync */
	int stop_fd;
	int tun_fd;       /* a duplicate of the device's TUN fd, for its persistence */
	bool tun_created; /* the TUN did not exist before: a failed start removes it */
	uint8_t private_key[MESH_KEY_LEN], public_key[MESH_KEY_LEN];

	/* Detected at start-up (Kilo's getIP): what a node without annotations announces. */
	struct mesh_prefix private_ip, external_ip;
	int private_ifindex; /* the interface holding private_ip, 0 if none */
	bool cilium_tunnel;  /* --compatibility=cilium found Cilium's cilium_tunl: not ours */
	bool ipv6;           /* the kernel has IPv6: ip6tables is managed too */

	struct mesh_cluster cluster; /* the last listing */
	bool listed;
	struct agent_readiness readiness;
	bool node_missing; /* the listing has no Node of our hostname (reported once) */
	/* What the last apply produced, published with the annotations. */
	struct mesh_prefix wireguard_ip;
	struct mesh_discovered_endpoint *discovered;
	size_t n_discovered;
	/* A digest of the last applied cluster, to skip applies for heartbeats alone. */
	uint64_t applied[4];
	bool has_applied;
	/* The routes and rules of the last apply, restored as soon as someone deletes one. */
	struct mesh_route_state routes;
	bool has_routes;

	pthread_mutex_t lock;
	uint64_t reconciles;
	uint64_t errors[MESH_AGENT_EVENTS];
	struct mesh_iptables_metrics iptables_operations;
	bool leader;
	size_t ready_nodes, ready_peers;
	char *graph;
};

void agent_count_error(struct mesh_agent *agent, enum mesh_agent_event event);
/* Add the operations of one iptables apply to the metrics, and release them. */
void agent_count_iptables(struct mesh_agent *agent, struct mesh_iptables_metrics *operations);
int64_t agent_now(void);

/* agent.c: the WireGuard device on its TUN, with its UAPI socket. */
int agent_open_device(struct mesh_agent *agent);
/* After the interface was deleted: the engine on it has stopped. */
void agent_drop_device(struct mesh_agent *agent);

/* agent_watch.c */
/* Without a watch (a failure is only reported), deletions wait for the next resync. */
void agent_watch_open(struct mesh_agent *agent);
/* Restore what was deleted: routes and rules alone, or a deleted interface and everything. */
void agent_watch_read(struct mesh_agent *agent);

/* agent_local.c */
struct mesh_node *agent_local_node(struct mesh_agent *agent);
/* Publish the own annotations if the backend's differ (or check_in: always). */
void agent_publish(struct mesh_agent *agent, bool check_in);
/* Has the cluster changed since the last apply in a way the topology sees? */
bool agent_cluster_changed(const struct mesh_agent *agent, int64_t now);
void agent_remember_applied(struct mesh_agent *agent, int64_t now);

/* agent_apply.c */
/* Kilo's enc.Init: the IPIP tunnel over the private interface, when encapsulating. */
int agent_create_tunnel(struct mesh_agent *agent);
void agent_apply(struct mesh_agent *agent);
/* --cni: the local pod CIDR into the CNI conflist. */
void agent_update_cni(struct mesh_agent *agent);
void agent_clean_up(struct mesh_agent *agent);

/* agent_metrics.c */
void agent_set_gauges(struct mesh_agent *agent, const struct mesh_topology *topology, int64_t now);
/* NULL: there is no topology (the local node is not ready), so no graph. */
void agent_set_graph(struct mesh_agent *agent, const struct mesh_topology *topology);

#endif /* MESH_AGENT_INTERNAL_H */
