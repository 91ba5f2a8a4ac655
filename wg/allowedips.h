/* SPDX-License-Identifier: MIT */
/*
 * allowedips.h - allowed IPs: a longest-prefix-match table from IPv4 and IPv6 prefixes to
 * peers, the cryptokey routing table of WireGuard.
 *
 * Contract: a prefix belongs to at most one peer; inserting it again moves it
 * to the new peer. Addresses are raw network-order bytes (4 for AF_INET, 16
 * for AF_INET6) and are stored masked to their CIDR, so a walk reads back
 * 192.0.2.77/24 as 192.0.2.0/24. Peers are opaque non-NULL pointers the
 * table never dereferences. Lookups, inserts and removals are O(address
 * bits); nothing recurses. Not thread-safe: the engine holds a rwlock.
 */
#ifndef WG_ALLOWEDIPS_H
#define WG_ALLOWEDIPS_H

#include <stdint.h>

struct wg_allowedips;

/* Called for each prefix of a peer; a non-zero return stops the walk and
 * becomes its result. */
typedef int (*wg_allowedips_walk_fn)(void *ctx, int family, const uint8_t *addr, uint8_t cidr);

struct wg_allowedips *wg_allowedips_new(void);
void wg_allowedips_free(struct wg_allowedips *table);

/* 0, -EINVAL (unknown family, cidr too long, NULL peer) or -ENOMEM. */
int wg_allowedips_insert(struct wg_allowedips *table, int family, const void *addr, uint8_t cidr,
                         void *peer);
/* Removes the prefix if it belongs to peer: 0, -EINVAL or -ENOENT. */
int wg_allowedips_remove(struct wg_allowedips *table, int family, const void *addr, uint8_t cidr,
                         void *peer);
void wg_allowedips_remove_by_peer(struct wg_allowedips *table, void *peer);

/* The peer owning the longest prefix containing addr, or NULL. */
void *wg_allowedips_lookup(const struct wg_allowedips *table, int family, const void *addr);

/* Visits peer's prefixes in insertion order (a re-insert counts as new);
 * returns 0 or the callback's stop value. The callback must not change the
 * table. */
int wg_allowedips_walk_by_peer(const struct wg_allowedips *table, const void *peer,
                               wg_allowedips_walk_fn fn, void *ctx);

#endif
