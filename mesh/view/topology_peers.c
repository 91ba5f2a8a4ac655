// SPDX-License-Identifier: MIT
/*
 * Peers and discovered endpoints of the topology. Both are "first claim
 * wins" over an ordered list; sorting (value, position) pairs and keeping the
 * first of each run gives that in O(n log n) instead of Kilo's map lookups.
 */
#include "mesh/view/topology_peers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int compare_peer_names(const void *a, const void *b)
{
	const struct mesh_peer *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* One claim on an allowed IP: which peer (in name order) and which entry. */
struct claim {
	struct mesh_prefix ip;
	size_t peer, index;
	bool first;
};

static int compare_prefixes(const struct mesh_prefix *a, const struct mesh_prefix *b)
{
	if (a->addr.family != b->addr.family)
		return a->addr.family - b->addr.family;
	if (a->cidr != b->cidr)
		return a->cidr - b->cidr;
	return memcmp(a->addr.bytes, b->addr.bytes, ip_addr_len(&a->addr));
}

static int compare_claims(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;
	int ret = compare_prefixes(&x->ip, &y->ip);

	if (ret)
		return ret;
	if (x->peer != y->peer)
		return x->peer < y->peer ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int compare_claim_positions(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;

	if (x->peer != y->peer)
		return x->peer < y->peer ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Claims of every sorted peer, flagged first-or-not, back in list order. */
static struct claim *rank_claims(const struct mesh_peer **sorted, size_t n, size_t *n_claims)
{
	struct claim *claims;
	size_t total = 0, c = 0;

	for (size_t p = 0; p < n; p++)
		total += sorted[p]->n_allowed_ips;
	claims = calloc(total ? total : 1, sizeof(*claims));
	if (!claims)
		return NULL;
	for (size_t p = 0; p < n; p++)
		for (size_t i = 0; i < sorted[p]->n_allowed_ips; i++)
			claims[c++] =
			    (struct claim){.ip = sorted[p]->allowed_ips[i], .peer = p, .index = i};
	qsort(claims, total, sizeof(*claims), compare_claims);
	for (size_t i = 0; i < total; i++)
		claims[i].first = !i || compare_prefixes(&claims[i - 1].ip, &claims[i].ip);
	qsort(claims, total, sizeof(*claims), compare_claim_positions);
	*n_claims = total;
	return claims;
}

static int copy_peer(struct mesh_peer *out, const struct mesh_peer *in, const struct claim *claims)
{
	*out = *in;
	out->allowed_ips =
	    calloc(in->n_allowed_ips ? in->n_allowed_ips : 1, sizeof(*out->allowed_ips));
	out->n_allowed_ips = 0;
	if (!out->allowed_ips)
		return -ENOMEM;
	for (size_t i = 0; i < in->n_allowed_ips; i++)
		if (claims[i].first)
			out->allowed_ips[out->n_allowed_ips++] = in->allowed_ips[i];
	return 0;
}

int mesh_topology_collect_peers(struct mesh_topology *t, const struct mesh_cluster *cluster)
{
	const struct mesh_peer **sorted =
	    calloc(cluster->n_peers ? cluster->n_peers : 1, sizeof(*sorted));
	struct claim *claims = NULL;
	size_t n = 0, n_claims = 0, c = 0;
	int ret = -ENOMEM;

	if (!sorted)
		goto out;
	for (size_t p = 0; p < cluster->n_peers; p++)
		if (mesh_peer_is_ready(&cluster->peers[p]))
			sorted[n++] = &cluster->peers[p];
	qsort(sorted, n, sizeof(*sorted), compare_peer_names);
	claims = rank_claims(sorted, n, &n_claims);
	t->peers = calloc(n ? n : 1, sizeof(*t->peers));
	if (!claims || !t->peers)
		goto out;
	for (t->n_peers = 0; t->n_peers < n; t->n_peers++) {
		ret = copy_peer(&t->peers[t->n_peers], sorted[t->n_peers], claims + c);
		if (ret)
			goto out;
		c += sorted[t->n_peers]->n_allowed_ips;
	}
	ret = 0;
out:
	free(claims);
	free(sorted);
	return ret;
}

/* A discovered endpoint and the position of its writer. */
struct sighting {
	const struct mesh_discovered_endpoint *endpoint;
	size_t order;
};

static int compare_sightings(const void *a, const void *b)
{
	const struct sighting *x = a, *y = b;
	int ret = memcmp(x->endpoint->key, y->endpoint->key, MESH_KEY_LEN);

	if (ret)
		return ret;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* A node's map; the local node's is options->discovered when given. */
static const struct mesh_discovered_endpoint *
sightings_of(const struct mesh_topology *t, const struct mesh_topology_options *options,
             const struct mesh_node *node, size_t *count)
{
	if (node == t->local && options->discovered) {
		*count = options->n_discovered;
		return options->discovered;
	}
	*count = node->n_discovered_endpoints;
	return node->discovered_endpoints;
}

static void add_sightings(struct sighting *s, size_t *n, const struct mesh_topology *t,
                          const struct mesh_topology_options *options, const struct mesh_node *node)
{
	size_t count;
	const struct mesh_discovered_endpoint *endpoints = sightings_of(t, options, node, &count);

	for (size_t i = 0; i < count; i++, (*n)++)
		s[*n] = (struct sighting){.endpoint = &endpoints[i], .order = *n};
}

int mesh_topology_merge_discovered(struct mesh_topology *t,
                                   const struct mesh_topology_options *options)
{
	size_t total, count, n = 0;
	struct sighting *sightings;

	sightings_of(t, options, t->local, &total);
	for (size_t s = 0; s < t->n_segments; s++)
		for (size_t i = 0; i < t->segments[s].n_nodes; i++) {
			sightings_of(t, options, t->segments[s].nodes[i], &count);
			total += count;
		}
	if (!total)
		return 0;
	sightings = calloc(total, sizeof(*sightings));
	t->discovered = calloc(total, sizeof(*t->discovered));
	if (!sightings || !t->discovered) {
		free(sightings);
		return -ENOMEM;
	}
	add_sightings(sightings, &n, t, options, t->local);
	for (size_t s = 0; s < t->n_segments; s++)
		for (size_t i = 0; i < t->segments[s].n_nodes; i++)
			add_sightings(sightings, &n, t, options, t->segments[s].nodes[i]);
	qsort(sightings, n, sizeof(*sightings), compare_sightings);
	for (size_t i = 0; i < n; i++)
		if (!i || memcmp(sightings[i - 1].endpoint->key, sightings[i].endpoint->key,
		                 MESH_KEY_LEN))
			t->discovered[t->n_discovered++] = *sightings[i].endpoint;
	free(sightings);
	return 0;
}

static int compare_key(const void *key, const void *entry)
{
	return memcmp(key, ((const struct mesh_discovered_endpoint *)entry)->key, MESH_KEY_LEN);
}

const struct mesh_endpoint *mesh_topology_endpoint(const struct mesh_topology *t,
                                                   const uint8_t key[MESH_KEY_LEN],
                                                   const struct mesh_endpoint *endpoint,
                                                   uint32_t persistent_keepalive)
{
	const struct mesh_discovered_endpoint *found;

	if (!persistent_keepalive || !t->n_discovered)
		return endpoint;
	found = bsearch(key, t->discovered, t->n_discovered, sizeof(*t->discovered), compare_key);
	return found ? &found->endpoint : endpoint;
}

static const struct mesh_observed_peer *observed_with(const struct mesh_observed_peer *observed,
                                                      size_t n, const uint8_t *key)
{
	for (size_t i = 0; i < n; i++)
		if (!memcmp(observed[i].key, key, MESH_KEY_LEN))
			return observed[i].handshake && mesh_endpoint_is_set(&observed[i].endpoint)
			           ? &observed[i]
			           : NULL;
	return NULL;
}

static void record(struct mesh_discovered_endpoint *out, size_t *n, const uint8_t *key,
                   const struct mesh_observed_peer *seen)
{
	if (!seen)
		return;
	memcpy(out[*n].key, key, MESH_KEY_LEN);
	out[*n].endpoint = seen->endpoint;
	(*n)++;
}

int mesh_topology_discover(const struct mesh_cluster *cluster, int64_t now,
                           const struct mesh_observed_peer *observed, size_t n_observed,
                           struct mesh_discovered_endpoint **out, size_t *n_out)
{
	size_t n = 0;

	*out = calloc(cluster->n_nodes + cluster->n_peers + 1, sizeof(**out));
	*n_out = 0;
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < cluster->n_nodes; i++) {
		const struct mesh_node *node = &cluster->nodes[i];

		if (node->persistent_keepalive && mesh_node_is_ready(node, now))
			record(*out, &n, node->key, observed_with(observed, n_observed, node->key));
	}
	for (size_t i = 0; i < cluster->n_peers; i++) {
		const struct mesh_peer *peer = &cluster->peers[i];

		if (mesh_peer_is_ready(peer))
			record(*out, &n, peer->public_key,
			       observed_with(observed, n_observed, peer->public_key));
	}
	mesh_discovered_sort(*out, n);
	*n_out = n;
	return 0;
}
