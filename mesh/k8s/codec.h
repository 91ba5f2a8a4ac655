/* SPDX-License-Identifier: MIT */
/*
 * Kubernetes objects (jansson) to the mesh model and back, as Kilo's
 * pkg/k8s/backend.go translates them.
 *
 * Node: metadata.name, spec.podCIDR and the other family's entry of
 * spec.podCIDRs (masked), every kilo.squat.ai/... annotation, and the
 * location label (options.topology_label; the location annotation wins even
 * when empty). An annotation that does not parse is reported with the node,
 * the annotation and the value, and ignored as Kilo ignores it:
 * force-endpoint and force-internal-ip(v6) fall back to the agent-written
 * value, the rest to their zero value; so is one of the wrong family (an
 * IPv6 cni-compatibility-ip, an IPv4 internal-ipv6). kilo.squat.ai/pod-cidrs
 * names the pod CIDRs of a node whose spec has none (Kilo #382, Cilium's
 * cluster-pool IPAM); the spec wins when it has one, and a cluster listing
 * drops (reported) the annotation of a node whose pod CIDRs overlap those of
 * a node with them in its spec, or of one named earlier. Only a Node without
 * a name is rejected.
 *
 * Peer: Kilo's Peer.Validate() (allowed IPs are CIDRs; an endpoint has a
 * DNS-1123 name or an IP and a port 1..65535; keepalive >= 0; the public key
 * is base64 of 32 bytes) plus WireGuard's keepalive limit of 65535 s. An
 * invalid Peer is reported and rejected (-EINVAL), which is how Kilo's backend
 * drops it. A DNS name wins over an IP, as in Kilo's translatePeer; an
 * unparsable preshared key is reported and treated as absent.
 *
 * Reports are one line each ("peer \"p\": spec.endpoint.port: invalid value
 * 0: ...; peer ignored") handed to options.report; without one they are
 * dropped. Decoding never aborts on input. Secret key material read from
 * objects is wiped from temporary buffers.
 *
 * mesh_codec_peer_encode() is the reverse, a kilo.squat.ai/v1alpha1 Peer in
 * the field order of Kilo's Go types. Unlike `kgctl --as-peer` in Kilo, an
 * absent endpoint is left out (Kilo prints ip "<nil>", port 0), a DNS
 * endpoint keeps its host name (Kilo prints the port there) and the keepalive
 * is in seconds (Kilo prints nanoseconds): the object must be one that Kilo
 * itself accepts back.
 */
#ifndef MESH_CODEC_H
#define MESH_CODEC_H

#include <jansson.h>

#include "mesh/model/model.h"

#define MESH_DEFAULT_TOPOLOGY_LABEL "topology.kubernetes.io/region"

typedef void mesh_codec_report_fn(void *ctx, const char *message);

struct mesh_codec_options {
	const char *topology_label;   /* NULL: MESH_DEFAULT_TOPOLOGY_LABEL */
	mesh_codec_report_fn *report; /* NULL: reports are dropped */
	void *report_ctx;
};

int mesh_codec_node_decode(const json_t *object, const struct mesh_codec_options *options,
                           struct mesh_node *node);
int mesh_codec_peer_decode(const json_t *object, const struct mesh_codec_options *options,
                           struct mesh_peer *peer);

/*
 * Every Node and Peer object (arrays, as from mesh/k8s/cluster_file.h) into
 * cluster, in order. Rejected objects and repeated names are reported and
 * skipped; only -ENOMEM fails.
 */
int mesh_codec_cluster_decode(const json_t *nodes, const json_t *peers,
                              const struct mesh_codec_options *options,
                              struct mesh_cluster *cluster);

json_t *mesh_codec_peer_encode(const struct mesh_peer *peer);

#endif /* MESH_CODEC_H */
