/* SPDX-License-Identifier: MIT */
/*
 * Where the cluster comes from: Kilo's mesh.Backend (pkg/mesh/backend.go) as
 * one interface over two implementations, the Kubernetes API (Nodes and
 * peers.kilo.squat.ai, list then watch) and a cluster file (mesh/
 * cluster_file.h).
 *
 * The listing is always the full current set of Nodes and Peers, decoded by
 * mesh/k8s/codec.h; invalid objects are reported through options.log and skipped
 * as Kilo skips them. With options.watch the backend follows changes on its
 * own (the Kubernetes backend in threads of its own, the file backend through
 * inotify) and mesh_backend_fd() becomes readable whenever the listing may
 * have changed since the last mesh_backend_list(); the caller polls it next to
 * its timers, and mesh_backend_list() drains it. The fd first becomes readable
 * once every resource has been listed; until then mesh_backend_list() returns
 * -EAGAIN. Without options.watch the listing is taken once, in
 * mesh_backend_open() (which then fails if it cannot list), and the fd never
 * becomes readable.
 *
 * mesh_backend_create_peer() and mesh_backend_delete_peer() manage a Peer
 * object (kgctl connect). Only the Kubernetes backend can: the file backend
 * answers -EOPNOTSUPP, naming the file to add the Peer to.
 *
 * mesh_backend_set_node() publishes the agent-written annotations of
 * options.hostname (key, endpoint, internal-ip, wireguard-ip, last-seen,
 * discovered-endpoints, granularity, cni-compatibility-ip;
 * mesh/k8s/annotations.h) and nothing else; mesh_backend_clean_up() removes
 * those but cni-compatibility-ip, as Kilo does. The Kubernetes backend
 * patches the Node; the file backend never writes the file: it keeps the
 * annotations in memory, lays them over its own node on every listing, and
 * makes the fd readable as a watch event would.
 *
 * Every failure is reported once through options.log (never a token or a
 * key) and returned as a negative errno. The functions may be called from one
 * thread at a time. The strings in options are borrowed: they must outlive
 * the backend.
 */
#ifndef MESH_BACKEND_H
#define MESH_BACKEND_H

#include <stdbool.h>

#include "mesh/model/log.h"
#include "mesh/model/model.h"

enum mesh_backend_kind {
	MESH_BACKEND_KUBERNETES = 0,
	MESH_BACKEND_FILE,
};

/* level is a <syslog.h> priority: LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG. */
typedef mesh_log_fn mesh_backend_log_fn;

struct mesh_backend_options {
	enum mesh_backend_kind kind;
	const char *kubeconfig;     /* kubernetes: NULL or "" = in-cluster config */
	const char *master;         /* kubernetes: API server URL override, or NULL */
	const char *cluster_file;   /* file: path, "-" = standard input (no watch) */
	const char *topology_label; /* NULL: MESH_DEFAULT_TOPOLOGY_LABEL */
	const char *hostname;       /* own Node, the only one set/clean_up touch; kgctl: NULL */
	bool watch;                 /* follow changes (kg) or list once (kgctl) */
	mesh_backend_log_fn *log;   /* NULL: messages are dropped */
	void *log_ctx;
};

struct mesh_backend;

/* "kubernetes" or "file"; -EINVAL otherwise. */
int mesh_backend_kind_parse(const char *text, enum mesh_backend_kind *kind);

/*
 * The Kubernetes backend checks the Peer CRD first, as Kilo's informers
 * watch nothing the server lacks: -ENOENT (reported as "peers.kilo.squat.ai
 * CRD not found: apply manifests/crds.yaml") without it.
 */
int mesh_backend_open(const struct mesh_backend_options *options, struct mesh_backend **backend);
/* Poll for POLLIN; -1 without options.watch. */
int mesh_backend_fd(const struct mesh_backend *backend);
/* The current listing into cluster (released by the caller); drains the fd. */
int mesh_backend_list(struct mesh_backend *backend, struct mesh_cluster *cluster);
/* Publish node's agent-written annotations on options.hostname's Node. */
int mesh_backend_set_node(struct mesh_backend *backend, const struct mesh_node *node);
/* Remove the agent-written annotations from options.hostname's Node. */
int mesh_backend_clean_up(struct mesh_backend *backend);
/* Create Peer peer; -EEXIST (not reported) when a Peer of that name exists. */
int mesh_backend_create_peer(struct mesh_backend *backend, const struct mesh_peer *peer);
/* Delete Peer name; -ENOENT (not reported) when there is none. */
int mesh_backend_delete_peer(struct mesh_backend *backend, const char *name);
/* Stops the watches and frees everything; NULL is fine. */
void mesh_backend_close(struct mesh_backend *backend);

#endif /* MESH_BACKEND_H */
