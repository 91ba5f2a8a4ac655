// SPDX-License-Identifier: MIT
/*
 * send.c - the send path: packets from the TUN through their peer's session to UDP, staged
 * packets, keepalives and handshake initiations.
 *
 * The TUN thread reads a batch (a TUN super-packet stays whole, counted as the segments it
 * stands for), routes every packet by destination through the allowed IPs and gives each
 * peer's packets its current keypair, a block of nonces and a ticket; a worker of the crypto
 * pool cuts the super-packets up and seals the batch in place; the batch's finisher hands each
 * peer's share to the peer's sequencer (peer.h), which sends it with one sendmmsg, and does the
 * bookkeeping, when its ticket is up: each peer's packets leave in the order their nonces were
 * taken. A packet whose peer has no usable session is staged and a handshake is asked for; the
 * session's arrival flushes the stage, in its turn too. Initiations are created on the
 * handshake thread only: whoever wants one (these paths, the receive path, the timers) queues a
 * request, so no data-path thread pays for the DH.
 */

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tun/offload.h"
#include "wg/device.h"
#include "wg/packet.h"
#include "wg/peer.h"

/* One peer's share of a TUN batch: its packets take a block of nonces and one ticket, and
 * leave in one send when their turn comes. */
struct flow {
	struct wg_send_turn turn; /* first: the sequencer hands back &turn */
	struct tx_batch *tx;
	struct wg_peer *peer;
	struct wg_keypair *kp;
	union wg_endpoint endpoint;
	uint64_t first_nonce;
	unsigned int packets; /* in the batch */
	unsigned int taken;   /* nonces taken for them, from first_nonce */
	unsigned int used;
	bool ticketed;
	bool want_handshake;
};

enum { NO_FLOW = 0xff };

/* Packets read together: a packet, or the segments a TUN super-packet stands for, which lies at
 * the first slot until a worker cuts it up (split). */
struct tx_group {
	uint8_t first;
	uint8_t count;
	uint8_t flow;
	bool split;
	uint16_t len; /* of the packet at the first slot */
	struct virtio_net_hdr hdr;
};

/* One batch of TUN packets on its way through the crypto pool. */
struct tx_batch {
	struct wg_batch batch; /* first: the ring hands out &batch */
	struct wg_device *dev;
	struct wg_keypair *kps[WG_BATCH_SIZE]; /* NULL: staged or dropped */
	uint64_t nonces[WG_BATCH_SIZE];
	uint8_t flow_index[WG_BATCH_SIZE];
	struct tx_group groups[WG_BATCH_SIZE];
	unsigned int n_groups;
	struct flow flows[WG_BATCH_SIZE];
	unsigned int n_flows;
	unsigned int mtu;
	uint64_t now;
};

_Static_assert(offsetof(struct tx_batch, batch) == 0, "the ring hands out &tx_batch.batch");
_Static_assert(offsetof(struct flow, turn) == 0, "the sequencer hands back &flow.turn");
_Static_assert((int)WG_BATCH_SIZE < (int)NO_FLOW, "flow and slot indices fit a byte");

/* Seals the packet at slot + WG_PACKET_HEADROOM into a transport message starting at slot. */
static size_t seal(struct wg_aead_ctx *aead, const struct wg_keypair *kp, uint8_t *slot, size_t len,
                   uint64_t nonce, unsigned int mtu)
{
	struct wg_msg_data *msg = (struct wg_msg_data *)slot;
	uint8_t *plain = slot + WG_PACKET_HEADROOM;
	size_t padded = wg_packet_padded_len(len, mtu);

	memset(plain + len, 0, padded - len);
	msg->header.type = htole32(MESSAGE_DATA);
	msg->receiver_index = htole32(kp->noise.remote_index);
	msg->counter = htole64(nonce);
	wg_aead_ctx_seal(aead, plain, plain, padded, NULL, 0, nonce, kp->noise.send_key);
	return message_data_len(padded);
}

/* Before a peer's datagrams leave, so that the answer they provoke finds the timers armed. */
static void timers_sending(struct wg_peer *peer, bool sent_data, uint64_t now)
{
	pthread_mutex_lock(&peer->lock);
	wg_timers_any_authenticated_packet_traversal(&peer->timers, now);
	wg_timers_any_authenticated_packet_sent(&peer->timers);
	if (sent_data)
		wg_timers_data_sent(&peer->timers, now);
	wg_peer_timers_changed(peer);
	pthread_mutex_unlock(&peer->lock);
}

/* After they left: counters and keep-key-fresh. */
static void account_sent(struct wg_peer *peer, const struct wg_keypair *kp, uint64_t bytes,
                         uint64_t now)
{
	atomic_fetch_add_explicit(&peer->tx_bytes, bytes, memory_order_relaxed);
	if (wg_timers_rekey_on_send(atomic_load(&kp->noise.send_counter), kp->noise.i_am_initiator,
	                            kp->noise.birth, now))
		wg_send_queued_initiation(peer, false);
}

void wg_send_handshake(struct wg_peer *peer, void *msg, size_t len,
                       const union wg_endpoint *endpoint)
{
	struct wg_udp_msg out = {.data = msg, .len = len, .addr = *endpoint};

	if (endpoint->sa.sa_family == AF_UNSPEC) {
		wg_device_log(peer->device, WG_LOG_DEBUG, "peer has no endpoint for a handshake");
		return;
	}
	if (wg_device_send(peer->device, &out, 1) == 1)
		atomic_fetch_add_explicit(&peer->tx_bytes, len, memory_order_relaxed);
}

/* Peer lock held: a fresh initiation under a fresh index, its MACs and its timer events. */
static int create_initiation(struct wg_peer *peer, struct wg_msg_initiation *msg, uint64_t now)
{
	struct wg_device *dev = peer->device;
	uint32_t index = wg_index_insert(&dev->index, &peer->handshake_entry);
	int ret;

	ret = wg_noise_handshake_create_initiation(msg, &peer->handshake, index, wg_device_wall());
	if (ret < 0) {
		wg_index_remove(&dev->index, &peer->handshake_entry);
		return ret;
	}
	wg_cookie_add_macs(&peer->cookie_maker, msg, sizeof(*msg), now);
	wg_timers_any_authenticated_packet_traversal(&peer->timers, now);
	wg_timers_any_authenticated_packet_sent(&peer->timers);
	wg_timers_handshake_initiated(&peer->timers, now);
	wg_peer_timers_changed(peer);
	return 0;
}

void wg_send_initiation(struct wg_peer *peer)
{
	struct wg_device *dev = peer->device;
	uint64_t now = wg_device_now(dev);
	struct wg_msg_initiation msg;
	union wg_endpoint endpoint;
	int ret = -EALREADY;

	pthread_mutex_lock(&peer->lock);
	/* At most one initiation per REKEY_TIMEOUT, however many asked for one. */
	if (wg_timers_claim_initiation(&peer->timers, now))
		ret = create_initiation(peer, &msg, now);
	endpoint = peer->endpoint;
	pthread_mutex_unlock(&peer->lock);
	if (ret == -EALREADY)
		return;
	if (ret < 0) {
		wg_device_log(dev, WG_LOG_DEBUG, "cannot create a handshake initiation: %d", ret);
		return;
	}
	wg_device_log(dev, WG_LOG_DEBUG, "sending handshake initiation");
	wg_send_handshake(peer, &msg, sizeof(msg), &endpoint);
}

void wg_send_queued_initiation(struct wg_peer *peer, bool is_retry)
{
	struct wg_device *dev = peer->device;
	bool wanted;

	/* Asked already within REKEY_TIMEOUT: the handshake thread need not even wake up. */
	pthread_mutex_lock(&peer->lock);
	wanted = wg_timers_want_initiation(&peer->timers, wg_device_now(dev), is_retry);
	pthread_mutex_unlock(&peer->lock);
	if (!wanted)
		return;
	wg_peer_get(peer);
	if (!wg_handshake_queue_request(&dev->handshakes, &peer->initiation))
		wg_peer_put(peer);
}

/* Staged packets sealed and waiting for their turn to leave. */
struct staged_send {
	struct wg_send_turn turn; /* first: the sequencer hands back &turn */
	struct wg_peer *peer;
	struct wg_keypair *kp;
	union wg_endpoint endpoint;
	uint64_t now;
	unsigned int n;
	struct wg_staged_packet packets[WG_BATCH_SIZE];
	size_t lens[WG_BATCH_SIZE]; /* sealed */
};

_Static_assert(offsetof(struct staged_send, turn) == 0, "the sequencer hands back &turn");

static void staged_send(struct wg_send_turn *turn)
{
	struct staged_send *send = (struct staged_send *)turn;
	struct wg_udp_msg out[WG_BATCH_SIZE];
	bool sent_data = false;
	uint64_t bytes = 0;
	unsigned int i;

	for (i = 0; i < send->n; i++) {
		out[i] = (struct wg_udp_msg){
		    .data = send->packets[i].buffer, .len = send->lens[i], .addr = send->endpoint};
		bytes += send->lens[i];
		sent_data |= send->packets[i].len > 0;
	}
	timers_sending(send->peer, sent_data, send->now);
	if (wg_device_send(send->peer->device, out, send->n) > 0)
		account_sent(send->peer, send->kp, bytes, send->now);
	for (i = 0; i < send->n; i++)
		wg_staged_packet_free(&send->packets[i]);
	wg_keypair_put(send->kp);
	wg_peer_put(send->peer);
	free(send);
}

/*
 * Seals and sends up to a batch of staged packets, in their turn among the peer's sends; false
 * when the session cannot take them (they stay staged). Staged packets are few (what waits for
 * a session, keepalives) and flushed from any thread, so libsodium, which needs no context,
 * seals them; the bytes are the same.
 */
static bool send_staged_batch(struct wg_peer *peer, struct wg_keypair *kp,
                              const union wg_endpoint *endpoint, uint64_t now)
{
	struct wg_aead_ctx sodium = {.lib = WG_AEAD_SODIUM};
	unsigned int mtu = atomic_load(&peer->device->mtu), want, n, i;
	struct staged_send *send = malloc(sizeof(*send));
	uint64_t nonce = 0;

	if (!send)
		return false;
	pthread_mutex_lock(&peer->lock);
	want = peer->staged_count < WG_BATCH_SIZE ? peer->staged_count : WG_BATCH_SIZE;
	send->n = wg_noise_keypair_take_nonces(&kp->noise, now, want, &nonce);
	for (i = 0; i < send->n; i++)
		wg_peer_unstage(peer, &send->packets[i]);
	if (send->n)
		send->turn.ticket = wg_peer_take_ticket(peer);
	pthread_mutex_unlock(&peer->lock);
	if (!send->n) {
		free(send);
		return !want;
	}
	for (i = 0; i < send->n; i++)
		send->lens[i] = seal(&sodium, kp, send->packets[i].buffer, send->packets[i].len,
		                     nonce + i, mtu);
	send->turn.send = staged_send;
	send->endpoint = *endpoint;
	send->now = now;
	wg_keypair_get(kp);
	send->kp = kp;
	wg_peer_get(peer);
	send->peer = peer;
	n = send->n;
	wg_peer_send_in_turn(peer, &send->turn);
	return n == want;
}

void wg_send_staged(struct wg_peer *peer)
{
	uint64_t now = wg_device_now(peer->device);
	union wg_endpoint endpoint;
	struct wg_keypair *kp;
	bool more = true, ok = false;

	kp = wg_peer_current_keypair(peer, &endpoint);
	if (kp && endpoint.sa.sa_family != AF_UNSPEC) {
		do {
			ok = send_staged_batch(peer, kp, &endpoint, now);
			pthread_mutex_lock(&peer->lock);
			more = peer->staged_count > 0;
			pthread_mutex_unlock(&peer->lock);
		} while (ok && more);
	}
	wg_keypair_put(kp);
	if (!ok)
		wg_send_queued_initiation(peer, false);
}

void wg_send_keepalive(struct wg_peer *peer)
{
	static const uint8_t empty[1];

	/* Anything staged already tells the peer we are alive. */
	pthread_mutex_lock(&peer->lock);
	if (!peer->staged_count)
		wg_peer_stage(peer, empty, 0);
	pthread_mutex_unlock(&peer->lock);
	wg_send_staged(peer);
}

static void flow_send(struct wg_send_turn *turn);

/* The peer's flow in this batch, created (and the peer and its keypair pinned) on first use. */
static unsigned int flow_of(struct tx_batch *tx, struct wg_peer *peer)
{
	struct flow *flow;
	unsigned int i;

	for (i = tx->n_flows; i-- > 0;)
		if (tx->flows[i].peer == peer)
			return i;
	flow = &tx->flows[tx->n_flows];
	memset(flow, 0, sizeof(*flow));
	wg_peer_get(peer);
	flow->turn.send = flow_send;
	flow->tx = tx;
	flow->peer = peer;
	flow->kp = wg_peer_current_keypair(peer, &flow->endpoint);
	if (flow->endpoint.sa.sa_family == AF_UNSPEC) {
		wg_keypair_put(flow->kp);
		flow->kp = NULL;
	}
	return tx->n_flows++;
}

static uint8_t *packet_at(const struct tx_batch *tx, unsigned int slot)
{
	return wg_batch_slot(&tx->batch, slot) + WG_PACKET_HEADROOM;
}

/* The flow of a group by its packets' destination; NO_FLOW when no peer has it. */
static uint8_t route_group(struct wg_device *dev, struct tx_batch *tx, const struct tx_group *g)
{
	const uint8_t *dst;
	struct wg_peer *peer;
	int family;

	family = wg_packet_addr(packet_at(tx, g->first), g->len, false, &dst);
	peer = family ? wg_allowedips_lookup(dev->allowedips, family, dst) : NULL;
	return peer ? (uint8_t)flow_of(tx, peer) : NO_FLOW;
}

/* Under the peer lock, so that nonce blocks and tickets go up together. */
static void take_nonces(struct tx_batch *tx, struct flow *flow)
{
	if (!flow->kp)
		return;
	pthread_mutex_lock(&flow->peer->lock);
	flow->taken = wg_noise_keypair_take_nonces(&flow->kp->noise, tx->now, flow->packets,
	                                           &flow->first_nonce);
	if (flow->taken) {
		flow->turn.ticket = wg_peer_take_ticket(flow->peer);
		flow->ticketed = true;
	}
	pthread_mutex_unlock(&flow->peer->lock);
}

/* Stages what of a group found no nonce, cutting it up first if it is a super-packet. */
static void stage_group(struct wg_device *dev, struct tx_batch *tx, struct tx_group *g,
                        struct flow *flow)
{
	uint8_t *segs[WG_BATCH_SIZE];
	size_t lens[WG_BATCH_SIZE];
	unsigned int k;

	if (g->split) {
		for (k = 0; k < g->count; k++)
			segs[k] = packet_at(tx, g->first + k);
		if (tun_offload_split(&g->hdr, segs[0], g->len, segs, lens, g->count,
		                      WG_PACKET_MAX) != g->count) {
			wg_device_log(dev, WG_LOG_DEBUG, "cannot cut up a TUN super-packet");
			return;
		}
		for (k = 0; k < g->count; k++)
			tx->batch.msgs[g->first + k].len = lens[k];
		g->split = false;
	}
	pthread_mutex_lock(&flow->peer->lock);
	for (k = 0; k < g->count; k++)
		if (!tx->kps[g->first + k])
			wg_peer_stage(flow->peer, packet_at(tx, g->first + k),
			              tx->batch.msgs[g->first + k].len);
	pthread_mutex_unlock(&flow->peer->lock);
	flow->want_handshake = true;
}

/* Gives each packet of a group its session and nonce; what finds none is staged. */
static void assign_group(struct wg_device *dev, struct tx_batch *tx, struct tx_group *g)
{
	struct flow *flow = g->flow == NO_FLOW ? NULL : &tx->flows[g->flow];
	unsigned int k, i;
	bool staged = false;

	for (k = 0; k < g->count; k++) {
		i = g->first + k;
		tx->flow_index[i] = g->flow;
		tx->kps[i] = NULL;
		if (!flow)
			continue;
		if (flow->used == flow->taken) {
			staged = true;
			continue;
		}
		tx->kps[i] = flow->kp;
		tx->nonces[i] = flow->first_nonce + flow->used++;
		tx->batch.msgs[i].addr = flow->endpoint;
	}
	if (staged)
		stage_group(dev, tx, g, flow);
}

/*
 * Each peer's packets take one block of nonces and one ticket, so they leave in the order they
 * were read, and after what was read before them from any queue of the TUN.
 */
static void route_batch(struct wg_device *dev, struct tx_batch *tx)
{
	unsigned int i;

	tx->now = wg_device_now(dev);
	tx->mtu = atomic_load(&dev->mtu);
	pthread_rwlock_rdlock(&dev->lock);
	for (i = 0; i < tx->n_groups; i++) {
		tx->groups[i].flow = route_group(dev, tx, &tx->groups[i]);
		if (tx->groups[i].flow != NO_FLOW)
			tx->flows[tx->groups[i].flow].packets += tx->groups[i].count;
	}
	for (i = 0; i < tx->n_flows; i++)
		take_nonces(tx, &tx->flows[i]);
	for (i = 0; i < tx->n_groups; i++)
		assign_group(dev, tx, &tx->groups[i]);
	pthread_rwlock_unlock(&dev->lock);
}

/* A worker cuts up the super-packets whose segments have nonces, while they are in its cache. */
static void split_groups(struct tx_batch *tx)
{
	uint8_t *segs[WG_BATCH_SIZE];
	size_t lens[WG_BATCH_SIZE];
	struct tx_group *g;
	unsigned int i, k;

	for (i = 0; i < tx->n_groups; i++) {
		g = &tx->groups[i];
		if (!g->split || !tx->kps[g->first])
			continue;
		for (k = 0; k < g->count; k++)
			segs[k] = packet_at(tx, g->first + k);
		/* Counted by tun_offload_segments(), so it cannot fail; should it, nothing leaves.
		 */
		if (tun_offload_split(&g->hdr, segs[0], g->len, segs, lens, g->count,
		                      WG_PACKET_MAX) != g->count) {
			for (k = 0; k < g->count; k++)
				tx->kps[g->first + k] = NULL;
			continue;
		}
		for (k = 0; k < g->count; k++)
			tx->batch.msgs[g->first + k].len = lens[k];
	}
}

static void tx_crypt(struct wg_batch *batch)
{
	struct tx_batch *tx = (struct tx_batch *)batch;
	struct wg_udp_msg *msg;
	unsigned int i;

	split_groups(tx);
	for (i = 0; i < batch->count; i++) {
		if (!tx->kps[i])
			continue;
		msg = &batch->msgs[i];
		msg->data = wg_batch_slot(batch, i);
		msg->len =
		    seal(&batch->aead, tx->kps[i], msg->data, msg->len, tx->nonces[i], tx->mtu);
	}
	wg_aead_ctx_wipe(&batch->aead);
}

/* What a flow still holds once it is sent, or was never to be. */
static void flow_done(struct flow *flow)
{
	if (flow->want_handshake)
		wg_send_queued_initiation(flow->peer, false);
	wg_keypair_put(flow->kp);
	wg_peer_put(flow->peer);
}

/* The flow's turn: its packets leave in one send, on whichever thread's turn it is. */
static void flow_send(struct wg_send_turn *turn)
{
	struct flow *flow = (struct flow *)turn;
	struct tx_batch *tx = flow->tx;
	struct wg_udp_msg out[WG_BATCH_SIZE];
	unsigned int i, n = 0, index = (unsigned int)(flow - tx->flows);
	uint64_t bytes = 0;

	for (i = 0; i < tx->batch.count; i++) {
		if (!tx->kps[i] || tx->flow_index[i] != index)
			continue;
		out[n++] = tx->batch.msgs[i];
		bytes += tx->batch.msgs[i].len;
	}
	if (n) {
		timers_sending(flow->peer, true, tx->now);
		/* Counters count what left (a device going down takes the rest). */
		if (wg_device_send(tx->dev, out, n) > 0)
			account_sent(flow->peer, flow->kp, bytes, tx->now);
	}
	flow_done(flow);
	wg_batch_unhold(&tx->batch);
}

static void tx_finish(struct wg_batch *batch)
{
	struct tx_batch *tx = (struct tx_batch *)batch;
	struct flow *flow;
	unsigned int i, ticketed = 0;

	for (i = 0; i < tx->n_flows; i++)
		ticketed += tx->flows[i].ticketed;
	/* A flow whose turn has not come reads the batch after this returns. */
	wg_batch_hold(batch, ticketed);
	pthread_rwlock_rdlock(&tx->dev->lock);
	for (i = 0; i < tx->n_flows; i++) {
		flow = &tx->flows[i];
		if (flow->ticketed)
			wg_peer_send_in_turn(flow->peer, &flow->turn);
		else
			flow_done(flow);
	}
	pthread_rwlock_unlock(&tx->dev->lock);
}

/* The TUN thread's state between batches. */
struct tun_reader {
	uint8_t *buffer; /* a virtio header and a super-packet that did not fit the last batch */
	size_t pending;  /* its length, or 0 */
	unsigned int last_count; /* segments the last super-packet stood for */
};

static int read_error(ssize_t len)
{
	if (len < 0)
		return errno == EAGAIN || errno == EINTR ? -EAGAIN : -errno;
	return -ENODEV;
}

static void add_group(struct tx_batch *tx, unsigned int count, size_t len,
                      const struct virtio_net_hdr *hdr)
{
	struct tx_group *g = &tx->groups[tx->n_groups++];

	g->first = (uint8_t)tx->batch.count;
	g->count = (uint8_t)count;
	g->len = (uint16_t)len;
	g->split = hdr && (hdr->gso_type != VIRTIO_NET_HDR_GSO_NONE ||
	                   (hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM));
	if (hdr)
		g->hdr = *hdr;
	if (!g->split)
		tx->batch.msgs[g->first].len = len;
	tx->batch.count += count;
}

/* Reads what the TUN has, up to a batch; -errno when the TUN is gone. */
static int read_plain(struct wg_device *dev, struct tx_batch *tx)
{
	ssize_t len;
	int ret;

	while (tx->batch.count < WG_BATCH_SIZE) {
		len = read(dev->tun_fd, packet_at(tx, tx->batch.count), WG_PACKET_MAX);
		if (len <= 0) {
			ret = read_error(len);
			return ret == -EAGAIN ? 0 : ret;
		}
		add_group(tx, 1, (size_t)len, NULL);
	}
	return 0;
}

/* Takes a virtio-headed packet that lies in the next free slot into the batch; -ENOSPC when it
 * stands for more packets than there are slots left, so it must wait for the next batch. */
static int take_packet(struct wg_device *dev, struct tun_reader *reader, struct tx_batch *tx,
                       const struct virtio_net_hdr *hdr, size_t len)
{
	unsigned int room = WG_BATCH_SIZE - tx->batch.count;
	int n = tun_offload_segments(hdr, packet_at(tx, tx->batch.count), len, WG_PACKET_MAX);

	if (n < 0 || (unsigned int)n > WG_BATCH_SIZE) {
		wg_device_log(dev, WG_LOG_DEBUG, "dropping a TUN packet its header misdescribes");
		return 0;
	}
	if ((unsigned int)n > room)
		return -ENOSPC;
	add_group(tx, (unsigned int)n, len, hdr);
	reader->last_count = (unsigned int)n;
	return 0;
}

/*
 * Reads straight into the next free slot; the worker that seals the batch cuts super-packets
 * up there. Reading stops when the next one might not fit (a super-packet as big as the last
 * one), and one that does not fit after all waits in the reader's buffer.
 */
static int read_offloaded(struct wg_device *dev, struct tun_reader *reader, struct tx_batch *tx)
{
	struct virtio_net_hdr hdr;
	struct iovec iov[2];
	uint8_t *packet;
	ssize_t len;
	int ret;

	if (reader->pending) {
		memcpy(&hdr, reader->buffer, sizeof(hdr));
		len = (ssize_t)(reader->pending - sizeof(hdr));
		memcpy(packet_at(tx, 0), reader->buffer + sizeof(hdr), (size_t)len);
		reader->pending = 0;
		take_packet(dev, reader, tx, &hdr, (size_t)len);
	}
	while (WG_BATCH_SIZE - tx->batch.count >= reader->last_count) {
		packet = packet_at(tx, tx->batch.count);
		iov[0] = (struct iovec){.iov_base = &hdr, .iov_len = sizeof(hdr)};
		iov[1] = (struct iovec){.iov_base = packet, .iov_len = WG_PACKET_MAX};
		len = readv(dev->tun_fd, iov, 2);
		if (len <= 0) {
			ret = read_error(len);
			return ret == -EAGAIN ? 0 : ret;
		}
		if ((size_t)len <= sizeof(hdr))
			continue;
		len -= (ssize_t)sizeof(hdr);
		if (take_packet(dev, reader, tx, &hdr, (size_t)len) == -ENOSPC) {
			memcpy(reader->buffer, &hdr, sizeof(hdr));
			memcpy(reader->buffer + sizeof(hdr), packet, (size_t)len);
			reader->pending = sizeof(hdr) + (size_t)len;
			break;
		}
	}
	return 0;
}

static int read_batch(struct wg_device *dev, struct tun_reader *reader, struct tx_batch *tx)
{
	struct pollfd fds[2] = {{.fd = dev->tun_fd, .events = POLLIN},
	                        {.fd = dev->quit_fd, .events = POLLIN}};

	tx->n_groups = 0;
	tx->n_flows = 0;
	/* What is left of the last read needs no waiting. */
	if (!reader->pending && wg_ring_poll(&dev->tx_ring, fds, 2) < 0 && errno != EINTR)
		return -errno;
	if (fds[1].revents)
		return -ECANCELED;
	return dev->vnet_hdr ? read_offloaded(dev, reader, tx) : read_plain(dev, tx);
}

void *wg_send_tun_thread(void *arg)
{
	struct wg_device *dev = arg;
	struct tun_reader reader = {.last_count = 1};
	struct tx_batch *tx;
	int ret = 0;

	if (dev->vnet_hdr) {
		reader.buffer = malloc(TUN_VNET_HDR_LEN + TUN_OFFLOAD_MAX);
		if (!reader.buffer) {
			wg_device_log(dev, WG_LOG_ERROR, "TUN reader: out of memory");
			return NULL;
		}
	}
	while (ret == 0) {
		tx = (struct tx_batch *)wg_ring_acquire(&dev->tx_ring);
		ret = read_batch(dev, &reader, tx);
		if (tx->batch.count)
			route_batch(dev, tx);
		wg_pool_submit(&dev->pool, &tx->batch);
	}
	if (ret != -ECANCELED) {
		wg_device_log(dev, WG_LOG_INFO, "TUN is gone (%s)", strerror(-ret));
		wg_device_stop_for(dev, WG_STOP_LINK_DELETED);
	}
	free(reader.buffer);
	return NULL;
}

static void tx_setup(struct wg_batch *batch, void *dev)
{
	((struct tx_batch *)batch)->dev = dev;
}

int wg_send_ring_init(struct wg_device *dev)
{
	return wg_ring_init(&dev->tx_ring, dev->aead_lib, sizeof(struct tx_batch), tx_setup, dev,
	                    tx_crypt, tx_finish);
}
