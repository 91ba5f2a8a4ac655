// SPDX-License-Identifier: MIT
/*
 * The agent's own Node (Kilo's handleLocal and checkIn) and the change
 * detection that keeps heartbeats from re-applying the topology
 * (nodesAreEqual, peersAreEqual).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>

#include <sodium.h>

#include "mesh/agent/agent_local.h"
#include "mesh/agent/agent_metrics.h"
#include "mesh/agent/agent_readiness.h"
#include "mesh/agent/agent_state.h"
#include "mesh/host/cilium.h"

struct mesh_node *agent_local_node(struct mesh_agent *agent)
{
	for (size_t i = 0; i < agent->cluster.n_nodes; i++)
		if (!strcmp(agent->cluster.nodes[i].name, agent->options.hostname))
			return &agent->cluster.nodes[i];
	return NULL;
}

/* Do the annotations the agent writes differ from want's? */
static bool own_annotations_differ(const struct mesh_node *listed, const struct mesh_node *want,
                                   const struct mesh_agent *agent)
{
	return memcmp(listed->key, want->key, MESH_KEY_LEN) ||
	       !mesh_endpoint_equal(&listed->endpoint, &want->endpoint) ||
	       !mesh_prefix_equal(&listed->internal_ip, &want->internal_ip) ||
	       !mesh_prefix_equal(&listed->wireguard_ip, &want->wireguard_ip) ||
	       !mesh_prefix_equal(&listed->internal_ip6, &want->internal_ip6) ||
	       !mesh_prefix_equal(&listed->wireguard_ip6, &want->wireguard_ip6) ||
	       !mesh_prefix_equal(&listed->cni_compatibility_ip, &want->cni_compatibility_ip) ||
	       listed->granularity != want->granularity ||
	       !mesh_discovered_equal(listed->discovered_endpoints, listed->n_discovered_endpoints,
	                              agent->discovered, agent->n_discovered) ||
	       !mesh_health_equal(&listed->health, &want->health);
}

/* Kilo's enc.LocalIP(), read on every publish: cilium_host's IPv4 with Cilium, else none. */
static struct mesh_prefix cni_compatibility_ip(struct mesh_agent *agent)
{
	struct mesh_prefix ip = {0};
	int ret;

	if (agent->options.compatibility != MESH_COMPATIBILITY_CILIUM)
		return ip;
	ret = mesh_cilium_host_ip(agent->nl, &ip);
	if (ret)
		mesh_log(&agent->log, LOG_WARNING, "failed to read the address of %s: %s",
		         MESH_CILIUM_HOST, strerror(-ret));
	return ip;
}

/* Whether this agent can check in decides the clock readiness is judged by. */
static void track_readiness(struct mesh_agent *agent, int ret, int64_t now)
{
	if (ret && agent_readiness_lost(&agent->readiness, now))
		mesh_log(&agent->log, LOG_WARNING,
		         "cannot check in: other nodes are judged as of now until everyone "
		         "has had %d s to check in again",
		         MESH_READY_WINDOW);
	else if (!ret && agent_readiness_regained(&agent->readiness, now))
		mesh_log(&agent->log, LOG_INFO,
		         "checked in again: nodes are judged by the clock again in %d s",
		         MESH_READY_WINDOW);
}

void agent_publish(struct mesh_agent *agent, bool check_in)
{
	const struct mesh_node *listed = agent_local_node(agent);
	int64_t now = agent_now();
	struct mesh_node want;
	int ret;

	if (!listed) {
		if (!agent->node_missing)
			mesh_log(&agent->log, LOG_ERR,
			         "node %s not found in the backend: nothing is applied until it "
			         "exists (is --hostname right?)",
			         agent->options.hostname);
		agent->node_missing = true;
		return;
	}
	if (agent->node_missing)
		mesh_log(&agent->log, LOG_INFO, "node %s found in the backend", listed->name);
	agent->node_missing = false;
	/* Endpoint and internal IP are sticky: what the backend has is kept. */
	want = *listed;
	if (!mesh_endpoint_is_set(&want.endpoint) && mesh_prefix_is_set(&agent->external_ip)) {
		want.endpoint.ip = agent->external_ip.addr;
		want.endpoint.port = agent->options.port;
	}
	if (!mesh_prefix_is_set(&want.internal_ip) && !want.no_internal_ip)
		want.internal_ip = agent->private_ip;
	/*
	 * A dual-stack node also announces its IPv6 private IP (sticky too) and
	 * WireGuard IP; a single-stack one writes Kilo's annotations alone.
	 */
	if (!mesh_prefix_is_set(&want.internal_ip6) && !want.no_internal_ip6 &&
	    want.internal_ip.addr.family == AF_INET)
		want.internal_ip6 = agent->private_ip6;
	want.wireguard_ip6 = agent->wireguard_ip6;
	if (!mesh_prefix_is_set(&want.secondary_subnet)) {
		memset(&want.internal_ip6, 0, sizeof(want.internal_ip6));
		memset(&want.wireguard_ip6, 0, sizeof(want.wireguard_ip6));
	}
	memcpy(want.key, agent->public_key, MESH_KEY_LEN);
	want.wireguard_ip = agent->wireguard_ip;
	want.discovered_endpoints = agent->discovered;
	want.n_discovered_endpoints = agent->n_discovered;
	want.granularity = agent->options.granularity;
	want.cni_compatibility_ip = cni_compatibility_ip(agent);
	/* Until the first sample adopts it, what was published before stands (agent_health.h). */
	if (agent->health.adopted || !mesh_health_is_published(&want.health))
		want.health = agent->health.tracker.published;
	want.last_seen = now;
	if (!check_in && mesh_node_is_ready(listed, now) &&
	    !own_annotations_differ(listed, &want, agent))
		return;
	ret = mesh_backend_set_node(agent->backend, &want);
	track_readiness(agent, ret, now);
	if (ret) {
		agent_count_error(agent,
		                  check_in ? MESH_AGENT_EVENT_CHECKIN : MESH_AGENT_EVENT_LOCAL);
		return;
	}
	mesh_log(&agent->log, LOG_DEBUG,
	         check_in ? "checked in local node %s in backend"
	                  : "reconciled local node %s against backend",
	         listed->name);
}

/* Hashes of one item, summed so the listing order does not matter. */
struct fingerprint {
	uint64_t sum[4];
};

static void hash_bytes(crypto_generichash_state *state, const void *data, size_t len)
{
	crypto_generichash_update(state, data, len);
}

static void hash_prefix(crypto_generichash_state *state, const struct mesh_prefix *prefix)
{
	hash_bytes(state, &prefix->addr.family, 1);
	hash_bytes(state, prefix->addr.bytes, sizeof(prefix->addr.bytes));
	hash_bytes(state, &prefix->cidr, 1);
}

static void hash_prefixes(crypto_generichash_state *state, const struct mesh_prefix *prefixes,
                          size_t n)
{
	hash_bytes(state, &n, sizeof(n));
	for (size_t i = 0; i < n; i++)
		hash_prefix(state, &prefixes[i]);
}

static void hash_endpoint(crypto_generichash_state *state, const struct mesh_endpoint *endpoint)
{
	hash_bytes(state, endpoint->dns, strlen(endpoint->dns) + 1);
	hash_prefix(state, &(struct mesh_prefix){.addr = endpoint->ip});
	hash_bytes(state, &endpoint->port, sizeof(endpoint->port));
}

static void add_item(struct fingerprint *fp, crypto_generichash_state *state)
{
	uint64_t out[4];

	crypto_generichash_final(state, (uint8_t *)out, sizeof(out));
	for (size_t i = 0; i < 4; i++)
		fp->sum[i] += out[i];
}

/* Everything of a node the topology reads; last-seen only as readiness. */
static void add_node(struct fingerprint *fp, const struct mesh_node *node, int64_t now)
{
	const uint8_t flags[] = {
	    node->no_internal_ip,          node->no_internal_ip6,      node->leader,
	    mesh_node_is_ready(node, now), (uint8_t)node->granularity, (uint8_t)node->health.state};
	crypto_generichash_state state;

	crypto_generichash_init(&state, NULL, 0, 32);
	hash_bytes(&state, node->name, strlen(node->name) + 1);
	hash_bytes(&state, node->location, strlen(node->location) + 1);
	hash_endpoint(&state, &node->endpoint);
	hash_prefix(&state, &node->internal_ip);
	hash_prefix(&state, &node->internal_ip6);
	hash_prefix(&state, &node->cni_compatibility_ip);
	hash_bytes(&state, node->key, MESH_KEY_LEN);
	hash_bytes(&state, flags, sizeof(flags));
	hash_bytes(&state, &node->persistent_keepalive, sizeof(node->persistent_keepalive));
	hash_prefix(&state, &node->subnet);
	hash_prefix(&state, &node->secondary_subnet);
	hash_prefix(&state, &node->wireguard_ip);
	hash_prefix(&state, &node->wireguard_ip6);
	hash_prefixes(&state, node->allowed_location_ips, node->n_allowed_location_ips);
	hash_bytes(&state, &node->health.since, sizeof(node->health.since));
	hash_bytes(&state, &node->health.recovering, sizeof(node->health.recovering));
	for (size_t i = 0; i < node->n_discovered_endpoints; i++) {
		hash_bytes(&state, node->discovered_endpoints[i].key, MESH_KEY_LEN);
		hash_endpoint(&state, &node->discovered_endpoints[i].endpoint);
	}
	add_item(fp, &state);
}

static void add_peer(struct fingerprint *fp, const struct mesh_peer *peer)
{
	crypto_generichash_state state;

	crypto_generichash_init(&state, NULL, 0, 32);
	hash_bytes(&state, "peer", 5);
	hash_bytes(&state, peer->name, strlen(peer->name) + 1);
	hash_prefixes(&state, peer->allowed_ips, peer->n_allowed_ips);
	hash_endpoint(&state, &peer->endpoint);
	hash_bytes(&state, peer->public_key, MESH_KEY_LEN);
	hash_bytes(&state, peer->preshared_key, MESH_KEY_LEN);
	hash_bytes(&state, &peer->persistent_keepalive, sizeof(peer->persistent_keepalive));
	add_item(fp, &state);
	sodium_memzero(&state, sizeof(state));
}

static struct fingerprint fingerprint(const struct mesh_cluster *cluster, int64_t now)
{
	struct fingerprint fp = {{0}};

	for (size_t i = 0; i < cluster->n_nodes; i++)
		add_node(&fp, &cluster->nodes[i], now);
	for (size_t i = 0; i < cluster->n_peers; i++)
		add_peer(&fp, &cluster->peers[i]);
	return fp;
}

bool agent_cluster_changed(const struct mesh_agent *agent, int64_t now)
{
	struct fingerprint fp = fingerprint(&agent->cluster, now);

	return !agent->has_applied || memcmp(&fp, &agent->applied, sizeof(fp));
}

void agent_remember_applied(struct mesh_agent *agent, int64_t now)
{
	struct fingerprint fp = fingerprint(&agent->cluster, now);

	memcpy(&agent->applied, &fp, sizeof(fp));
	agent->has_applied = true;
}
