/* SPDX-License-Identifier: MIT */
/*
 * Private to mesh/host's WireGuard device: what each implementation provides. Included by
 * wg_device.c (which chooses one and dispatches to it), wg_device_engine.c and
 * wg_device_kernel.c, nothing else.
 */
#ifndef MESH_WG_DEVICE_OPS_H
#define MESH_WG_DEVICE_OPS_H

#include "mesh/host/wg_device.h"

struct mesh_wg_device_ops {
	enum mesh_wg_mode mode;
	int (*snapshot)(struct mesh_wg_device *device, struct wg_snapshot *snapshot);
	int (*configure)(struct mesh_wg_device *device, const struct wg_config *config);
	void (*close)(struct mesh_wg_device *device, bool remove_interface);
};

/* The head of each implementation's own struct. */
struct mesh_wg_device {
	const struct mesh_wg_device_ops *ops;
	bool created;
};

/* Each opens options->interface, which exists (created = false) or not (true). */
int mesh_wg_engine_open(struct nl_socket *nl, const struct mesh_wg_device_options *options,
                        bool create, struct mesh_wg_device **out, char *err, size_t err_size);
int mesh_wg_kernel_open(struct nl_socket *nl, const struct mesh_wg_device_options *options,
                        bool create, struct mesh_wg_device **out, char *err, size_t err_size);

#endif /* MESH_WG_DEVICE_OPS_H */
