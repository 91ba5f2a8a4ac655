/* SPDX-License-Identifier: MIT */
/*
 * ratelimiter.h - per-source token bucket for handshake messages under load.
 *
 * Contract: each source may send WG_RATELIMITER_PACKETS_PER_SECOND packets a
 * second with bursts of WG_RATELIMITER_BURST; an IPv4 source is its address,
 * an IPv6 source its /64 (one host usually owns a whole /64). The table is
 * keyed with a random SipHash key and holds at most max_entries sources; a new
 * source beyond that is denied. Sources idle for more than a second are
 * forgotten, collected lazily from wg_ratelimiter_allow() at most once a
 * second. now is monotonic nanoseconds. Not thread-safe: the engine locks.
 */
#ifndef WG_RATELIMITER_H
#define WG_RATELIMITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum {
	WG_RATELIMITER_PACKETS_PER_SECOND = 20,
	WG_RATELIMITER_BURST = 5,
	/* The kernel's cap on a machine with more than 1 GiB of RAM. */
	WG_RATELIMITER_DEFAULT_MAX_ENTRIES = 8192 * 8,
};

struct wg_ratelimiter;

/* max_entries 0 means WG_RATELIMITER_DEFAULT_MAX_ENTRIES. NULL on ENOMEM or
 * when libsodium cannot initialise. */
struct wg_ratelimiter *wg_ratelimiter_new(size_t max_entries);
void wg_ratelimiter_free(struct wg_ratelimiter *rl);

/* Takes one token from src's bucket. src must be AF_INET or AF_INET6 (an
 * IPv4-mapped IPv6 address counts as IPv4); anything else is denied. */
bool wg_ratelimiter_allow(struct wg_ratelimiter *rl, const struct sockaddr *src, uint64_t now);

/* Sources currently remembered. */
size_t wg_ratelimiter_count(const struct wg_ratelimiter *rl);

#endif
