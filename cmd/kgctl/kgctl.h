/* SPDX-License-Identifier: MIT */
/*
 * Private to kgctl: its flags, the cluster it reads and the topology it
 * builds, shared by the subcommand files (graph.c, showconf.c, connect.c) as
 * wireguard-tools shares config.c between its subcommands.
 *
 * Every function prints its own one-line error ("kgctl: ...") to stderr and
 * returns non-zero; the subcommands return the process exit status.
 */
#ifndef KGCTL_H
#define KGCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd/common/flags.h"
#include "mesh/k8s/backend.h"
#include "mesh/model/model.h"
#include "mesh/view/topology.h"

struct kgctl_options {
	const char *backend;
	const char *cluster_file;
	const char *kubeconfig;
	const char *granularity;
	const char *port;
	const char *topology_label;
};

extern const struct mesh_flag kgctl_global_flags[];

void kgctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* --allowed-ips of connect and showconf, each CIDR masked to its network as Kilo does. */
int kgctl_allowed_ips(const struct mesh_flag_list *list, struct mesh_prefix **ips, size_t *n);

/* A listed cluster, judged at time now, as Kilo's kgctl commands see it. */
struct kgctl_cluster {
	struct mesh_cluster cluster;
	int64_t now;                       /* readiness reference */
	enum mesh_granularity granularity; /* resolved from auto */
	struct mesh_prefix subnet;         /* from the nodes' wireguard-ip, else 10.4.0.0/16 */
	struct mesh_prefix subnet6;        /* from wireguard-ipv6 (dual stack), else none */
	uint16_t port;
	const char *last_ready; /* name of the last ready node listed, or NULL */
};

/* The backend the global flags name, listed once. */
int kgctl_backend_open(const struct kgctl_options *options, enum mesh_backend_kind *kind,
                       struct mesh_backend **backend);
int kgctl_cluster_load(const struct kgctl_options *options, struct kgctl_cluster *cluster);
void kgctl_cluster_release(struct kgctl_cluster *cluster);
const struct mesh_node *kgctl_ready_node(const struct kgctl_cluster *cluster, const char *name);
const struct mesh_peer *kgctl_ready_peer(const struct kgctl_cluster *cluster, const char *name);
/* The topology options of the cluster seen from node hostname. */
struct mesh_topology_options kgctl_view(const struct kgctl_cluster *cluster, const char *hostname);
int kgctl_topology(const struct kgctl_cluster *cluster, const char *hostname,
                   struct mesh_topology *topology);

int kgctl_graph(int argc, char **argv, const struct kgctl_options *options);
int kgctl_showconf(int argc, char **argv, const struct kgctl_options *options);
int kgctl_connect(int argc, char **argv, const struct kgctl_options *options);
/* The subcommands' own flags, for kgctl's help and completion. */
extern const struct mesh_flag kgctl_connect_flags[], kgctl_showconf_flags[];

#endif /* KGCTL_H */
