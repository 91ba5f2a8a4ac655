/* SPDX-License-Identifier: MIT */
/*
 * A host joined to a Kilo mesh as a Peer: Kilo's `kgctl connect`, on kernel
 * WireGuard or the in-process engine (mesh/host/wg_device.h).
 *
 * mesh_connect_plan() is pure: from a listing it builds what the Peer should
 * configure, seen from one node as Kilo sees it (Topology.PeerConf and
 * PeerRoutes): the WireGuard config with the Peer's keepalive and ListenPort
 * options->view.port, and the routes through the interface. The extra
 * allowed IPs (--allowed-ips, e.g. the service CIDR) join the
 * allowed-location IPs of the first ready node by name, and are routed
 * through the first segment, as in Kilo. -ENOENT when the Peer is not a
 * ready Peer of the listing; the topology's errors otherwise. err names what
 * failed.
 *
 * mesh_connect_open() opens the WireGuard device options->interface in
 * options->wireguard's mode (created, or adopted when it exists; the engine's
 * serves its UAPI socket so that `wg show` sees it), sets its MTU, makes the
 * Peer's allowed IPs (one per family) its only addresses and brings it up.
 * mesh_connect_apply() converges the device and the
 * routes on a plan by diff (mesh/host/apply_wg.h, mesh/host/apply_routes.h): a resync
 * that changes nothing touches nothing and drops no session.
 * mesh_connect_close() removes the interface, and with it its address and
 * routes, when options->clean_up; otherwise it stays (a TUN persistent, as a
 * kernel link is) for the next connect to adopt. A connect that fails to open
 * leaves no interface it made.
 *
 * Events go through options->log with <syslog.h> levels; no key is logged.
 * The private key is zeroed when the connection is closed.
 */
#ifndef MESH_CONNECT_H
#define MESH_CONNECT_H

#include <stdbool.h>
#include <stddef.h>

#include "mesh/host/wg_device.h"
#include "mesh/k8s/backend.h"
#include "mesh/view/routes.h"
#include "mesh/view/topology.h"
#include "mesh/view/wgconfig.h"

struct mesh_connect_plan_options {
	struct mesh_topology_options
	    view; /* hostname: the node seen from (kgctl: the last ready) */
	const char *peer_name;
	const struct mesh_prefix *allowed_ips; /* extra cluster CIDRs */
	size_t n_allowed_ips;
};

struct mesh_connect_plan {
	struct mesh_wg_config config;
	struct mesh_routes routes; /* MESH_DEVICE_KILO: the connect interface */
};

int mesh_connect_plan(const struct mesh_cluster *cluster,
                      const struct mesh_connect_plan_options *options,
                      struct mesh_connect_plan *plan, char *err, size_t err_size);
void mesh_connect_plan_release(struct mesh_connect_plan *plan);

struct mesh_connect_options {
	const char *interface;
	enum mesh_wg_mode wireguard;
	struct mesh_prefix addresses[2]; /* the Peer's allowed IPs: one, or one per family */
	size_t n_addresses;
	unsigned int mtu;
	bool clean_up;
	mesh_backend_log_fn *log;
	void *log_ctx;
	bool log_engine_debug;
};

struct mesh_connect;

int mesh_connect_open(const struct mesh_connect_options *options,
                      const uint8_t private_key[MESH_KEY_LEN], struct mesh_connect **connect);
int mesh_connect_apply(struct mesh_connect *connect, const struct mesh_connect_plan *plan);
void mesh_connect_close(struct mesh_connect *connect);

#endif /* MESH_CONNECT_H */
