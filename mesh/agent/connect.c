// SPDX-License-Identifier: MIT
/*
 * The connected Peer's side of the host: its WireGuard interface (kernel WireGuard or the
 * in-process engine on a TUN, mesh/host/wg_device.h), its configuration and the routes into
 * the mesh. Kilo's kgctl connect does the same with a kernel interface.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <sodium.h>

#include "mesh/agent/connect.h"
#include "mesh/host/apply_routes.h"
#include "mesh/host/apply_wg.h"
#include "mesh/host/link_address.h"
#include "mesh/host/wg_device.h"
#include "netlink/netlink.h"

struct mesh_connect {
	struct mesh_connect_options options;
	uint8_t private_key[MESH_KEY_LEN];
	struct nl_socket *nl;
	struct mesh_wg_device *device;
	struct mesh_log_sink log; /* options.log: our lines, and the engine's (it borrows it) */
	struct nl_link link;
};

static int open_device(struct mesh_connect *c, char *err, size_t err_size)
{
	const struct mesh_wg_device_options device = {
	    .interface = c->options.interface,
	    .mode = c->options.wireguard,
	    .create_interface = true,
	    .mtu = c->options.mtu,
	    .sink = &c->log,
	    .debug = c->options.log_engine_debug,
	};
	int ret = mesh_wg_device_open(c->nl, &device, &c->device, err, err_size);

	if (!ret)
		ret = mesh_wg_device_set_key(c->device, c->private_key);
	if (ret && !err[0])
		snprintf(err, err_size, "failed to set the private key of %s: %s",
		         c->options.interface, strerror(-ret));
	return ret;
}

/* Kilo's iproute.SetAddress and iproute.Set(up), at the MTU asked for. */
static int set_up(struct mesh_connect *c)
{
	int ret = nl_link_get(c->nl, c->options.interface, &c->link);

	if (!ret)
		ret = mesh_link_set_addresses(c->nl, c->link.ifindex, c->options.addresses,
		                              c->options.n_addresses, NULL);
	if (!ret)
		ret = nl_link_set(c->nl, c->link.ifindex, 1, c->options.mtu);
	return ret;
}

int mesh_connect_open(const struct mesh_connect_options *options,
                      const uint8_t private_key[MESH_KEY_LEN], struct mesh_connect **out)
{
	struct mesh_connect *c = calloc(1, sizeof(*c));
	char text[MESH_PREFIX_STRLEN], err[512] = "";
	bool created;
	int ret;

	if (!c)
		return -ENOMEM;
	c->options = *options;
	c->log = (struct mesh_log_sink){options->log, options->log_ctx};
	memcpy(c->private_key, private_key, MESH_KEY_LEN);
	ret = nl_open(&c->nl);
	if (ret)
		snprintf(err, sizeof(err), "failed to open netlink: %s", strerror(-ret));
	else
		ret = open_device(c, err, sizeof(err));
	if (ret) {
		mesh_log(&c->log, LOG_ERR, "%s", err);
		goto out;
	}
	created = mesh_wg_device_created(c->device);
	mesh_log(&c->log, LOG_INFO, "%s %s WireGuard interface %s", created ? "created" : "adopted",
	         mesh_wg_mode_name(mesh_wg_device_mode(c->device)), options->interface);
	ret = set_up(c);
	if (ret)
		mesh_log(&c->log, LOG_ERR, "failed to set up interface %s: %s", options->interface,
		         strerror(-ret));
	for (size_t i = 0; !ret && i < options->n_addresses; i++)
		mesh_log(&c->log, LOG_INFO, "set IP address of WireGuard interface %s to %s",
		         options->interface, mesh_prefix_format(&options->addresses[i], text));
out:
	if (ret) {
		/* A connect that does not start leaves no interface it made. */
		if (c->device && mesh_wg_device_created(c->device))
			c->options.clean_up = true;
		mesh_connect_close(c);
	} else {
		*out = c;
	}
	return ret;
}

static int apply_routes(struct mesh_connect *c, const struct mesh_connect_plan *plan)
{
	struct mesh_route_links links = {.kilo = c->link.ifindex};
	struct mesh_route_changes changes = {0};
	struct mesh_route_state desired;
	char err[256] = "";
	int ret;

	snprintf(links.kilo_name, sizeof(links.kilo_name), "%s", c->link.name);
	ret = mesh_apply_routes_desired(&plan->routes, &links, &desired, err, sizeof(err));
	if (!ret) {
		ret = mesh_apply_routes(c->nl, &desired, &changes, err, sizeof(err));
		mesh_route_state_release(&desired);
	}
	if (ret)
		mesh_log(&c->log, LOG_ERR, "failed to apply routes: %s", err);
	else if (changes.routes_replaced || changes.routes_removed)
		mesh_log(&c->log, LOG_INFO, "routes updated: %zu replaced, %zu removed",
		         changes.routes_replaced, changes.routes_removed);
	return ret;
}

int mesh_connect_apply(struct mesh_connect *c, const struct mesh_connect_plan *plan)
{
	int ret = mesh_apply_wg_config(c->device, &plan->config, c->private_key, &c->log);

	/* Routes even when the engine failed: the ones still right keep working. */
	if (apply_routes(c, plan) && !ret)
		ret = -EIO;
	return ret;
}

void mesh_connect_close(struct mesh_connect *c)
{
	if (!c)
		return;
	/* The interface's address and routes go with it. */
	mesh_wg_device_close(c->device, c->options.clean_up);
	if (c->nl)
		nl_close(c->nl);
	sodium_memzero(c, sizeof(*c));
	free(c);
}
