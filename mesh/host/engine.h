/* SPDX-License-Identifier: MIT */
/*
 * The in-process engine as kg and kgctl connect run it: a device on an open
 * TUN fd, logging to the program's sink (mesh/model/log.h), and its UAPI socket so
 * that `wg show` sees the interface as a kernel one.
 *
 * mesh_engine_open_tun() opens (or creates) the TUN and keeps a duplicate of
 * its fd in *keep, which outlives the device so that the caller can still set
 * the TUN's persistence (TUNSETPERSIST) at close. mesh_engine_create() hands
 * tun_fd to the device. mesh_engine_serve_uapi() only reports a failure
 * (LOG_WARNING) and leaves *uapi NULL: the socket is a window, not a duty,
 * and the mesh works all the same without it.
 */
#ifndef MESH_ENGINE_H
#define MESH_ENGINE_H

#include <stdbool.h>

#include "mesh/model/log.h"
#include "wg/uapi_server.h"
#include "wg/wg.h"

struct mesh_engine_options {
	const char *interface;
	struct mesh_log_sink *sink; /* borrowed: must outlive the device */
	bool debug;                 /* pass the engine's debug lines too (they are many) */
};

int mesh_engine_open_tun(const char *interface, int *tun_fd, int *keep);
int mesh_engine_create(const struct mesh_engine_options *options, int tun_fd,
                       struct wg_device **device);
void mesh_engine_serve_uapi(const struct mesh_engine_options *options, struct wg_device *device,
                            struct wg_uapi_server **uapi);

#endif /* MESH_ENGINE_H */
