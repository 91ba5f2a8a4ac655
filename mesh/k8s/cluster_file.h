/* SPDX-License-Identifier: MIT */
/*
 * The `file` backend's reader. A cluster file holds what
 * `kubectl get nodes,peers -o json` or `-o yaml` prints: a List (or a
 * NodeList/PeerList) of Node and Peer objects, or a stream of such objects and
 * lists (YAML documents separated by "---", concatenated JSON values, or one
 * top-level JSON array). Text starting with '{' or '[' is JSON, anything else
 * YAML. The path "-" reads standard input.
 *
 * The result is the raw Kubernetes objects, not the model: two JSON arrays
 * with the Node (apiVersion v1) and Peer (kilo.squat.ai/v1alpha1) objects in
 * file order; mesh/k8s/codec.h turns them into the model. Objects of other kinds
 * are skipped. A syntax error, an object without a kind, or a Node/Peer of
 * another apiVersion fails with -EINVAL and a message in the json_error_t
 * (line and column for syntax errors); an unreadable file fails with the
 * negative errno.
 */
#ifndef MESH_CLUSTER_FILE_H
#define MESH_CLUSTER_FILE_H

#include <jansson.h>
#include <stddef.h>

struct mesh_cluster_objects {
	json_t *nodes; /* array of Node objects */
	json_t *peers; /* array of Peer objects */
};

int mesh_cluster_file_parse(const char *buf, size_t len, struct mesh_cluster_objects *objects,
                            json_error_t *error);
int mesh_cluster_file_load(const char *path, struct mesh_cluster_objects *objects,
                           json_error_t *error);
void mesh_cluster_objects_release(struct mesh_cluster_objects *objects);

#endif /* MESH_CLUSTER_FILE_H */
