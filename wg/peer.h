/* SPDX-License-Identifier: MIT */
/*
 * peer.h - one remote peer of a device: its handshake, keypairs, endpoint, timers, counters and
 * the packets staged while no session exists.
 *
 * Locking: a peer lives in the device's lists and tables; it is created and removed only under
 * the device's write lock, so any thread holding the read lock may use a peer it found. Its own
 * mutable state is behind peer->lock (taken after the device lock, before the index table's).
 *
 * Lifetime: peers and keypairs are reference counted, so packets in the crypto pipeline can
 * outlive a removal. A removed peer is unlinked, its timers stopped and keys cleared: what still
 * holds it may finish with it but can start nothing. Every keypair pins its peer; the data path
 * pins the keypair it uses; a keypair that left the slots is zeroed and freed by its last put.
 *
 * Sequencing: a peer's datagrams leave in the order their nonces were taken, whichever thread
 * seals and sends them. Whoever takes nonces takes the peer's next ticket with them, under the
 * peer lock, and hands its send to wg_peer_send_in_turn(): a send whose turn has not come is
 * parked with the peer, and whoever makes the send of the ticket before it makes it too. So
 * every ticket taken must come to wg_peer_send_in_turn(), sent or not.
 */
#ifndef WG_PEER_H
#define WG_PEER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "wg/cookie.h"
#include "wg/index.h"
#include "wg/noise.h"
#include "wg/queue.h"
#include "wg/timers.h"
#include "wg/wg.h"

struct wg_device;

struct wg_keypair {
	struct wg_noise_keypair noise;
	struct wg_index_entry entry;
	atomic_uint refcount;
};

/* A send waiting for its turn (see Sequencing above). */
struct wg_send_turn {
	struct wg_send_turn *next; /* parked with the peer, by ticket */
	uint64_t ticket;
	void (*send)(struct wg_send_turn *turn); /* makes the send; the turn may be gone after */
};

/* A packet waiting for a session, in a buffer with room to be sealed in place. */
struct wg_staged_packet {
	uint8_t *buffer;
	size_t len;
};

struct wg_peer {
	struct wg_device *device;
	struct wg_peer *next; /* device list, in creation order */
	struct wg_peer *prev;
	struct wg_pubkey_entry pubkey_entry;

	pthread_mutex_t lock;
	struct wg_noise_handshake handshake;
	struct wg_index_entry handshake_entry;
	struct wg_noise_keypairs keypairs;
	struct wg_cookie_maker cookie_maker;
	struct wg_timers timers;
	union wg_endpoint endpoint;
	struct timespec last_handshake;
	struct wg_staged_packet staged[MAX_STAGED_PACKETS];
	unsigned int staged_head;
	unsigned int staged_count;
	/* Asks the handshake thread for an initiation; a reference is held while it waits. */
	struct wg_handshake_request initiation;
	uint64_t tickets; /* the next ticket to take */

	pthread_mutex_t turn_lock; /* only around what follows: taken last, nothing under it */
	uint64_t turn;             /* the ticket whose send goes next */
	struct wg_send_turn *parked;

	atomic_uint refcount;
	_Atomic uint64_t rx_bytes;
	_Atomic uint64_t tx_bytes;
};

/* Device write lock held. The peer starts with no endpoint, allowed IPs or keepalive. */
int wg_peer_create(struct wg_device *dev, const uint8_t public_key[WG_KEY_LEN],
                   struct wg_peer **out);
/* Device write lock held: unlinks the peer from every table and drops the device's reference. */
void wg_peer_remove(struct wg_peer *peer);
void wg_peer_get(struct wg_peer *peer);
void wg_peer_put(struct wg_peer *peer);

/* Peer lock held: a new keypair for begin_session, or NULL. */
struct wg_keypair *wg_keypair_new(struct wg_peer *peer);
void wg_keypair_get(struct wg_keypair *kp);
void wg_keypair_put(struct wg_keypair *kp);
/* Index-table get callback pinning a keypair entry. */
void wg_keypair_get_entry(struct wg_index_entry *entry);
/* The current keypair, pinned, and the endpoint to send to; NULL if there is none. */
struct wg_keypair *wg_peer_current_keypair(struct wg_peer *peer, union wg_endpoint *endpoint);
/* Drops keypairs handed back by noise: out of the index table, then unpinned. Any lock. */
void wg_peer_release_keypairs(struct wg_peer *peer, struct wg_noise_released *released);
/* Peer lock held: installs a session just derived into kp, moving the handshake's index to it. */
int wg_peer_begin_session(struct wg_peer *peer, uint64_t now);

/* Peer lock held: a session was confirmed; remember when, for `get`. */
void wg_peer_handshake_complete(struct wg_peer *peer);
/* Peer lock held: forget the handshake and every keypair (ZERO_KEYS, device down). */
void wg_peer_clear_keys(struct wg_peer *peer);
/* Takes the peer lock: timers stopped, keys and staged packets dropped (device down, removal). */
void wg_peer_stop(struct wg_peer *peer);
/* Peer lock held: keep a copy of a packet (drop the oldest beyond MAX_STAGED_PACKETS). */
void wg_peer_stage(struct wg_peer *peer, const uint8_t *packet, size_t len);
/* Peer lock held: take the oldest staged packet; false when none is left. */
bool wg_peer_unstage(struct wg_peer *peer, struct wg_staged_packet *out);
void wg_peer_purge_staged(struct wg_peer *peer);
void wg_staged_packet_free(struct wg_staged_packet *packet);

/* Peer lock held: the ticket for a block of nonces just taken. */
uint64_t wg_peer_take_ticket(struct wg_peer *peer);
/* Makes turn's send now if its ticket is up, and then every parked send that follows it; else
 * parks it for whoever sends the ticket before. */
void wg_peer_send_in_turn(struct wg_peer *peer, struct wg_send_turn *turn);

/* Peer lock held: roam to the address an authenticated packet came from. */
void wg_peer_set_endpoint(struct wg_peer *peer, const union wg_endpoint *endpoint);
/* Peer lock held: tell the timer thread a deadline may have moved closer. */
void wg_peer_timers_changed(struct wg_peer *peer);

#endif /* WG_PEER_H */
