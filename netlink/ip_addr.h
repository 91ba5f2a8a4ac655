/* SPDX-License-Identifier: MIT */
/*
 * One IP address type for the whole program, IPv4 and IPv6 alike: the family
 * and the address in network order, as rtnetlink carries it and as the mesh
 * model holds node and peer addresses. Family 0 means "no address".
 * Text goes through inet_pton/inet_ntop (dotted quad, RFC 5952 IPv6), which
 * is also what Go's net package accepts and prints for Kilo's addresses.
 */
#ifndef NETLINK_IP_ADDR_H
#define NETLINK_IP_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" plus NUL, rounded up. */
#define IP_ADDR_STRLEN 48

struct ip_addr {
	uint8_t family;    /* 0 (no address), AF_INET or AF_INET6 */
	uint8_t bytes[16]; /* network order; IPv4 uses the first 4 */
};

/* "10.0.0.1" or "fd00::1"; 0 or -EINVAL. */
int ip_addr_parse(const char *text, struct ip_addr *addr);
/* "" for no address. */
char *ip_addr_format(const struct ip_addr *addr, char buf[IP_ADDR_STRLEN]);
bool ip_addr_is_set(const struct ip_addr *addr);
size_t ip_addr_len(const struct ip_addr *addr); /* 4, 16 or 0 */
bool ip_addr_equal(const struct ip_addr *a, const struct ip_addr *b);
/* A total order: by family, then the address bytes. */
int ip_addr_compare(const struct ip_addr *a, const struct ip_addr *b);

#endif /* NETLINK_IP_ADDR_H */
