// SPDX-License-Identifier: MIT
/*
 * What every kgctl command does first, in the order Kilo's kgctl does it:
 * check the global flags, list the nodes and peers from the backend, settle
 * the granularity and the Kilo subnet, then build the topology from one
 * node's point of view.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>

#include "cmd/kgctl/kgctl.h"
#include "mesh/k8s/backend.h"

void kgctl_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mesh_flags_verror("kgctl", fmt, ap);
	va_end(ap);
}

/* Warnings and errors reach the operator; the rest is for kg's log. */
static void report(void *ctx, int level, const char *message)
{
	(void)ctx;
	if (level <= LOG_WARNING)
		kgctl_error("%s", message);
}

static int check_flags(const struct kgctl_options *options, struct kgctl_cluster *kc)
{
	if (mesh_flags_port(options->port, &kc->port)) {
		kgctl_error("invalid port: port must be in range [1:65535], but got %s",
		            options->port);
		return -1;
	}
	if (mesh_granularity_parse(options->granularity, &kc->granularity)) {
		kgctl_error("mesh granularity %s unknown; possible values are: location, full, "
		            "cross, auto",
		            options->granularity);
		return -1;
	}
	return 0;
}

int kgctl_backend_open(const struct kgctl_options *options, enum mesh_backend_kind *kind,
                       struct mesh_backend **backend)
{
	struct mesh_backend_options backend_options = {
	    .kubeconfig = options->kubeconfig,
	    .cluster_file = options->cluster_file,
	    .topology_label = options->topology_label,
	    .log = report,
	};
	/* Naming a cluster file is asking for the file backend. */
	const char *name = options->backend        ? options->backend
	                   : options->cluster_file ? "file"
	                                           : "kubernetes";

	*backend = NULL;
	if (mesh_backend_kind_parse(name, kind)) {
		kgctl_error("backend %s unknown; possible values are: kubernetes, file", name);
		return -1;
	}
	if (*kind == MESH_BACKEND_FILE && !options->cluster_file) {
		kgctl_error("the file backend needs --cluster-file PATH");
		return -1;
	}
	backend_options.kind = *kind;
	return mesh_backend_open(&backend_options, backend);
}

/* One listing, without a watch: the backend reports what went wrong. */
static int read_cluster(const struct kgctl_options *options, enum mesh_backend_kind *kind,
                        struct mesh_cluster *cluster)
{
	struct mesh_backend *backend;
	int ret = kgctl_backend_open(options, kind, &backend);

	if (!ret)
		ret = mesh_backend_list(backend, cluster);
	mesh_backend_close(backend);
	return ret;
}

/* auto: whatever the first listed node's agent announces, as in Kilo. */
static int resolve_granularity(struct kgctl_cluster *kc)
{
	const struct mesh_node *first = kc->cluster.nodes;

	if (kc->granularity != MESH_GRANULARITY_AUTO)
		return 0;
	if (!kc->cluster.n_nodes) {
		kgctl_error("failed to determine granularity: could not get any nodes");
		return -1;
	}
	if (first->granularity == MESH_GRANULARITY_UNSET) {
		kgctl_error("failed to determine granularity: node \"%s\" announces no mesh "
		            "granularity; pass --mesh-granularity",
		            first->name);
		return -1;
	}
	kc->granularity = first->granularity;
	return 0;
}

/*
 * A live cluster is judged now, as Kilo's kgctl judges it. A saved listing
 * is judged at the moment it was taken: the newest heartbeat in it stands
 * for "now", so readiness does not decay with the file's age.
 */
static void settle(struct kgctl_cluster *kc, enum mesh_backend_kind kind)
{
	if (kind == MESH_BACKEND_KUBERNETES)
		kc->now = time(NULL);
	mesh_prefix_parse(MESH_DEFAULT_SUBNET, &kc->subnet);
	for (size_t i = 0; i < kc->cluster.n_nodes; i++) {
		const struct mesh_node *node = &kc->cluster.nodes[i];

		if (kind == MESH_BACKEND_FILE && node->last_seen > kc->now)
			kc->now = node->last_seen;
		/* The subnet comes from the last node listed with a WireGuard IP. */
		if (mesh_prefix_is_set(&node->wireguard_ip))
			kc->subnet = mesh_prefix_masked(&node->wireguard_ip);
		/* A dual-stack mesh's IPv6 one likewise, from wireguard-ipv6. */
		if (mesh_prefix_is_set(&node->wireguard_ip6))
			kc->subnet6 = mesh_prefix_masked(&node->wireguard_ip6);
	}
	/* It stands beside an IPv4 subnet only (an IPv6 mesh has its one in wireguard-ip). */
	if (kc->subnet.addr.family != AF_INET)
		memset(&kc->subnet6, 0, sizeof(kc->subnet6));
	for (size_t i = 0; i < kc->cluster.n_nodes; i++)
		if (mesh_node_is_ready(&kc->cluster.nodes[i], kc->now))
			kc->last_ready = kc->cluster.nodes[i].name;
}

int kgctl_cluster_load(const struct kgctl_options *options, struct kgctl_cluster *kc)
{
	enum mesh_backend_kind kind;
	int ret;

	memset(kc, 0, sizeof(*kc));
	ret = check_flags(options, kc);
	if (!ret)
		ret = read_cluster(options, &kind, &kc->cluster);
	if (!ret)
		ret = resolve_granularity(kc);
	if (!ret)
		settle(kc, kind);
	if (!ret && !kc->last_ready) {
		kgctl_error("did not find any valid Kilo nodes in the cluster");
		ret = -1;
	}
	if (ret)
		kgctl_cluster_release(kc);
	return ret;
}

void kgctl_cluster_release(struct kgctl_cluster *kc)
{
	mesh_cluster_release(&kc->cluster);
}

const struct mesh_node *kgctl_ready_node(const struct kgctl_cluster *kc, const char *name)
{
	for (size_t i = 0; i < kc->cluster.n_nodes; i++)
		if (!strcmp(kc->cluster.nodes[i].name, name))
			return mesh_node_is_ready(&kc->cluster.nodes[i], kc->now)
			           ? &kc->cluster.nodes[i]
			           : NULL;
	return NULL;
}

const struct mesh_peer *kgctl_ready_peer(const struct kgctl_cluster *kc, const char *name)
{
	for (size_t i = 0; i < kc->cluster.n_peers; i++)
		if (!strcmp(kc->cluster.peers[i].name, name))
			return mesh_peer_is_ready(&kc->cluster.peers[i]) ? &kc->cluster.peers[i]
			                                                 : NULL;
	return NULL;
}

struct mesh_topology_options kgctl_view(const struct kgctl_cluster *kc, const char *hostname)
{
	return (struct mesh_topology_options){
	    .granularity = kc->granularity,
	    .hostname = hostname,
	    .port = kc->port,
	    .subnet = kc->subnet,
	    .subnet6 = kc->subnet6,
	    .now = kc->now,
	};
}

int kgctl_topology(const struct kgctl_cluster *kc, const char *hostname,
                   struct mesh_topology *topology)
{
	const struct mesh_topology_options options = kgctl_view(kc, hostname);
	char err[256] = "";
	int ret = mesh_topology_build(&kc->cluster, &options, topology, err, sizeof(err));

	if (ret)
		kgctl_error("failed to create topology: %s", *err ? err : strerror(-ret));
	return ret;
}
