// SPDX-License-Identifier: MIT
/*
 * The agent's WireGuard device: kernel WireGuard on a link of kind wireguard, or the engine
 * on a TUN with the UAPI socket that lets `wg show` see it as a kernel interface. Opened at
 * start-up and again when someone deleted the interface; agent->device is swapped under
 * agent->lock, since the HTTP thread reads the device's counters.
 */
#include <errno.h>
#include <string.h>
#include <syslog.h>

#include "mesh/agent/agent_device.h"
#include "mesh/agent/agent_state.h"
#include "mesh/host/ipdetect.h"
#include "mesh/host/wg_device.h"

int agent_open_device(struct mesh_agent *agent)
{
	const struct mesh_wg_device_options options = {
	    .interface = agent->options.interface,
	    .mode = agent->wireguard,
	    .create_interface = agent->options.create_interface,
	    /* Kilo creates its link at 1420; the first apply sets the MTU it wants. */
	    .mtu = MESH_FALLBACK_MTU,
	    .sink = &agent->log,
	    .debug = agent->options.log_engine_debug,
	};
	struct mesh_wg_device *device;
	char err[512] = "";
	int ret = mesh_wg_device_open(agent->nl, &options, &device, err, sizeof(err));

	if (ret) {
		mesh_log(&agent->log, LOG_ERR, "%s", err);
		return ret;
	}
	agent->wireguard = mesh_wg_device_mode(device);
	mesh_log(&agent->log, LOG_INFO, "%s %s WireGuard interface %s",
	         mesh_wg_device_created(device) ? "created" : "adopted",
	         mesh_wg_mode_name(agent->wireguard), agent->options.interface);
	/* The HTTP thread reads the device's counters. */
	pthread_mutex_lock(&agent->lock);
	agent->device = device;
	pthread_mutex_unlock(&agent->lock);
	return 0;
}

int agent_key_device(struct mesh_agent *agent)
{
	int ret = mesh_wg_device_set_key(agent->device, agent->private_key);

	if (ret)
		mesh_log(&agent->log, LOG_ERR, "failed to set the private key of %s: %s",
		         agent->options.interface, strerror(-ret));
	return ret;
}

void agent_close_device(struct mesh_agent *agent, bool remove_interface)
{
	struct mesh_wg_device *device;

	pthread_mutex_lock(&agent->lock);
	device = agent->device;
	agent->device = NULL;
	pthread_mutex_unlock(&agent->lock);
	mesh_wg_device_close(device, remove_interface);
}
