// SPDX-License-Identifier: MIT
/*
 * configure.c - UAPI `set` and `get` on a device: wg_device_configure() and wg_device_snapshot().
 *
 * A configuration is validated whole before anything changes (the peers it would leave too),
 * and the sockets (the one part that can still fail for reasons outside the input) are moved
 * before the tables are touched, so a refused configuration leaves the device exactly as it
 * was. Peers are changed in place: only a private key change or the peer's own removal ends a
 * session.
 */

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "wg/device.h"
#include "wg/peer.h"

enum {
	KNOWN_CONFIG_FLAGS = WG_CONFIG_HAS_PRIVATE_KEY | WG_CONFIG_HAS_LISTEN_PORT |
	                     WG_CONFIG_HAS_FWMARK | WG_CONFIG_REPLACE_PEERS,
	KNOWN_PEER_FLAGS = WG_PEER_REMOVE | WG_PEER_UPDATE_ONLY | WG_PEER_REPLACE_ALLOWED_IPS |
	                   WG_PEER_HAS_PRESHARED_KEY | WG_PEER_HAS_ENDPOINT |
	                   WG_PEER_HAS_KEEPALIVE | WG_PEER_HANDSHAKE_NOW,
};

static int invalid(struct wg_device *dev, size_t peer, const char *what, long value)
{
	wg_device_log(dev, WG_LOG_ERROR, "invalid configuration: peer %zu: %s %ld", peer, what,
	              value);
	return -EINVAL;
}

static int validate_peer(struct wg_device *dev, const struct wg_peer_config *pc, size_t i)
{
	const struct wg_allowed_ip *ip;
	int family;
	size_t j;

	if (pc->flags & ~(uint32_t)KNOWN_PEER_FLAGS)
		return invalid(dev, i, "unknown flags", (long)pc->flags);
	if (wg_is_zero(pc->public_key, WG_KEY_LEN))
		return invalid(dev, i, "public_key is all zero, length", WG_KEY_LEN);
	family = pc->endpoint.sa.sa_family;
	if ((pc->flags & WG_PEER_HAS_ENDPOINT) && family != AF_INET && family != AF_INET6)
		return invalid(dev, i, "endpoint address family", family);
	if (pc->n_allowed_ips && !pc->allowed_ips)
		return invalid(dev, i, "allowed_ips missing, count", (long)pc->n_allowed_ips);
	for (j = 0; j < pc->n_allowed_ips; j++) {
		ip = &pc->allowed_ips[j].ip;
		if (ip->family != AF_INET && ip->family != AF_INET6)
			return invalid(dev, i, "allowed_ip address family", ip->family);
		if (ip->cidr > (ip->family == AF_INET ? 32 : 128))
			return invalid(dev, i, "allowed_ip cidr", ip->cidr);
	}
	return 0;
}

static int validate(struct wg_device *dev, const struct wg_config *config)
{
	size_t i;
	int ret;

	if (config->flags & ~(uint32_t)KNOWN_CONFIG_FLAGS) {
		wg_device_log(dev, WG_LOG_ERROR, "invalid configuration: unknown flags %u",
		              config->flags);
		return -EINVAL;
	}
	if (config->n_peers && !config->peers)
		return invalid(dev, 0, "peers missing, count", (long)config->n_peers);
	for (i = 0; i < config->n_peers; i++) {
		ret = validate_peer(dev, &config->peers[i], i);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* The public key the device has once config is applied; false for none. */
static bool own_key_after(const struct wg_device *dev, const struct wg_config *config,
                          uint8_t key[WG_KEY_LEN])
{
	if (!(config->flags & WG_CONFIG_HAS_PRIVATE_KEY)) {
		memcpy(key, dev->identity.static_public, WG_KEY_LEN);
		return dev->identity.has_identity;
	}
	return !wg_is_zero(config->private_key, WG_KEY_LEN) &&
	       wg_pubkey(key, config->private_key) == 0;
}

/* Orders entries by key, and entries of one key as the configuration does. */
static int by_key_then_order(const void *a, const void *b)
{
	const struct wg_peer_config *x = *(const struct wg_peer_config *const *)a;
	const struct wg_peer_config *y = *(const struct wg_peer_config *const *)b;
	int cmp = memcmp(x->public_key, y->public_key, WG_KEY_LEN);

	return cmp ? cmp : (x > y) - (x < y);
}

/* What each entry does to the number of peers (+1 creates one, -1 removes one), as
 * apply_peer() will do it: the entries of one key are taken in order, starting from whether a
 * peer with that key is left once the peers are replaced and the private key is set. */
static void peer_changes(struct wg_device *dev, const struct wg_config *config, const uint8_t *own,
                         const struct wg_peer_config **sorted, int8_t *change)
{
	const struct wg_peer_config *pc;
	bool present = false, is_own;
	size_t i;

	qsort(sorted, config->n_peers, sizeof(*sorted), by_key_then_order);
	for (i = 0; i < config->n_peers; i++) {
		pc = sorted[i];
		is_own = own && wg_ct_equal(pc->public_key, own, WG_KEY_LEN);
		if (!i || memcmp(pc->public_key, sorted[i - 1]->public_key, WG_KEY_LEN))
			present = !(config->flags & WG_CONFIG_REPLACE_PEERS) && !is_own &&
			          wg_pubkey_lookup(&dev->pubkeys, pc->public_key);
		if (pc->flags & WG_PEER_REMOVE) {
			change[pc - config->peers] = present ? -1 : 0;
			present = false;
		} else if (!present && !(pc->flags & WG_PEER_UPDATE_ONLY) && !is_own) {
			change[pc - config->peers] = 1;
			present = true;
		}
	}
}

/* The peers left once the peers are replaced and the private key is set: a peer that has
 * the device's new public key is removed. */
static size_t peers_at_start(struct wg_device *dev, const struct wg_config *config,
                             const uint8_t *own)
{
	if (config->flags & WG_CONFIG_REPLACE_PEERS)
		return 0;
	return dev->n_peers - (own && wg_pubkey_lookup(&dev->pubkeys, own) ? 1 : 0);
}

/*
 * Read lock and config_lock held, so what is counted here is what the configuration will be
 * applied to. The device holds at most max_peers (the kernel's limit): an entry that would
 * create one too many where it applies refuses the whole configuration, where the kernel
 * would refuse that peer after applying the ones before it.
 */
static int check_peer_limit(struct wg_device *dev, const struct wg_config *config)
{
	size_t n = config->n_peers, count, i;
	const struct wg_peer_config **sorted;
	uint8_t own_key[WG_KEY_LEN];
	const uint8_t *own = NULL;
	int8_t *change;
	int ret = 0;

	sorted = calloc(n + 1, sizeof(*sorted));
	change = calloc(n + 1, sizeof(*change));
	if (!sorted || !change) {
		ret = -ENOMEM;
		goto out;
	}
	if (own_key_after(dev, config, own_key))
		own = own_key;
	for (i = 0; i < n; i++)
		sorted[i] = &config->peers[i];
	peer_changes(dev, config, own, sorted, change);
	count = peers_at_start(dev, config, own);
	for (i = 0; i < n && !ret; i++) {
		count = change[i] < 0 ? count - 1 : count + (size_t)change[i];
		if (change[i] > 0 && count > dev->max_peers)
			ret = invalid(dev, i, "one peer too many, the limit is",
			              (long)dev->max_peers);
	}
out:
	free(sorted);
	free(change);
	return ret;
}

/* config_lock held. Moves the sockets first: the only step that may fail on valid input. A
 * device whose link is up but whose port was taken gets another chance with the new one. */
static int apply_sockets(struct wg_device *dev, const struct wg_config *config)
{
	uint16_t port =
	    config->flags & WG_CONFIG_HAS_LISTEN_PORT ? config->listen_port : dev->listen_port;
	uint32_t fwmark = config->flags & WG_CONFIG_HAS_FWMARK ? config->fwmark : dev->fwmark;
	bool new_port = (config->flags & WG_CONFIG_HAS_LISTEN_PORT) && port != dev->udp.port;
	uint16_t old_port = dev->listen_port;
	uint32_t old_fwmark = dev->fwmark;
	int ret = 0;

	dev->listen_port = port;
	dev->fwmark = fwmark;
	if (dev->up && new_port)
		ret = wg_device_rebind(dev, port, fwmark);
	else if (dev->up && fwmark != old_fwmark)
		ret = wg_udp_set_fwmark(&dev->udp, fwmark);
	else if (!dev->up && dev->want_up && (config->flags & WG_CONFIG_HAS_LISTEN_PORT))
		ret = wg_device_up(dev);
	if (ret < 0) {
		wg_device_log(dev, WG_LOG_ERROR, "cannot use listen_port %u fwmark %u: %s", port,
		              fwmark, strerror(-ret));
		dev->listen_port = old_port;
		dev->fwmark = old_fwmark;
		return ret == -EADDRINUSE || ret == -EPERM ? -EADDRINUSE : ret;
	}
	return 0;
}

/* Write lock held. */
static void set_private_key(struct wg_device *dev, const uint8_t key[WG_KEY_LEN])
{
	struct wg_peer *peer, *next;
	bool is_self;

	if (!wg_noise_static_identity_set_private_key(&dev->identity, key))
		return;
	wg_cookie_checker_init(&dev->cookie_checker,
	                       dev->identity.has_identity ? dev->identity.static_public : NULL);
	for (peer = dev->peers; peer; peer = next) {
		next = peer->next;
		pthread_mutex_lock(&peer->lock);
		wg_index_remove(&dev->index, &peer->handshake_entry);
		is_self = wg_noise_handshake_identity_changed(&peer->handshake, &peer->keypairs);
		wg_timers_allow_initiation_now(&peer->timers);
		pthread_mutex_unlock(&peer->lock);
		/* A peer with our own key would be talking to itself. */
		if (is_self)
			wg_peer_remove(peer);
	}
}

static void set_endpoint(struct wg_peer *peer, const union wg_endpoint *endpoint)
{
	union wg_endpoint copy = {0};

	if (endpoint->sa.sa_family == AF_INET) {
		copy.in = endpoint->in;
	} else if (IN6_IS_ADDR_V4MAPPED(&endpoint->in6.sin6_addr)) {
		/* The IPv6 socket is IPv6-only: an IPv4-mapped address goes out as IPv4. */
		copy.in.sin_family = AF_INET;
		copy.in.sin_port = endpoint->in6.sin6_port;
		memcpy(&copy.in.sin_addr, &endpoint->in6.sin6_addr.s6_addr[12], 4);
	} else {
		copy.in6 = endpoint->in6;
	}
	wg_peer_set_endpoint(peer, &copy);
}

static int apply_allowed_ips(struct wg_device *dev, struct wg_peer *peer,
                             const struct wg_peer_config *pc)
{
	const struct wg_allowed_ip_change *change;
	size_t i;
	int ret;

	if (pc->flags & WG_PEER_REPLACE_ALLOWED_IPS)
		wg_allowedips_remove_by_peer(dev->allowedips, peer);
	for (i = 0; i < pc->n_allowed_ips; i++) {
		change = &pc->allowed_ips[i];
		if (change->remove) {
			/* Removing what the peer does not have is no error, as in wireguard-go. */
			wg_allowedips_remove(dev->allowedips, change->ip.family, &change->ip.ip6,
			                     change->ip.cidr, peer);
			continue;
		}
		ret = wg_allowedips_insert(dev->allowedips, change->ip.family, &change->ip.ip6,
		                           change->ip.cidr, peer);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Write lock held. *keepalive is set when the peer should hear from us right away. */
static int apply_peer(struct wg_device *dev, const struct wg_peer_config *pc, bool *keepalive)
{
	struct wg_peer *peer = wg_pubkey_lookup(&dev->pubkeys, pc->public_key);
	unsigned int actions;
	int ret;

	*keepalive = false;
	if (pc->flags & WG_PEER_REMOVE) {
		if (peer)
			wg_peer_remove(peer);
		return 0;
	}
	if (!peer) {
		if (pc->flags & WG_PEER_UPDATE_ONLY)
			return 0;
		/* Our own key is not a peer: ignored, like wireguard-go does. */
		if (dev->identity.has_identity &&
		    wg_ct_equal(pc->public_key, dev->identity.static_public, WG_KEY_LEN))
			return 0;
		ret = wg_peer_create(dev, pc->public_key, &peer);
		if (ret < 0)
			return ret;
	}
	pthread_mutex_lock(&peer->lock);
	if (pc->flags & WG_PEER_HAS_PRESHARED_KEY)
		wg_noise_handshake_set_preshared_key(&peer->handshake, pc->preshared_key);
	if (pc->flags & WG_PEER_HAS_ENDPOINT)
		set_endpoint(peer, &pc->endpoint);
	if (pc->flags & WG_PEER_HAS_KEEPALIVE) {
		actions = wg_timers_set_persistent_keepalive(
		    &peer->timers, pc->persistent_keepalive_interval, wg_device_now(dev));
		*keepalive = actions & WG_TIMERS_SEND_KEEPALIVE;
		wg_peer_timers_changed(peer);
	}
	if (pc->flags & WG_PEER_HANDSHAKE_NOW)
		*keepalive = true;
	pthread_mutex_unlock(&peer->lock);
	return apply_allowed_ips(dev, peer, pc);
}

/* After the write lock: keepalives for peers whose keepalive was just switched on or who are to
 * be greeted now. Looked up again by key, since a later entry of the same configuration may
 * have removed them. */
static void send_keepalives(struct wg_device *dev, const struct wg_config *config,
                            const bool *keepalive)
{
	struct wg_peer *peer;
	size_t i;

	pthread_rwlock_rdlock(&dev->lock);
	for (i = 0; i < config->n_peers; i++) {
		if (!keepalive[i])
			continue;
		peer = wg_pubkey_lookup(&dev->pubkeys, config->peers[i].public_key);
		if (peer)
			wg_send_keepalive(peer);
	}
	pthread_rwlock_unlock(&dev->lock);
}

int wg_device_configure(struct wg_device *dev, const struct wg_config *config)
{
	bool *keepalive;
	size_t i;
	int ret;

	ret = validate(dev, config);
	if (ret < 0)
		return ret;
	keepalive = calloc(config->n_peers + 1, sizeof(*keepalive));
	if (!keepalive)
		return -ENOMEM;
	pthread_mutex_lock(&dev->config_lock);
	pthread_rwlock_rdlock(&dev->lock);
	ret = check_peer_limit(dev, config);
	pthread_rwlock_unlock(&dev->lock);
	if (ret == 0)
		ret = apply_sockets(dev, config);
	if (ret < 0)
		goto out;
	pthread_rwlock_wrlock(&dev->lock);
	if (config->flags & WG_CONFIG_REPLACE_PEERS)
		while (dev->peers)
			wg_peer_remove(dev->peers);
	if (config->flags & WG_CONFIG_HAS_PRIVATE_KEY)
		set_private_key(dev, config->private_key);
	for (i = 0; i < config->n_peers && ret == 0; i++)
		ret = apply_peer(dev, &config->peers[i], &keepalive[i]);
	pthread_rwlock_unlock(&dev->lock);
	send_keepalives(dev, config, keepalive);
out:
	pthread_mutex_unlock(&dev->config_lock);
	free(keepalive);
	return ret;
}

struct ip_list {
	struct wg_allowed_ip *ips;
	size_t count;
	size_t cap;
};

static int collect_ip(void *ctx, int family, const uint8_t *addr, uint8_t cidr)
{
	struct ip_list *list = ctx;
	struct wg_allowed_ip *ip, *grown;

	if (list->count == list->cap) {
		list->cap = list->cap ? list->cap * 2 : 4;
		grown = realloc(list->ips, list->cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		list->ips = grown;
	}
	ip = &list->ips[list->count++];
	memset(ip, 0, sizeof(*ip));
	ip->family = (uint16_t)family;
	ip->cidr = cidr;
	memcpy(&ip->ip6, addr, family == AF_INET ? 4 : 16);
	return 0;
}

/* Read lock held. */
static int snapshot_peer(struct wg_device *dev, struct wg_peer *peer, struct wg_peer_snapshot *out)
{
	struct ip_list list = {0};
	int ret;

	pthread_mutex_lock(&peer->lock);
	memcpy(out->public_key, peer->pubkey_entry.key, WG_KEY_LEN);
	memcpy(out->preshared_key, peer->handshake.preshared_key, WG_KEY_LEN);
	out->endpoint = peer->endpoint;
	out->last_handshake = peer->last_handshake;
	out->persistent_keepalive_interval = wg_timers_persistent_keepalive(&peer->timers);
	pthread_mutex_unlock(&peer->lock);
	out->rx_bytes = atomic_load_explicit(&peer->rx_bytes, memory_order_relaxed);
	out->tx_bytes = atomic_load_explicit(&peer->tx_bytes, memory_order_relaxed);
	ret = wg_allowedips_walk_by_peer(dev->allowedips, peer, collect_ip, &list);
	out->allowed_ips = list.ips;
	out->n_allowed_ips = list.count;
	return ret;
}

int wg_device_snapshot(struct wg_device *dev, struct wg_snapshot *snapshot)
{
	struct wg_peer *peer;
	size_t n = 0;
	int ret = 0;

	memset(snapshot, 0, sizeof(*snapshot));
	pthread_rwlock_rdlock(&dev->lock);
	snapshot->has_private_key = dev->identity.has_identity;
	if (snapshot->has_private_key) {
		memcpy(snapshot->private_key, dev->identity.static_private, WG_KEY_LEN);
		memcpy(snapshot->public_key, dev->identity.static_public, WG_KEY_LEN);
	}
	pthread_rwlock_rdlock(&dev->udp_lock);
	snapshot->listen_port = dev->up ? dev->udp.port : dev->listen_port;
	pthread_rwlock_unlock(&dev->udp_lock);
	snapshot->fwmark = dev->fwmark;
	for (peer = dev->peers; peer; peer = peer->next)
		n++;
	snapshot->peers = n ? calloc(n, sizeof(*snapshot->peers)) : NULL;
	if (n && !snapshot->peers)
		ret = -ENOMEM;
	for (peer = dev->peers; peer && ret == 0; peer = peer->next)
		ret = snapshot_peer(dev, peer, &snapshot->peers[snapshot->n_peers++]);
	pthread_rwlock_unlock(&dev->lock);
	if (ret < 0)
		wg_snapshot_free(snapshot);
	return ret;
}

void wg_snapshot_free(struct wg_snapshot *snapshot)
{
	size_t i;

	for (i = 0; i < snapshot->n_peers; i++)
		free(snapshot->peers[i].allowed_ips);
	if (snapshot->peers)
		sodium_memzero(snapshot->peers, snapshot->n_peers * sizeof(*snapshot->peers));
	free(snapshot->peers);
	sodium_memzero(snapshot, sizeof(*snapshot));
}
