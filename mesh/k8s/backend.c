// SPDX-License-Identifier: MIT
/*
 * The backend interface: dispatch to the implementation, and the logging,
 * decoding and annotation patches every implementation shares. The factory
 * is backend_open.c: the implementations call down into this file, never
 * the other way round.
 */
#include "mesh/k8s/backend.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "mesh/k8s/annotations.h"
#include "mesh/k8s/backend_ops.h"
#include "mesh/model/log.h"

void mesh_backend_log(const struct mesh_backend *backend, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mesh_vlog(backend->options.log, backend->options.log_ctx, level, fmt, ap);
	va_end(ap);
}

static void report(void *ctx, const char *message)
{
	mesh_backend_log(ctx, LOG_WARNING, "%s", message);
}

void mesh_backend_init(struct mesh_backend *backend, const struct mesh_backend_ops *ops,
                       const struct mesh_backend_options *options)
{
	backend->ops = ops;
	backend->options = *options;
	backend->codec = (struct mesh_codec_options){
	    .topology_label = options->topology_label,
	    .report = report,
	    .report_ctx = backend,
	};
}

int mesh_backend_decode(const struct mesh_backend *backend, const json_t *nodes,
                        const json_t *peers, struct mesh_cluster *cluster)
{
	int ret = mesh_codec_cluster_decode(nodes, peers, &backend->codec, cluster);

	if (ret)
		mesh_backend_log(backend, LOG_ERR, "failed to decode the cluster: %s",
		                 strerror(-ret));
	return ret;
}

int mesh_backend_fd(const struct mesh_backend *backend)
{
	return backend->ops->fd(backend);
}

int mesh_backend_list(struct mesh_backend *backend, struct mesh_cluster *cluster)
{
	memset(cluster, 0, sizeof(*cluster));
	return backend->ops->list(backend, cluster);
}

static int annotate(struct mesh_backend *backend, json_t *annotations)
{
	const char *hostname = backend->options.hostname;
	int ret = -ENOMEM;

	if (!hostname || !*hostname) {
		mesh_backend_log(backend, LOG_ERR,
		                 "cannot annotate the own node: no hostname given");
		ret = -EINVAL;
	} else if (!annotations) {
		mesh_backend_log(backend, LOG_ERR, "failed to annotate node %s: %s", hostname,
		                 strerror(ENOMEM));
	} else {
		ret = backend->ops->annotate(backend, annotations);
	}
	json_decref(annotations);
	return ret;
}

int mesh_backend_set_node(struct mesh_backend *backend, const struct mesh_node *node)
{
	return annotate(backend, mesh_annotations_of_node(node));
}

int mesh_backend_clean_up(struct mesh_backend *backend)
{
	return annotate(backend, mesh_annotations_removal());
}

/* A cluster file is its author's to edit: kg and kgctl never write it. */
static int cannot_write_peer(const struct mesh_backend *backend, const char *what, const char *name)
{
	mesh_backend_log(backend, LOG_ERR,
	                 "the file backend cannot %s Peer %s: edit the cluster file %s instead",
	                 what, name, backend->options.cluster_file);
	return -EOPNOTSUPP;
}

int mesh_backend_create_peer(struct mesh_backend *backend, const struct mesh_peer *peer)
{
	json_t *object;
	int ret;

	if (!backend->ops->create_peer)
		return cannot_write_peer(backend, "create", peer->name);
	/* The server sets the creation time; some schemas reject the serializer's null. */
	object = mesh_codec_peer_encode(peer);
	if (object)
		json_object_del(json_object_get(object, "metadata"), "creationTimestamp");
	if (!object) {
		mesh_backend_log(backend, LOG_ERR, "failed to create Peer %s: %s", peer->name,
		                 strerror(ENOMEM));
		return -ENOMEM;
	}
	ret = backend->ops->create_peer(backend, object);
	json_decref(object);
	return ret;
}

int mesh_backend_delete_peer(struct mesh_backend *backend, const char *name)
{
	if (!backend->ops->delete_peer)
		return cannot_write_peer(backend, "delete", name);
	return backend->ops->delete_peer(backend, name);
}

void mesh_backend_close(struct mesh_backend *backend)
{
	if (backend)
		backend->ops->close(backend);
}
