// SPDX-License-Identifier: MIT
/*
 * receive.c - the receive path for transport data, and the UDP receiver thread.
 *
 * The UDP thread receives a batch and classifies each datagram by exact type and length:
 * handshake messages go to the handshake queue (whose last part only those carrying a mac2 may
 * fill), data is pinned to the keypair its receiver index names and the batch goes to the
 * crypto pool, where a worker opens it in place. The batch's finisher then runs, in arrival
 * order: only an authenticated packet may move the replay window, confirm a session, roam the
 * endpoint or touch the timers, and only an honest inner packet from one of the peer's allowed
 * IPs reaches the TUN.
 */

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tun/offload.h"
#include "wg/device.h"
#include "wg/packet.h"
#include "wg/peer.h"

/* One batch of datagrams on its way through the crypto pool. */
struct rx_batch {
	struct wg_batch batch; /* first: the ring hands out &batch */
	struct wg_device *dev;
	struct wg_keypair *kps[WG_BATCH_SIZE]; /* pinned; NULL: not data for a session of ours */
	bool opened[WG_BATCH_SIZE];
	/* Found by the worker that opened the packet, while it was in its cache: */
	uint16_t ip_lens[WG_BATCH_SIZE]; /* its IP header's length, 0 when dishonest */
	bool holds[WG_BATCH_SIZE];       /* its checksums hold (tun_gro_checksums_hold) */
	uint64_t now;
};

/* A run of authenticated packets on one keypair within a batch, accounted for at once. */
struct rx_run {
	struct wg_keypair *kp;
	const union wg_endpoint *addr; /* the last packet's */
	uint64_t bytes;
	unsigned int data; /* packets that were not keepalives */
};

_Static_assert(offsetof(struct rx_batch, batch) == 0, "the ring hands out &rx_batch.batch");

/* The part of the handshake queue kept for messages that carry a mac2 (see queue_limit()). */
enum { HANDSHAKE_RESERVE = MAX_QUEUED_INCOMING_HANDSHAKES / 8 };

/* Peer lock held. Keep-key-fresh on receive asks about the session we send with, not the one
 * the packet came on: a straggler on the previous session says nothing about the current. */
static bool keep_key_fresh(struct wg_peer *peer, uint64_t now)
{
	struct wg_noise_keypair *current = peer->keypairs.current;

	return current && !wg_noise_keypair_sending_stopped(current) &&
	       wg_timers_rekey_on_receive(&peer->timers, current->i_am_initiator, current->birth,
	                                  now);
}

/*
 * The bookkeeping of a run of authenticated data packets (keepalives or not) on one keypair,
 * done once for all of them as packet by packet: the first confirms the session, the last one's
 * address is where the peer is, and a second data packet asks for one more keepalive.
 */
static void data_authenticated(struct wg_peer *peer, const struct rx_run *run, uint64_t now)
{
	struct wg_noise_released released = {0};
	bool confirmed, rekey;

	pthread_mutex_lock(&peer->lock);
	confirmed = wg_noise_keypairs_received_with(&peer->keypairs, &run->kp->noise, &released);
	if (confirmed)
		wg_peer_handshake_complete(peer);
	wg_peer_set_endpoint(peer, run->addr);
	wg_timers_any_authenticated_packet_received(&peer->timers);
	wg_timers_any_authenticated_packet_traversal(&peer->timers, now);
	if (run->data > 0)
		wg_timers_data_received(&peer->timers, now);
	if (run->data > 1)
		wg_timers_data_received(&peer->timers, now);
	rekey = keep_key_fresh(peer, now);
	wg_peer_timers_changed(peer);
	pthread_mutex_unlock(&peer->lock);
	wg_peer_release_keypairs(peer, &released);
	atomic_fetch_add_explicit(&peer->rx_bytes, run->bytes, memory_order_relaxed);
	/* The responder may send with a session only once it is confirmed. */
	if (confirmed)
		wg_send_staged(peer);
	if (rekey)
		wg_send_queued_initiation(peer, false);
}

/* The length of the inner packet without its padding (ip_len, found by the worker), or 0 if it
 * must not reach the TUN. */
static size_t deliverable(struct wg_device *dev, struct wg_peer *peer, const uint8_t *plain,
                          size_t ip_len)
{
	const uint8_t *src;
	int family;

	if (!ip_len) {
		wg_device_log(dev, WG_LOG_DEBUG, "dropping a packet with a dishonest IP header");
		return 0;
	}
	family = wg_packet_addr(plain, ip_len, true, &src);
	if (wg_allowedips_lookup(dev->allowedips, family, src) != peer) {
		wg_device_log(dev, WG_LOG_DEBUG, "dropping a packet from a disallowed source");
		return 0;
	}
	return ip_len;
}

/* Pins the keypair a data packet names; NULL if there is none (dropped). */
static struct wg_keypair *keypair_for(struct wg_device *dev, const struct wg_udp_msg *msg)
{
	const struct wg_msg_data *hdr = (const struct wg_msg_data *)msg->data;
	struct wg_index_entry *entry;
	struct wg_peer *peer;

	entry = wg_index_lookup(&dev->index, le32toh(hdr->receiver_index), WG_INDEX_KEYPAIR,
	                        wg_keypair_get_entry, &peer);
	return entry ? (struct wg_keypair *)((uint8_t *)entry - offsetof(struct wg_keypair, entry))
	             : NULL;
}

/*
 * How full the handshake queue may be for this message to join it. The last part is kept for
 * messages that carry a mac2 (and for cookie replies): a flood from sources that never get a
 * cookie reply fills only the rest, so a peer that honoured ours still finds room. A flood with
 * made-up mac2s competes for that part too, which leaves it where it was without the reserve.
 */
static unsigned int queue_limit(const struct wg_udp_msg *msg, enum wg_msg_type type)
{
	static const uint8_t no_mac2[COOKIE_LEN];
	const struct wg_msg_macs *macs;

	if (type == MESSAGE_HANDSHAKE_COOKIE)
		return MAX_QUEUED_INCOMING_HANDSHAKES;
	macs = (const struct wg_msg_macs *)(msg->data + msg->len - sizeof(*macs));
	return memcmp(macs->mac2, no_mac2, COOKIE_LEN)
	           ? MAX_QUEUED_INCOMING_HANDSHAKES
	           : MAX_QUEUED_INCOMING_HANDSHAKES - HANDSHAKE_RESERVE;
}

static void queue_handshake(struct wg_device *dev, const struct wg_udp_msg *msg,
                            enum wg_msg_type type)
{
	unsigned int backlog;

	if (wg_handshake_queue_push(&dev->handshakes, msg->data, msg->len, &msg->addr,
	                            queue_limit(msg, type), &backlog))
		return;
	wg_device_count(dev, handshake_queue_full);
	wg_device_log(dev, WG_LOG_DEBUG, "handshake queue full, dropping a handshake");
}

/* Sorts a received batch: handshakes to their queue, data to the crypto pool with its keypair. */
static void classify_batch(struct wg_device *dev, struct rx_batch *rx)
{
	enum wg_msg_type type;
	struct wg_udp_msg *msg;
	unsigned int i;

	rx->now = wg_device_now(dev);
	for (i = 0; i < rx->batch.count; i++) {
		msg = &rx->batch.msgs[i];
		rx->kps[i] = NULL;
		type = wg_msg_classify(msg->data, msg->len);
		switch (type) {
		case MESSAGE_DATA:
			rx->kps[i] = keypair_for(dev, msg);
			if (!rx->kps[i])
				wg_device_count(dev, data_unknown_index);
			break;
		case MESSAGE_HANDSHAKE_INITIATION:
		case MESSAGE_HANDSHAKE_RESPONSE:
		case MESSAGE_HANDSHAKE_COOKIE:
			queue_handshake(dev, msg, type);
			break;
		default:
			break;
		}
	}
}

static void rx_crypt(struct wg_batch *batch)
{
	struct rx_batch *rx = (struct rx_batch *)batch;
	const struct wg_msg_data *hdr;
	struct wg_udp_msg *msg;
	struct wg_keypair *kp;
	uint8_t *plain;
	unsigned int i;

	for (i = 0; i < batch->count; i++) {
		kp = rx->kps[i];
		rx->opened[i] = false;
		if (!kp || wg_timers_key_expired(kp->noise.birth, rx->now))
			continue;
		msg = &batch->msgs[i];
		hdr = (const struct wg_msg_data *)msg->data;
		plain = msg->data + MESSAGE_DATA_HEADER_LEN;
		rx->opened[i] =
		    wg_aead_ctx_open(&batch->aead, plain, plain, msg->len - MESSAGE_DATA_HEADER_LEN,
		                     NULL, 0, le64toh(hdr->counter), kp->noise.recv_key) == 0;
		if (!rx->opened[i])
			continue;
		rx->ip_lens[i] =
		    (uint16_t)wg_packet_ip_len(plain, msg->len - MESSAGE_MINIMUM_LENGTH);
		rx->holds[i] =
		    rx->dev->gro && rx->ip_lens[i] && tun_gro_checksums_hold(plain, rx->ip_lens[i]);
	}
	wg_aead_ctx_wipe(&batch->aead);
}

static void run_flush(struct rx_run *run, uint64_t now)
{
	if (run->kp)
		data_authenticated(run->kp->entry.peer, run, now);
	*run = (struct rx_run){0};
}

/* In arrival order: the replay window only ever sees authenticated counters. */
static void rx_finish(struct wg_batch *batch)
{
	struct rx_batch *rx = (struct rx_batch *)batch;
	struct wg_device *dev = rx->dev;
	struct wg_delivery out = {.n = 0};
	const struct wg_msg_data *hdr;
	struct rx_run run = {0};
	struct wg_udp_msg *msg;
	struct wg_keypair *kp;
	unsigned int i;
	size_t len;

	pthread_rwlock_rdlock(&dev->lock);
	for (i = 0; i < batch->count; i++) {
		kp = rx->kps[i];
		if (!kp)
			continue;
		msg = &batch->msgs[i];
		hdr = (const struct wg_msg_data *)msg->data;
		len = msg->len - MESSAGE_MINIMUM_LENGTH;
		if (!rx->opened[i]) {
			wg_device_count(dev, data_unauthenticated);
			continue;
		}
		if (!wg_replay_check(&kp->noise.replay, le64toh(hdr->counter))) {
			wg_device_count(dev, data_replayed);
			continue;
		}
		if (run.kp != kp)
			run_flush(&run, rx->now);
		run.kp = kp;
		run.addr = &msg->addr;
		run.bytes += msg->len;
		run.data += len > 0;
		if (!len)
			continue;
		out.packets[out.n] = msg->data + MESSAGE_DATA_HEADER_LEN;
		out.lens[out.n] =
		    deliverable(dev, kp->entry.peer, out.packets[out.n], rx->ip_lens[i]);
		out.holds[out.n] = rx->holds[i];
		out.n += out.lens[out.n] > 0;
	}
	run_flush(&run, rx->now);
	pthread_rwlock_unlock(&dev->lock);
	for (i = 0; i < batch->count; i++)
		wg_keypair_put(rx->kps[i]);
	wg_device_deliver(dev, &out);
	/* wg_udp_recv() let entries trade slots and point into each other's; give every entry its
	 * own back, which also keeps the 64 KiB GRO messages landing in the same few slots rather
	 * than dirtying every one of them over time. */
	for (i = 0; i < WG_BATCH_SIZE; i++)
		batch->msgs[i].data = wg_batch_slot(batch, i);
}

void *wg_receive_udp_thread(void *arg)
{
	struct wg_device *dev = arg;
	struct pollfd fds[3] = {{.fd = dev->rx_stop_fd, .events = POLLIN},
	                        {.fd = dev->udp.fd4, .events = POLLIN},
	                        {.fd = dev->udp.fd6, .events = POLLIN}};
	struct wg_batch *batch;
	unsigned int turn = 0, i, k;
	bool stop = false;
	int n;

	while (!stop) {
		batch = wg_ring_acquire(&dev->rx_ring);
		if (wg_ring_poll(&dev->rx_ring, fds, 3) < 0 && errno != EINTR)
			stop = true;
		stop |= fds[0].revents != 0;
		/* The families take turns at going first, so that neither can starve the other. A
		 * socket error (an ICMP answer to us) is reported once and then gone. */
		for (k = 0, turn ^= 1; k < 2 && !stop; k++) {
			i = 1 + (turn + k) % 2;
			if (!fds[i].revents)
				continue;
			n = wg_udp_recv(&dev->udp, fds[i].fd, batch->msgs + batch->count,
			                WG_BATCH_SIZE - batch->count);
			if (n > 0)
				batch->count += (unsigned int)n;
		}
		classify_batch(dev, (struct rx_batch *)batch);
		wg_pool_submit(&dev->pool, batch);
	}
	return NULL;
}

static void rx_setup(struct wg_batch *batch, void *dev)
{
	unsigned int i;

	((struct rx_batch *)batch)->dev = dev;
	for (i = 0; i < WG_BATCH_SIZE; i++) {
		batch->msgs[i].data = wg_batch_slot(batch, i);
		batch->msgs[i].cap = WG_PACKET_SLOT;
	}
}

int wg_receive_ring_init(struct wg_device *dev)
{
	return wg_ring_init(&dev->rx_ring, dev->aead_lib, sizeof(struct rx_batch), rx_setup, dev,
	                    rx_crypt, rx_finish);
}
