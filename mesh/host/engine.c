// SPDX-License-Identifier: MIT
#include "mesh/host/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "tun/tun.h"

/* The engine's lines go to the program's sink, prefixed "wireguard: ". */
static void log_engine(void *sink, enum wg_log_level level, const char *message)
{
	mesh_log(sink,
	         level == WG_LOG_ERROR  ? LOG_ERR
	         : level == WG_LOG_INFO ? LOG_INFO
	                                : LOG_DEBUG,
	         "wireguard: %s", message);
}

static enum wg_log_level log_level(const struct mesh_engine_options *options)
{
	return options->debug ? WG_LOG_DEBUG : WG_LOG_INFO;
}

int mesh_engine_open_tun(const char *interface, int *tun_fd, int *keep)
{
	char name[IFNAMSIZ];
	int ret = tun_open(interface, tun_fd, name);

	if (ret)
		return ret;
	*keep = fcntl(*tun_fd, F_DUPFD_CLOEXEC, 0);
	if (*keep < 0) {
		ret = -errno;
		close(*tun_fd);
	}
	return ret;
}

int mesh_engine_create(const struct mesh_engine_options *options, int tun_fd,
                       struct wg_device **device)
{
	const struct wg_device_options device_options = {
	    .tun_fd = tun_fd,
	    .log = log_engine,
	    .log_ctx = options->sink,
	    .log_level = log_level(options),
	};

	return wg_device_create(device, &device_options);
}

void mesh_engine_serve_uapi(const struct mesh_engine_options *options, struct wg_device *device,
                            struct wg_uapi_server **uapi)
{
	struct wg_uapi_server_options server_options = {
	    .ifname = options->interface,
	    .device = device,
	    .log = log_engine,
	    .log_ctx = options->sink,
	    .log_level = log_level(options),
	};
	int ret = wg_uapi_listen(options->interface, &server_options.listen_fd);

	*uapi = NULL;
	if (!ret)
		ret = wg_uapi_server_start(uapi, &server_options);
	if (ret)
		mesh_log(options->sink, LOG_WARNING,
		         "no WireGuard socket for %s (wg show cannot see it): %s",
		         options->interface, strerror(-ret));
}
