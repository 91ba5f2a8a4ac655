/* SPDX-License-Identifier: MIT */
/*
 * The mesh data model: Kilo's Node and Peer (pkg/mesh/backend.go) as plain C.
 *
 * Everything the topology reads is here, already parsed and validated by the
 * codec; nothing here knows JSON or Kubernetes. Names are fixed-size strings,
 * lists are heap arrays owned by their object: release a node, peer or
 * cluster with its _release() function (safe on a zeroed object, and it
 * leaves the object zeroed). Keys are raw 32-byte Curve25519 keys; an
 * all-zero key means "absent", as in Kilo.
 */
#ifndef MESH_MODEL_H
#define MESH_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/model/health.h"
#include "mesh/model/prefix.h"

#define MESH_KEY_LEN 32
/* Kubernetes object names and RFC 1123 DNS names are at most 253 bytes. */
#define MESH_NAME_MAX 253
#define MESH_DNS_MAX 253
/* "[v6addr]:port" or "dns:port" plus NUL. */
#define MESH_ENDPOINT_STRLEN (MESH_DNS_MAX + 8)

#define MESH_DEFAULT_PORT 51820
#define MESH_DEFAULT_SUBNET "10.4.0.0/16"
#define MESH_DEFAULT_INTERFACE "kilo0"
/* A node is Ready only if it checked in within 2 * 30 s (checkInPeriod). */
#define MESH_CHECK_IN_PERIOD 30
#define MESH_READY_WINDOW (2 * MESH_CHECK_IN_PERIOD)

enum mesh_granularity {
	MESH_GRANULARITY_UNSET = 0, /* node annotation absent */
	MESH_GRANULARITY_LOCATION,  /* one segment per location, leader tunnels */
	MESH_GRANULARITY_FULL,      /* one segment per node */
	MESH_GRANULARITY_CROSS,     /* node-to-node tunnels across locations only */
	MESH_GRANULARITY_AUTO,      /* kgctl only: take the first node's annotation */
};

/* When intra-location traffic is IPIP-encapsulated (--encapsulate). */
enum mesh_encapsulate {
	MESH_ENCAPSULATE_NEVER = 0,
	MESH_ENCAPSULATE_CROSSSUBNET,
	MESH_ENCAPSULATE_ALWAYS,
};

/*
 * Add-on mode (--compatibility): whose overlay carries traffic inside a
 * location. Cilium's carries Kilo's own IPIP: the outer packets go to a
 * node's cilium_host address (its cni-compatibility-ip), so Cilium's VXLAN
 * delivers them where the private network may not.
 */
enum mesh_compatibility {
	MESH_COMPATIBILITY_NONE = 0, /* Kilo's own IPIP tunnel (tunl0) */
	MESH_COMPATIBILITY_FLANNEL,  /* flannel.1, reached at a node's pod CIDR address */
	MESH_COMPATIBILITY_CILIUM,   /* IPIP to a node's cilium_host IP, else to its pod CIDR's */
};

/*
 * A WireGuard endpoint: a DNS name or an IP, plus a port. When dns is
 * non-empty it wins (Kilo keeps the unresolved "dns:port" form); port 0 means
 * no endpoint.
 */
struct mesh_endpoint {
	char dns[MESH_DNS_MAX + 1];
	struct ip_addr ip;
	uint16_t port;
};

/* A NAT mapping observed by some node's WireGuard device (docs/kilo.md, NAT discovery). */
struct mesh_discovered_endpoint {
	uint8_t key[MESH_KEY_LEN]; /* the roaming node's or peer's public key */
	struct mesh_endpoint endpoint;
};

/*
 * Dual stack: where Kilo has one value, its field holds what Kilo's Go agent
 * holds (spec.podCIDR; the internal and WireGuard IP as Kilo detects and
 * allocates them, IPv4 when there is one), so that both agents agree on it;
 * the other family's value sits beside it and only this agent reads it.
 */
struct mesh_node {
	char name[MESH_NAME_MAX + 1];
	char location[MESH_NAME_MAX + 1]; /* "" = default location */
	struct mesh_endpoint endpoint;
	struct mesh_prefix internal_ip;          /* host IP + interface mask, or unset */
	struct mesh_prefix internal_ip6;         /* internal-ipv6: beside an IPv4 internal_ip */
	bool no_internal_ip;                     /* force-internal-ip "" or "-" */
	bool no_internal_ip6;                    /* force-internal-ipv6 "" or "-" */
	struct mesh_prefix cni_compatibility_ip; /* cilium_host IPv4 /32; unset unless Cilium */
	uint8_t key[MESH_KEY_LEN];
	int64_t last_seen;                   /* Unix seconds */
	bool leader;                         /* the leader annotation is present (hint only) */
	uint32_t persistent_keepalive;       /* seconds; non-zero = behind NAT */
	struct mesh_prefix subnet;           /* spec.podCIDR: the first pod CIDR */
	struct mesh_prefix secondary_subnet; /* spec.podCIDRs' other family, or unset */
	bool subnet_annotated;               /* both from kilo.squat.ai/pod-cidrs, not the spec */
	struct mesh_prefix wireguard_ip;     /* as last published; unset if none */
	struct mesh_prefix wireguard_ip6;    /* wireguard-ipv6: beside an IPv4 wireguard_ip */
	struct mesh_discovered_endpoint *discovered_endpoints; /* sorted by key */
	size_t n_discovered_endpoints;
	struct mesh_prefix *allowed_location_ips;
	size_t n_allowed_location_ips;
	enum mesh_granularity granularity;
	struct mesh_health health; /* kilo.squat.ai/tunnel-health; ABSENT: not our agent */
};

struct mesh_peer {
	char name[MESH_NAME_MAX + 1];
	struct mesh_prefix *allowed_ips;
	size_t n_allowed_ips;
	struct mesh_endpoint endpoint; /* port 0 = none (a roaming peer) */
	uint8_t public_key[MESH_KEY_LEN];
	uint8_t preshared_key[MESH_KEY_LEN]; /* all zero = none */
	uint32_t persistent_keepalive;       /* seconds */
};

/* What a backend lists: every Node and Peer, ready or not. */
struct mesh_cluster {
	struct mesh_node *nodes;
	size_t n_nodes;
	struct mesh_peer *peers;
	size_t n_peers;
};

void mesh_node_release(struct mesh_node *node);
void mesh_peer_release(struct mesh_peer *peer);
void mesh_cluster_release(struct mesh_cluster *cluster);

/* The pod CIDRs in spec order (one or two, one per family); returns how many. */
size_t mesh_node_subnets(const struct mesh_node *node, const struct mesh_prefix *out[2]);
/* The pod CIDR of family (AF_INET or AF_INET6), or NULL. */
const struct mesh_prefix *mesh_node_subnet_of(const struct mesh_node *node, int family);

/* Kilo's Node.Ready: endpoint, key, pod CIDR, and last-seen within 60 s of now. */
bool mesh_node_is_ready(const struct mesh_node *node, int64_t now);
/* Kilo's Peer.Ready: at least one allowed IP and a key. */
bool mesh_peer_is_ready(const struct mesh_peer *peer);

bool mesh_key_is_set(const uint8_t key[MESH_KEY_LEN]);

/*
 * "1.2.3.4:51820", "[fd00::1]:51820" or "host.example:51820" (Kilo's
 * wireguard.ParseEndpoint): port 1..65535, host an IP or RFC 1123 name.
 */
int mesh_endpoint_parse(const char *text, struct mesh_endpoint *endpoint);
char *mesh_endpoint_format(const struct mesh_endpoint *endpoint, char buf[MESH_ENDPOINT_STRLEN]);
/* An endpoint is usable once it has a port and an IP or DNS name. */
bool mesh_endpoint_is_set(const struct mesh_endpoint *endpoint);
bool mesh_endpoint_equal(const struct mesh_endpoint *a, const struct mesh_endpoint *b);

/*
 * Discovered endpoints in the order of their keys' bytes, which is not the
 * order of the keys' base64 text that the annotation's JSON object has.
 */
void mesh_discovered_sort(struct mesh_discovered_endpoint *entries, size_t n);
/* Do two lists, each sorted by mesh_discovered_sort, hold the same mappings? */
bool mesh_discovered_equal(const struct mesh_discovered_endpoint *a, size_t n_a,
                           const struct mesh_discovered_endpoint *b, size_t n_b);
/* Is text a DNS-1123 subdomain (what Kilo accepts as an endpoint host)? */
bool mesh_dns_name_is_valid(const char *text);

/* "location", "full", "cross", "auto"; -EINVAL otherwise. */
int mesh_granularity_parse(const char *text, enum mesh_granularity *granularity);
const char *mesh_granularity_name(enum mesh_granularity granularity); /* "" if unset */
/* "never", "crosssubnet", "always"; -EINVAL otherwise. */
int mesh_encapsulate_parse(const char *text, enum mesh_encapsulate *encapsulate);

#endif /* MESH_MODEL_H */
