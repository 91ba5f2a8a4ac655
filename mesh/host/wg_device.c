// SPDX-License-Identifier: MIT
/*
 * The WireGuard device: which implementation an interface gets (its kind, else what the
 * kernel can make), and the calls every implementation answers.
 */
#include "mesh/host/wg_device.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "mesh/host/wg_device_ops.h"
#include "netlink/netlink.h"

static const char *const mode_names[] = {
    [MESH_WG_AUTO] = "auto",
    [MESH_WG_KERNEL] = "kernel",
    [MESH_WG_USERSPACE] = "userspace",
};

int mesh_wg_mode_parse(const char *text, enum mesh_wg_mode *mode)
{
	for (size_t i = 0; i < sizeof(mode_names) / sizeof(*mode_names); i++)
		if (text && !strcmp(text, mode_names[i])) {
			*mode = (enum mesh_wg_mode)i;
			return 0;
		}
	return -EINVAL;
}

const char *mesh_wg_mode_name(enum mesh_wg_mode mode)
{
	return mode <= MESH_WG_USERSPACE ? mode_names[mode] : "unknown";
}

/* The implementation an existing link can have: its kind says. */
static int existing_mode(const struct nl_link *link, const struct mesh_wg_device_options *options,
                         enum mesh_wg_mode *mode, char *err, size_t err_size)
{
	const char *name = options->interface;

	if (!strcmp(link->kind, "wireguard"))
		*mode = MESH_WG_KERNEL;
	else if (!strcmp(link->kind, "tun"))
		*mode = MESH_WG_USERSPACE;
	else {
		snprintf(err, err_size,
		         "interface %s exists and is a link of kind %s, not WireGuard: delete it "
		         "or choose another --interface",
		         name, link->kind[0] ? link->kind : "(none)");
		return -EEXIST;
	}
	if (options->mode == MESH_WG_AUTO || options->mode == *mode)
		return 0;
	if (*mode == MESH_WG_USERSPACE)
		snprintf(
		    err, err_size,
		    "interface %s is a TUN device (kind tun), left by a userspace WireGuard; "
		    "--wireguard=kernel does not replace it: delete it (ip link del %s) or run "
		    "with --wireguard=userspace or auto",
		    name, name);
	else
		snprintf(
		    err, err_size,
		    "interface %s is a kernel WireGuard link (kind wireguard); "
		    "--wireguard=userspace does not replace it and its sessions: delete it (ip "
		    "link del %s) or run with --wireguard=kernel or auto",
		    name, name);
	return -EEXIST;
}

int mesh_wg_device_open(struct nl_socket *nl, const struct mesh_wg_device_options *options,
                        struct mesh_wg_device **out, char *err, size_t err_size)
{
	enum mesh_wg_mode mode = options->mode;
	struct nl_link link;
	int ret = nl_link_get(nl, options->interface, &link);

	if (ret && ret != -ENODEV) {
		snprintf(err, err_size, "failed to get interface %s: %s", options->interface,
		         strerror(-ret));
		return ret;
	}
	if (!ret) {
		ret = existing_mode(&link, options, &mode, err, err_size);
		if (ret)
			return ret;
		return mode == MESH_WG_KERNEL
		           ? mesh_wg_kernel_open(nl, options, false, out, err, err_size)
		           : mesh_wg_engine_open(nl, options, false, out, err, err_size);
	}
	/* Kilo's words when the interface must exist already. */
	if (!options->create_interface) {
		snprintf(err, err_size, "failed to get interface index of %s", options->interface);
		return -ENODEV;
	}
	if (mode != MESH_WG_USERSPACE) {
		ret = mesh_wg_kernel_open(nl, options, true, out, err, err_size);
		/* auto: no kernel WireGuard here, the engine then. */
		if (ret != -EOPNOTSUPP || mode == MESH_WG_KERNEL)
			return ret;
	}
	return mesh_wg_engine_open(nl, options, true, out, err, err_size);
}

enum mesh_wg_mode mesh_wg_device_mode(const struct mesh_wg_device *device)
{
	return device->ops->mode;
}

bool mesh_wg_device_created(const struct mesh_wg_device *device)
{
	return device->created;
}

int mesh_wg_device_snapshot(struct mesh_wg_device *device, struct wg_snapshot *snapshot)
{
	return device->ops->snapshot(device, snapshot);
}

int mesh_wg_device_configure(struct mesh_wg_device *device, const struct wg_config *config)
{
	/* Every session at once: the one change this interface never makes. */
	if (config->flags & WG_CONFIG_REPLACE_PEERS)
		return -EOPNOTSUPP;
	return device->ops->configure(device, config);
}

int mesh_wg_device_set_key(struct mesh_wg_device *device, const uint8_t private_key[WG_KEY_LEN])
{
	struct wg_config identity = {.flags = WG_CONFIG_HAS_PRIVATE_KEY};
	struct wg_snapshot current;
	bool same;
	int ret = mesh_wg_device_snapshot(device, &current);

	if (ret)
		return ret;
	same =
	    current.has_private_key && !sodium_memcmp(current.private_key, private_key, WG_KEY_LEN);
	wg_snapshot_free(&current);
	if (same)
		return 0;
	memcpy(identity.private_key, private_key, WG_KEY_LEN);
	ret = mesh_wg_device_configure(device, &identity);
	sodium_memzero(identity.private_key, sizeof(identity.private_key));
	return ret;
}

void mesh_wg_device_close(struct mesh_wg_device *device, bool remove_interface)
{
	if (device)
		device->ops->close(device, remove_interface);
}
