// SPDX-License-Identifier: MIT
/*
 * send.c - the send path: packets from the TUN through their peer's session to UDP, staged
 * packets, keepalives and handshake initiations.
 *
 * The TUN thread reads a batch, routes every packet by destination through the allowed IPs and
 * gives it its peer's current keypair and next nonce; a worker of the crypto pool seals the
 * batch in place; the batch's finisher sends it with one sendmmsg and does the bookkeeping, in
 * the order batches were read, so each peer's packets leave in order. A packet whose peer has no
 * usable session is staged and a handshake is asked for; the session's arrival flushes the
 * stage. Initiations are created on the handshake thread only: whoever wants one (these paths,
 * the receive path, the timers) queues a request, so no data-path thread pays for the DH.
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

/* One peer's share of a TUN batch. */
struct flow {
	struct wg_peer *peer;
	struct wg_keypair *kp;
	union wg_endpoint endpoint;
	uint64_t bytes;
	bool want_handshake;
};

/* One batch of TUN packets on its way through the crypto pool. */
struct tx_batch {
	struct wg_batch batch; /* first: the ring hands out &batch */
	struct wg_device *dev;
	struct wg_keypair *kps[WG_BATCH_SIZE]; /* NULL: staged or dropped */
	uint64_t nonces[WG_BATCH_SIZE];
	uint8_t flow_index[WG_BATCH_SIZE];
	struct flow flows[WG_BATCH_SIZE];
	unsigned int n_flows;
	unsigned int mtu;
	uint64_t now;
};

_Static_assert(offsetof(struct tx_batch, batch) == 0, "the ring hands out &tx_batch.batch");

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

/* Seals and sends up to a batch of staged packets; false when the session cannot take them. */
static bool send_staged_batch(struct wg_peer *peer, struct wg_keypair *kp,
                              const union wg_endpoint *endpoint, uint64_t now)
{
	/* Staged packets are few (what waits for a session, keepalives) and flushed from any
	 * thread, so libsodium, which needs no context, seals them; the bytes are the same. */
	struct wg_aead_ctx sodium = {.lib = WG_AEAD_SODIUM};
	struct wg_staged_packet packets[WG_BATCH_SIZE];
	struct wg_udp_msg out[WG_BATCH_SIZE];
	unsigned int mtu = atomic_load(&peer->device->mtu), n = 0, i;
	uint64_t nonce, bytes = 0;
	bool sent_data = false, ok = true;

	pthread_mutex_lock(&peer->lock);
	while (n < WG_BATCH_SIZE && wg_peer_unstage(peer, &packets[n]))
		n++;
	pthread_mutex_unlock(&peer->lock);
	if (!n)
		return true;
	for (i = 0; i < n; i++) {
		if (wg_noise_keypair_next_nonce(&kp->noise, now, &nonce) < 0) {
			ok = false;
			break;
		}
		out[i].data = packets[i].buffer;
		out[i].len = seal(&sodium, kp, packets[i].buffer, packets[i].len, nonce, mtu);
		out[i].addr = *endpoint;
		bytes += out[i].len;
		sent_data |= packets[i].len > 0;
	}
	if (i) {
		timers_sending(peer, sent_data, now);
		if (wg_device_send(peer->device, out, i) > 0)
			account_sent(peer, kp, bytes, now);
	}
	for (; i < n; i++) {
		/* The session ran out under us: keep the rest for the next one. */
		pthread_mutex_lock(&peer->lock);
		wg_peer_stage(peer, packets[i].buffer + WG_PACKET_HEADROOM, packets[i].len);
		pthread_mutex_unlock(&peer->lock);
	}
	for (i = 0; i < n; i++)
		wg_staged_packet_free(&packets[i]);
	return ok;
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
	flow->peer = peer;
	flow->kp = wg_peer_current_keypair(peer, &flow->endpoint);
	if (flow->endpoint.sa.sa_family == AF_UNSPEC) {
		wg_keypair_put(flow->kp);
		flow->kp = NULL;
	}
	return tx->n_flows++;
}

/* Gives packet i its session and nonce, or stages it for the handshake it then asks for. */
static void route_packet(struct wg_device *dev, struct tx_batch *tx, unsigned int i)
{
	uint8_t *packet = wg_batch_slot(&tx->batch, i) + WG_PACKET_HEADROOM;
	size_t len = tx->batch.msgs[i].len;
	const uint8_t *dst;
	struct wg_peer *peer;
	struct flow *flow;
	int family;

	tx->kps[i] = NULL;
	family = wg_packet_addr(packet, len, false, &dst);
	peer = family ? wg_allowedips_lookup(dev->allowedips, family, dst) : NULL;
	if (!peer)
		return;
	tx->flow_index[i] = flow_of(tx, peer);
	flow = &tx->flows[tx->flow_index[i]];
	if (flow->kp &&
	    wg_noise_keypair_next_nonce(&flow->kp->noise, tx->now, &tx->nonces[i]) == 0) {
		tx->kps[i] = flow->kp;
		tx->batch.msgs[i].addr = flow->endpoint;
		return;
	}
	pthread_mutex_lock(&peer->lock);
	wg_peer_stage(peer, packet, len);
	pthread_mutex_unlock(&peer->lock);
	flow->want_handshake = true;
}

/* Nonces are taken here, in read order, so they rise in the order packets will leave. */
static void route_batch(struct wg_device *dev, struct tx_batch *tx)
{
	unsigned int i;

	tx->n_flows = 0;
	tx->now = wg_device_now(dev);
	tx->mtu = atomic_load(&dev->mtu);
	pthread_rwlock_rdlock(&dev->lock);
	for (i = 0; i < tx->batch.count; i++)
		route_packet(dev, tx, i);
	pthread_rwlock_unlock(&dev->lock);
}

static void tx_crypt(struct wg_batch *batch)
{
	struct tx_batch *tx = (struct tx_batch *)batch;
	struct wg_udp_msg *msg;
	unsigned int i;

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

static void tx_finish(struct wg_batch *batch)
{
	struct tx_batch *tx = (struct tx_batch *)batch;
	struct wg_device *dev = tx->dev;
	struct wg_udp_msg out[WG_BATCH_SIZE];
	unsigned int i, n = 0;
	struct flow *flow;
	bool sent;

	for (i = 0; i < batch->count; i++) {
		if (!tx->kps[i])
			continue;
		out[n++] = batch->msgs[i];
		tx->flows[tx->flow_index[i]].bytes += batch->msgs[i].len;
	}
	pthread_rwlock_rdlock(&dev->lock);
	for (i = 0; i < tx->n_flows; i++)
		if (tx->flows[i].bytes)
			timers_sending(tx->flows[i].peer, true, tx->now);
	/* Counters count what left (a device going down takes the rest). */
	sent = n && wg_device_send(dev, out, n) > 0;
	for (i = 0; i < tx->n_flows; i++) {
		flow = &tx->flows[i];
		if (flow->bytes && sent)
			account_sent(flow->peer, flow->kp, flow->bytes, tx->now);
		if (flow->want_handshake)
			wg_send_queued_initiation(flow->peer, false);
		wg_keypair_put(flow->kp);
		wg_peer_put(flow->peer);
	}
	pthread_rwlock_unlock(&dev->lock);
	tx->n_flows = 0;
}

/* The TUN thread's state between batches. */
struct tun_reader {
	uint8_t *buffer; /* a virtio header and a super-packet that did not fit the last batch */
	size_t pending;  /* its length, or 0 */
};

static int read_error(ssize_t len)
{
	if (len < 0)
		return errno == EAGAIN || errno == EINTR ? -EAGAIN : -errno;
	return -ENODEV;
}

/* Reads what the TUN has, up to a batch; -errno when the TUN is gone. */
static int read_plain(struct wg_device *dev, struct wg_batch *batch)
{
	ssize_t len;
	int ret;

	for (; batch->count < WG_BATCH_SIZE; batch->count++) {
		len = read(dev->tun_fd, wg_batch_slot(batch, batch->count) + WG_PACKET_HEADROOM,
		           WG_PACKET_MAX);
		if (len <= 0) {
			ret = read_error(len);
			return ret == -EAGAIN ? 0 : ret;
		}
		batch->msgs[batch->count].len = (size_t)len;
	}
	return 0;
}

/* Splits a virtio-headed packet into the batch's free slots, the first of which may hold it
 * already; -ENOSPC when it needs more slots than are left and must wait for the next batch. */
static int split_packet(struct wg_device *dev, struct wg_batch *batch,
                        const struct virtio_net_hdr *hdr, uint8_t *packet, size_t len)
{
	unsigned int room = WG_BATCH_SIZE - batch->count, i;
	uint8_t *segs[WG_BATCH_SIZE];
	size_t lens[WG_BATCH_SIZE];
	int n;

	for (i = 0; i < room; i++)
		segs[i] = wg_batch_slot(batch, batch->count + i) + WG_PACKET_HEADROOM;
	n = tun_offload_split(hdr, packet, len, segs, lens, room, WG_PACKET_MAX);
	if (n == -ENOSPC && batch->count)
		return n;
	if (n < 0) {
		wg_device_log(dev, WG_LOG_DEBUG, "dropping a TUN packet its header misdescribes");
		return 0;
	}
	for (i = 0; i < (unsigned int)n; i++)
		batch->msgs[batch->count + i].len = lens[i];
	batch->count += (unsigned int)n;
	return 0;
}

/* Reads straight into the next free slot and splits there; what does not fit waits in the
 * reader's buffer for the next batch. */
static int read_offloaded(struct wg_device *dev, struct tun_reader *reader, struct wg_batch *batch)
{
	struct virtio_net_hdr *parked = (struct virtio_net_hdr *)reader->buffer;
	struct virtio_net_hdr hdr;
	struct iovec iov[2];
	uint8_t *slot;
	ssize_t len;
	int ret;

	if (reader->pending) {
		if (split_packet(dev, batch, parked, reader->buffer + TUN_VNET_HDR_LEN,
		                 reader->pending - TUN_VNET_HDR_LEN) == -ENOSPC)
			return 0;
		reader->pending = 0;
	}
	while (batch->count < WG_BATCH_SIZE) {
		slot = wg_batch_slot(batch, batch->count) + WG_PACKET_HEADROOM;
		iov[0] = (struct iovec){.iov_base = &hdr, .iov_len = sizeof(hdr)};
		iov[1] = (struct iovec){.iov_base = slot, .iov_len = WG_PACKET_MAX};
		len = readv(dev->tun_fd, iov, 2);
		if (len <= 0) {
			ret = read_error(len);
			return ret == -EAGAIN ? 0 : ret;
		}
		if ((size_t)len <= sizeof(hdr))
			continue;
		if (split_packet(dev, batch, &hdr, slot, (size_t)len - sizeof(hdr)) == -ENOSPC) {
			memcpy(parked, &hdr, sizeof(hdr));
			memcpy(reader->buffer + TUN_VNET_HDR_LEN, slot, (size_t)len - sizeof(hdr));
			reader->pending = (size_t)len;
			break;
		}
	}
	return 0;
}

static int read_batch(struct wg_device *dev, struct tun_reader *reader, struct wg_batch *batch)
{
	struct pollfd fds[2] = {{.fd = dev->tun_fd, .events = POLLIN},
	                        {.fd = dev->quit_fd, .events = POLLIN}};

	/* What is left of the last read needs no waiting. */
	if (!reader->pending && poll(fds, 2, -1) < 0 && errno != EINTR)
		return -errno;
	if (fds[1].revents)
		return -ECANCELED;
	return dev->vnet_hdr ? read_offloaded(dev, reader, batch) : read_plain(dev, batch);
}

void *wg_send_tun_thread(void *arg)
{
	struct wg_device *dev = arg;
	struct tun_reader reader = {0};
	struct wg_batch *batch;
	int ret = 0;

	if (dev->vnet_hdr) {
		reader.buffer = malloc(TUN_VNET_HDR_LEN + TUN_OFFLOAD_MAX);
		if (!reader.buffer) {
			wg_device_log(dev, WG_LOG_ERROR, "TUN reader: out of memory");
			return NULL;
		}
	}
	while (ret == 0) {
		batch = wg_ring_acquire(&dev->tx_ring);
		ret = read_batch(dev, &reader, batch);
		if (batch->count)
			route_batch(dev, (struct tx_batch *)batch);
		wg_pool_submit(&dev->pool, batch);
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
