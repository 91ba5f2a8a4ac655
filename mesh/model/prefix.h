/* SPDX-License-Identifier: MIT */
/*
 * IP addresses and prefixes for the mesh model, IPv4 and IPv6 alike.
 *
 * A prefix keeps the address as written ("10.1.0.2/24" stays 10.1.0.2, like
 * Kilo's normalised net.IPNet), so one type carries both "host IP with its
 * interface mask" and "network". mesh_prefix_masked() gives the network.
 * Parsers return 0 or -EINVAL and never read past the NUL; formatters write at
 * most MESH_PREFIX_STRLEN bytes including the NUL and return the buffer.
 */
#ifndef MESH_PREFIX_H
#define MESH_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink/ip_addr.h"

/* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128" plus NUL, rounded up. */
#define MESH_PREFIX_STRLEN 52

struct mesh_prefix {
	struct ip_addr addr;
	uint8_t cidr; /* 0..32 or 0..128 */
};

/* Kilo's isPublic: RFC 1918 v4 and fd00::/16 are private, all else public. */
bool mesh_addr_is_public(const struct ip_addr *addr);

/* "10.0.0.0/8"; the address keeps its host bits. */
int mesh_prefix_parse(const char *text, struct mesh_prefix *prefix);
/* Address as a single-host prefix (/32 or /128). */
struct mesh_prefix mesh_prefix_host(const struct ip_addr *addr);
char *mesh_prefix_format(const struct mesh_prefix *prefix, char buf[MESH_PREFIX_STRLEN]);
bool mesh_prefix_is_set(const struct mesh_prefix *prefix);
/* Same address, same length (host bits count, like Go's IPNet.String()). */
bool mesh_prefix_equal(const struct mesh_prefix *a, const struct mesh_prefix *b);
struct mesh_prefix mesh_prefix_masked(const struct mesh_prefix *prefix);
/* Is addr inside the network of prefix? */
bool mesh_prefix_contains_addr(const struct mesh_prefix *prefix, const struct ip_addr *addr);
/* Is all of inner inside outer (outer no longer than inner)? */
bool mesh_prefix_contains(const struct mesh_prefix *outer, const struct mesh_prefix *inner);
/* Kilo's intersect(): does either prefix contain the other's address? */
bool mesh_prefix_overlaps(const struct mesh_prefix *a, const struct mesh_prefix *b);
/* Total order by formatted string, as Kilo sorts CIDR lists. */
int mesh_prefix_compare_text(const struct mesh_prefix *a, const struct mesh_prefix *b);

#endif /* MESH_PREFIX_H */
