/* SPDX-License-Identifier: MIT */
/*
 * uapi.h - the cross-platform UAPI text protocol (wireguard.com/xplatform) onto wg.h.
 *
 * Contract:
 * - A `set` request is fed one line at a time (without the "set=1" line and without the blank
 *   line that ends it) into a struct wg_uapi_set. Every line is validated as it arrives; the
 *   first error is kept and later lines are still checked and consumed, so a server stays in step
 *   with the stream. wg_uapi_set_finish() then yields the whole request as one struct wg_config,
 *   or the first error: -EPROTO for a line without '=', -EINVAL for an unknown key or an invalid
 *   value. wg_uapi_set_error() says why without echoing the input, which may hold a key: it
 *   names a key only when it is a known key name, and never shows a value. A request with any
 *   error must change nothing: this is stricter than wireguard-go, which applies lines as read.
 * - wg_uapi_format_get() prints a snapshot as the body of a `get` answer (without the errno line),
 *   with wireguard-go's keys in wireguard-go's order.
 * - Pure apart from resolving IPv6 zone names: no sockets, no clock. Keys are zeroed when freed.
 */
#ifndef WG_UAPI_H
#define WG_UAPI_H

#include <stddef.h>

#include "wg/wg.h"

enum { WG_UAPI_ERROR_LEN = 160 };

/* One `set` request being parsed. Zero-initialise it; the fields are private. */
struct wg_uapi_set {
	struct wg_config config;
	struct wg_peer_config *peers;
	size_t peers_cap;
	struct wg_allowed_ip_change *ips; /* every peer's, in peer order */
	size_t n_ips, ips_cap;
	int error;
	char error_msg[WG_UAPI_ERROR_LEN];
};

/* Parses one line (no trailing newline); returns 0 or this line's error. */
int wg_uapi_set_line(struct wg_uapi_set *req, const char *line);
/* 0 and *config (valid until wg_uapi_set_free()), or the request's first error. */
int wg_uapi_set_finish(struct wg_uapi_set *req, const struct wg_config **config);
/* Why the request failed, "" if it did not. */
const char *wg_uapi_set_error(const struct wg_uapi_set *req);
void wg_uapi_set_free(struct wg_uapi_set *req);

/* A growable text buffer whose old blocks are zeroed, as a `get` answer holds the private key.
 * Appending is sticky on failure: once out of memory, error stays -ENOMEM. */
struct wg_uapi_buf {
	char *data;
	size_t len, cap;
	int error;
};

/* Appends the `get` body for snapshot to buf; returns buf->error. */
int wg_uapi_format_get(struct wg_uapi_buf *buf, const struct wg_snapshot *snapshot);
void wg_uapi_buf_printf(struct wg_uapi_buf *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Zeroes and frees the contents; buf can be reused. */
void wg_uapi_buf_free(struct wg_uapi_buf *buf);

#endif /* WG_UAPI_H */
