// SPDX-License-Identifier: MIT
/* peer.c - peer lifetime, keypair references, staged packets. */

#include "wg/peer.h"

#include <errno.h>
#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "wg/device.h"
#include "wg/queue.h"

static uint32_t timer_jitter(void *ctx)
{
	(void)ctx;
	return randombytes_random();
}

static void list_add_tail(struct wg_device *dev, struct wg_peer *peer)
{
	peer->prev = dev->peers_tail;
	peer->next = NULL;
	if (dev->peers_tail)
		dev->peers_tail->next = peer;
	else
		dev->peers = peer;
	dev->peers_tail = peer;
	dev->n_peers++;
}

static void list_del(struct wg_device *dev, struct wg_peer *peer)
{
	if (peer->prev)
		peer->prev->next = peer->next;
	else
		dev->peers = peer->next;
	if (peer->next)
		peer->next->prev = peer->prev;
	else
		dev->peers_tail = peer->prev;
	dev->n_peers--;
}

int wg_peer_create(struct wg_device *dev, const uint8_t public_key[WG_KEY_LEN],
                   struct wg_peer **out)
{
	struct wg_peer *peer = calloc(1, sizeof(*peer));
	int ret;

	if (!peer)
		return -ENOMEM;
	ret = wg_noise_handshake_init(&peer->handshake, &dev->identity, public_key, NULL);
	if (ret < 0) {
		free(peer);
		return ret;
	}
	peer->device = dev;
	atomic_init(&peer->refcount, 1);
	pthread_mutex_init(&peer->lock, NULL);
	pthread_mutex_init(&peer->turn_lock, NULL);
	peer->handshake_entry.peer = peer;
	peer->handshake_entry.type = WG_INDEX_HANDSHAKE;
	wg_cookie_maker_init(&peer->cookie_maker, public_key);
	wg_timers_init(&peer->timers, timer_jitter, NULL);
	if (!dev->up)
		wg_timers_stop(&peer->timers);
	memcpy(peer->pubkey_entry.key, public_key, WG_KEY_LEN);
	peer->pubkey_entry.peer = peer;
	wg_pubkey_add(&dev->pubkeys, &peer->pubkey_entry);
	list_add_tail(dev, peer);
	*out = peer;
	return 0;
}

void wg_peer_remove(struct wg_peer *peer)
{
	struct wg_device *dev = peer->device;

	list_del(dev, peer);
	wg_pubkey_remove(&dev->pubkeys, &peer->pubkey_entry);
	wg_allowedips_remove_by_peer(dev->allowedips, peer);
	wg_peer_stop(peer);
	wg_peer_put(peer);
}

void wg_peer_stop(struct wg_peer *peer)
{
	pthread_mutex_lock(&peer->lock);
	wg_timers_stop(&peer->timers);
	wg_peer_clear_keys(peer);
	wg_peer_purge_staged(peer);
	pthread_mutex_unlock(&peer->lock);
}

void wg_peer_get(struct wg_peer *peer)
{
	atomic_fetch_add_explicit(&peer->refcount, 1, memory_order_relaxed);
}

void wg_peer_put(struct wg_peer *peer)
{
	if (!peer || atomic_fetch_sub_explicit(&peer->refcount, 1, memory_order_acq_rel) != 1)
		return;
	pthread_mutex_destroy(&peer->lock);
	pthread_mutex_destroy(&peer->turn_lock);
	sodium_memzero(peer, sizeof(*peer));
	free(peer);
}

uint64_t wg_peer_take_ticket(struct wg_peer *peer)
{
	return peer->tickets++;
}

/* Turn lock held: the parked send whose ticket is up, taken off the list, or NULL. */
static struct wg_send_turn *next_parked(struct wg_peer *peer)
{
	struct wg_send_turn *turn = peer->parked;

	if (!turn || turn->ticket != peer->turn)
		return NULL;
	peer->parked = turn->next;
	return turn;
}

void wg_peer_send_in_turn(struct wg_peer *peer, struct wg_send_turn *turn)
{
	struct wg_send_turn **at;

	pthread_mutex_lock(&peer->turn_lock);
	if (turn->ticket != peer->turn) {
		for (at = &peer->parked; *at && (*at)->ticket < turn->ticket; at = &(*at)->next)
			;
		turn->next = *at;
		*at = turn;
		pthread_mutex_unlock(&peer->turn_lock);
		return;
	}
	pthread_mutex_unlock(&peer->turn_lock);
	/* A send may drop what else pinned the peer. */
	wg_peer_get(peer);
	do {
		turn->send(turn);
		pthread_mutex_lock(&peer->turn_lock);
		peer->turn++;
		turn = next_parked(peer);
		pthread_mutex_unlock(&peer->turn_lock);
	} while (turn);
	wg_peer_put(peer);
}

struct wg_keypair *wg_keypair_new(struct wg_peer *peer)
{
	struct wg_keypair *kp = calloc(1, sizeof(*kp));

	if (!kp)
		return NULL;
	kp->entry.peer = peer;
	kp->entry.type = WG_INDEX_KEYPAIR;
	atomic_init(&kp->refcount, 1);
	wg_peer_get(peer);
	return kp;
}

void wg_keypair_get(struct wg_keypair *kp)
{
	atomic_fetch_add_explicit(&kp->refcount, 1, memory_order_relaxed);
}

void wg_keypair_put(struct wg_keypair *kp)
{
	struct wg_peer *peer;

	if (!kp || atomic_fetch_sub_explicit(&kp->refcount, 1, memory_order_acq_rel) != 1)
		return;
	peer = kp->entry.peer;
	sodium_memzero(kp, sizeof(*kp));
	free(kp);
	wg_peer_put(peer);
}

void wg_keypair_get_entry(struct wg_index_entry *entry)
{
	wg_keypair_get(
	    (struct wg_keypair *)((uint8_t *)entry - offsetof(struct wg_keypair, entry)));
}

/* Every keypair in a peer's slots is the noise part of one of ours. */
_Static_assert(offsetof(struct wg_keypair, noise) == 0, "noise keypair first");

static struct wg_keypair *keypair_of(struct wg_noise_keypair *noise)
{
	return (struct wg_keypair *)noise;
}

struct wg_keypair *wg_peer_current_keypair(struct wg_peer *peer, union wg_endpoint *endpoint)
{
	struct wg_keypair *kp = NULL;

	pthread_mutex_lock(&peer->lock);
	if (peer->keypairs.current) {
		kp = keypair_of(peer->keypairs.current);
		wg_keypair_get(kp);
	}
	*endpoint = peer->endpoint;
	pthread_mutex_unlock(&peer->lock);
	return kp;
}

void wg_peer_release_keypairs(struct wg_peer *peer, struct wg_noise_released *released)
{
	struct wg_keypair *kp;
	unsigned int i;

	for (i = 0; i < released->count; i++) {
		kp = keypair_of(released->keypairs[i]);
		wg_index_remove(&peer->device->index, &kp->entry);
		wg_keypair_put(kp);
	}
	released->count = 0;
}

int wg_peer_begin_session(struct wg_peer *peer, uint64_t now)
{
	struct wg_noise_released released = {0};
	struct wg_keypair *kp = wg_keypair_new(peer);
	int ret;

	if (!kp)
		return -ENOMEM;
	ret = wg_noise_handshake_begin_session(&peer->handshake, &peer->keypairs, &kp->noise, now,
	                                       &released);
	if (ret < 0) {
		wg_keypair_put(kp);
		return ret;
	}
	/* The other side addresses the new session by the index it saw in the handshake. */
	wg_index_replace(&peer->device->index, &peer->handshake_entry, &kp->entry);
	wg_peer_release_keypairs(peer, &released);
	wg_timers_session_derived(&peer->timers, now);
	wg_peer_timers_changed(peer);
	return 0;
}

void wg_peer_handshake_complete(struct wg_peer *peer)
{
	wg_timers_handshake_complete(&peer->timers);
	clock_gettime(CLOCK_REALTIME, &peer->last_handshake);
}

void wg_peer_clear_keys(struct wg_peer *peer)
{
	struct wg_noise_released released = {0};

	wg_index_remove(&peer->device->index, &peer->handshake_entry);
	wg_noise_handshake_clear(&peer->handshake);
	wg_noise_keypairs_clear(&peer->keypairs, &released);
	wg_peer_release_keypairs(peer, &released);
}

void wg_staged_packet_free(struct wg_staged_packet *packet)
{
	if (packet->buffer)
		sodium_memzero(packet->buffer, WG_PACKET_HEADROOM + packet->len);
	free(packet->buffer);
	packet->buffer = NULL;
}

void wg_peer_stage(struct wg_peer *peer, const uint8_t *packet, size_t len)
{
	struct wg_staged_packet *slot;
	uint8_t *buffer;

	/* Room for the header in front and padding plus tag behind, to seal it in place later. */
	buffer = malloc(WG_PACKET_HEADROOM + len + MESSAGE_PADDING_MULTIPLE + NOISE_AUTHTAG_LEN);
	if (!buffer)
		return;
	if (peer->staged_count == MAX_STAGED_PACKETS) {
		wg_staged_packet_free(&peer->staged[peer->staged_head]);
		peer->staged_head = (peer->staged_head + 1) % MAX_STAGED_PACKETS;
		peer->staged_count--;
	}
	memcpy(buffer + WG_PACKET_HEADROOM, packet, len);
	slot = &peer->staged[(peer->staged_head + peer->staged_count) % MAX_STAGED_PACKETS];
	slot->buffer = buffer;
	slot->len = len;
	peer->staged_count++;
}

bool wg_peer_unstage(struct wg_peer *peer, struct wg_staged_packet *out)
{
	if (!peer->staged_count)
		return false;
	*out = peer->staged[peer->staged_head];
	peer->staged[peer->staged_head].buffer = NULL;
	peer->staged_head = (peer->staged_head + 1) % MAX_STAGED_PACKETS;
	peer->staged_count--;
	return true;
}

void wg_peer_purge_staged(struct wg_peer *peer)
{
	struct wg_staged_packet packet;

	while (wg_peer_unstage(peer, &packet))
		wg_staged_packet_free(&packet);
}

void wg_peer_set_endpoint(struct wg_peer *peer, const union wg_endpoint *endpoint)
{
	if (peer->endpoint.sa.sa_family != endpoint->sa.sa_family)
		wg_device_log(peer->device, WG_LOG_DEBUG, "peer endpoint moves to IPv%d",
		              endpoint->sa.sa_family == AF_INET ? 4 : 6);
	peer->endpoint = *endpoint;
}

void wg_peer_timers_changed(struct wg_peer *peer)
{
	wg_timer_thread_kick(peer->device, wg_timers_next_deadline(&peer->timers));
}
