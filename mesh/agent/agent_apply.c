// SPDX-License-Identifier: MIT
/*
 * Kilo's applyTopology and cleanUp: from the listed cluster to the WireGuard
 * device, kilo0, iptables and routes, each through its diffing applier.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>

#include "mesh/agent/agent_apply.h"
#include "mesh/agent/agent_device.h"
#include "mesh/agent/agent_local.h"
#include "mesh/agent/agent_metrics.h"
#include "mesh/agent/agent_readiness.h"
#include "mesh/agent/agent_state.h"
#include "mesh/host/apply_iptables.h"
#include "mesh/host/apply_routes.h"
#include "mesh/host/apply_wg.h"
#include "mesh/host/cilium.h"
#include "mesh/host/cni.h"
#include "mesh/host/ipdetect.h"
#include "mesh/host/ipip.h"
#include "mesh/host/link_address.h"
#include "mesh/host/wg_endpoint.h"
#include "mesh/view/iptables.h"
#include "mesh/view/leader.h"
#include "mesh/view/routes.h"
#include "mesh/view/topology.h"
#include "mesh/view/wgconfig.h"
#include "netlink/netlink.h"

/* The tunnel with --compatibility=flannel (else MESH_IPIP_NAME, or Cilium's cilium_tunl). */
#define FLANNEL_TUNNEL "flannel.1"

/* Kilo's discoverNATEndpoints over the device's snapshot. */
static int discover(struct mesh_agent *agent, int64_t now)
{
	struct mesh_discovered_endpoint *found = NULL;
	struct mesh_observed_peer *observed;
	struct wg_snapshot snap;
	size_t n_found = 0;
	int ret = mesh_wg_device_snapshot(agent->device, &snap);

	if (ret)
		return ret;
	observed = calloc(snap.n_peers ? snap.n_peers : 1, sizeof(*observed));
	if (!observed) {
		wg_snapshot_free(&snap);
		return -ENOMEM;
	}
	for (size_t i = 0; i < snap.n_peers; i++) {
		memcpy(observed[i].key, snap.peers[i].public_key, MESH_KEY_LEN);
		mesh_wg_endpoint_to_mesh(&snap.peers[i].endpoint, &observed[i].endpoint);
		observed[i].handshake = snap.peers[i].last_handshake.tv_sec != 0 ||
		                        snap.peers[i].last_handshake.tv_nsec != 0;
	}
	ret =
	    mesh_topology_discover(&agent->cluster, now, observed, snap.n_peers, &found, &n_found);
	free(observed);
	wg_snapshot_free(&snap);
	if (ret)
		return ret;
	free(agent->discovered);
	agent->discovered = found;
	agent->n_discovered = n_found;
	return 0;
}

static int build_topology(struct mesh_agent *agent, int64_t now, struct mesh_topology *topology)
{
	const struct mesh_node *local = agent_local_node(agent);
	struct mesh_topology_options options = {
	    .granularity = agent->options.granularity,
	    .hostname = agent->options.hostname,
	    .port = agent->options.port,
	    .subnet = agent->options.subnet,
	    .subnet6 = agent->options.subnet6,
	    .now = now,
	    /* Fresh from the device: the listing's annotation is what we published last. */
	    .discovered = agent->discovered,
	    .n_discovered = agent->n_discovered,
	};
	char err[256] = "";
	int ret;

	/* A forced endpoint's port is the listen port too (docs/kilo.md, Annotations). */
	if (local && local->endpoint.port)
		options.port = local->endpoint.port;
	ret = mesh_topology_build(&agent->cluster, &options, topology, err, sizeof(err));
	if (ret == -ENOENT)
		mesh_log(&agent->log, LOG_DEBUG, "local node is not ready yet");
	else if (ret)
		mesh_log(&agent->log, LOG_ERR, "failed to create topology: %s", err);
	return ret;
}

static int apply_engine(struct mesh_agent *agent, const struct mesh_topology *topology)
{
	struct mesh_wg_config local;
	int ret = mesh_wgconfig_local(topology, &local);

	if (ret)
		return ret;
	ret = mesh_apply_wg_config(agent->device, &local, agent->private_key, &agent->log);
	mesh_wgconfig_release(&local);
	return ret;
}

/*
 * --mtu auto, re-detected on every apply as Kilo does. The MTU is the
 * default route's link's: no hostname, whose lookup may wait seconds on DNS.
 */
static unsigned int detect_mtu(struct mesh_agent *agent)
{
	struct mesh_host host = {0};
	unsigned int mtu = MESH_FALLBACK_MTU;

	if (!mesh_host_collect(agent->nl, NULL, &host))
		mtu = mesh_ipdetect_mtu(&host);
	mesh_host_release(&host);
	return mtu;
}

/* Leaders: address, MTU, up; standbys: no address, MTU, up; others: down, as Kilo. */
static int apply_link(struct mesh_agent *agent, const struct mesh_topology *topology,
                      struct nl_link *link)
{
	/* A dual-stack leader's kilo0 holds a WireGuard IP of each family. */
	const struct mesh_prefix addresses[] = {topology->wireguard_cidr,
	                                        topology->wireguard_cidr6};
	size_t n = mesh_prefix_is_set(&topology->wireguard_cidr6) ? 2 : 1;
	unsigned int mtu = agent->options.mtu ? agent->options.mtu : detect_mtu(agent);
	int ret = nl_link_get(agent->nl, agent->options.interface, link);

	if (ret)
		return ret;
	if (!topology->leader && !mesh_topology_standby(topology))
		return link->up ? nl_link_set(agent->nl, link->ifindex, 0, 0) : 0;
	/* A standby is up for its sessions, without the leader's addresses (leader.h). */
	ret = mesh_link_set_addresses(agent->nl, link->ifindex, addresses, topology->leader ? n : 0,
	                              NULL);
	if (!ret && (!link->up || link->mtu != mtu))
		ret = nl_link_set(agent->nl, link->ifindex, 1, link->mtu != mtu ? mtu : 0);
	return ret;
}

static int apply_iptables(struct mesh_agent *agent, const struct mesh_topology *topology)
{
	const struct mesh_iptables_options options = {
	    .cni = agent->options.cni,
	    .forward_rules = agent->options.iptables_forward_rules,
	    .local = agent->options.local,
	    .encapsulate = agent->options.encapsulate,
	    .compatibility = agent->options.compatibility,
	    .service_cidrs = agent->options.service_cidrs,
	    .n_service_cidrs = agent->options.n_service_cidrs,
	};
	struct mesh_iptables_metrics operations = {0};
	struct mesh_iptables_ruleset ruleset;
	char err[MESH_APPLY_IPTABLES_ERRLEN] = "";
	bool changed = false;
	int ret = mesh_iptables_build(topology, &options, &ruleset);

	if (ret)
		return ret;
	ret = mesh_apply_iptables(&ruleset, &agent->iptables, &changed, &operations, err,
	                          sizeof(err));
	agent_count_iptables(agent, &operations);
	mesh_iptables_release(&ruleset);
	if (ret)
		mesh_log(&agent->log, LOG_ERR, "failed to apply iptables rules: %s", err);
	else if (changed)
		mesh_log(&agent->log, LOG_INFO, "iptables rules updated");
	return ret;
}

/* The interface that holds the local private IP, 0 if none does. */
static int private_ifindex(struct mesh_agent *agent, const struct mesh_topology *topology)
{
	const struct mesh_prefix *ip = mesh_node_private_ip(topology->local);
	struct nl_address *have = NULL;
	size_t n = 0;
	int ifindex = 0;

	if (!ip || nl_address_dump(agent->nl, ip->addr.family, &have, &n))
		return 0;
	for (size_t i = 0; i < n && !ifindex; i++)
		if (!memcmp(have[i].ip.bytes, ip->addr.bytes, ip_addr_len(&ip->addr)))
			ifindex = have[i].ifindex;
	free(have);
	return ifindex;
}

/* Kept for the route watch: what to restore when someone deletes a route or rule. */
static void remember_routes(struct mesh_agent *agent, struct mesh_route_state *desired)
{
	mesh_route_state_release(&agent->routes);
	agent->routes = *desired;
	agent->has_routes = true;
}

/*
 * Kilo's IPIP, or Cilium's mode, which is IPIP through Cilium's overlay. IPIP
 * is IPv4 in IPv4: a node whose private IP is IPv6 has no tunnel, as one
 * without a private IP has none in Kilo, and its IPv6 traffic is never
 * encapsulated (mesh/view/routes.h).
 */
static bool uses_ipip(const struct mesh_agent *agent)
{
	return agent->options.encapsulate != MESH_ENCAPSULATE_NEVER &&
	       agent->options.compatibility != MESH_COMPATIBILITY_FLANNEL &&
	       agent->private_ip.addr.family == AF_INET;
}

/* The link of the tunnel role: tunl0, flannel.1, or Cilium's cilium_tunl. */
static const char *tunnel_name(const struct mesh_agent *agent)
{
	if (agent->options.compatibility == MESH_COMPATIBILITY_FLANNEL)
		return FLANNEL_TUNNEL;
	return agent->cilium_tunnel ? MESH_CILIUM_TUNNEL : MESH_IPIP_NAME;
}

static int apply_routes(struct mesh_agent *agent, const struct mesh_topology *topology,
                        const struct nl_link *kilo)
{
	const struct mesh_routes_options options = {.encapsulate = agent->options.encapsulate,
	                                            .compatibility = agent->options.compatibility,
	                                            .local = agent->options.local};
	struct mesh_route_links links = {.kilo = kilo->ifindex};
	struct mesh_route_changes changes = {0};
	struct mesh_route_state desired;
	struct mesh_routes routes;
	struct nl_link tunnel;
	char err[256] = "";
	int ret, missing;

	snprintf(links.kilo_name, sizeof(links.kilo_name), "%s", kilo->name);
	links.private_iface = private_ifindex(agent, topology);
	if (!nl_link_get(agent->nl, tunnel_name(agent), &tunnel))
		links.tunnel = tunnel.ifindex;
	ret = mesh_routes_build(topology, &options, &routes);
	if (ret)
		return ret;
	missing = mesh_apply_routes_desired(&routes, &links, &desired, err, sizeof(err));
	mesh_routes_release(&routes);
	if (missing && missing != -ENODEV) {
		mesh_log(&agent->log, LOG_ERR, "failed to apply routes: %s", err);
		return missing;
	}
	/* Routes over a missing link are left out; the others go in all the same. */
	if (missing)
		mesh_log(&agent->log, LOG_ERR, "failed to apply routes: %s", err);
	ret = mesh_apply_routes(agent->nl, &desired, &changes, err, sizeof(err));
	remember_routes(agent, &desired);
	if (ret)
		mesh_log(&agent->log, LOG_ERR, "failed to apply routes: %s", err);
	else if (changes.routes_replaced || changes.routes_removed || changes.rules_added ||
	         changes.rules_removed)
		mesh_log(&agent->log, LOG_INFO,
		         "routes updated: %zu replaced, %zu removed, "
		         "rules: %zu added, %zu removed",
		         changes.routes_replaced, changes.routes_removed, changes.rules_added,
		         changes.rules_removed);
	return ret ? ret : missing;
}

int agent_create_tunnel(struct mesh_agent *agent)
{
	struct nl_link tunnel;
	char err[256] = "";
	int ret;

	if (!uses_ipip(agent) || !agent->private_ifindex)
		return 0;
	if (agent->options.compatibility == MESH_COMPATIBILITY_CILIUM) {
		ret = mesh_cilium_tunnel_adopt(agent->nl, &agent->cilium_tunnel);
		if (ret)
			mesh_log(&agent->log, LOG_ERR, "failed to set %s up: %s",
			         MESH_CILIUM_TUNNEL, strerror(-ret));
		if (ret || agent->cilium_tunnel)
			return ret;
	}
	ret = mesh_ipip_init(agent->nl, MESH_IPIP_NAME, agent->private_ifindex, &tunnel, err,
	                     sizeof(err));
	if (ret)
		mesh_log(&agent->log, LOG_ERR, "failed to create tunnel interface %s: %s",
		         MESH_IPIP_NAME, err);
	return ret;
}

/*
 * The tunnel's address: the first IP of the local pod CIDR while routes
 * inside the location are managed (so encapsulated traffic has a source),
 * none otherwise.
 */
static int apply_tunnel_address(struct mesh_agent *agent, const struct mesh_topology *topology)
{
	struct mesh_prefix address = {0};
	struct nl_link tunnel;
	int ret = 0;

	if (!uses_ipip(agent) || nl_link_get(agent->nl, tunnel_name(agent), &tunnel))
		return 0;
	if (agent->options.local)
		ret = mesh_routes_tunnel_address(topology, &address);
	else if (agent->cilium_tunnel)
		return 0; /* Cilium's link: only Kilo's own address is ever set on it */
	if (!ret)
		ret = mesh_link_set_address(agent->nl, tunnel.ifindex, &address, NULL);
	if (ret)
		mesh_log(&agent->log, LOG_ERR, "failed to set the address of %s: %s",
		         tunnel_name(agent), strerror(-ret));
	return ret;
}

/* Kilo's IPIP clean-up: the tunnel's addresses and the link go, unless Cilium's. */
static int clean_up_tunnel(struct mesh_agent *agent)
{
	int ret = uses_ipip(agent) && !agent->cilium_tunnel
	              ? mesh_ipip_clean_up(agent->nl, MESH_IPIP_NAME)
	              : 0;

	if (ret)
		mesh_log(&agent->log, LOG_ERR, "failed to clean up %s: %s", MESH_IPIP_NAME,
		         strerror(-ret));
	return ret;
}

static int apply_host(struct mesh_agent *agent, const struct mesh_topology *topology)
{
	struct nl_link kilo;
	int ret = apply_iptables(agent, topology);

	if (apply_tunnel_address(agent, topology) && !ret)
		ret = -EIO;
	if (topology->leader || mesh_topology_standby(topology)) {
		int err = apply_engine(agent, topology);

		ret = ret ? ret : err;
	}
	if (apply_link(agent, topology, &kilo)) {
		mesh_log(&agent->log, LOG_ERR, "failed to set up interface %s",
		         agent->options.interface);
		return -ENODEV;
	}
	/* Routes last: they need the link's address in place. */
	if (apply_routes(agent, topology, &kilo) && !ret)
		ret = -EIO;
	return ret;
}

/* From a topology to the host; false if any step failed. */
static bool apply_topology(struct mesh_agent *agent, int64_t now)
{
	struct mesh_topology topology;
	int ret = build_topology(agent, now, &topology);

	if (ret) {
		agent_set_gauges(agent, NULL, now);
		agent_set_graph(agent, NULL);
		return ret == -ENOENT;
	}
	agent_set_gauges(agent, &topology, now);
	agent_set_graph(agent, &topology);
	agent_health_follow(agent, &topology);
	memset(&agent->wireguard_ip, 0, sizeof(agent->wireguard_ip));
	memset(&agent->wireguard_ip6, 0, sizeof(agent->wireguard_ip6));
	if (topology.leader) {
		agent->wireguard_ip = topology.wireguard_cidr;
		agent->wireguard_ip6 = topology.wireguard_cidr6;
	}
	ret = apply_host(agent, &topology);
	mesh_topology_release(&topology);
	return !ret;
}

void agent_apply(struct mesh_agent *agent)
{
	int64_t now = agent_readiness_now(&agent->readiness, agent_now());
	int ret;

	agent_count_reconcile(agent);
	/* Its interface was deleted: a new one, which gets everything below. */
	if (!agent->device) {
		if (agent_open_device(agent)) {
			agent_count_error(agent, MESH_AGENT_EVENT_APPLY);
			return;
		}
		if (agent_key_device(agent)) {
			agent_close_device(agent, false);
			agent_count_error(agent, MESH_AGENT_EVENT_APPLY);
			return;
		}
		mesh_log(&agent->log, LOG_INFO, "interface %s recreated", agent->options.interface);
	}
	ret = discover(agent, now);
	if (ret) {
		mesh_log(&agent->log, LOG_ERR, "failed to discover NAT endpoints: %s",
		         strerror(-ret));
		agent_count_error(agent, MESH_AGENT_EVENT_APPLY);
		return;
	}
	if (apply_topology(agent, now))
		agent_remember_applied(agent, now);
	else
		agent_count_error(agent, MESH_AGENT_EVENT_APPLY);
	/* The WireGuard IP and the discovered endpoints reach the backend now. */
	agent_publish(agent, false);
}

void agent_update_cni(struct mesh_agent *agent)
{
	const struct mesh_node *local = agent_local_node(agent);
	const struct mesh_prefix *subnets[2];
	struct mesh_prefix cidrs[2];
	char err[256] = "";
	bool changed = false;
	size_t n;

	if (!agent->options.cni || !local)
		return;
	/* Both families of a dual-stack node, in spec.podCIDRs' order. */
	n = mesh_node_subnets(local, subnets);
	for (size_t i = 0; i < n; i++)
		cidrs[i] = *subnets[i];
	if (!n)
		return;
	if (mesh_cni_set_pod_cidr(agent->options.cni_path, cidrs, n, &changed, err, sizeof(err))) {
		mesh_log(&agent->log, LOG_ERR, "failed to update CNI config: %s", err);
		agent_count_error(agent, MESH_AGENT_EVENT_RUN);
	} else if (changed) {
		mesh_log(&agent->log, LOG_INFO, "CNI config %s updated", agent->options.cni_path);
	}
}

void agent_clean_up(struct mesh_agent *agent)
{
	const struct mesh_iptables_ruleset none = {0};
	const struct mesh_route_state no_routes = {0};
	struct mesh_iptables_metrics operations = {0};
	char err[MESH_APPLY_IPTABLES_ERRLEN] = "";
	int ret;

	ret = mesh_apply_iptables(&none, &agent->iptables, NULL, &operations, err, sizeof(err));
	agent_count_iptables(agent, &operations);
	if (ret)
		mesh_log(&agent->log, LOG_ERR, "failed to clean up iptables rules: %s", err);
	if (ret)
		agent_count_error(agent, MESH_AGENT_EVENT_CLEANUP);
	ret = mesh_apply_routes(agent->nl, &no_routes, NULL, err, sizeof(err));
	if (ret) {
		mesh_log(&agent->log, LOG_ERR, "failed to clean up routes: %s", err);
		agent_count_error(agent, MESH_AGENT_EVENT_CLEANUP);
	}
	if (clean_up_tunnel(agent))
		agent_count_error(agent, MESH_AGENT_EVENT_CLEANUP);
	/* A Node missing from the backend holds no annotations of ours. */
	if (agent_local_node(agent) && mesh_backend_clean_up(agent->backend))
		agent_count_error(agent, MESH_AGENT_EVENT_CLEANUP);
	mesh_log(&agent->log, LOG_INFO, "cleaned up");
}
