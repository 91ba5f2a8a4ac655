// SPDX-License-Identifier: MIT
#include "mesh/host/apply_wg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <sodium.h>

#include "mesh/host/wg_endpoint.h"

static int convert_prefix(const struct mesh_prefix *prefix, struct wg_allowed_ip_change *change,
                          char *err, size_t err_size)
{
	struct mesh_prefix masked = mesh_prefix_masked(prefix);
	char text[MESH_PREFIX_STRLEN];

	memset(change, 0, sizeof(*change));
	change->ip.family = masked.addr.family;
	change->ip.cidr = masked.cidr;
	if (masked.addr.family == AF_INET) {
		memcpy(&change->ip.ip4, masked.addr.bytes, 4);
	} else if (masked.addr.family == AF_INET6) {
		memcpy(&change->ip.ip6, masked.addr.bytes, 16);
	} else {
		snprintf(err, err_size, "invalid allowed IP %s", mesh_prefix_format(prefix, text));
		return -EINVAL;
	}
	return 0;
}

static int convert_peer(const struct mesh_wg_peer *source, struct wg_peer_config *peer,
                        struct wg_allowed_ip_change *ips, char *err, size_t err_size)
{
	int ret;

	memcpy(peer->public_key, source->public_key, WG_KEY_LEN);
	memcpy(peer->preshared_key, source->preshared_key, WG_KEY_LEN);
	peer->flags =
	    WG_PEER_REPLACE_ALLOWED_IPS | WG_PEER_HAS_PRESHARED_KEY | WG_PEER_HAS_KEEPALIVE;
	if (source->persistent_keepalive > UINT16_MAX) {
		snprintf(err, err_size, "invalid persistent keepalive %u",
		         (unsigned int)source->persistent_keepalive);
		return -EINVAL;
	}
	peer->persistent_keepalive_interval = (uint16_t)source->persistent_keepalive;
	ret = mesh_wg_endpoint_from_mesh(&source->endpoint, &peer->endpoint, err, err_size);
	if (ret)
		return ret;
	if (peer->endpoint.sa.sa_family != AF_UNSPEC)
		peer->flags |= WG_PEER_HAS_ENDPOINT;
	for (size_t i = 0; i < source->n_allowed_ips; i++) {
		ret = convert_prefix(&source->allowed_ips[i], &ips[i], err, err_size);
		if (ret)
			return ret;
	}
	peer->allowed_ips = ips;
	peer->n_allowed_ips = source->n_allowed_ips;
	return 0;
}

int mesh_apply_wg_desired(const struct mesh_wg_config *local, const uint8_t private_key[WG_KEY_LEN],
                          struct mesh_wg_desired *desired, char *err, size_t err_size)
{
	size_t n_ips = 0, used = 0;
	int ret = -ENOMEM;

	memset(desired, 0, sizeof(*desired));
	for (size_t i = 0; i < local->n_peers; i++)
		n_ips += local->peers[i].n_allowed_ips;
	desired->peers = calloc(local->n_peers ? local->n_peers : 1, sizeof(*desired->peers));
	desired->allowed_ips = calloc(n_ips ? n_ips : 1, sizeof(*desired->allowed_ips));
	if (!desired->peers || !desired->allowed_ips)
		goto out;
	for (size_t i = 0; i < local->n_peers; i++) {
		ret = convert_peer(&local->peers[i], &desired->peers[i],
		                   desired->allowed_ips + used, err, err_size);
		if (ret)
			goto out;
		used += local->peers[i].n_allowed_ips;
	}
	desired->config.flags = WG_CONFIG_HAS_PRIVATE_KEY | WG_CONFIG_HAS_LISTEN_PORT;
	memcpy(desired->config.private_key, private_key, WG_KEY_LEN);
	desired->config.listen_port = local->listen_port;
	desired->config.peers = desired->peers;
	desired->config.n_peers = local->n_peers;
	ret = 0;
out:
	if (ret)
		mesh_apply_wg_desired_release(desired);
	return ret;
}

void mesh_apply_wg_desired_release(struct mesh_wg_desired *desired)
{
	if (desired->peers)
		sodium_memzero(desired->peers, desired->config.n_peers * sizeof(*desired->peers));
	free(desired->peers);
	free(desired->allowed_ips);
	sodium_memzero(desired, sizeof(*desired));
}

static bool endpoint_equal(const union wg_endpoint *a, const union wg_endpoint *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_port == b->in.sin_port &&
		       a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	if (a->sa.sa_family == AF_INET6)
		return a->in6.sin6_port == b->in6.sin6_port &&
		       !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16);
	return true;
}

static int allowed_ip_order(const void *a, const void *b)
{
	const struct wg_allowed_ip *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->cidr != y->cidr)
		return x->cidr < y->cidr ? -1 : 1;
	return x->family == AF_INET ? memcmp(&x->ip4, &y->ip4, sizeof(x->ip4))
	                            : memcmp(&x->ip6, &y->ip6, sizeof(x->ip6));
}

/* Sorted, each IP once; returns how many are left. */
static size_t sort_unique(struct wg_allowed_ip *ips, size_t n)
{
	size_t kept = 0;

	qsort(ips, n, sizeof(*ips), allowed_ip_order);
	for (size_t i = 0; i < n; i++)
		if (!kept || allowed_ip_order(&ips[kept - 1], &ips[i]))
			ips[kept++] = ips[i];
	return kept;
}

/* Room to sort the allowed IPs of one peer of each side, sized for the largest. */
struct scratch {
	struct wg_allowed_ip *want, *have;
};

static int scratch_alloc(struct scratch *s, const struct mesh_wg_desired *desired,
                         const struct wg_snapshot *current)
{
	size_t most = 1;

	for (size_t i = 0; i < desired->config.n_peers; i++)
		if (desired->peers[i].n_allowed_ips > most)
			most = desired->peers[i].n_allowed_ips;
	for (size_t i = 0; i < current->n_peers; i++)
		if (current->peers[i].n_allowed_ips > most)
			most = current->peers[i].n_allowed_ips;
	s->want = calloc(2 * most, sizeof(*s->want));
	s->have = s->want ? s->want + most : NULL;
	return s->want ? 0 : -ENOMEM;
}

/* Equal as sets: the device keeps its allowed IPs in trie order, not ours. */
static bool allowed_ips_equal(const struct wg_peer_config *want,
                              const struct wg_peer_snapshot *have, struct scratch *s)
{
	size_t n_want, n_have;

	for (size_t i = 0; i < want->n_allowed_ips; i++)
		s->want[i] = want->allowed_ips[i].ip;
	/* A peer without allowed IPs (a standby's session) may have no array at all. */
	if (have->n_allowed_ips)
		memcpy(s->have, have->allowed_ips, have->n_allowed_ips * sizeof(*s->have));
	n_want = sort_unique(s->want, want->n_allowed_ips);
	n_have = sort_unique(s->have, have->n_allowed_ips);
	if (n_want != n_have)
		return false;
	for (size_t i = 0; i < n_want; i++)
		if (allowed_ip_order(&s->want[i], &s->have[i]))
			return false;
	return true;
}

static bool peer_matches(const struct wg_peer_config *want, const struct wg_peer_snapshot *have,
                         struct scratch *s)
{
	if (sodium_memcmp(want->preshared_key, have->preshared_key, WG_KEY_LEN))
		return false;
	if (want->persistent_keepalive_interval != have->persistent_keepalive_interval)
		return false;
	if ((want->flags & WG_PEER_HAS_ENDPOINT) &&
	    !endpoint_equal(&want->endpoint, &have->endpoint))
		return false;
	return allowed_ips_equal(want, have, s);
}

/* A peer of one side by its public key, and its place in that side's list. */
struct keyed {
	const uint8_t *key;
	size_t at;
};

static int key_order(const void *a, const void *b)
{
	return memcmp(((const struct keyed *)a)->key, ((const struct keyed *)b)->key, WG_KEY_LEN);
}

/* Both sides in key order, in one block: the desired peers, then the device's. */
static struct keyed *sort_by_key(const struct mesh_wg_desired *desired,
                                 const struct wg_snapshot *current)
{
	size_t n_want = desired->config.n_peers, n_have = current->n_peers;
	struct keyed *want = calloc(n_want + n_have + 1, sizeof(*want)), *have;

	if (!want)
		return NULL;
	have = want + n_want;
	for (size_t i = 0; i < n_want; i++)
		want[i] = (struct keyed){desired->peers[i].public_key, i};
	for (size_t i = 0; i < n_have; i++)
		have[i] = (struct keyed){current->peers[i].public_key, i};
	qsort(want, n_want, sizeof(*want), key_order);
	qsort(have, n_have, sizeof(*have), key_order);
	return want;
}

static void diff_interface(const struct mesh_wg_desired *desired, const struct wg_snapshot *current,
                           struct wg_config *delta)
{
	const struct wg_config *want = &desired->config;

	if (!current->has_private_key ||
	    sodium_memcmp(want->private_key, current->private_key, WG_KEY_LEN)) {
		delta->flags |= WG_CONFIG_HAS_PRIVATE_KEY;
		memcpy(delta->private_key, want->private_key, WG_KEY_LEN);
	}
	if (want->listen_port != current->listen_port) {
		delta->flags |= WG_CONFIG_HAS_LISTEN_PORT;
		delta->listen_port = want->listen_port;
	}
}

/* One desired peer against the device's (NULL: it has none); true if it goes in the delta. */
static bool diff_peer(const struct wg_peer_config *want, const struct wg_peer_snapshot *have,
                      struct scratch *s, struct wg_peer_config *out)
{
	if (have && peer_matches(want, have, s))
		return false;
	*out = *want;
	/*
	 * New to the device: a node that joined, or every peer of a restarted
	 * kg, whose sessions died with the old process while the peers still
	 * send on them. A handshake now mends that at once; waiting for the
	 * peers' own retry after a silence takes 15 s.
	 */
	if (!have && (want->flags & WG_PEER_HAS_ENDPOINT))
		out->flags |= WG_PEER_HANDSHAKE_NOW;
	return true;
}

/*
 * Both sides sorted by key and walked together, like the route and iptables
 * appliers: a key on the device alone is removed, a desired key is set when
 * new or different. Equal desired keys all meet the same device peer
 * (matched), which is then not removed.
 */
int mesh_apply_wg_diff(const struct mesh_wg_desired *desired, const struct wg_snapshot *current,
                       struct wg_config *delta)
{
	size_t n_want = desired->config.n_peers, n_have = current->n_peers, i = 0, j = 0, n = 0;
	struct wg_peer_config *peers = calloc(n_want + n_have + 1, sizeof(*peers));
	struct keyed *want = sort_by_key(desired, current), *have = want ? want + n_want : NULL;
	struct scratch s = {0};
	bool matched = false;
	int ret = 0;

	memset(delta, 0, sizeof(*delta));
	if (!peers || !want || scratch_alloc(&s, desired, current)) {
		ret = -ENOMEM;
		goto out;
	}
	diff_interface(desired, current, delta);
	while (i < n_want || j < n_have) {
		int order = i == n_want ? 1 : j == n_have ? -1 : key_order(&want[i], &have[j]);

		if (order > 0) {
			if (!matched) {
				memcpy(peers[n].public_key, have[j].key, WG_KEY_LEN);
				peers[n++].flags = WG_PEER_REMOVE;
			}
			matched = false;
			j++;
			continue;
		}
		n += diff_peer(&desired->peers[want[i].at],
		               order ? NULL : &current->peers[have[j].at], &s, &peers[n]);
		matched = !order;
		i++;
	}
	delta->peers = peers;
	delta->n_peers = n;
	peers = NULL;
out:
	free(peers);
	free(want);
	free(s.want);
	return ret;
}

void mesh_apply_wg_delta_release(struct wg_config *delta)
{
	if (delta->peers)
		sodium_memzero((void *)delta->peers, delta->n_peers * sizeof(*delta->peers));
	free((void *)delta->peers);
	sodium_memzero(delta, sizeof(*delta));
}

bool mesh_apply_wg_delta_is_empty(const struct wg_config *delta)
{
	return !delta->flags && !delta->n_peers;
}

int mesh_apply_wg(struct mesh_wg_device *device, const struct mesh_wg_desired *desired,
                  size_t *touched)
{
	struct wg_snapshot current;
	struct wg_config delta;
	int ret;

	*touched = 0;
	ret = mesh_wg_device_snapshot(device, &current);
	if (ret)
		return ret;
	ret = mesh_apply_wg_diff(desired, &current, &delta);
	wg_snapshot_free(&current);
	if (ret)
		return ret;
	if (!mesh_apply_wg_delta_is_empty(&delta))
		ret = mesh_wg_device_configure(device, &delta);
	if (!ret)
		*touched = delta.n_peers;
	mesh_apply_wg_delta_release(&delta);
	return ret;
}

int mesh_apply_wg_config(struct mesh_wg_device *device, const struct mesh_wg_config *local,
                         const uint8_t private_key[WG_KEY_LEN], const struct mesh_log_sink *log)
{
	struct mesh_wg_desired desired;
	char err[256] = "";
	size_t touched = 0;
	int ret = mesh_apply_wg_desired(local, private_key, &desired, err, sizeof(err));

	if (!ret) {
		ret = mesh_apply_wg(device, &desired, &touched);
		mesh_apply_wg_desired_release(&desired);
		if (ret)
			snprintf(err, sizeof(err), "%s", strerror(-ret));
	}
	if (ret)
		mesh_log(log, LOG_ERR, "failed to configure WireGuard: %s", err);
	else if (touched)
		mesh_log(log, LOG_INFO, "WireGuard configuration updated for %zu peers", touched);
	return ret;
}
