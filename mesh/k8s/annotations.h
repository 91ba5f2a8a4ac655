/* SPDX-License-Identifier: MIT */
/*
 * The annotations kg writes on its own Node (docs/kilo.md, Annotations), as a JSON object
 * ready to be a merge patch's metadata.annotations: key, endpoint,
 * internal-ip, wireguard-ip, last-seen, discovered-endpoints, granularity and
 * cni-compatibility-ip, formatted as Kilo's nodeBackend.Set formats them (an
 * absent internal, WireGuard or CNI compatibility IP is "", discovered
 * endpoints are Go's JSON of map[string]*net.UDPAddr), and ours, tunnel-health
 * (mesh/model/health.h). A dual-stack node (pod CIDRs of both families) also
 * writes ours, internal-ipv6 and wireguard-ipv6 ("" when it has none); a
 * single-stack node writes exactly Kilo's eight and tunnel-health.
 * The clean-up object maps all these keys but cni-compatibility-ip (which
 * Kilo leaves) to null, which a merge patch reads as "remove" and which is
 * idempotent, unlike Kilo's JSON patch that fails when one is already gone.
 *
 * mesh_annotations_apply() does to an object what the API server does with
 * such a patch; the file backend uses it to overlay its own node.
 */
#ifndef MESH_ANNOTATIONS_H
#define MESH_ANNOTATIONS_H

#include <jansson.h>

#include "mesh/model/model.h"

/* New references, NULL when out of memory. */
json_t *mesh_annotations_of_node(const struct mesh_node *node);
json_t *mesh_annotations_removal(void);

/* Set (or, for null, remove) each annotation in object's metadata.annotations. */
int mesh_annotations_apply(json_t *object, const json_t *annotations);

#endif /* MESH_ANNOTATIONS_H */
