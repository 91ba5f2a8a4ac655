/* SPDX-License-Identifier: MIT */
/*
 * WireGuard configurations as plain data, derived from a topology
 * (Kilo's Topology.Conf, PeerConf and AsPeer).
 *
 * No private key ever appears here: the agent adds its own when it hands the
 * config to the engine, and kgctl prints none (as Kilo). An unset endpoint
 * (port 0) means "no Endpoint line"; an all-zero preshared key means none;
 * keepalive 0 is printed as 0, as Kilo does. Every config owns its arrays
 * and is released with mesh_wgconfig_release().
 */
#ifndef MESH_WGCONFIG_H
#define MESH_WGCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/model/model.h"
#include "mesh/view/topology.h"

struct mesh_wg_peer {
	uint8_t public_key[MESH_KEY_LEN];
	uint8_t preshared_key[MESH_KEY_LEN];
	struct mesh_endpoint endpoint;
	uint32_t persistent_keepalive;
	struct mesh_prefix *allowed_ips;
	size_t n_allowed_ips;
};

struct mesh_wg_config {
	bool has_interface; /* false for a peer's view: [Peer] sections only */
	uint16_t listen_port;
	struct mesh_wg_peer *peers;
	size_t n_peers;
};

/*
 * The local node's config: ListenPort, one peer per segment it does not reach
 * over the private network (allowed IPs + allowed-location IPs, endpoint of
 * the leader or the one discovered for it), then every Peer. Keepalive is the
 * local node's own. Only leaders apply it. A leader that publishes
 * tunnel-health adds, last, a session without allowed IPs to every standby
 * of another location (keepalive MESH_HEALTH_KEEPALIVE). A standby's config
 * is its sessions to the other locations' leaders only (leader.h): each
 * segment's peer as above, keepalive MESH_HEALTH_STANDBY_KEEPALIVE, no Peers.
 */
int mesh_wgconfig_local(const struct mesh_topology *topology, struct mesh_wg_config *config);

/*
 * What Peer peer_name should configure (kgctl showconf peer): one peer per
 * segment carrying the Peer's keepalive and preshared key, then every other
 * Peer with the same keepalive. An unknown name gets keepalive 0, no key.
 */
int mesh_wgconfig_for_peer(const struct mesh_topology *topology, const char *peer_name,
                           struct mesh_wg_config *config);

/*
 * The local segment as one peer for another WireGuard interface (showconf
 * node --as-peer): segment allowed IPs without the allowed-location IPs, plus
 * extra, deduplicated (first wins); leader's endpoint and key; no keepalive.
 */
int mesh_wgconfig_as_peer(const struct mesh_topology *topology, const struct mesh_prefix *extra,
                          size_t n_extra, struct mesh_wg_peer *peer);

/* A Peer object's own definition plus extra allowed IPs, deduplicated. */
int mesh_wgconfig_from_peer(const struct mesh_peer *source, const struct mesh_prefix *extra,
                            size_t n_extra, struct mesh_wg_peer *peer);

void mesh_wg_peer_release(struct mesh_wg_peer *peer);
void mesh_wgconfig_release(struct mesh_wg_config *config);

#endif /* MESH_WGCONFIG_H */
