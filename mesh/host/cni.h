/* SPDX-License-Identifier: MIT */
/*
 * The node's pod CIDR in the CNI configuration list (Kilo's pkg/mesh/cni.go, --cni).
 *
 * The conflist (installed by the install-cni init container) names no range; the agent puts
 * the node's pod CIDRs there: when the first plugin with an "ipam" section does not already have
 * them as ranges[0][0].subnet (and ranges[1][0].subnet), every plugin with an "ipam" section gets
 * "ranges": [[{"subnet": podCIDR}]], or for a dual-stack node (spec.podCIDRs, in their order)
 * host-local's "ranges": [[{"subnet": IPv4}], [{"subnet": IPv6}]], and everything else in the
 * file is kept as it was. The
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

/*
 * Set the n (1 or 2) pod_cidrs in a parsed conflist; *changed tells whether they were
 * different.
 */
int mesh_cni_update(json_t *conflist, const struct mesh_prefix *pod_cidrs, size_t n, bool *changed,
                    char *err, size_t err_size);

/* Read, update and, if changed, rewrite the conflist at path. changed may be NULL. */
int mesh_cni_set_pod_cidr(const char *path, const struct mesh_prefix *pod_cidrs, size_t n,
                          bool *changed, char *err, size_t err_size);

#endif /* MESH_CNI_H */
