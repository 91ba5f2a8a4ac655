/* SPDX-License-Identifier: MIT */
/*
 * netlink.h - rtnetlink requests for the agent's host state: links, addresses, routes and
 * policy rules, IPv4 and IPv6 (libmnl).
 *
 * Every request is first built into a caller's buffer by a pure nl_build_*() function
 * (so tests check the bytes without touching the kernel), then sent over an nl_socket,
 * which waits for the kernel's ack or collects a dump. Dumps return heap arrays the caller
 * frees. Functions return 0 or -errno (the kernel's error for a refused request); a
 * struct nl_socket is used by one thread at a time. Addresses are family + network-order
 * bytes; family 0 means "unset" (no gateway, no source, from/to all).
 *
 * One file per object holds its builders, parser and requests: link.c, address.c, route.c,
 * rule.c; socket.c holds the socket, the ack and the dump. Kernel WireGuard's configuration
 * (generic netlink) is wireguard.h's.
 */
#ifndef NETLINK_NETLINK_H
#define NETLINK_NETLINK_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink/ip_addr.h"

/* Room for any single request built here. */
#define NL_BUFSIZE 1024
/* A link's kind ("tun", "wireguard", "ipip", "veth", ...) with its NUL. */
#define NL_LINK_KIND_LEN 16

struct nlmsghdr;
struct nl_socket;

struct nl_link {
	int ifindex;
	char name[IFNAMSIZ];
	unsigned int mtu;
	bool up;                     /* IFF_UP */
	bool running;                /* IFF_RUNNING: operationally up (carrier) */
	char kind[NL_LINK_KIND_LEN]; /* IFLA_INFO_KIND; "" for a link without one (lo, a NIC) */
};

struct nl_address {
	int ifindex;
	struct ip_addr ip;
	uint8_t prefixlen;
};

struct nl_route {
	struct ip_addr dst; /* family 0 = default route of the family in gw/src */
	uint8_t dst_len;
	struct ip_addr gw;  /* unset = directly on the link */
	struct ip_addr src; /* preferred source, or unset */
	int ifindex;
	uint32_t table;   /* RT_TABLE_MAIN is 254 */
	uint8_t protocol; /* RTPROT_* */
	bool onlink;
};

struct nl_rule {
	uint8_t family;
	struct ip_addr src; /* unset = from all */
	uint8_t src_len;
	struct ip_addr dst; /* unset = to all */
	uint8_t dst_len;
	char iif[IFNAMSIZ]; /* "" = any */
	uint32_t table;
	uint32_t priority; /* 0 = the kernel picks one when adding */
};

int nl_open(struct nl_socket **out);
void nl_close(struct nl_socket *nl);

/* Same fields (structs are compared field by field: padding is not zeroed). */
bool nl_route_equal(const struct nl_route *a, const struct nl_route *b);
/* Same selectors and table; priorities are compared only when both are set. */
bool nl_rule_equal(const struct nl_rule *a, const struct nl_rule *b);

/* Family of a route (from dst, else gw, else src); 0 if none is set. */
uint8_t nl_route_family(const struct nl_route *route);

/*
 * Message builders: each writes one request into buf (NL_BUFSIZE bytes) and returns its
 * header. Sequence numbers are filled in when sent. type is RTM_NEW... or RTM_DEL...;
 * extra_flags adds NLM_F_CREATE/EXCL/REPLACE to NLM_F_REQUEST | NLM_F_ACK.
 */
struct nlmsghdr *nl_build_dump(void *buf, uint16_t type, uint8_t family);
struct nlmsghdr *nl_build_link_get(void *buf, const char *name);
/* up < 0 leaves the flag alone, mtu 0 leaves the MTU alone. */
struct nlmsghdr *nl_build_link_set(void *buf, int ifindex, int up, unsigned int mtu);
/* A new link of kind ("wireguard", "ipip", ...), created only if no link has that name. */
struct nlmsghdr *nl_build_link_new(void *buf, const char *name, const char *kind, unsigned int mtu);
/* An IPIP tunnel without remote or local address: the "tunl0" fallback-device style. */
struct nlmsghdr *nl_build_link_ipip(void *buf, const char *name, unsigned int mtu);
struct nlmsghdr *nl_build_link_del(void *buf, int ifindex);
struct nlmsghdr *nl_build_address(void *buf, uint16_t type, uint16_t extra_flags,
                                  const struct nl_address *address);
struct nlmsghdr *nl_build_route(void *buf, uint16_t type, uint16_t extra_flags,
                                const struct nl_route *route);
struct nlmsghdr *nl_build_rule(void *buf, uint16_t type, uint16_t extra_flags,
                               const struct nl_rule *rule);

/*
 * Parsers of one dumped message (a link, route or rule also from a deletion notice): 0, or
 * -ENOMSG for a message of another kind.
 */
int nl_parse_link(const struct nlmsghdr *nlh, struct nl_link *link);
int nl_parse_address(const struct nlmsghdr *nlh, struct nl_address *address);
int nl_parse_route(const struct nlmsghdr *nlh, struct nl_route *route);
int nl_parse_rule(const struct nlmsghdr *nlh, struct nl_rule *rule);

/* Links. -ENODEV when no link has that name. */
int nl_link_get(struct nl_socket *nl, const char *name, struct nl_link *link);
int nl_link_dump(struct nl_socket *nl, struct nl_link **links, size_t *n);
int nl_link_set(struct nl_socket *nl, int ifindex, int up, unsigned int mtu);
/*
 * Creates a link of that kind: -EEXIST when a link has that name, -EOPNOTSUPP when the
 * kernel knows no such kind (its module is missing).
 */
int nl_link_add(struct nl_socket *nl, const char *name, const char *kind, unsigned int mtu);
/* Creates the IPIP link; an existing link of that name is fine (Kilo ignores "File exists"). */
int nl_link_add_ipip(struct nl_socket *nl, const char *name, unsigned int mtu);
int nl_link_del(struct nl_socket *nl, int ifindex);

/* Addresses of one family (AF_UNSPEC = both), of every link. */
int nl_address_dump(struct nl_socket *nl, uint8_t family, struct nl_address **addresses, size_t *n);
int nl_address_add(struct nl_socket *nl, const struct nl_address *address);
int nl_address_del(struct nl_socket *nl, const struct nl_address *address);
/*
 * Make want the only address of its link (want->ip unset: no address at all), touching
 * nothing when that already holds. IPv6 link-local addresses are the kernel's and stay.
 * *changed (may be NULL) tells whether anything was added or removed.
 */
int nl_address_set(struct nl_socket *nl, const struct nl_address *want, bool *changed);

/* Unicast routes of one family in every table (callers filter by table). */
int nl_route_dump(struct nl_socket *nl, uint8_t family, struct nl_route **routes, size_t *n);
/* Adds the route, or replaces the one with the same table, destination and metric. */
int nl_route_replace(struct nl_socket *nl, const struct nl_route *route);
int nl_route_del(struct nl_socket *nl, const struct nl_route *route);

int nl_rule_dump(struct nl_socket *nl, uint8_t family, struct nl_rule **rules, size_t *n);
int nl_rule_add(struct nl_socket *nl, const struct nl_rule *rule);
int nl_rule_del(struct nl_socket *nl, const struct nl_rule *rule);

#endif /* NETLINK_NETLINK_H */
