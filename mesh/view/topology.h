/* SPDX-License-Identifier: MIT */
/*
 * The topology: Kilo's NewTopology as one pure function.
 *
 * mesh_topology_build() takes every Node and Peer a backend listed, keeps the
 * ready ones (readiness is judged against options.now; nothing here reads a
 * clock or does I/O), groups nodes into segments, elects a leader per segment,
 * allocates WireGuard IPs positionally from options.subnet (and, by the same
 * rule, from options.subnet6 when a dual-stack mesh has one), filters the
 * allowed-location IPs and merges the NAT endpoints the nodes discovered. The
 * same cluster and options give the same topology on every node; only the
 * viewpoint (options.hostname) differs. Every input is the cluster or an
 * option: the local node's own NAT sightings come from its
 * discovered-endpoints annotation, or from options.discovered when given
 * (kg's fresh ones from its device, not yet published; kgctl gives none).
 *
 * The topology borrows the nodes of the cluster (segment members point into
 * cluster->nodes): release the topology before the cluster. It owns
 * everything else and is released with mesh_topology_release(). The views
 * (WireGuard configs, routes, iptables rules, graph) live in wgconfig.h,
 * routes.h and iptables.h.
 *
 * Errors: -EINVAL (bad granularity or subnet, a ready node listed twice),
 * -ENOENT (the local node is missing or not ready), -ENOSPC (the subnet ran
 * out of WireGuard IPs), -ENOMEM. A message naming the field and value goes
 * to err when err_size > 0.
 */
#ifndef MESH_TOPOLOGY_H
#define MESH_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/model/model.h"
#include "mesh/model/prefix.h"

/* "location:" or "node:" plus a name, plus NUL. */
#define MESH_LOCATION_KEY_MAX (MESH_NAME_MAX + 10)
/* Nodes of a location that stand by for its leader (leader.h). */
#define MESH_SEGMENT_STANDBYS 2

struct mesh_topology_options {
	enum mesh_granularity granularity; /* LOCATION, FULL or CROSS */
	const char *hostname;              /* the viewpoint: the local node */
	uint16_t port;              /* ListenPort: kg the local endpoint port, kgctl --port */
	struct mesh_prefix subnet;  /* the Kilo subnet (--subnet): IPv4 when there is one */
	struct mesh_prefix subnet6; /* an IPv6 one beside an IPv4 subnet, or unset */
	int64_t now;                /* Unix seconds, for node readiness */
	/*
	 * Stands for the local node's discovered-endpoints annotation when
	 * non-NULL (n_discovered may then be 0: it saw nothing); NULL: the
	 * annotation is used.
	 */
	const struct mesh_discovered_endpoint *discovered;
	size_t n_discovered;
};

/*
 * A set of nodes united behind one WireGuard peer (its leader). The
 * allowed IPs are each member's pod CIDRs and private IPs /32 or /128 (name
 * order; Kilo's first, then the other family's), then the segment's
 * WireGuard IPs /32 and /128; allowed-location IPs are kept apart because
 * they are not always announced (see wgconfig.h).
 */
struct mesh_segment {
	char location[MESH_LOCATION_KEY_MAX]; /* "location:<name>" or "node:<name>" */
	/* cross only: "location:<name>" of the node when it has a private IP. */
	char logical_location[MESH_LOCATION_KEY_MAX];
	const struct mesh_node **nodes; /* members, sorted by name */
	size_t n_nodes;
	size_t leader; /* index into nodes */
	/* Kilo's findLeader (leads unless passed over) and the standbys: leader.h. */
	size_t preferred, standbys[MESH_SEGMENT_STANDBYS], n_standbys;
	struct ip_addr wireguard_ip;
	struct ip_addr wireguard_ip6; /* from subnet6; unset without one */
	struct mesh_prefix *allowed_ips;
	size_t n_allowed_ips;
	struct mesh_prefix *allowed_location_ips; /* merged, sorted, filtered */
	size_t n_allowed_location_ips;
};

struct mesh_topology {
	enum mesh_granularity granularity;
	uint16_t port;
	struct mesh_prefix subnet;  /* masked */
	struct mesh_prefix subnet6; /* masked; unset without one */
	const struct mesh_node *local;
	size_t local_segment; /* index into segments */
	bool leader;          /* the local node leads its segment */
	/* Own WireGuard IP with the subnet's mask if leader, else the subnet. */
	struct mesh_prefix wireguard_cidr;
	struct mesh_prefix wireguard_cidr6; /* the same from subnet6; unset without one */
	struct mesh_segment *segments;      /* sorted by location */
	const struct mesh_node **members;   /* one block behind every segment's nodes */
	size_t n_segments;
	struct mesh_peer *peers; /* ready peers by name, allowed IPs deduplicated */
	size_t n_peers;
	/* NAT endpoints: the local node's first, then others' (first wins). */
	struct mesh_discovered_endpoint *discovered; /* sorted by key */
	size_t n_discovered;
};

int mesh_topology_build(const struct mesh_cluster *cluster,
                        const struct mesh_topology_options *options, struct mesh_topology *topology,
                        char *err, size_t err_size);
void mesh_topology_release(struct mesh_topology *topology);

static inline const struct mesh_node *mesh_segment_leader(const struct mesh_segment *segment)
{
	return segment->nodes[segment->leader];
}

/*
 * Does the local node reach this segment over the private network rather
 * than WireGuard? True for its own segment and, with cross granularity, for
 * the segments of the same logical location.
 */
bool mesh_topology_segment_is_local(const struct mesh_topology *topology,
                                    const struct mesh_segment *segment);

/*
 * Kilo's updateEndpoint: the endpoint to dial for key. Only a roaming side
 * (keepalive > 0) has its endpoint replaced by a discovered one.
 */
const struct mesh_endpoint *mesh_topology_endpoint(const struct mesh_topology *topology,
                                                   const uint8_t key[MESH_KEY_LEN],
                                                   const struct mesh_endpoint *endpoint,
                                                   uint32_t persistent_keepalive);

/* What the local WireGuard device reports about one of its peers. */
struct mesh_observed_peer {
	uint8_t key[MESH_KEY_LEN];
	struct mesh_endpoint endpoint; /* where its packets come from now */
	bool handshake;                /* a handshake ever completed */
};

/*
 * Kilo's discoverNATEndpoints: the local node's discovered-endpoints map.
 * A ready node with keepalive, or any ready Peer (Kilo does not look at a
 * Peer's keepalive here), that the device has completed a handshake with is
 * recorded at the endpoint the device sees. *out (sorted by key) is the
 * caller's to free.
 */
int mesh_topology_discover(const struct mesh_cluster *cluster, int64_t now,
                           const struct mesh_observed_peer *observed, size_t n_observed,
                           struct mesh_discovered_endpoint **out, size_t *n_out);

/*
 * The private IP of a node (Kilo's: the one that puts it in its location), or
 * NULL when it has none (or it is forced off).
 */
const struct mesh_prefix *mesh_node_private_ip(const struct mesh_node *node);
/* The private IP as a /32 (/128) in host; false when the node has none. */
bool mesh_node_private_host(const struct mesh_node *node, struct mesh_prefix *host);
/*
 * The private IP of family: Kilo's, or the IPv6 one beside an IPv4 one; NULL
 * when there is none (a node without Kilo's private IP has none of either).
 */
const struct mesh_prefix *mesh_node_private_ip_of(const struct mesh_node *node, int family);
/* The node's private IPs, Kilo's first, as host prefixes; returns how many (0..2). */
size_t mesh_node_private_hosts(const struct mesh_node *node, struct mesh_prefix hosts[2]);
/* The segment's WireGuard IP of family, or NULL when it has none. */
const struct ip_addr *mesh_segment_wireguard_ip(const struct mesh_segment *segment, int family);

#endif /* MESH_TOPOLOGY_H */
