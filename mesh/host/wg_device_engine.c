// SPDX-License-Identifier: MIT
/*
 * The userspace implementation of the WireGuard device: the in-process engine (wg/wg.h) on
 * a persistent TUN, logging to the program's sink, with its UAPI socket so that `wg show`
 * sees the interface as a kernel one.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <syslog.h>
#include <unistd.h>

#include "mesh/host/wg_device_ops.h"
#include "tun/tun.h"
#include "wg/uapi_server.h"

struct engine_device {
	struct mesh_wg_device base;
	struct wg_device *engine;
	struct wg_uapi_server *uapi; /* NULL when the socket could not be served */
	/* A duplicate of the engine's TUN fd: it outlives the engine, to drop the persistence. */
	int keep;
	struct mesh_log_sink *sink;
	char name[IFNAMSIZ];
};

/* The engine's lines go to the program's sink, prefixed "wireguard: ". */
static void log_engine(void *sink, enum wg_log_level level, const char *message)
{
	mesh_log(sink,
	         level == WG_LOG_ERROR  ? LOG_ERR
	         : level == WG_LOG_INFO ? LOG_INFO
	                                : LOG_DEBUG,
	         "wireguard: %s", message);
}

static enum wg_log_level log_level(const struct mesh_wg_device_options *options)
{
	return options->debug ? WG_LOG_DEBUG : WG_LOG_INFO;
}

static int engine_snapshot(struct mesh_wg_device *device, struct wg_snapshot *snapshot)
{
	return wg_device_snapshot(((struct engine_device *)device)->engine, snapshot);
}

static int engine_configure(struct mesh_wg_device *device, const struct wg_config *config)
{
	return wg_device_configure(((struct engine_device *)device)->engine, config);
}

static void engine_close(struct mesh_wg_device *device, bool remove_interface)
{
	struct engine_device *e = (struct engine_device *)device;

	if (e->uapi)
		wg_uapi_server_stop(e->uapi);
	/* The TUN goes with its last fd once it is not persistent; its routes go with it. */
	if (remove_interface && e->keep >= 0 && ioctl(e->keep, TUNSETPERSIST, 0) < 0 && e->sink)
		mesh_log(e->sink, LOG_ERR, "failed to remove interface %s: %s", e->name,
		         strerror(errno));
	if (e->engine)
		wg_device_destroy(e->engine);
	if (e->keep >= 0)
		close(e->keep);
	free(e);
}

static const struct mesh_wg_device_ops engine_ops = {
    .mode = MESH_WG_USERSPACE,
    .snapshot = engine_snapshot,
    .configure = engine_configure,
    .close = engine_close,
};

static struct engine_device *engine_new(void)
{
	struct engine_device *e = calloc(1, sizeof(*e));

	if (e) {
		e->base.ops = &engine_ops;
		e->keep = -1;
	}
	return e;
}

/*
 * The socket is a window, not a duty: a failure (another live process holds it) is
 * reported and the mesh works all the same without it.
 */
static void serve_uapi(const struct mesh_wg_device_options *options, struct engine_device *e)
{
	struct wg_uapi_server_options server_options = {
	    .ifname = options->interface,
	    .device = e->engine,
	    .log = options->sink ? log_engine : NULL,
	    .log_ctx = options->sink,
	    .log_level = log_level(options),
	};
	int ret = wg_uapi_listen(options->interface, &server_options.listen_fd);

	if (!ret)
		ret = wg_uapi_server_start(&e->uapi, &server_options);
	if (ret && options->sink)
		mesh_log(options->sink, LOG_WARNING,
		         "no WireGuard socket for %s (wg show cannot see it): %s",
		         options->interface, strerror(-ret));
}

/*
 * The TUN is made persistent at once, as a kernel link is: it stays after kg exits (also
 * after a kill), with its address and routes, for the next engine to attach to.
 */
static int open_tun(const char *interface, struct engine_device *e, int *tun_fd)
{
	char name[IFNAMSIZ];
	int ret = tun_open(interface, tun_fd, name);

	if (ret)
		return ret;
	e->keep = fcntl(*tun_fd, F_DUPFD_CLOEXEC, 0);
	if (e->keep < 0 || ioctl(*tun_fd, TUNSETPERSIST, 1) < 0) {
		ret = -errno;
		close(*tun_fd);
	}
	return ret;
}

int mesh_wg_engine_open(struct nl_socket *nl, const struct mesh_wg_device_options *options,
                        bool create, struct mesh_wg_device **out, char *err, size_t err_size)
{
	struct engine_device *e = engine_new();
	struct wg_device_options device_options = {
	    .log = options->sink ? log_engine : NULL,
	    .log_ctx = options->sink,
	    .log_level = log_level(options),
	};
	int ret = e ? open_tun(options->interface, e, &device_options.tun_fd) : -ENOMEM;

	(void)nl;
	if (e) {
		e->sink = options->sink;
		snprintf(e->name, sizeof(e->name), "%s", options->interface);
	}
	if (!ret)
		ret = wg_device_create(&e->engine, &device_options);
	if (ret) {
		snprintf(err, err_size, "failed to create WireGuard interface %s: %s",
		         options->interface, strerror(-ret));
		if (e)
			engine_close(&e->base, create);
		return ret;
	}
	e->base.created = create;
	serve_uapi(options, e);
	*out = &e->base;
	return 0;
}

int mesh_wg_device_from_engine(struct wg_device *engine, struct mesh_wg_device **out)
{
	struct engine_device *e = engine_new();

	if (!e)
		return -ENOMEM;
	e->engine = engine;
	*out = &e->base;
	return 0;
}
