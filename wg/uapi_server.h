/* SPDX-License-Identifier: MIT */
/*
 * uapi_server.h - serve a device's UAPI socket, /var/run/wireguard/IFNAME.sock.
 *
 * Contract:
 * - wg_uapi_listen() makes the directory (0755) and a listening socket (0600, created under umask
 * 0177). A socket file that a live process still answers is refused with -EADDRINUSE; a stale one
 * is replaced. Listening is separate from serving so that a daemon can listen before it forks and
 *   `wg` can connect as soon as the parent exits.
 * - wg_uapi_server_start() serves on its own thread: any number of connections, each carrying any
 *   number of `get=1` / `set=1` operations, answered exactly like wireguard-go with `errno=N`
 *   (0 or a negative errno). A `set` goes to the device only when every line of it is valid.
 *   Bad input gets an error answer or, when the stream cannot be followed any more (unknown
 *   operation), a closed connection; the server itself never stops over it.
 * - on_gone (if set) is called once, from the server thread, when the socket file is deleted or
 *   replaced: wireguard-go treats that as a request to exit.
 * - wg_uapi_server_stop() ends the thread, closes every connection and removes the socket file
 *   if it is still ours.
 */
#ifndef WG_UAPI_SERVER_H
#define WG_UAPI_SERVER_H

#include "wg/wg.h"

#define WG_UAPI_DIR "/var/run/wireguard"

struct wg_uapi_server;

struct wg_uapi_server_options {
	const char *ifname;
	int listen_fd; /* from wg_uapi_listen(); the server owns it from now on */
	struct wg_device *device;
	wg_log_fn log;
	void *log_ctx;
	enum wg_log_level log_level;
	void (*on_gone)(void *ctx);
	void *gone_ctx;
};

int wg_uapi_listen(const char *ifname, int *fd_out);
int wg_uapi_server_start(struct wg_uapi_server **out, const struct wg_uapi_server_options *opts);
void wg_uapi_server_stop(struct wg_uapi_server *server);

#endif /* WG_UAPI_SERVER_H */
