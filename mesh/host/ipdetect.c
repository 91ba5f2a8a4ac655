// SPDX-License-Identifier: MIT
/* ipdetect.c - own IPs and MTU: the decision over a host snapshot, and the snapshot. */

#include "mesh/host/ipdetect.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mesh/model/array.h"

enum group { BY_HOSTNAME, ON_DEFAULT_ROUTE, ON_ANY_INTERFACE };

struct candidate {
	enum group group;
	struct mesh_prefix prefix;
};

struct candidates {
	struct candidate *items;
	size_t n, cap;
	int error;
};

/* Loopback and link-local addresses: never a node's address (Kilo #229). */
static bool is_local(const struct ip_addr *addr)
{
	static const uint8_t loopback6[16] = {[15] = 1};
	const uint8_t *b = addr->bytes;

	if (addr->family == AF_INET)
		return b[0] == 127 || (b[0] == 169 && b[1] == 254);
	return !memcmp(b, loopback6, 16) || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
}

static bool ignored(const struct mesh_host *host, const struct mesh_ipdetect_options *options,
                    const struct ip_addr *addr)
{
	for (size_t i = 0; i < host->n_addresses; i++) {
		if (!ip_addr_equal(&host->addresses[i].prefix.addr, addr))
			continue;
		for (size_t j = 0; j < options->n_ignore; j++)
			if (!strcmp(host->addresses[i].ifname, options->ignore[j]))
				return true;
	}
	return false;
}

static void add(struct candidates *c, const struct mesh_host *host,
                const struct mesh_ipdetect_options *options, enum group group,
                const struct mesh_prefix *prefix)
{
	struct candidate candidate = {group, *prefix};

	if (is_local(&prefix->addr) || ignored(host, options, &prefix->addr))
		return;
	if (!c->error &&
	    !mesh_array_push((void **)&c->items, &c->n, &c->cap, &candidate, sizeof(candidate)))
		c->error = -ENOMEM;
}

/* Kilo's sortIPs within each group: IPv4 first, then by "ip/mask" text. */
static int compare(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->prefix.addr.family != y->prefix.addr.family)
		return x->prefix.addr.family == AF_INET ? -1 : 1;
	return mesh_prefix_compare_text(&x->prefix, &y->prefix);
}

static bool internal(const struct mesh_ipdetect_options *options, const struct ip_addr *addr)
{
	if (!options->n_internal_cidrs)
		return true;
	for (size_t i = 0; i < options->n_internal_cidrs; i++)
		if (mesh_prefix_contains_addr(&options->internal_cidrs[i], addr))
			return true;
	return false;
}

static void gather(struct candidates *c, const struct mesh_host *host,
                   const struct mesh_ipdetect_options *options)
{
	const struct mesh_host_address *entry;

	for (size_t i = 0; i < host->n_hostname_ips; i++) {
		entry = mesh_host_find(host, &host->hostname_ips[i]);
		if (entry)
			add(c, host, options, BY_HOSTNAME, &entry->prefix);
	}
	for (size_t i = 0; i < host->n_addresses; i++) {
		entry = &host->addresses[i];
		if (entry->default_route)
			add(c, host, options, ON_DEFAULT_ROUTE, &entry->prefix);
		add(c, host, options, ON_ANY_INTERFACE, &entry->prefix);
	}
}

/* Every candidate, sorted; -ENOMEM (told in err) when out of memory. */
static int sorted_candidates(const struct mesh_host *host,
                             const struct mesh_ipdetect_options *options, struct candidates *c,
                             char *err, size_t err_size)
{
	gather(c, host, options);
	if (c->error) {
		snprintf(err, err_size, "detecting own IPs: %s", strerror(-c->error));
		return c->error;
	}
	if (c->n)
		qsort(c->items, c->n, sizeof(*c->items), compare);
	return 0;
}

int mesh_ipdetect_ips(const struct mesh_host *host, const struct mesh_ipdetect_options *options,
                      struct mesh_prefix *private_ip, struct mesh_prefix *public_ip, char *err,
                      size_t err_size)
{
	struct candidates c = {0};
	const struct mesh_prefix *found_private = NULL, *found_public = NULL;
	int ret = sorted_candidates(host, options, &c, err, err_size);

	for (size_t i = 0; ret == 0 && i < c.n; i++) {
		const struct mesh_prefix *p = &c.items[i].prefix;

		if (mesh_addr_is_public(&p->addr)) {
			if (!found_public)
				found_public = p;
		} else if (!found_private && internal(options, &p->addr)) {
			found_private = p;
		}
	}
	found_public = found_public ? found_public : found_private;
	if (ret == 0 && !found_public) {
		ret = -EADDRNOTAVAIL;
		snprintf(err, err_size, "no valid IP was found");
	}
	if (ret == 0) {
		*private_ip = found_private ? *found_private : (struct mesh_prefix){0};
		*public_ip = *found_public;
	}
	free(c.items);
	return ret;
}

int mesh_ipdetect_ip6(const struct mesh_host *host, const struct mesh_ipdetect_options *options,
                      const struct mesh_prefix *private_ip, struct mesh_prefix *private_ip6,
                      char *err, size_t err_size)
{
	struct candidates c = {0};
	int ret = 0;

	memset(private_ip6, 0, sizeof(*private_ip6));
	if (private_ip->addr.family != AF_INET)
		return 0;
	ret = sorted_candidates(host, options, &c, err, err_size);
	for (size_t i = 0; ret == 0 && i < c.n; i++) {
		const struct mesh_prefix *p = &c.items[i].prefix;

		if (p->addr.family == AF_INET6 && !mesh_addr_is_public(&p->addr) &&
		    internal(options, &p->addr)) {
			*private_ip6 = *p;
			break;
		}
	}
	free(c.items);
	return ret;
}

unsigned int mesh_ipdetect_mtu(const struct mesh_host *host)
{
	if (host->default_mtu <= MESH_WIREGUARD_OVERHEAD)
		return MESH_FALLBACK_MTU;
	return host->default_mtu - MESH_WIREGUARD_OVERHEAD;
}

const struct mesh_host_address *mesh_host_find(const struct mesh_host *host,
                                               const struct ip_addr *addr)
{
	for (size_t i = 0; i < host->n_addresses; i++)
		if (ip_addr_equal(&host->addresses[i].prefix.addr, addr))
			return &host->addresses[i];
	return NULL;
}

/* The first default route of the main table, IPv4 before IPv6; 0 if none. */
static int default_ifindex(struct nl_socket *nl)
{
	static const uint8_t families[] = {AF_INET, AF_INET6};
	struct nl_route *routes;
	int ifindex = 0;
	size_t n;

	for (size_t f = 0; !ifindex && f < sizeof(families); f++) {
		if (nl_route_dump(nl, families[f], &routes, &n) < 0)
			continue;
		for (size_t i = 0; !ifindex && i < n; i++)
			if (routes[i].table == RT_TABLE_MAIN && routes[i].dst_len == 0)
				ifindex = routes[i].ifindex;
		free(routes);
	}
	return ifindex;
}

static int collect_addresses(struct nl_socket *nl, struct mesh_host *host)
{
	struct nl_address *addresses = NULL;
	struct nl_link *links = NULL;
	size_t n_addresses, n_links;
	int ifindex = default_ifindex(nl);
	int ret = nl_link_dump(nl, &links, &n_links);

	if (ret == 0)
		ret = nl_address_dump(nl, AF_UNSPEC, &addresses, &n_addresses);
	if (ret == 0 && n_addresses &&
	    !(host->addresses = calloc(n_addresses, sizeof(*host->addresses))))
		ret = -ENOMEM;
	for (size_t i = 0; ret == 0 && i < n_addresses; i++) {
		struct mesh_host_address *a = &host->addresses[host->n_addresses++];

		a->ifindex = addresses[i].ifindex;
		a->default_route = ifindex && a->ifindex == ifindex;
		a->prefix.addr = addresses[i].ip;
		a->prefix.cidr = addresses[i].prefixlen;
		for (size_t j = 0; j < n_links; j++)
			if (links[j].ifindex == a->ifindex)
				memcpy(a->ifname, links[j].name, IFNAMSIZ);
	}
	for (size_t j = 0; ret == 0 && j < n_links; j++)
		if (ifindex && links[j].ifindex == ifindex)
			host->default_mtu = links[j].mtu;
	free(addresses);
	free(links);
	return ret;
}

/* An unresolvable hostname is no error: the other groups still count. */
static int resolve(const char *hostname, struct mesh_host *host)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM}, *list, *ai;
	size_t cap = 0;
	int ret = 0;

	if (!hostname || getaddrinfo(hostname, NULL, &hints, &list))
		return 0;
	for (ai = list; ai && ret == 0; ai = ai->ai_next) {
		struct ip_addr addr = {.family = (uint8_t)ai->ai_family};

		if (ai->ai_family == AF_INET)
			memcpy(addr.bytes, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
		else if (ai->ai_family == AF_INET6)
			memcpy(addr.bytes, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
		else
			continue;
		if (!mesh_array_push((void **)&host->hostname_ips, &host->n_hostname_ips, &cap,
		                     &addr, sizeof(addr)))
			ret = -ENOMEM;
	}
	freeaddrinfo(list);
	return ret;
}

int mesh_host_collect(struct nl_socket *nl, const char *hostname, struct mesh_host *host)
{
	int ret;

	memset(host, 0, sizeof(*host));
	ret = collect_addresses(nl, host);
	if (ret == 0)
		ret = resolve(hostname, host);
	if (ret < 0)
		mesh_host_release(host);
	return ret;
}

void mesh_host_release(struct mesh_host *host)
{
	free(host->addresses);
	free(host->hostname_ips);
	memset(host, 0, sizeof(*host));
}
