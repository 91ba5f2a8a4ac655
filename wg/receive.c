// SPDX-License-Identifier: MIT
/*
 * receive.c - the receive path for transport data, and the UDP receiver thread.
 *
 * Datagrams are classified by exact type and length; handshake messages go to the handshake
 * queue, data is opened in place with the keypair its receiver index names. Only an
 * authenticated packet may move the replay window, confirm a session, roam the endpoint or touch
 * the timers; only an honest inner packet from one of the peer's allowed IPs reaches the TUN.
 */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "wg/device.h"
#include "wg/packet.h"
#include "wg/peer.h"

struct rx_state {
	struct wg_batch batch;
};

/* The bookkeeping of an authenticated data packet (keepalive or not). */
static void data_authenticated(struct wg_peer *peer, struct wg_keypair *kp,
			       const struct wg_udp_msg *msg, bool is_keepalive, uint64_t now)
{
	struct wg_noise_released released = { 0 };
	bool confirmed, rekey;

	pthread_mutex_lock(&peer->lock);
	confirmed = wg_noise_keypairs_received_with(&peer->keypairs, &kp->noise, &released);
	if (confirmed)
		wg_peer_handshake_complete(peer);
	wg_peer_set_endpoint(peer, &msg->addr);
	wg_timers_any_authenticated_packet_received(&peer->timers);
	wg_timers_any_authenticated_packet_traversal(&peer->timers, now);
	if (!is_keepalive)
		wg_timers_data_received(&peer->timers, now);
	rekey = wg_timers_rekey_on_receive(&peer->timers, kp->noise.i_am_initiator, kp->noise.birth,
					   now);
	wg_peer_timers_changed(peer);
	pthread_mutex_unlock(&peer->lock);
	wg_peer_release_keypairs(peer, &released);
	atomic_fetch_add_explicit(&peer->rx_bytes, msg->len, memory_order_relaxed);
	/* The responder may send with a session only once it is confirmed. */
	if (confirmed)
		wg_send_staged(peer);
	if (rekey)
		wg_send_initiation(peer, false);
}

static void deliver(struct wg_device *dev, struct wg_peer *peer, const uint8_t *plain,
		    size_t len)
{
	size_t ip_len = wg_packet_ip_len(plain, len);
	const uint8_t *src;
	int family;

	if (!ip_len) {
		wg_device_log(dev, WG_LOG_DEBUG, "dropping a packet with a dishonest IP header");
		return;
	}
	family = wg_packet_addr(plain, ip_len, true, &src);
	if (wg_allowedips_lookup(dev->allowedips, family, src) != peer) {
		wg_device_log(dev, WG_LOG_DEBUG, "dropping a packet from a disallowed source");
		return;
	}
	wg_device_deliver(dev, plain, ip_len);
}

static void receive_data(struct wg_device *dev, const struct wg_udp_msg *msg, uint64_t now)
{
	const struct wg_msg_data *hdr = (const struct wg_msg_data *)msg->data;
	uint8_t *plain = msg->data + MESSAGE_DATA_HEADER_LEN;
	size_t plain_len = msg->len - MESSAGE_MINIMUM_LENGTH;
	uint64_t counter = le64toh(hdr->counter);
	struct wg_index_entry *entry;
	struct wg_keypair *kp;
	struct wg_peer *peer;

	entry = wg_index_lookup(&dev->index, le32toh(hdr->receiver_index), WG_INDEX_KEYPAIR,
				wg_keypair_get_entry, &peer);
	if (!entry)
		return;
	kp = (struct wg_keypair *)((uint8_t *)entry - offsetof(struct wg_keypair, entry));
	if (wg_timers_key_expired(kp->noise.birth, now) ||
	    wg_aead_open(plain, plain, msg->len - MESSAGE_DATA_HEADER_LEN, NULL, 0, counter,
			 kp->noise.recv_key) < 0)
		goto out;
	/* Only now: a forged counter must not move the window. */
	if (!wg_replay_check(&kp->noise.replay, counter))
		goto out;
	data_authenticated(peer, kp, msg, plain_len == 0, now);
	if (plain_len)
		deliver(dev, peer, plain, plain_len);
out:
	wg_keypair_put(kp);
}

static void queue_handshake(struct wg_device *dev, const struct wg_udp_msg *msg)
{
	unsigned int backlog;

	if (!wg_handshake_queue_push(&dev->handshakes, msg->data, msg->len, &msg->addr, &backlog))
		wg_device_log(dev, WG_LOG_DEBUG, "handshake queue full, dropping a handshake");
}

static void receive_batch(struct wg_device *dev, struct rx_state *rx, unsigned int n)
{
	uint64_t now = wg_device_now(dev);
	struct wg_udp_msg *msg;
	unsigned int i;

	pthread_rwlock_rdlock(&dev->lock);
	for (i = 0; i < n; i++) {
		msg = &rx->batch.msgs[i];
		switch (wg_msg_classify(msg->data, msg->len)) {
		case MESSAGE_DATA:
			receive_data(dev, msg, now);
			break;
		case MESSAGE_HANDSHAKE_INITIATION:
		case MESSAGE_HANDSHAKE_RESPONSE:
		case MESSAGE_HANDSHAKE_COOKIE:
			queue_handshake(dev, msg);
			break;
		default:
			break;
		}
	}
	pthread_rwlock_unlock(&dev->lock);
}

static void drain(struct wg_device *dev, struct rx_state *rx, int fd)
{
	unsigned int errors = 0;
	int n;

	/* ICMP errors surface as one-off ECONNREFUSED and the like; a few in a row end the turn. */
	for (;;) {
		n = wg_udp_recv(fd, rx->batch.msgs, WG_BATCH_SIZE);
		if (n > 0)
			receive_batch(dev, rx, (unsigned int)n);
		else if (n == 0 || ++errors > 8)
			break;
	}
}

void *wg_receive_udp_thread(void *arg)
{
	struct wg_device *dev = arg;
	struct pollfd fds[3] = { { .fd = dev->rx_stop_fd, .events = POLLIN },
				 { .fd = dev->udp.fd4, .events = POLLIN },
				 { .fd = dev->udp.fd6, .events = POLLIN } };
	struct rx_state *rx = calloc(1, sizeof(*rx));
	unsigned int i;

	if (!rx || wg_batch_init(&rx->batch) < 0) {
		wg_device_log(dev, WG_LOG_ERROR, "UDP receiver: out of memory");
		goto out;
	}
	for (i = 0; i < WG_BATCH_SIZE; i++) {
		rx->batch.msgs[i].data = wg_batch_slot(&rx->batch, i);
		rx->batch.msgs[i].cap = WG_PACKET_SLOT;
	}
	for (;;) {
		if (poll(fds, 3, -1) < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			break;
		for (i = 1; i < 3; i++)
			if (fds[i].revents)
				drain(dev, rx, fds[i].fd);
	}
out:
	if (rx)
		wg_batch_free(&rx->batch);
	free(rx);
	return NULL;
}
