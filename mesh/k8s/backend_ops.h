/* SPDX-License-Identifier: MIT */
/*
 * Private to the backends: the operations each implementation
 * (file_backend.c, kube_backend.c) provides, the helpers of backend.c they
 * share, and their constructors for the factory (backend_open.c). An
 * implementation embeds struct mesh_backend first and is reached with
 * container_of().
 */
#ifndef MESH_BACKEND_OPS_H
#define MESH_BACKEND_OPS_H

#include <jansson.h>
#include <stddef.h>

#include "mesh/k8s/backend.h"
#include "mesh/k8s/codec.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

struct mesh_backend_ops {
	int (*fd)(const struct mesh_backend *backend);
	int (*list)(struct mesh_backend *backend, struct mesh_cluster *cluster);
	/* Merge-patch annotations (null = remove) into the own Node's. */
	int (*annotate)(struct mesh_backend *backend, const json_t *annotations);
	/* Peer objects; NULL when the backend cannot write them. */
	int (*create_peer)(struct mesh_backend *backend, const json_t *peer);
	int (*delete_peer)(struct mesh_backend *backend, const char *name);
	void (*close)(struct mesh_backend *backend);
};

struct mesh_backend {
	const struct mesh_backend_ops *ops;
	struct mesh_backend_options options; /* strings borrowed from the caller */
	struct mesh_codec_options codec;     /* reports go to options.log */
};

void mesh_backend_init(struct mesh_backend *backend, const struct mesh_backend_ops *ops,
                       const struct mesh_backend_options *options);
void mesh_backend_log(const struct mesh_backend *backend, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Node and Peer object arrays to the model, reporting what is skipped. */
int mesh_backend_decode(const struct mesh_backend *backend, const json_t *nodes,
                        const json_t *peers, struct mesh_cluster *cluster);

int mesh_file_backend_open(const struct mesh_backend_options *options,
                           struct mesh_backend **backend);
int mesh_kube_backend_open(const struct mesh_backend_options *options,
                           struct mesh_backend **backend);

#endif /* MESH_BACKEND_OPS_H */
