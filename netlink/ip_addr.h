/* SPDX-License-Identifier: MIT */
/*
 * One IP address type for the whole program, IPv4 and IPv6 alike: the family
 * and the address in network order, as rtnetlink carries it and as the mesh
 * model holds node and peer addresses. Family 0 means "no address".
 * Text goes through inet_pton/inet_ntop (dotted quad, RFC 5952 IPv6), which
 * is also what Go's net package accepts and prints for Kilo's addresses.
 * ip_host_port_split() is the one reader of "host:port" text around them:
 * the mesh's endpoints and the programs' listen addresses.
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

/*
 * Split "host:port", "[host]:port" or ":port", as Go's net.SplitHostPort does
 * but with a numeric port (0..65535, decimal digits only). The host loses its
 * brackets and may be empty; it is not checked further (the caller knows
 * whether it wants an IP or a name, and can tell a bracketed one by text[0]).
 * A host holding ':' needs the brackets, so a bare IPv6 address is an error,
 * and '[' or ']' stand nowhere else. 0, or -EINVAL with host and port untouched
 * (also when host does not fit in host_size bytes).
 */
int ip_host_port_split(const char *text, char *host, size_t host_size, uint16_t *port);

#endif /* NETLINK_IP_ADDR_H */
