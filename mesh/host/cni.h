/* SPDX-License-Identifier: MIT */
/*
 * The node's pod CIDR in the CNI configuration list (Kilo's pkg/mesh/cni.go, --cni).
 *
 * The conflist (installed by the install-cni init container) names no range; the agent puts
 * the node's podCIDR there: when the first plugin with an "ipam" section does not already have
 * it as ranges[0][0].subnet, every plugin with an "ipam" section gets
 * "ranges": [[{"subnet": podCIDR}]] and everything else in the file is kept as it was. The
 * file is replaced atomically (a temporary file in the same directory, then rename) and only
 * when it changes. Errors name the file and what is wrong with it.
 */
#ifndef MESH_CNI_H
#define MESH_CNI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "mesh/model/prefix.h"

#define MESH_CNI_DEFAULT_PATH "/etc/cni/net.d/10-kilo.conflist"

/* Set pod_cidr in a parsed conflist; *changed tells whether it was different. */
int mesh_cni_update(json_t *conflist, const struct mesh_prefix *pod_cidr, bool *changed, char *err,
                    size_t err_size);

/* Read, update and, if changed, rewrite the conflist at path. changed may be NULL. */
int mesh_cni_set_pod_cidr(const char *path, const struct mesh_prefix *pod_cidr, bool *changed,
                          char *err, size_t err_size);

#endif /* MESH_CNI_H */
