/* SPDX-License-Identifier: MIT */
/*
 * The node's own IPs and WireGuard MTU (Kilo's getIP in pkg/mesh/discoverips.go, and
 * --mtu auto), decided by pure functions over a snapshot of the host.
 *
 * Candidates come in three groups, each sorted IPv4 first then as text: the addresses the
 * hostname resolves to that are assigned here (with the interface's mask), the addresses of
 * the interface holding the first default route, then every address. Loopback and link-local
 * addresses never count, nor addresses on ignored interfaces (kilo0, kube-bridge). With
 * --internal-cidr only private candidates inside one of those CIDRs count. The private IP is
 * the first private candidate (or none); the public IP the first public one, else the
 * private one. The MTU is the default-route interface's MTU minus WireGuard's 80 bytes,
 * 1420 without a default route. mesh_host_collect() takes the snapshot over netlink.
 */
#ifndef MESH_IPDETECT_H
#define MESH_IPDETECT_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "mesh/model/prefix.h"
#include "netlink/netlink.h"

#define MESH_WIREGUARD_OVERHEAD 80 /* IPv4 20 + UDP 8 + header 32 + tag 16 + padding 4 */
#define MESH_FALLBACK_MTU 1420

struct mesh_host_address {
	char ifname[IFNAMSIZ];
	int ifindex;
	struct mesh_prefix prefix; /* the address with its interface's mask */
	bool default_route;        /* on the interface of the first default route */
};

struct mesh_host {
	struct mesh_host_address *addresses;
	size_t n_addresses;
	struct ip_addr *hostname_ips; /* what the node's hostname resolves to */
	size_t n_hostname_ips;
	unsigned int default_mtu; /* MTU of the default route's interface; 0 = no default route */
};

struct mesh_ipdetect_options {
	const char *const *ignore; /* interface names whose addresses never count */
	size_t n_ignore;
	const struct mesh_prefix *internal_cidrs; /* --internal-cidr; none = no restriction */
	size_t n_internal_cidrs;
};

/*
 * private_ip is left unset when there is none. -EADDRNOTAVAIL ("no valid IP was found") when
 * there is neither a private nor a public IP.
 */
int mesh_ipdetect_ips(const struct mesh_host *host, const struct mesh_ipdetect_options *options,
                      struct mesh_prefix *private_ip, struct mesh_prefix *public_ip, char *err,
                      size_t err_size);

/*
 * A dual-stack node's IPv6 private IP (internal-ipv6) beside an IPv4 private_ip: the first
 * private IPv6 candidate by the same rules (fd00::/16 is private, as Kilo's isPublic says);
 * left unset when there is none, or when private_ip is not IPv4 (it is then the only one).
 */
int mesh_ipdetect_ip6(const struct mesh_host *host, const struct mesh_ipdetect_options *options,
                      const struct mesh_prefix *private_ip, struct mesh_prefix *private_ip6,
                      char *err, size_t err_size);

unsigned int mesh_ipdetect_mtu(const struct mesh_host *host);

/* The host entry holding addr (the interface of the private IP), or NULL. */
const struct mesh_host_address *mesh_host_find(const struct mesh_host *host,
                                               const struct ip_addr *addr);

/* Addresses, links and the default route over nl; the hostname through the resolver. */
int mesh_host_collect(struct nl_socket *nl, const char *hostname, struct mesh_host *host);
void mesh_host_release(struct mesh_host *host);

#endif /* MESH_IPDETECT_H */
