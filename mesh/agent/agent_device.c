// SPDX-License-Identifier: MIT
/*
 * The agent's WireGuard device: the engine on the TUN options.interface,
 * with the UAPI socket that lets `wg show` and `wg showconf` see kilo0 as
 * a kernel interface. Opened at start-up and again when someone deleted
 * the interface; agent->device is swapped under agent->lock, since the HTTP
 * thread reads the engine's counters.
 */
#include <errno.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <syslog.h>
#include <unistd.h>

#include <sodium.h>

#include "mesh/agent/agent_device.h"
#include "mesh/agent/agent_state.h"
#include "mesh/host/engine.h"
#include "netlink/netlink.h"

/*
 * Kilo leaves its interface in place at shut-down unless
 * --clean-up-interface; so does a persistent TUN, with its address and the
 * routes through it, for the next kg to attach to and adopt. A duplicate of
 * the fd is kept to drop the persistence when the interface must go.
 */
static int open_tun(struct mesh_agent *agent, int *fd)
{
	struct nl_link link;
	int ret;

	agent->tun_created = nl_link_get(agent->nl, agent->options.interface, &link) != 0;
	ret = mesh_engine_open_tun(agent->options.interface, fd, &agent->tun_fd);
	if (!ret && ioctl(*fd, TUNSETPERSIST, 1) < 0) {
		ret = -errno;
		close(*fd);
	}
	return ret;
}

/* The TUN goes when the device closes it. */
void agent_remove_interface(struct mesh_agent *agent)
{
	if (agent->tun_fd >= 0 && ioctl(agent->tun_fd, TUNSETPERSIST, 0) < 0)
		mesh_log(&agent->log, LOG_ERR, "failed to remove interface %s: %s",
		         agent->options.interface, strerror(errno));
}

/*
 * The device is the engine on a TUN. Without --create-interface the TUN must
 * exist already (Kilo then fails with "failed to get interface index").
 */
static int create_device(struct mesh_agent *agent, const struct mesh_engine_options *engine)
{
	struct wg_config identity = {.flags = WG_CONFIG_HAS_PRIVATE_KEY};
	struct wg_device *device;
	struct nl_link link;
	int ret, tun_fd;

	if (!agent->options.create_interface &&
	    nl_link_get(agent->nl, agent->options.interface, &link)) {
		mesh_log(&agent->log, LOG_ERR, "failed to get interface index of %s",
		         agent->options.interface);
		return -ENODEV;
	}
	ret = open_tun(agent, &tun_fd);
	if (!ret)
		ret = mesh_engine_create(engine, tun_fd, &device);
	if (ret) {
		mesh_log(&agent->log, LOG_ERR, "failed to create WireGuard interface %s: %s",
		         agent->options.interface, strerror(-ret));
		return ret;
	}
	/* The HTTP thread reads the engine's counters. */
	pthread_mutex_lock(&agent->lock);
	agent->device = device;
	pthread_mutex_unlock(&agent->lock);
	memcpy(identity.private_key, agent->private_key, WG_KEY_LEN);
	ret = wg_device_configure(agent->device, &identity);
	sodium_memzero(identity.private_key, sizeof(identity.private_key));
	return ret;
}

int agent_open_device(struct mesh_agent *agent)
{
	const struct mesh_engine_options engine = {.interface = agent->options.interface,
	                                           .sink = &agent->log,
	                                           .debug = agent->options.log_engine_debug};
	int ret = create_device(agent, &engine);

	if (!ret)
		mesh_engine_serve_uapi(&engine, agent->device, &agent->uapi);
	return ret;
}

void agent_drop_device(struct mesh_agent *agent)
{
	struct wg_device *device;

	if (agent->uapi)
		wg_uapi_server_stop(agent->uapi);
	agent->uapi = NULL;
	pthread_mutex_lock(&agent->lock);
	device = agent->device;
	agent->device = NULL;
	pthread_mutex_unlock(&agent->lock);
	if (device)
		wg_device_destroy(device);
	if (agent->tun_fd >= 0)
		close(agent->tun_fd);
	agent->tun_fd = -1;
}
