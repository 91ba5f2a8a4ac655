// SPDX-License-Identifier: MIT
#include "mesh/view/wgconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "mesh/view/leader.h"

/* Append a, then b, into a fresh array; drop repeats of an earlier entry. */
static int join_ips(struct mesh_wg_peer *peer, const struct mesh_prefix *a, size_t n_a,
                    const struct mesh_prefix *b, size_t n_b, bool dedup)
{
	size_t total = n_a + n_b;

	peer->allowed_ips = calloc(total ? total : 1, sizeof(*peer->allowed_ips));
	peer->n_allowed_ips = 0;
	if (!peer->allowed_ips)
		return -ENOMEM;
	for (size_t i = 0; i < total; i++) {
		const struct mesh_prefix *ip = i < n_a ? &a[i] : &b[i - n_a];
		bool seen = false;

		for (size_t j = 0; dedup && j < peer->n_allowed_ips && !seen; j++)
			seen = mesh_prefix_equal(&peer->allowed_ips[j], ip);
		if (!seen)
			peer->allowed_ips[peer->n_allowed_ips++] = *ip;
	}
	return 0;
}

/* A segment as seen by a viewer with the given keepalive. */
static int segment_peer(const struct mesh_topology *t, const struct mesh_segment *segment,
                        uint32_t keepalive, struct mesh_wg_peer *peer)
{
	const struct mesh_node *leader = mesh_segment_leader(segment);

	memcpy(peer->public_key, leader->key, MESH_KEY_LEN);
	peer->endpoint = *mesh_topology_endpoint(t, leader->key, &leader->endpoint,
	                                         leader->persistent_keepalive);
	peer->persistent_keepalive = keepalive;
	return join_ips(peer, segment->allowed_ips, segment->n_allowed_ips,
	                segment->allowed_location_ips, segment->n_allowed_location_ips, false);
}

static int peer_peer(const struct mesh_topology *t, const struct mesh_peer *source,
                     uint32_t keepalive, struct mesh_wg_peer *peer)
{
	memcpy(peer->public_key, source->public_key, MESH_KEY_LEN);
	peer->endpoint = *mesh_topology_endpoint(t, source->public_key, &source->endpoint,
	                                         source->persistent_keepalive);
	peer->persistent_keepalive = keepalive;
	return join_ips(peer, source->allowed_ips, source->n_allowed_ips, NULL, 0, false);
}

static int alloc_peers(struct mesh_wg_config *config, size_t n)
{
	memset(config, 0, sizeof(*config));
	config->peers = calloc(n ? n : 1, sizeof(*config->peers));
	return config->peers ? 0 : -ENOMEM;
}

/*
 * A standby's sessions, one per other location's leader (leader.h): their
 * segments' allowed IPs, so that what arrives while the others already
 * switched to this node is taken; no Peers, which only dial leaders.
 */
static int standby_config(const struct mesh_topology *t, struct mesh_wg_config *config)
{
	int ret = alloc_peers(config, t->n_segments);

	config->has_interface = true;
	config->listen_port = t->port;
	for (size_t s = 0; !ret && s < t->n_segments; s++) {
		if (!mesh_topology_health_target(t, &t->segments[s]))
			continue;
		ret = segment_peer(t, &t->segments[s], MESH_HEALTH_STANDBY_KEEPALIVE,
		                   &config->peers[config->n_peers++]);
	}
	if (ret)
		mesh_wgconfig_release(config);
	return ret;
}

/* A leader that publishes tunnel-health keeps a session, without allowed IPs, to every standby. */
static int add_standbys(const struct mesh_topology *t, struct mesh_wg_config *config)
{
	if (!t->leader || !mesh_health_is_published(&t->local->health))
		return 0;
	for (size_t s = 0; s < t->n_segments; s++) {
		const struct mesh_segment *segment = &t->segments[s];

		for (size_t i = 0; i < segment->n_standbys && s != t->local_segment; i++) {
			const struct mesh_node *node = segment->nodes[segment->standbys[i]];
			struct mesh_wg_peer *peer = &config->peers[config->n_peers++];
			int ret;

			memcpy(peer->public_key, node->key, MESH_KEY_LEN);
			peer->endpoint = *mesh_topology_endpoint(t, node->key, &node->endpoint,
			                                         node->persistent_keepalive);
			peer->persistent_keepalive = MESH_HEALTH_KEEPALIVE;
			ret = join_ips(peer, NULL, 0, NULL, 0, false);
			if (ret)
				return ret;
		}
	}
	return 0;
}

int mesh_wgconfig_local(const struct mesh_topology *t, struct mesh_wg_config *config)
{
	uint32_t keepalive = t->local->persistent_keepalive;
	int ret;

	if (mesh_topology_standby(t))
		return standby_config(t, config);
	ret = alloc_peers(config, t->n_segments * (1 + MESH_SEGMENT_STANDBYS) + t->n_peers);
	config->has_interface = true;
	config->listen_port = t->port;
	for (size_t s = 0; !ret && s < t->n_segments; s++) {
		if (mesh_topology_segment_is_local(t, &t->segments[s]))
			continue;
		ret =
		    segment_peer(t, &t->segments[s], keepalive, &config->peers[config->n_peers++]);
	}
	for (size_t p = 0; !ret && p < t->n_peers; p++) {
		struct mesh_wg_peer *peer = &config->peers[config->n_peers++];

		ret = peer_peer(t, &t->peers[p], keepalive, peer);
		memcpy(peer->preshared_key, t->peers[p].preshared_key, MESH_KEY_LEN);
	}
	if (!ret)
		ret = add_standbys(t, config);
	if (ret)
		mesh_wgconfig_release(config);
	return ret;
}

static const struct mesh_peer *find_peer(const struct mesh_topology *t, const char *name)
{
	for (size_t p = 0; p < t->n_peers; p++)
		if (!strcmp(t->peers[p].name, name))
			return &t->peers[p];
	return NULL;
}

int mesh_wgconfig_for_peer(const struct mesh_topology *t, const char *peer_name,
                           struct mesh_wg_config *config)
{
	static const struct mesh_peer nobody;
	const struct mesh_peer *self = find_peer(t, peer_name);
	int ret = alloc_peers(config, t->n_segments + t->n_peers);

	if (!self)
		self = &nobody;
	for (size_t s = 0; !ret && s < t->n_segments; s++) {
		struct mesh_wg_peer *peer = &config->peers[config->n_peers++];

		ret = segment_peer(t, &t->segments[s], self->persistent_keepalive, peer);
		memcpy(peer->preshared_key, self->preshared_key, MESH_KEY_LEN);
	}
	for (size_t p = 0; !ret && p < t->n_peers; p++) {
		if (&t->peers[p] == self)
			continue;
		ret = peer_peer(t, &t->peers[p], self->persistent_keepalive,
		                &config->peers[config->n_peers++]);
	}
	if (ret)
		mesh_wgconfig_release(config);
	return ret;
}

int mesh_wgconfig_as_peer(const struct mesh_topology *t, const struct mesh_prefix *extra,
                          size_t n_extra, struct mesh_wg_peer *peer)
{
	const struct mesh_segment *segment = &t->segments[t->local_segment];
	const struct mesh_node *leader = mesh_segment_leader(segment);

	memset(peer, 0, sizeof(*peer));
	memcpy(peer->public_key, leader->key, MESH_KEY_LEN);
	peer->endpoint = leader->endpoint;
	return join_ips(peer, segment->allowed_ips, segment->n_allowed_ips, extra, n_extra, true);
}

int mesh_wgconfig_from_peer(const struct mesh_peer *source, const struct mesh_prefix *extra,
                            size_t n_extra, struct mesh_wg_peer *peer)
{
	memset(peer, 0, sizeof(*peer));
	memcpy(peer->public_key, source->public_key, MESH_KEY_LEN);
	memcpy(peer->preshared_key, source->preshared_key, MESH_KEY_LEN);
	peer->endpoint = source->endpoint;
	peer->persistent_keepalive = source->persistent_keepalive;
	return join_ips(peer, source->allowed_ips, source->n_allowed_ips, extra, n_extra, true);
}

void mesh_wg_peer_release(struct mesh_wg_peer *peer)
{
	free(peer->allowed_ips);
	sodium_memzero(peer, sizeof(*peer));
}

void mesh_wgconfig_release(struct mesh_wg_config *config)
{
	for (size_t p = 0; config->peers && p < config->n_peers; p++)
		mesh_wg_peer_release(&config->peers[p]);
	free(config->peers);
	memset(config, 0, sizeof(*config));
}
