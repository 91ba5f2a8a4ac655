// SPDX-License-Identifier: MIT
/*
 * Building the topology. The order of every step follows Kilo's NewTopology
 * because the results are order-sensitive: WireGuard IPs are positional, the
 * allowed-location-IP filter sees earlier segments already filtered and
 * numbered but later ones not, and the first discovered endpoint wins.
 */
#include "mesh/view/topology.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mesh/model/allocator.h"
#include "mesh/view/leader.h"
#include "mesh/view/topology_peers.h"

/* A ready node and the segment it falls into. */
struct member {
	const struct mesh_node *node;
	bool by_node;     /* "node:<name>" rather than "location:<location>" */
	const char *name; /* location or node name */
};

static void report(char *err, size_t err_size, const char *fmt, ...)
{
	va_list ap;

	if (!err_size)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
}

const struct mesh_prefix *mesh_node_private_ip(const struct mesh_node *node)
{
	if (node->no_internal_ip || !mesh_prefix_is_set(&node->internal_ip))
		return NULL;
	return &node->internal_ip;
}

bool mesh_node_private_host(const struct mesh_node *node, struct mesh_prefix *host)
{
	const struct mesh_prefix *ip = mesh_node_private_ip(node);

	if (ip)
		*host = mesh_prefix_host(&ip->addr);
	return ip != NULL;
}

const struct mesh_prefix *mesh_node_private_ip_of(const struct mesh_node *node, int family)
{
	const struct mesh_prefix *ip = mesh_node_private_ip(node);

	if (!ip)
		return NULL;
	if (ip->addr.family == family)
		return ip;
	if (family == AF_INET6 && mesh_prefix_is_set(&node->internal_ip6))
		return &node->internal_ip6;
	return NULL;
}

size_t mesh_node_private_hosts(const struct mesh_node *node, struct mesh_prefix hosts[2])
{
	const struct mesh_prefix *ip = mesh_node_private_ip(node);
	size_t n = 0;

	if (!ip)
		return 0;
	hosts[n++] = mesh_prefix_host(&ip->addr);
	if (ip->addr.family == AF_INET && mesh_prefix_is_set(&node->internal_ip6))
		hosts[n++] = mesh_prefix_host(&node->internal_ip6.addr);
	return n;
}

const struct ip_addr *mesh_segment_wireguard_ip(const struct mesh_segment *segment, int family)
{
	if (segment->wireguard_ip.family == family)
		return &segment->wireguard_ip;
	if (segment->wireguard_ip6.family == family)
		return &segment->wireguard_ip6;
	return NULL;
}

static struct member member_of(const struct mesh_node *node, enum mesh_granularity granularity)
{
	struct member m = {.node = node, .by_node = true, .name = node->name};

	if (granularity == MESH_GRANULARITY_LOCATION && mesh_node_private_ip(node)) {
		m.by_node = false;
		m.name = node->location;
	}
	return m;
}

/* Segment key order ("location:" sorts before "node:"), then node name. */
static int compare_members(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	int ret = (int)x->by_node - (int)y->by_node;

	if (!ret)
		ret = strcmp(x->name, y->name);
	if (!ret)
		ret = strcmp(x->node->name, y->node->name);
	return ret;
}

static bool same_segment(const struct member *a, const struct member *b)
{
	return a->by_node == b->by_node && !strcmp(a->name, b->name);
}

static int compare_prefix_text(const void *a, const void *b)
{
	return mesh_prefix_compare_text(a, b);
}

/* The union of the members' allowed-location IPs, sorted by text. */
static int collect_location_ips(struct mesh_segment *segment)
{
	size_t total = 0, n = 0;

	for (size_t i = 0; i < segment->n_nodes; i++)
		total += segment->nodes[i]->n_allowed_location_ips;
	if (!total)
		return 0;
	segment->allowed_location_ips = calloc(total, sizeof(struct mesh_prefix));
	if (!segment->allowed_location_ips)
		return -ENOMEM;
	for (size_t i = 0; i < segment->n_nodes; i++) {
		const struct mesh_node *node = segment->nodes[i];

		for (size_t j = 0; j < node->n_allowed_location_ips; j++)
			segment->allowed_location_ips[n++] = node->allowed_location_ips[j];
	}
	qsort(segment->allowed_location_ips, n, sizeof(struct mesh_prefix), compare_prefix_text);
	segment->n_allowed_location_ips = 0;
	for (size_t i = 0; i < n; i++) {
		struct mesh_prefix *out = segment->allowed_location_ips;

		if (segment->n_allowed_location_ips &&
		    mesh_prefix_equal(&out[segment->n_allowed_location_ips - 1], &out[i]))
			continue;
		out[segment->n_allowed_location_ips++] = out[i];
	}
	return 0;
}

/* Pod CIDRs then private IPs of every member; room is left for the WG IPs. */
static int collect_allowed_ips(struct mesh_segment *segment)
{
	segment->allowed_ips = calloc(4 * segment->n_nodes + 2, sizeof(struct mesh_prefix));
	if (!segment->allowed_ips)
		return -ENOMEM;
	for (size_t i = 0; i < segment->n_nodes; i++) {
		const struct mesh_node *node = segment->nodes[i];
		const struct mesh_prefix *subnets[2];
		size_t n = mesh_node_subnets(node, subnets);

		for (size_t j = 0; j < n; j++)
			segment->allowed_ips[segment->n_allowed_ips++] = *subnets[j];
		segment->n_allowed_ips +=
		    mesh_node_private_hosts(node, &segment->allowed_ips[segment->n_allowed_ips]);
	}
	return collect_location_ips(segment);
}

static int init_segment(struct mesh_segment *segment, const struct member *first,
                        const struct mesh_node **nodes, size_t n, enum mesh_granularity granularity)
{
	segment->nodes = nodes;
	segment->n_nodes = n;
	segment->leader = segment->preferred = mesh_leader_find(nodes, n);
	snprintf(segment->location, sizeof(segment->location), "%s:%s",
	         first->by_node ? "node" : "location", first->name);
	if (granularity == MESH_GRANULARITY_CROSS && mesh_node_private_ip(first->node))
		snprintf(segment->logical_location, sizeof(segment->logical_location),
		         "location:%s", first->node->location);
	return collect_allowed_ips(segment);
}

static size_t count_segments(const struct member *members, size_t n)
{
	size_t count = n ? 1 : 0;

	for (size_t i = 1; i < n; i++)
		count += !same_segment(&members[i - 1], &members[i]);
	return count;
}

/* Group the sorted members into segments and find the local one. */
static int build_segments(struct mesh_topology *t, const struct member *members, size_t n)
{
	size_t start = 0, s = 0;
	int ret;

	t->n_segments = count_segments(members, n);
	t->segments = calloc(t->n_segments, sizeof(*t->segments));
	t->members = calloc(n, sizeof(*t->members));
	if (!t->segments || !t->members)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		t->members[i] = members[i].node;
		if (members[i].node == t->local)
			t->local_segment = s;
		if (i + 1 < n && same_segment(&members[i], &members[i + 1]))
			continue;
		ret = init_segment(&t->segments[s], &members[start], &t->members[start],
		                   i + 1 - start, t->granularity);
		if (ret)
			return ret;
		start = i + 1;
		s++;
	}
	return 0;
}

/* Ready nodes as members, sorted; the local node must be one of them. */
static int collect_members(struct mesh_topology *t, const struct mesh_cluster *cluster,
                           const struct mesh_topology_options *options, struct member **out,
                           size_t *n_out)
{
	struct member *members = calloc(cluster->n_nodes ? cluster->n_nodes : 1, sizeof(*members));
	size_t n = 0;

	if (!members)
		return -ENOMEM;
	for (size_t i = 0; i < cluster->n_nodes; i++) {
		const struct mesh_node *node = &cluster->nodes[i];

		if (!mesh_node_is_ready(node, options->now))
			continue;
		if (!strcmp(node->name, options->hostname))
			t->local = node;
		members[n++] = member_of(node, options->granularity);
	}
	qsort(members, n, sizeof(*members), compare_members);
	*out = members;
	*n_out = n;
	return t->local ? 0 : -ENOENT;
}

static int compare_node_names(const void *a, const void *b)
{
	const struct mesh_node *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* Kubernetes names are unique; a list repeating one is rejected, not guessed at. */
static int check_unique_names(const struct member *members, size_t n, const char **repeated)
{
	const struct mesh_node **nodes = calloc(n ? n : 1, sizeof(*nodes));
	int ret = 0;

	if (!nodes)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		nodes[i] = members[i].node;
	qsort(nodes, n, sizeof(*nodes), compare_node_names);
	for (size_t i = 1; i < n && !ret; i++) {
		if (!strcmp(nodes[i - 1]->name, nodes[i]->name)) {
			*repeated = nodes[i]->name;
			ret = -EINVAL;
		}
	}
	free(nodes);
	return ret;
}

static bool intersects_any(const struct mesh_prefix *ip, const struct mesh_prefix *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (mesh_prefix_overlaps(ip, &set[i]))
			return true;
	return false;
}

static bool strictly_contains(const struct mesh_prefix *outer, const struct mesh_prefix *inner)
{
	return outer->cidr < inner->cidr && mesh_prefix_contains_addr(outer, &inner->addr);
}

/*
 * Kilo drops an allowed-location IP that overlaps another segment's
 * allowed-location IP, that equals or sits inside a segment's allowed IP,
 * or that overlaps a peer. Strictly containing an allowed IP (a node's
 * private IP, say) is fine: the more specific route wins.
 */
static bool location_ip_conflicts(const struct mesh_topology *t, const struct mesh_segment *own,
                                  const struct mesh_prefix *ip)
{
	for (size_t s = 0; s < t->n_segments; s++) {
		const struct mesh_segment *seg = &t->segments[s];

		if (seg != own &&
		    intersects_any(ip, seg->allowed_location_ips, seg->n_allowed_location_ips))
			return true;
		for (size_t i = 0; i < seg->n_allowed_ips; i++)
			if (mesh_prefix_overlaps(ip, &seg->allowed_ips[i]) &&
			    !strictly_contains(ip, &seg->allowed_ips[i]))
				return true;
	}
	for (size_t p = 0; p < t->n_peers; p++)
		if (intersects_any(ip, t->peers[p].allowed_ips, t->peers[p].n_allowed_ips))
			return true;
	return false;
}

static void filter_location_ips(const struct mesh_topology *t, struct mesh_segment *segment)
{
	size_t kept = 0;

	for (size_t i = 0; i < segment->n_allowed_location_ips; i++) {
		struct mesh_prefix ip = segment->allowed_location_ips[i];

		if (!location_ip_conflicts(t, segment, &ip))
			segment->allowed_location_ips[kept++] = ip;
	}
	segment->n_allowed_location_ips = kept;
}

static int ran_out(const struct mesh_prefix *subnet, size_t n_segments, char *err, size_t err_size)
{
	char text[MESH_PREFIX_STRLEN];

	report(err, err_size,
	       "failed to allocate an IP address; ran out of IP addresses in subnet %s for %zu "
	       "segments",
	       mesh_prefix_format(subnet, text), n_segments);
	return -ENOSPC;
}

/*
 * Number the segments in order, from both subnets by the same positional
 * rule; each is filtered once it is numbered.
 */
static int allocate_ips(struct mesh_topology *t, char *err, size_t err_size)
{
	struct mesh_allocator allocator, allocator6;
	bool dual = mesh_prefix_is_set(&t->subnet6);

	mesh_allocator_init(&allocator, &t->subnet);
	mesh_allocator_init(&allocator6, &t->subnet6);
	for (size_t s = 0; s < t->n_segments; s++) {
		struct mesh_segment *segment = &t->segments[s];
		struct mesh_prefix ip, ip6;

		if (mesh_allocator_next(&allocator, &ip))
			return ran_out(&t->subnet, t->n_segments, err, err_size);
		if (dual && mesh_allocator_next(&allocator6, &ip6))
			return ran_out(&t->subnet6, t->n_segments, err, err_size);
		segment->wireguard_ip = ip.addr;
		segment->allowed_ips[segment->n_allowed_ips++] = mesh_prefix_host(&ip.addr);
		if (dual) {
			segment->wireguard_ip6 = ip6.addr;
			segment->allowed_ips[segment->n_allowed_ips++] =
			    mesh_prefix_host(&ip6.addr);
		}
		if (t->leader && s == t->local_segment) {
			t->wireguard_cidr = ip;
			if (dual)
				t->wireguard_cidr6 = ip6;
		}
		filter_location_ips(t, segment);
	}
	return 0;
}

static int check_options(const struct mesh_topology_options *options, char *err, size_t err_size)
{
	enum mesh_granularity g = options->granularity;

	if (g != MESH_GRANULARITY_LOCATION && g != MESH_GRANULARITY_FULL &&
	    g != MESH_GRANULARITY_CROSS) {
		report(err, err_size,
		       "mesh granularity %d unknown; possible values are: location, full, cross",
		       (int)g);
		return -EINVAL;
	}
	if (!mesh_prefix_is_set(&options->subnet)) {
		report(err, err_size, "subnet is not set");
		return -EINVAL;
	}
	if (mesh_prefix_is_set(&options->subnet6) &&
	    (options->subnet.addr.family != AF_INET || options->subnet6.addr.family != AF_INET6)) {
		char text[MESH_PREFIX_STRLEN], text6[MESH_PREFIX_STRLEN];

		report(err, err_size, "subnets %s and %s: want one IPv4 and one IPv6 subnet",
		       mesh_prefix_format(&options->subnet, text),
		       mesh_prefix_format(&options->subnet6, text6));
		return -EINVAL;
	}
	if (!options->hostname) {
		report(err, err_size, "hostname is not set");
		return -EINVAL;
	}
	return 0;
}

int mesh_topology_build(const struct mesh_cluster *cluster,
                        const struct mesh_topology_options *options, struct mesh_topology *t,
                        char *err, size_t err_size)
{
	struct member *members = NULL;
	const char *repeated = NULL;
	size_t n_members = 0;
	int ret;

	memset(t, 0, sizeof(*t));
	ret = check_options(options, err, err_size);
	if (ret)
		return ret;
	t->granularity = options->granularity;
	t->port = options->port;
	t->subnet = mesh_prefix_masked(&options->subnet);
	t->wireguard_cidr = t->subnet;
	if (mesh_prefix_is_set(&options->subnet6)) {
		t->subnet6 = mesh_prefix_masked(&options->subnet6);
		t->wireguard_cidr6 = t->subnet6;
	}
	ret = collect_members(t, cluster, options, &members, &n_members);
	if (ret == -ENOENT)
		report(err, err_size, "node %s: not found among the ready nodes",
		       options->hostname);
	if (!ret)
		ret = check_unique_names(members, n_members, &repeated);
	if (repeated)
		report(err, err_size, "node %s: listed more than once", repeated);
	if (!ret)
		ret = build_segments(t, members, n_members);
	if (!ret) {
		const struct mesh_segment *own = &t->segments[t->local_segment];

		mesh_leader_elect(t);
		t->leader = mesh_segment_leader(own) == t->local;
		ret = mesh_topology_collect_peers(t, cluster);
	}
	if (!ret)
		ret = mesh_topology_merge_discovered(t, options);
	if (!ret)
		ret = allocate_ips(t, err, err_size);
	if (ret == -ENOMEM)
		report(err, err_size, "out of memory building the topology");
	free(members);
	if (ret)
		mesh_topology_release(t);
	return ret;
}

void mesh_topology_release(struct mesh_topology *t)
{
	for (size_t s = 0; t->segments && s < t->n_segments; s++) {
		free(t->segments[s].allowed_ips);
		free(t->segments[s].allowed_location_ips);
	}
	for (size_t p = 0; t->peers && p < t->n_peers; p++)
		mesh_peer_release(&t->peers[p]);
	free(t->segments);
	free(t->members);
	free(t->peers);
	free(t->discovered);
	memset(t, 0, sizeof(*t));
}

bool mesh_topology_segment_is_local(const struct mesh_topology *t,
                                    const struct mesh_segment *segment)
{
	const struct mesh_segment *own = &t->segments[t->local_segment];

	if (segment == own)
		return true;
	return own->logical_location[0] &&
	       !strcmp(own->logical_location, segment->logical_location);
}
