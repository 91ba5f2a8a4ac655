// SPDX-License-Identifier: MIT
/*
 * The connected Peer's side of the host: its interface (a TUN driven by the
 * in-process engine), the engine's configuration and the routes into the
 * mesh. Kilo's kgctl connect does the same with a kernel interface.
 */
#include <errno.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <syslog.h>
#include <unistd.h>

#include <sodium.h>

#include "mesh/agent/connect.h"
#include "mesh/host/apply_routes.h"
#include "mesh/host/apply_wg.h"
#include "mesh/host/engine.h"
#include "mesh/host/link_address.h"
#include "netlink/netlink.h"

struct mesh_connect {
	struct mesh_connect_options options;
	uint8_t private_key[MESH_KEY_LEN];
	struct nl_socket *nl;
	struct wg_device *device;
	struct wg_uapi_server *uapi; /* NULL when the socket could not be served */
	struct mesh_log_sink log;    /* options.log: our lines, and the engine's (it borrows it) */
	int tun_fd;                  /* a duplicate of the device's, for its persistence */
	struct nl_link link;
};

static int create_device(struct mesh_connect *c, const struct mesh_engine_options *engine)
{
	int tun_fd, ret = mesh_engine_open_tun(c->options.interface, &tun_fd, &c->tun_fd);

	return ret ? ret : mesh_engine_create(engine, tun_fd, &c->device);
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
	struct mesh_engine_options engine = {.interface = options->interface,
	                                     .debug = options->log_engine_debug};
	char text[MESH_PREFIX_STRLEN];
	int ret;

	if (!c)
		return -ENOMEM;
	c->options = *options;
	c->log = (struct mesh_log_sink){options->log, options->log_ctx};
	engine.sink = &c->log;
	c->tun_fd = -1;
	memcpy(c->private_key, private_key, MESH_KEY_LEN);
	ret = nl_open(&c->nl);
	if (!ret)
		ret = create_device(c, &engine);
	if (ret) {
		mesh_log(&c->log, LOG_ERR, "failed to create WireGuard interface %s: %s",
		         options->interface, strerror(-ret));
		goto out;
	}
	mesh_log(&c->log, LOG_INFO, "created WireGuard interface %s", options->interface);
	/* `wg show` sees the interface through it; the Peer works without it. */
	mesh_engine_serve_uapi(&engine, c->device, &c->uapi);
	ret = set_up(c);
	if (ret)
		mesh_log(&c->log, LOG_ERR, "failed to set up interface %s: %s", options->interface,
		         strerror(-ret));
	for (size_t i = 0; !ret && i < options->n_addresses; i++)
		mesh_log(&c->log, LOG_INFO, "set IP address of WireGuard interface %s to %s",
		         options->interface, mesh_prefix_format(&options->addresses[i], text));
out:
	if (ret)
		mesh_connect_close(c);
	else
		*out = c;
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
	if (c->uapi)
		wg_uapi_server_stop(c->uapi);
	/* The TUN goes with its last fd unless it is persistent; its routes go with it. */
	if (c->tun_fd >= 0 && ioctl(c->tun_fd, TUNSETPERSIST, !c->options.clean_up) < 0)
		mesh_log(&c->log, LOG_ERR, "failed to %s interface %s: %s",
		         c->options.clean_up ? "remove" : "keep", c->options.interface,
		         strerror(errno));
	if (c->device)
		wg_device_destroy(c->device);
	if (c->tun_fd >= 0)
		close(c->tun_fd);
	if (c->nl)
		nl_close(c->nl);
	sodium_memzero(c, sizeof(*c));
	free(c);
}
