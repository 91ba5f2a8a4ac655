// SPDX-License-Identifier: MIT
/*
 * handshake.c - the handshake thread: initiations, responses and cookie replies.
 *
 * MAC1 is checked before anything costs a Diffie-Hellman. When handshakes pile up (a backlog of
 * an eighth of the queue, and for a second after) the device is under load: a message must also
 * carry a valid MAC2 cookie for its source address and pass the per-source rate limiter, and a
 * message without one is answered with a cookie reply instead.
 *
 * The thread also creates every initiation the device sends, as other threads ask for them
 * (wg_send_queued_initiation()): their Diffie-Hellmans never hold up the data path.
 */

#include <errno.h>
#include <stddef.h>

#include "wg/device.h"
#include "wg/peer.h"

enum { UNDER_LOAD_NS = 1000000000ULL, UNDER_LOAD_BACKLOG = MAX_QUEUED_INCOMING_HANDSHAKES / 8 };

bool wg_handshake_under_load(struct wg_device *dev, uint64_t now)
{
	uint64_t last = atomic_load(&dev->last_under_load);

	return last && now - last < UNDER_LOAD_NS;
}

static bool under_load(struct wg_device *dev, unsigned int backlog, uint64_t now)
{
	if (backlog < UNDER_LOAD_BACKLOG)
		return wg_handshake_under_load(dev, now);
	atomic_store(&dev->last_under_load, now);
	return true;
}

/* Peer lock held, initiation accepted: answer it and derive the session. */
static int respond(struct wg_peer *peer, struct wg_msg_response *response, uint64_t now)
{
	struct wg_device *dev = peer->device;
	uint32_t index = wg_index_insert(&dev->index, &peer->handshake_entry);
	int ret;

	ret = wg_noise_handshake_create_response(response, &peer->handshake, index);
	if (ret < 0)
		goto err;
	wg_cookie_add_macs(&peer->cookie_maker, response, sizeof(*response), now);
	wg_timers_any_authenticated_packet_traversal(&peer->timers, now);
	ret = wg_peer_begin_session(peer, now);
	if (ret < 0)
		goto err;
	wg_timers_any_authenticated_packet_sent(&peer->timers);
	wg_timers_handshake_response_sent(&peer->timers, now);
	return 0;
err:
	wg_index_remove(&dev->index, &peer->handshake_entry);
	return ret;
}

/* The sender's handshake accepts the initiation, and the session it answers with is derived,
 * under the sender's lock; the response goes out after it. */
static void answer_initiation(struct wg_peer *peer, const struct wg_noise_initiation *in,
                              const struct wg_handshake_job *job, uint64_t now)
{
	const struct wg_msg_initiation *msg = (const struct wg_msg_initiation *)job->msg;
	struct wg_device *dev = peer->device;
	struct wg_msg_response response;
	union wg_endpoint endpoint;
	bool accepted;
	int ret;

	pthread_mutex_lock(&peer->lock);
	ret = wg_noise_handshake_accept_initiation(&peer->handshake, in, msg, now);
	accepted = ret == 0;
	if (accepted) {
		wg_peer_set_endpoint(peer, &job->src);
		wg_timers_any_authenticated_packet_received(&peer->timers);
		wg_timers_any_authenticated_packet_traversal(&peer->timers, now);
		ret = respond(peer, &response, now);
		wg_peer_timers_changed(peer);
		endpoint = peer->endpoint;
	}
	pthread_mutex_unlock(&peer->lock);
	if (!accepted) {
		wg_device_log(dev, WG_LOG_DEBUG, "invalid handshake initiation: %d", ret);
		return;
	}
	atomic_fetch_add_explicit(&peer->rx_bytes, job->len, memory_order_relaxed);
	if (ret < 0) {
		wg_device_log(dev, WG_LOG_DEBUG, "cannot answer a handshake initiation: %d", ret);
		return;
	}
	wg_device_log(dev, WG_LOG_DEBUG, "received handshake initiation, sending response");
	wg_send_handshake(peer, &response, sizeof(response), &endpoint);
}

/* Our static key opens the initiation far enough to name its sender; only then is a peer and
 * its lock involved. */
static void receive_initiation(struct wg_device *dev, const struct wg_handshake_job *job,
                               uint64_t now)
{
	struct wg_noise_initiation in;
	struct wg_peer *peer = NULL;
	int ret;

	wg_device_count(dev, handshake_dh);
	ret = wg_noise_initiation_open(&in, (const struct wg_msg_initiation *)job->msg,
	                               &dev->identity);
	if (ret == 0)
		peer = wg_pubkey_lookup(&dev->pubkeys, in.remote_static);
	if (peer)
		answer_initiation(peer, &in, job, now);
	else
		wg_device_log(dev, WG_LOG_DEBUG, "initiation from an unknown peer: %d",
		              ret ? ret : -ENOENT);
	wg_memzero(&in, sizeof(in));
}

static void receive_response(struct wg_device *dev, const struct wg_handshake_job *job,
                             uint64_t now)
{
	const struct wg_msg_response *msg = (const struct wg_msg_response *)job->msg;
	struct wg_peer *peer;
	int ret;

	if (!wg_index_lookup(&dev->index, le32toh(msg->receiver_index), WG_INDEX_HANDSHAKE, NULL,
	                     &peer))
		return;
	wg_device_count(dev, handshake_dh);
	pthread_mutex_lock(&peer->lock);
	ret = wg_noise_handshake_consume_response(msg, &peer->handshake);
	if (ret == 0)
		ret = wg_peer_begin_session(peer, now);
	if (ret == 0) {
		wg_peer_set_endpoint(peer, &job->src);
		wg_timers_any_authenticated_packet_received(&peer->timers);
		wg_timers_any_authenticated_packet_traversal(&peer->timers, now);
		wg_peer_handshake_complete(peer);
		wg_peer_timers_changed(peer);
	}
	pthread_mutex_unlock(&peer->lock);
	if (ret < 0) {
		wg_device_log(dev, WG_LOG_DEBUG, "invalid handshake response: %d", ret);
		return;
	}
	wg_device_log(dev, WG_LOG_DEBUG, "received handshake response, session established");
	atomic_fetch_add_explicit(&peer->rx_bytes, job->len, memory_order_relaxed);
	/* Confirm the session at once: with what is staged, else with a keepalive. */
	wg_send_keepalive(peer);
}

/* Cookie replies prove nothing about their source, so they never move the endpoint. */
static void receive_cookie_reply(struct wg_device *dev, const struct wg_handshake_job *job,
                                 uint64_t now)
{
	const struct wg_msg_cookie_reply *msg = (const struct wg_msg_cookie_reply *)job->msg;
	struct wg_peer *peer;
	int ret;

	if (!wg_index_lookup(&dev->index, le32toh(msg->receiver_index),
	                     WG_INDEX_HANDSHAKE | WG_INDEX_KEYPAIR, NULL, &peer))
		return;
	pthread_mutex_lock(&peer->lock);
	ret = wg_cookie_consume_reply(&peer->cookie_maker, msg, now);
	pthread_mutex_unlock(&peer->lock);
	if (ret < 0) {
		wg_device_log(dev, WG_LOG_DEBUG, "invalid cookie reply: %d", ret);
		return;
	}
	wg_device_count(dev, cookie_replies_taken);
}

static void send_cookie_reply(struct wg_device *dev, const struct wg_handshake_job *job,
                              uint64_t now)
{
	const struct wg_msg_initiation *msg = (const struct wg_msg_initiation *)job->msg;
	struct wg_msg_cookie_reply reply;
	struct wg_udp_msg out = {.data = (uint8_t *)&reply, .len = sizeof(reply), .addr = job->src};

	/* Initiations and responses both carry their sender index right after the type. */
	if (wg_cookie_create_reply(&dev->cookie_checker, &reply, job->msg, job->len,
	                           le32toh(msg->sender_index), &job->src.sa, now) == 0 &&
	    wg_device_send(dev, &out, 1) == 1)
		wg_device_count(dev, cookie_replies_sent);
}

static void process(struct wg_device *dev, const struct wg_handshake_job *job, unsigned int backlog)
{
	uint64_t now = wg_device_now(dev);
	enum wg_msg_type type = wg_msg_classify(job->msg, job->len);
	enum wg_cookie_mac_state mac;
	bool load;

	if (type == MESSAGE_HANDSHAKE_COOKIE) {
		receive_cookie_reply(dev, job, now);
		return;
	}
	load = under_load(dev, backlog, now);
	mac = wg_cookie_validate(&dev->cookie_checker, job->msg, job->len, &job->src.sa, load,
	                         dev->ratelimiter, now);
	if (mac == COOKIE_INVALID_MAC) {
		wg_device_count(dev, handshake_bad_mac);
		return;
	}
	if (load && mac == COOKIE_VALID_MAC_BUT_NO_COOKIE) {
		send_cookie_reply(dev, job, now);
		return;
	}
	if (load && mac != COOKIE_VALID_MAC_WITH_COOKIE) {
		wg_device_count(dev, handshake_ratelimited);
		return;
	}
	if (type == MESSAGE_HANDSHAKE_INITIATION)
		receive_initiation(dev, job, now);
	else
		receive_response(dev, job, now);
}

static struct wg_peer *peer_of(struct wg_handshake_request *initiation)
{
	return (struct wg_peer *)((uint8_t *)initiation - offsetof(struct wg_peer, initiation));
}

/* Requests are initiations that peers want sent; each holds a reference to its peer. */
void *wg_handshake_thread(void *arg)
{
	struct wg_device *dev = arg;
	struct wg_handshake_request *request;
	struct wg_handshake_job job;
	unsigned int backlog;

	while (wg_handshake_queue_pop(&dev->handshakes, &job, &backlog, &request)) {
		pthread_rwlock_rdlock(&dev->lock);
		if (request)
			wg_send_initiation(peer_of(request));
		else
			process(dev, &job, backlog);
		pthread_rwlock_unlock(&dev->lock);
		if (request)
			wg_peer_put(peer_of(request));
	}
	return NULL;
}
