// SPDX-License-Identifier: MIT
/*
 * What the HTTP thread may read: Kilo's metrics (pkg/mesh/mesh.go and
 * pkg/iptables/metrics.go), which WireGuard the agent drives, the device's
 * per-peer counters (kernel or engine alike) under the names of
 * prometheus-wireguard-exporter (what Kilo users scrape kilo0 with), and the
 * graph of the last topology.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/agent/agent_metrics.h"
#include "mesh/agent/agent_state.h"
#include "mesh/model/key.h"
#include "mesh/view/graph.h"

static const char *const event_names[MESH_AGENT_EVENTS] = {
    [MESH_AGENT_EVENT_RUN] = "run",         [MESH_AGENT_EVENT_CHECKIN] = "checkin",
    [MESH_AGENT_EVENT_LOCAL] = "local",     [MESH_AGENT_EVENT_APPLY] = "apply",
    [MESH_AGENT_EVENT_CLEANUP] = "cleanUp",
};

void agent_count_error(struct mesh_agent *agent, enum mesh_agent_event event)
{
	pthread_mutex_lock(&agent->lock);
	agent->errors[event]++;
	pthread_mutex_unlock(&agent->lock);
}

void agent_count_reconcile(struct mesh_agent *agent)
{
	pthread_mutex_lock(&agent->lock);
	agent->reconciles++;
	pthread_mutex_unlock(&agent->lock);
}

void agent_count_failover(struct mesh_agent *agent)
{
	pthread_mutex_lock(&agent->lock);
	agent->failovers++;
	pthread_mutex_unlock(&agent->lock);
}

void agent_count_iptables(struct mesh_agent *agent, struct mesh_iptables_metrics *operations)
{
	pthread_mutex_lock(&agent->lock);
	/* Out of memory: these operations go uncounted, the next ones may not. */
	mesh_iptables_metrics_merge(&agent->iptables_operations, operations);
	pthread_mutex_unlock(&agent->lock);
	mesh_iptables_metrics_release(operations);
}

void agent_set_gauges(struct mesh_agent *agent, const struct mesh_topology *topology, int64_t now)
{
	size_t nodes = 0, peers = 0;

	for (size_t i = 0; i < agent->cluster.n_nodes; i++)
		nodes += mesh_node_is_ready(&agent->cluster.nodes[i], now);
	for (size_t i = 0; i < agent->cluster.n_peers; i++)
		peers += mesh_peer_is_ready(&agent->cluster.peers[i]);
	pthread_mutex_lock(&agent->lock);
	agent->ready_nodes = nodes;
	agent->ready_peers = peers;
	agent->leader = topology && topology->leader;
	pthread_mutex_unlock(&agent->lock);
}

void agent_set_graph(struct mesh_agent *agent, const struct mesh_topology *topology)
{
	char *dot = topology ? mesh_graph_dot(topology) : NULL;

	/* Out of memory: keep the last graph rather than none. */
	if (topology && !dot)
		return;
	pthread_mutex_lock(&agent->lock);
	free(agent->graph);
	agent->graph = dot;
	pthread_mutex_unlock(&agent->lock);
}

char *mesh_agent_graph(struct mesh_agent *agent)
{
	char *dot;

	pthread_mutex_lock(&agent->lock);
	dot = agent->graph ? strdup(agent->graph) : NULL;
	pthread_mutex_unlock(&agent->lock);
	return dot;
}

static void print_kilo(struct mesh_agent *agent, FILE *out)
{
	pthread_mutex_lock(&agent->lock);
	fprintf(out, "# HELP kilo_errors_total Number of errors that occurred while administering "
	             "the mesh.\n# TYPE kilo_errors_total counter\n");
	for (size_t i = 0; i < MESH_AGENT_EVENTS; i++)
		fprintf(out, "kilo_errors_total{event=\"%s\"} %llu\n", event_names[i],
		        (unsigned long long)agent->errors[i]);
	fprintf(out,
	        "# HELP kilo_leader Leadership status of the node.\n# TYPE kilo_leader gauge\n"
	        "kilo_leader %d\n"
	        "# HELP kilo_leader_failovers_total Number of times this node's location was led "
	        "by another node than Kilo's leader, passed over for its tunnels.\n"
	        "# TYPE kilo_leader_failovers_total counter\nkilo_leader_failovers_total %llu\n"
	        "# HELP kilo_nodes Number of nodes in the mesh.\n# TYPE kilo_nodes gauge\n"
	        "kilo_nodes %zu\n"
	        "# HELP kilo_peers Number of peers in the mesh.\n# TYPE kilo_peers gauge\n"
	        "kilo_peers %zu\n"
	        "# HELP kilo_reconciles_total Number of reconciliation attempts.\n"
	        "# TYPE kilo_reconciles_total counter\nkilo_reconciles_total %llu\n",
	        agent->leader, (unsigned long long)agent->failovers, agent->ready_nodes,
	        agent->ready_peers, (unsigned long long)agent->reconciles);
	fprintf(out,
	        "# HELP kilo_wireguard_mode The WireGuard this agent drives: kernel or userspace "
	        "(the in-process engine).\n# TYPE kilo_wireguard_mode gauge\n"
	        "kilo_wireguard_mode{mode=\"%s\"} 1\n",
	        mesh_wg_mode_name(agent->wireguard));
	mesh_iptables_metrics_print(&agent->iptables_operations, out);
	pthread_mutex_unlock(&agent->lock);
}

enum peer_counter { SENT, RECEIVED, HANDSHAKE };

static const struct {
	const char *name, *help, *type;
} peer_families[] = {
    [SENT] = {"wireguard_sent_bytes_total", "Bytes sent to the peer.", "counter"},
    [RECEIVED] = {"wireguard_received_bytes_total", "Bytes received from the peer.", "counter"},
    [HANDSHAKE] = {"wireguard_latest_handshake_seconds",
                   "Unix time of the latest handshake with the peer, 0 if none.", "gauge"},
};

static unsigned long long peer_value(const struct wg_peer_snapshot *peer, enum peer_counter which)
{
	switch (which) {
	case SENT:
		return peer->tx_bytes;
	case RECEIVED:
		return peer->rx_bytes;
	default:
		return (unsigned long long)peer->last_handshake.tv_sec;
	}
}

/* One family's samples stay together, as the text format requires. */
static void print_peers(FILE *out, const char *ifname, const struct wg_snapshot *snap)
{
	char key[45];

	for (enum peer_counter which = SENT; which <= HANDSHAKE; which++) {
		fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", peer_families[which].name,
		        peer_families[which].help, peer_families[which].name,
		        peer_families[which].type);
		for (size_t i = 0; i < snap->n_peers; i++)
			fprintf(out, "%s{interface=\"%s\",public_key=\"%s\"} %llu\n",
			        peer_families[which].name, ifname,
			        mesh_key_encode(snap->peers[i].public_key, key),
			        peer_value(&snap->peers[i], which));
	}
}

int mesh_agent_metrics(struct mesh_agent *agent, FILE *out)
{
	struct wg_snapshot snap;
	int ret;

	print_kilo(agent, out);
	/* No device for a moment while a deleted interface is recreated: no peers then. */
	pthread_mutex_lock(&agent->lock);
	ret = agent->device ? mesh_wg_device_snapshot(agent->device, &snap) : -ENODEV;
	pthread_mutex_unlock(&agent->lock);
	if (ret == -ENODEV)
		return 0;
	if (ret)
		return ret;
	print_peers(out, agent->options.interface, &snap);
	wg_snapshot_free(&snap);
	return 0;
}
