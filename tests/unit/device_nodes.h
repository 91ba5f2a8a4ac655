/* SPDX-License-Identifier: MIT */
/*
 * device_nodes.h - whole engines for the device tests: TUN-less devices on 127.0.0.1, peered
 * with each other, and the way to put a packet through one and catch it at the other.
 * Each test program includes it once (the helpers are static inline).
 */
#ifndef KILO_TESTS_DEVICE_NODES_H
#define KILO_TESTS_DEVICE_NODES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wg/crypto.h"
#include "wg/device.h"
#include "wg/peer.h"
#include "wg/wg.h"

enum { WAIT_MS = 5000 };

struct node {
	struct wg_device *dev;
	uint8_t private_key[WG_KEY_LEN];
	uint8_t public_key[WG_KEY_LEN];
	uint16_t port;
	struct in_addr inner; /* 10.0.0.(i+1) */
};

static inline void log_to_stderr(void *ctx, enum wg_log_level level, const char *msg)
{
	fprintf(stderr, "[%s] %d %s\n", (const char *)ctx, level, msg);
}

static inline uint16_t bound_port(struct wg_device *dev)
{
	struct wg_snapshot snap;
	uint16_t port;

	assert_int_equal(wg_device_snapshot(dev, &snap), 0);
	port = snap.listen_port;
	wg_snapshot_free(&snap);
	return port;
}

/* Node i as node_init() makes it, logging every line, debug ones too, to log(ctx, ...). */
static inline void node_init_logged(struct node *n, unsigned int i, wg_log_fn log, void *ctx)
{
	struct wg_device_options opts = {
	    .tun_fd = -1, .log = log, .log_ctx = ctx, .log_level = WG_LOG_DEBUG};
	struct wg_config config = {.flags = WG_CONFIG_HAS_PRIVATE_KEY | WG_CONFIG_HAS_LISTEN_PORT};

	assert_int_equal(wg_device_create(&n->dev, &opts), 0);
	wg_keygen(n->private_key);
	assert_int_equal(wg_pubkey(n->public_key, n->private_key), 0);
	memcpy(config.private_key, n->private_key, WG_KEY_LEN);
	assert_int_equal(wg_device_configure(n->dev, &config), 0);
	assert_int_equal(wg_device_set_up(n->dev, true), 0);
	n->port = bound_port(n->dev);
	assert_int_not_equal(n->port, 0);
	n->inner.s_addr = htonl(0x0a000001 + i);
}

/* Node i: a TUN-less device up on a random port of 127.0.0.1, inner address 10.0.0.(i+1). */
static inline void node_init(struct node *n, unsigned int i)
{
	static const char *const names[] = {"a", "b", "c", "d", "e", "f", "g", "h"};

	node_init_logged(n, i, getenv("WG_TEST_LOG") ? log_to_stderr : NULL, (void *)names[i % 8]);
}

/* from learns about to: its key, its inner /32 and its 127.0.0.1 endpoint. */
static inline void add_peer(struct node *from, const struct node *to, uint32_t extra_flags)
{
	struct wg_allowed_ip_change ip = {.ip = {.family = AF_INET, .cidr = 32}};
	struct wg_peer_config pc = {
	    .flags = WG_PEER_HAS_ENDPOINT | extra_flags, .allowed_ips = &ip, .n_allowed_ips = 1};
	struct wg_config config = {.peers = &pc, .n_peers = 1};

	ip.ip.ip4 = to->inner;
	memcpy(pc.public_key, to->public_key, WG_KEY_LEN);
	pc.endpoint.in.sin_family = AF_INET;
	pc.endpoint.in.sin_port = htons(to->port);
	pc.endpoint.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(wg_device_configure(from->dev, &config), 0);
}

/* A minimal IPv4/UDP-shaped packet of len bytes from src to dst, payload tagged by seq. */
static inline size_t make_packet(uint8_t *buf, size_t len, struct in_addr src, struct in_addr dst,
                                 uint32_t seq)
{
	uint16_t tot_len = htons((uint16_t)len);

	memset(buf, 0, len);
	buf[0] = 0x45;
	memcpy(buf + 2, &tot_len, 2);
	buf[8] = 64;
	buf[9] = IPPROTO_UDP;
	memcpy(buf + 12, &src, 4);
	memcpy(buf + 16, &dst, 4);
	memcpy(buf + 28, &seq, sizeof(seq));
	return len;
}

static inline ssize_t receive_packet(int fd, uint8_t *buf, size_t cap, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	if (poll(&pfd, 1, timeout_ms) != 1)
		return -ETIMEDOUT;
	return read(fd, buf, cap);
}

/* Sends one packet from a to b through the tunnel and checks it arrives intact. */
static inline void send_and_expect(struct node *a, struct node *b, uint32_t seq)
{
	uint8_t out[100], in[2048];
	size_t len = make_packet(out, 61 + seq % 7, a->inner, b->inner, seq);
	ssize_t got;

	assert_int_equal(write(wg_device_packet_fd(a->dev), out, len), (ssize_t)len);
	got = receive_packet(wg_device_packet_fd(b->dev), in, sizeof(in), WAIT_MS);
	assert_int_equal(got, (ssize_t)len);
	assert_memory_equal(in, out, len);
}

static inline struct wg_peer *find_peer(struct node *n, const struct node *of)
{
	struct wg_peer *peer;

	pthread_rwlock_rdlock(&n->dev->lock);
	peer = wg_pubkey_lookup(&n->dev->pubkeys, of->public_key);
	pthread_rwlock_unlock(&n->dev->lock);
	return peer;
}

/* The local index of the session n uses to send to `of` (0 = none). */
static inline uint32_t current_index(struct node *n, const struct node *of)
{
	struct wg_peer *peer = find_peer(n, of);
	uint32_t index = 0;

	pthread_mutex_lock(&peer->lock);
	if (peer->keypairs.current)
		index = peer->keypairs.current->local_index;
	pthread_mutex_unlock(&peer->lock);
	return index;
}

static inline const struct wg_peer_snapshot *snapshot_peer(const struct wg_snapshot *snap,
                                                           const struct node *of)
{
	size_t i;

	for (i = 0; i < snap->n_peers; i++)
		if (!memcmp(snap->peers[i].public_key, of->public_key, WG_KEY_LEN))
			return &snap->peers[i];
	return NULL;
}

#endif
