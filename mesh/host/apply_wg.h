/* SPDX-License-Identifier: MIT */
/*
 * The WireGuard applier: converge the WireGuard device (mesh/host/wg_device.h: the
 * in-process engine or kernel WireGuard, the same way for both) on the local
 * node's config (mesh/view/wgconfig.h) by diff, never by replace-all.
 *
 * mesh_apply_wg_desired() turns the config into the device's terms (wg/wg.h's):
 * the private key is added, DNS endpoints are resolved (an unresolvable one fails
 * the whole conversion, as Kilo aborts the apply), allowed IPs are masked.
 *
 * mesh_apply_wg_diff() is pure: from the desired state and a snapshot of the
 * device it builds the wg_config that only touches what differs. A changed
 * peer is set whole (preshared key, keepalive, endpoint if it has one,
 * replace_allowed_ips for that peer only); a peer new to the device is greeted
 * at once (WG_PEER_HANDSHAKE_NOW, the engine's; the kernel greets with the first
 * packet) if it has an endpoint; a peer the device has but the config lacks is
 * removed; the private key and listen port are set only when they differ.
 * WG_CONFIG_REPLACE_PEERS is never used, so a resync that changes nothing yields
 * an empty delta and every session survives. A desired peer without an endpoint
 * never resets the one the device learnt from roaming. Both sides are sorted by
 * public key and walked together, and a peer's allowed IPs are compared as
 * sorted sets, so the diff is O(n log n); the delta lists its peers in key order.
 *
 * mesh_apply_wg() is snapshot + diff + configure, and configures nothing when
 * the delta is empty; mesh_apply_wg_config() is all three steps from the
 * config, for kg and kgctl connect alike, and reports the outcome to their log:
 * a failure (LOG_ERR, saying why) or how many peers it touched (LOG_INFO, when
 * any). Private keys are zeroed when
 * the desired state or a delta is released.
 */
#ifndef MESH_APPLY_WG_H
#define MESH_APPLY_WG_H

#include <stdbool.h>
#include <stddef.h>

#include "mesh/host/wg_device.h"
#include "mesh/model/log.h"
#include "mesh/view/wgconfig.h"
#include "wg/wg.h"

struct mesh_wg_desired {
	struct wg_config config; /* peers and their allowed IPs point into the arrays below */
	struct wg_peer_config *peers;
	struct wg_allowed_ip_change *allowed_ips; /* one block behind every peer */
};

/* -EINVAL for an unusable key or prefix, -EHOSTUNREACH for a DNS name that does not resolve. */
int mesh_apply_wg_desired(const struct mesh_wg_config *local, const uint8_t private_key[WG_KEY_LEN],
                          struct mesh_wg_desired *desired, char *err, size_t err_size);
void mesh_apply_wg_desired_release(struct mesh_wg_desired *desired);

/* delta->peers is heap memory borrowing desired's allowed IPs; n_peers 0 = nothing to do. */
int mesh_apply_wg_diff(const struct mesh_wg_desired *desired, const struct wg_snapshot *current,
                       struct wg_config *delta);
void mesh_apply_wg_delta_release(struct wg_config *delta);

/* Whether the delta changes anything at all. */
bool mesh_apply_wg_delta_is_empty(const struct wg_config *delta);

/* *touched: the number of peers the delta set or removed. */
int mesh_apply_wg(struct mesh_wg_device *device, const struct mesh_wg_desired *desired,
                  size_t *touched);

/* Desired + apply + release, logged to log. */
int mesh_apply_wg_config(struct mesh_wg_device *device, const struct mesh_wg_config *local,
                         const uint8_t private_key[WG_KEY_LEN], const struct mesh_log_sink *log);

#endif /* MESH_APPLY_WG_H */
