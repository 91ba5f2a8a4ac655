/* SPDX-License-Identifier: MIT */
/*
 * The WireGuard device under the WireGuard applier (apply_wg.h), with two implementations:
 * the in-process engine (wg/wg.h) on a TUN, and the kernel's WireGuard, configured over
 * generic netlink (netlink/wireguard.h). Both speak wg/wg.h's terms: a wg_snapshot is what
 * the device holds, with each peer's counters and latest handshake, and a wg_config is a
 * change with UAPI `set` semantics, so the applier diffs and configures either the same way.
 *
 * mesh_wg_device_open() opens options.interface in options.mode:
 * - userspace: the engine on the TUN of that name, made persistent (like a kernel link, it
 *   stays with its address and routes after close, for the next kg to attach to), and its
 *   UAPI socket, so that `wg show` sees it; the sessions end with the process;
 * - kernel: the link of kind wireguard, adopted with its peers and their sessions;
 * - auto: an existing interface's kind decides (wireguard: kernel, tun: userspace); a
 *   missing one becomes a kernel link where the kernel can make one, else a TUN.
 * A missing interface is created (the kernel link at options.mtu) when
 * options.create_interface, else it is -ENODEV. An interface of the other kind than the
 * mode asked for (a TUN left by a userspace run, a kernel link when userspace is forced) is
 * -EEXIST and left alone with whatever runs on it, as is a link of any other kind; kernel
 * mode where the kernel has no WireGuard is -EOPNOTSUPP. Nothing is changed on the host
 * when open fails, and err says why in one line: the interface, its kind, what to do.
 *
 * The promises of both: mesh_wg_device_configure() never replaces all peers
 * (WG_CONFIG_REPLACE_PEERS is -EOPNOTSUPP), so a change to one peer never touches another's
 * session; a configure is only made when there is something to change (the applier's
 * diff), so a resync that changes nothing sends the device nothing. mesh_wg_device_set_key()
 * compares the device's private key and writes it only when it differs (an adopted kernel
 * link keeps its sessions). Snapshot and configure may be called from several threads.
 *
 * mesh_wg_device_close() drops the device; with remove_interface its link goes too (a TUN
 * loses its persistence, a kernel link is deleted), else the link stays: a kernel link
 * keeps forwarding on its sessions, a TUN carries nothing until an engine attaches again.
 * The rtnetlink socket nl is borrowed and must outlive the device. Keys are never logged.
 */
#ifndef MESH_WG_DEVICE_H
#define MESH_WG_DEVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "mesh/model/log.h"
#include "wg/wg.h"

struct nl_socket;
struct nl_wg;
struct mesh_wg_device;

enum mesh_wg_mode {
	MESH_WG_AUTO = 0,
	MESH_WG_KERNEL,
	MESH_WG_USERSPACE,
};

/* "auto", "kernel" or "userspace"; -EINVAL for anything else. */
int mesh_wg_mode_parse(const char *text, enum mesh_wg_mode *mode);
const char *mesh_wg_mode_name(enum mesh_wg_mode mode);

struct mesh_wg_device_options {
	const char *interface;
	enum mesh_wg_mode mode;
	bool create_interface;
	unsigned int mtu;           /* of a kernel link created, 0 = the kernel's */
	struct mesh_log_sink *sink; /* borrowed: must outlive the device; NULL logs nothing */
	bool debug;                 /* the engine's debug lines too (they are many) */
};

int mesh_wg_device_open(struct nl_socket *nl, const struct mesh_wg_device_options *options,
                        struct mesh_wg_device **out, char *err, size_t err_size);
/* An engine made already (tests: a TUN-less one), or kernel WireGuard through an open
 * nl_wg (tests: a stand-in for the kernel) on the link ifname; the device owns either. */
int mesh_wg_device_from_engine(struct wg_device *engine, struct mesh_wg_device **out);
int mesh_wg_device_from_kernel(struct nl_wg *wg, const char *ifname, struct mesh_wg_device **out);

/* MESH_WG_KERNEL or MESH_WG_USERSPACE. */
enum mesh_wg_mode mesh_wg_device_mode(const struct mesh_wg_device *device);
/* Whether open made the interface (it did not exist before). */
bool mesh_wg_device_created(const struct mesh_wg_device *device);

int mesh_wg_device_snapshot(struct mesh_wg_device *device, struct wg_snapshot *snapshot);
int mesh_wg_device_configure(struct mesh_wg_device *device, const struct wg_config *config);
int mesh_wg_device_set_key(struct mesh_wg_device *device, const uint8_t private_key[WG_KEY_LEN]);

void mesh_wg_device_close(struct mesh_wg_device *device, bool remove_interface);

#endif /* MESH_WG_DEVICE_H */
