// SPDX-License-Identifier: MIT
/*
 * Routes and rules, in the order Kilo emits them so that a diff against an
 * agent running Kilo's Go code compares like with like. Every route keeps to
 * one family: its gateway is the WireGuard IP or private IP of its
 * destination's family (a route without one goes directly on kilo0 from a
 * leader, and not at all from a member), its source the own private IP of
 * that family. IPIP carries IPv4 between IPv4 private IPs only: IPv6 is
 * never encapsulated.
 */
#include "mesh/view/routes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mesh/model/allocator.h"
#include "mesh/model/array.h"

/* Growing lists with a sticky error, so the builders read like the spec. */
struct builder {
	struct mesh_routes *out;
	size_t route_cap, rule_cap;
	int error;
	/* The local node's view. */
	const struct mesh_topology *t;
	const struct mesh_prefix *private_ip; /* own (Kilo's), with its subnet mask */
	enum mesh_encapsulate encapsulate;
	enum mesh_compatibility compatibility;
};

static void add_route(struct builder *b, struct mesh_route route)
{
	struct mesh_routes *o = b->out;

	if (!b->error && !mesh_array_push((void **)&o->routes, &o->n_routes, &b->route_cap, &route,
	                                  sizeof(route)))
		b->error = -ENOMEM;
}

static void add_rule(struct builder *b, struct mesh_rule rule)
{
	struct mesh_routes *o = b->out;

	if (!b->error &&
	    !mesh_array_push((void **)&o->rules, &o->n_rules, &b->rule_cap, &rule, sizeof(rule)))
		b->error = -ENOMEM;
}

static struct mesh_route via(const struct mesh_prefix *dst, const struct ip_addr *gw,
                             enum mesh_route_device device)
{
	return (struct mesh_route){
	    .destination = *dst, .gateway = *gw, .device = device, .onlink = true};
}

/* The own private IP of family, or NULL. */
static const struct mesh_prefix *own_ip(const struct builder *b, int family)
{
	return mesh_node_private_ip_of(b->t->local, family);
}

/* A preferred source: the own private IP of dst's family, if any. */
static void set_source(const struct builder *b, struct mesh_route *route)
{
	const struct mesh_prefix *ip = own_ip(b, route->destination.addr.family);

	if (ip)
		route->source = ip->addr;
}

/* To dst on kilo0: via the WireGuard IP of its family, directly without one. */
static struct mesh_route on_kilo(const struct mesh_segment *segment, const struct mesh_prefix *dst)
{
	const struct ip_addr *wg = mesh_segment_wireguard_ip(segment, dst->addr.family);

	if (wg)
		return via(dst, wg, MESH_DEVICE_KILO);
	return (struct mesh_route){.destination = *dst, .device = MESH_DEVICE_KILO};
}

/* Does traffic to gw leave through the tunnel (--encapsulate)? Only IPv4 does. */
static bool encapsulates(const struct builder *b, const struct ip_addr *gw)
{
	const struct mesh_prefix *own = own_ip(b, AF_INET);

	if (gw->family != AF_INET || !own)
		return false;
	return b->encapsulate == MESH_ENCAPSULATE_ALWAYS ||
	       (b->encapsulate == MESH_ENCAPSULATE_CROSSSUBNET &&
	        !mesh_prefix_contains_addr(own, gw));
}

/*
 * Kilo's encapsulateRoute: a route over the private network, maybe through
 * the tunnel. Through the tunnel it leaves from the own private IP (Kilo's
 * 65b6b659, #408): without a source the kernel would take the tunnel's
 * address, the first IP of the pod CIDR, which the underlay does not route
 * back.
 */
static void add_private_route(struct builder *b, const struct mesh_prefix *dst,
                              const struct ip_addr *gw)
{
	struct mesh_route route = via(dst, gw, MESH_DEVICE_PRIVATE);

	if (encapsulates(b, gw)) {
		route.device = MESH_DEVICE_TUNNEL;
		route.source = own_ip(b, AF_INET)->addr;
	}
	add_route(b, route);
}

/*
 * A member's host IP through the tunnel to gw, in table 1107, from source
 * (unset: none); returns the host prefix.
 */
static struct mesh_prefix add_tunnel_host_route(struct builder *b, const struct ip_addr *ip,
                                                const struct ip_addr *gw,
                                                const struct ip_addr *source)
{
	struct mesh_prefix host = mesh_prefix_host(ip);
	struct mesh_route route = via(&host, gw, MESH_DEVICE_TUNNEL);

	route.table = MESH_ROUTE_TABLE;
	if (source)
		route.source = *source;
	add_route(b, route);
	return host;
}

/* What arrives from WireGuard for host takes table 1107 (iif kilo0). */
static void add_kilo_rule(struct builder *b, const struct mesh_prefix *host)
{
	add_rule(b, (struct mesh_rule){
	                .destination = *host, .from_kilo = true, .table = MESH_ROUTE_TABLE});
}

/*
 * Routes to the other members of a segment reached over the private network:
 * each pod CIDR via the member's private IP of its family. Encapsulated
 * members also get a table-1107 host route, with rules so that local pods
 * (and, on a leader, WireGuard traffic) reach their host IPs through the
 * tunnel.
 */
static void add_local_segment(struct builder *b, const struct mesh_segment *segment)
{
	const struct mesh_prefix *own_pods = mesh_node_subnet_of(b->t->local, AF_INET);

	for (size_t i = 0; i < segment->n_nodes; i++) {
		const struct mesh_node *node = segment->nodes[i];
		const struct mesh_prefix *ip = mesh_node_private_ip(node), *subnets[2], *ip4;
		size_t n = mesh_node_subnets(node, subnets);
		struct mesh_prefix host;

		if (!ip || ip_addr_equal(&ip->addr, &b->private_ip->addr))
			continue;
		for (size_t j = 0; j < n; j++) {
			const struct mesh_prefix *gw =
			    mesh_node_private_ip_of(node, subnets[j]->addr.family);

			if (gw)
				add_private_route(b, subnets[j], &gw->addr);
		}
		ip4 = mesh_node_private_ip_of(node, AF_INET);
		if (!ip4 || !encapsulates(b, &ip4->addr))
			continue;
		host = add_tunnel_host_route(b, &ip4->addr, &ip4->addr, &own_ip(b, AF_INET)->addr);
		if (own_pods)
			add_rule(b, (struct mesh_rule){.source = *own_pods,
			                               .destination = host,
			                               .table = MESH_ROUTE_TABLE});
		if (b->t->leader)
			add_kilo_rule(b, &host);
	}
}

/*
 * Kilo's Encapsulator.Gw: where encapsulated traffic for node (whose private
 * IP is private_ip) goes. Flannel's overlay is reached at the node's pod
 * CIDR address; Cilium's at its cilium_host address, else the same. Both
 * are IPv4 overlays: IPv6 always goes to the private IP.
 */
static struct ip_addr gateway_of(const struct builder *b, const struct mesh_node *node,
                                 const struct ip_addr *private_ip)
{
	const struct mesh_prefix *pods = mesh_node_subnet_of(node, AF_INET);

	if (b->compatibility == MESH_COMPATIBILITY_NONE || private_ip->family != AF_INET)
		return *private_ip;
	if (b->compatibility == MESH_COMPATIBILITY_CILIUM &&
	    mesh_prefix_is_set(&node->cni_compatibility_ip))
		return node->cni_compatibility_ip.addr;
	return pods ? mesh_prefix_masked(pods).addr : *private_ip;
}

/*
 * Where a member hands traffic of each family to its leader: gw[0] for
 * IPv4, gw[1] for IPv6, unset where the leader or the member has no private
 * IP of that family (such traffic has no way through the leader).
 */
static int leader_gateways(const struct builder *b, struct ip_addr gw[2])
{
	const struct mesh_topology *t = b->t;
	const struct mesh_node *leader = mesh_segment_leader(&t->segments[t->local_segment]);
	static const int families[] = {AF_INET, AF_INET6};

	/* Members share a location with their leader, so both have private IPs. */
	if (!mesh_node_private_ip(leader) || !b->private_ip)
		return -EINVAL;
	for (size_t f = 0; f < 2; f++) {
		const struct mesh_prefix *ip = mesh_node_private_ip_of(leader, families[f]);

		memset(&gw[f], 0, sizeof(gw[f]));
		if (ip && own_ip(b, families[f]))
			gw[f] = gateway_of(b, leader, &ip->addr);
	}
	return 0;
}

/*
 * Cilium with --local=false (Kilo's PR #409): Cilium routes inside the
 * location, and members reach their leader by IPIP through Cilium's overlay.
 * What arrives from WireGuard for a member's host IP goes back the same way,
 * IPIP to the member's cilium_host address, not over the private network.
 */
static void add_cilium_return_path(struct builder *b, const struct mesh_segment *segment)
{
	for (size_t i = 0; i < segment->n_nodes; i++) {
		const struct mesh_node *node = segment->nodes[i];
		const struct mesh_prefix *ip = mesh_node_private_ip_of(node, AF_INET);
		struct mesh_prefix host;
		struct ip_addr gw;

		if (!ip || ip_addr_equal(&ip->addr, &b->private_ip->addr))
			continue;
		gw = gateway_of(b, node, &ip->addr);
		if (ip_addr_equal(&gw, &ip->addr))
			continue;
		/* Kilo gives this return path no source. */
		host = add_tunnel_host_route(b, &ip->addr, &gw, NULL);
		add_kilo_rule(b, &host);
	}
}

static void add_kilo_route(struct builder *b, const struct mesh_segment *segment,
                           const struct mesh_prefix *dst)
{
	struct mesh_route route = on_kilo(segment, dst);

	set_source(b, &route);
	add_route(b, route);
}

/* A leader reaches another segment through its WireGuard IP on kilo0. */
static void add_remote_segment(struct builder *b, const struct mesh_segment *segment)
{
	const struct mesh_node *leader = mesh_segment_leader(segment);
	const struct mesh_endpoint *endpoint = mesh_topology_endpoint(
	    b->t, leader->key, &leader->endpoint, leader->persistent_keepalive);

	for (size_t i = 0; i < segment->n_nodes; i++) {
		const struct mesh_prefix *subnets[2];
		struct mesh_prefix hosts[2];
		size_t n = mesh_node_subnets(segment->nodes[i], subnets);

		for (size_t j = 0; j < n; j++)
			add_kilo_route(b, segment, subnets[j]);
		n = mesh_node_private_hosts(segment->nodes[i], hosts);
		for (size_t j = 0; j < n; j++) {
			/* A node only reachable on its endpoint IP cannot be reached via itself. */
			if (!ip_addr_equal(&hosts[j].addr, &endpoint->ip))
				add_kilo_route(b, segment, &hosts[j]);
		}
	}
	for (size_t i = 0; i < segment->n_allowed_location_ips; i++)
		add_kilo_route(b, segment, &segment->allowed_location_ips[i]);
}

static void add_leader_routes(struct builder *b, bool local)
{
	const struct mesh_topology *t = b->t;

	for (size_t s = 0; s < t->n_segments; s++) {
		const struct mesh_segment *segment = &t->segments[s];

		if (!mesh_topology_segment_is_local(t, segment))
			add_remote_segment(b, segment);
		else if (local && b->private_ip)
			add_local_segment(b, segment);
		else if (own_ip(b, AF_INET) && b->compatibility == MESH_COMPATIBILITY_CILIUM &&
		         b->encapsulate != MESH_ENCAPSULATE_NEVER)
			add_cilium_return_path(b, segment);
	}
	for (size_t p = 0; p < t->n_peers; p++)
		for (size_t i = 0; i < t->peers[p].n_allowed_ips; i++) {
			struct mesh_route route = {.destination = t->peers[p].allowed_ips[i],
			                           .device = MESH_DEVICE_KILO};

			set_source(b, &route);
			add_route(b, route);
		}
}

/* Through the leader, at its address of dst's family; nothing without one. */
static void add_leader_route(struct builder *b, const struct ip_addr gw[2],
                             const struct mesh_prefix *dst)
{
	const struct ip_addr *to = &gw[dst->addr.family == AF_INET6];

	if (ip_addr_is_set(to))
		add_private_route(b, dst, to);
}

/* Everything not in the own location goes to the leader. */
static void add_member_routes(struct builder *b, bool local)
{
	const struct mesh_topology *t = b->t;
	struct ip_addr gw[2];

	b->error = leader_gateways(b, gw);
	if (b->error)
		return;
	for (size_t s = 0; s < t->n_segments; s++) {
		const struct mesh_segment *seg = &t->segments[s];
		struct mesh_prefix wg = mesh_prefix_host(&seg->wireguard_ip);

		add_leader_route(b, gw, &wg);
		if (ip_addr_is_set(&seg->wireguard_ip6)) {
			wg = mesh_prefix_host(&seg->wireguard_ip6);
			add_leader_route(b, gw, &wg);
		}
		if (mesh_topology_segment_is_local(t, seg)) {
			if (local)
				add_local_segment(b, seg);
			continue;
		}
		for (size_t i = 0; i < seg->n_nodes; i++) {
			const struct mesh_prefix *subnets[2];
			size_t n = mesh_node_subnets(seg->nodes[i], subnets);

			for (size_t j = 0; j < n; j++)
				add_leader_route(b, gw, subnets[j]);
		}
		for (size_t i = 0; i < seg->n_nodes; i++) {
			struct mesh_prefix hosts[2];
			size_t n = mesh_node_private_hosts(seg->nodes[i], hosts);

			for (size_t j = 0; j < n; j++)
				add_leader_route(b, gw, &hosts[j]);
		}
		for (size_t i = 0; i < seg->n_allowed_location_ips; i++)
			add_leader_route(b, gw, &seg->allowed_location_ips[i]);
	}
	for (size_t p = 0; p < t->n_peers; p++)
		for (size_t i = 0; i < t->peers[p].n_allowed_ips; i++)
			add_leader_route(b, gw, &t->peers[p].allowed_ips[i]);
}

int mesh_routes_build(const struct mesh_topology *t, const struct mesh_routes_options *options,
                      struct mesh_routes *routes)
{
	struct builder b = {.out = routes,
	                    .t = t,
	                    .encapsulate = options->encapsulate,
	                    .compatibility = options->compatibility};

	memset(routes, 0, sizeof(*routes));
	b.private_ip = mesh_node_private_ip(t->local);
	if (t->leader)
		add_leader_routes(&b, options->local);
	else
		add_member_routes(&b, options->local);
	if (b.error)
		mesh_routes_release(routes);
	return b.error;
}

int mesh_routes_for_peer(const struct mesh_topology *t, const char *peer_name,
                         const struct mesh_prefix *extra, size_t n_extra,
                         struct mesh_routes *routes)
{
	struct builder b = {.out = routes, .t = t};

	memset(routes, 0, sizeof(*routes));
	for (size_t s = 0; s < t->n_segments; s++) {
		const struct mesh_segment *seg = &t->segments[s];
		struct mesh_prefix host = mesh_prefix_host(&seg->wireguard_ip);

		for (size_t i = 0; i < seg->n_nodes; i++) {
			const struct mesh_prefix *subnets[2];
			size_t n = mesh_node_subnets(seg->nodes[i], subnets);

			for (size_t j = 0; j < n; j++)
				add_route(&b, on_kilo(seg, subnets[j]));
		}
		for (size_t i = 0; i < seg->n_nodes; i++) {
			struct mesh_prefix hosts[2];
			size_t n = mesh_node_private_hosts(seg->nodes[i], hosts);

			for (size_t j = 0; j < n; j++)
				add_route(&b, on_kilo(seg, &hosts[j]));
		}
		for (size_t i = 0; i < seg->n_allowed_location_ips; i++)
			add_route(&b, on_kilo(seg, &seg->allowed_location_ips[i]));
		add_route(&b, (struct mesh_route){.destination = host, .device = MESH_DEVICE_KILO});
		if (ip_addr_is_set(&seg->wireguard_ip6)) {
			host = mesh_prefix_host(&seg->wireguard_ip6);
			add_route(&b, (struct mesh_route){.destination = host,
			                                  .device = MESH_DEVICE_KILO});
		}
	}
	for (size_t p = 0; p < t->n_peers; p++) {
		if (!strcmp(t->peers[p].name, peer_name))
			continue;
		for (size_t i = 0; i < t->peers[p].n_allowed_ips; i++)
			add_route(&b, (struct mesh_route){.destination = t->peers[p].allowed_ips[i],
			                                  .device = MESH_DEVICE_KILO});
	}
	for (size_t i = 0; i < n_extra && t->n_segments; i++)
		add_route(&b, on_kilo(&t->segments[0], &extra[i]));
	if (b.error)
		mesh_routes_release(routes);
	return b.error;
}

int mesh_routes_tunnel_address(const struct mesh_topology *t, struct mesh_prefix *address)
{
	const struct mesh_prefix *pods = mesh_node_subnet_of(t->local, AF_INET);
	struct mesh_allocator allocator;
	struct mesh_prefix first;
	int ret;

	if (!pods)
		return -ENOENT;
	mesh_allocator_init(&allocator, pods);
	ret = mesh_allocator_next(&allocator, &first);
	if (!ret)
		*address = mesh_prefix_host(&first.addr);
	return ret;
}

void mesh_routes_release(struct mesh_routes *routes)
{
	free(routes->routes);
	free(routes->rules);
	memset(routes, 0, sizeof(*routes));
}

static const char *device_name(const struct mesh_route_devices *devices,
                               enum mesh_route_device device)
{
	if (device == MESH_DEVICE_PRIVATE)
		return devices->private_iface;
	return device == MESH_DEVICE_TUNNEL ? devices->tunnel : devices->kilo;
}

char *mesh_route_format(const struct mesh_route *route, const struct mesh_route_devices *devices,
                        char buf[MESH_ROUTE_STRLEN])
{
	char dst[MESH_PREFIX_STRLEN], gw[IP_ADDR_STRLEN], src[IP_ADDR_STRLEN];
	int n =
	    snprintf(buf, MESH_ROUTE_STRLEN, "%s", mesh_prefix_format(&route->destination, dst));

	if (ip_addr_is_set(&route->gateway))
		n += snprintf(buf + n, MESH_ROUTE_STRLEN - n, " via %s",
		              ip_addr_format(&route->gateway, gw));
	n += snprintf(buf + n, MESH_ROUTE_STRLEN - n, " dev %s%s",
	              device_name(devices, route->device), route->onlink ? " onlink" : "");
	if (ip_addr_is_set(&route->source))
		n += snprintf(buf + n, MESH_ROUTE_STRLEN - n, " src %s",
		              ip_addr_format(&route->source, src));
	if (route->table)
		snprintf(buf + n, MESH_ROUTE_STRLEN - n, " table %u", route->table);
	return buf;
}

char *mesh_rule_format(const struct mesh_rule *rule, const struct mesh_route_devices *devices,
                       char buf[MESH_ROUTE_STRLEN])
{
	char src[MESH_PREFIX_STRLEN] = "all", dst[MESH_PREFIX_STRLEN] = "all";
	int n;

	if (mesh_prefix_is_set(&rule->source))
		mesh_prefix_format(&rule->source, src);
	if (mesh_prefix_is_set(&rule->destination))
		mesh_prefix_format(&rule->destination, dst);
	n = snprintf(buf, MESH_ROUTE_STRLEN, "from %s to %s", src, dst);
	if (rule->from_kilo)
		n += snprintf(buf + n, MESH_ROUTE_STRLEN - n, " iif %s", devices->kilo);
	snprintf(buf + n, MESH_ROUTE_STRLEN - n, " lookup %u", rule->table);
	return buf;
}
