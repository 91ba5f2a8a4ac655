// SPDX-License-Identifier: MIT
/*
 * test_handshake.c - the handshake thread of a whole engine: what it does with the messages it
 * was handed, and with the ones that are still waiting when the device goes down.
 *
 * Node B is the device under test. Its peers are either other nodes or bare keys whose
 * initiations the test builds itself with the engine's noise and cookie code and sends from a
 * socket of its own.
 */

#include <stdatomic.h>

#include "device_nodes.h"
#include "wg/cookie.h"
#include "wg/noise.h"

#define SEC 1000000000ULL

/* A peer that exists only as keys: the test speaks for it. */
struct key_peer {
	uint8_t private_key[WG_KEY_LEN];
	uint8_t public_key[WG_KEY_LEN];
};

static void key_peer_init(struct key_peer *p)
{
	wg_keygen(p->private_key);
	assert_int_equal(wg_pubkey(p->public_key, p->private_key), 0);
}

/* to learns about the key peer: its key and an endpoint on a port nobody listens on. */
static void add_key_peer(struct node *to, const struct key_peer *p, uint16_t port)
{
	struct wg_peer_config pc = {.flags = WG_PEER_HAS_ENDPOINT};
	struct wg_config config = {.peers = &pc, .n_peers = 1};

	memcpy(pc.public_key, p->public_key, WG_KEY_LEN);
	pc.endpoint.in.sin_family = AF_INET;
	pc.endpoint.in.sin_port = htons(port);
	pc.endpoint.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(wg_device_configure(to->dev, &config), 0);
}

/* A valid initiation from p to node `to`, macs and all. */
static void make_initiation(struct wg_msg_initiation *msg, const struct key_peer *p,
                            const struct node *to)
{
	struct wg_noise_static_identity id;
	struct wg_noise_handshake hs;
	struct wg_cookie_maker maker;

	wg_noise_static_identity_init(&id);
	assert_true(wg_noise_static_identity_set_private_key(&id, p->private_key));
	assert_int_equal(wg_noise_handshake_init(&hs, &id, to->public_key, NULL), 0);
	assert_int_equal(wg_noise_handshake_create_initiation(msg, &hs, 1, wg_device_wall()), 0);
	wg_cookie_maker_init(&maker, to->public_key);
	assert_int_equal(wg_cookie_add_macs(&maker, msg, sizeof(*msg), 0), 0);
	wg_memzero(&hs, sizeof(hs));
	wg_memzero(&id, sizeof(id));
}

/* A socket of our own on 127.0.0.1: its port is nobody's configured endpoint. */
static int own_socket(void)
{
	struct sockaddr_in me = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
	return fd;
}

static void send_to_node(int fd, const void *msg, size_t len, const struct node *to)
{
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(to->port)};

	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(sendto(fd, msg, len, 0, (struct sockaddr *)&dst, sizeof(dst)),
	                 (ssize_t)len);
}

static unsigned int handshakes_waiting(struct wg_device *dev)
{
	unsigned int count;

	pthread_mutex_lock(&dev->handshakes.lock);
	count = dev->handshakes.count;
	pthread_mutex_unlock(&dev->handshakes.lock);
	return count;
}

/* Holds a peer's lock for a while from a thread of its own, as a slow peer operation would. */
struct holder {
	struct wg_peer *peer;
	atomic_bool holding;
	pthread_t thread;
};

static void *hold_peer_lock(void *arg)
{
	struct holder *h = arg;

	pthread_mutex_lock(&h->peer->lock);
	atomic_store(&h->holding, true);
	usleep(300000);
	pthread_mutex_unlock(&h->peer->lock);
	return NULL;
}

static struct wg_peer *find_key_peer(struct node *n, const struct key_peer *p)
{
	struct wg_peer *peer;

	pthread_rwlock_rdlock(&n->dev->lock);
	peer = wg_pubkey_lookup(&n->dev->pubkeys, p->public_key);
	pthread_rwlock_unlock(&n->dev->lock);
	assert_non_null(peer);
	return peer;
}

static void assert_no_session(struct wg_peer *peer)
{
	pthread_mutex_lock(&peer->lock);
	assert_null(peer->keypairs.next);
	assert_null(peer->keypairs.current);
	assert_null(peer->keypairs.previous);
	assert_int_equal(peer->handshake.state, HANDSHAKE_ZEROED);
	pthread_mutex_unlock(&peer->lock);
}

static void test_handshakes_queued_before_down_never_run_after_it(void **state)
{
	struct wg_msg_initiation from_a, from_c;
	struct key_peer a, c;
	struct wg_peer *peer_a, *peer_c;
	union wg_endpoint endpoint_a;
	struct holder holder = {0};
	struct node b;
	int fd, waited;

	(void)state;
	node_init(&b, 1);
	key_peer_init(&a);
	key_peer_init(&c);
	add_key_peer(&b, &a, 9);
	add_key_peer(&b, &c, 9);
	peer_a = find_key_peer(&b, &a);
	peer_c = find_key_peer(&b, &c);
	endpoint_a = peer_a->endpoint;
	make_initiation(&from_a, &a, &b);
	make_initiation(&from_c, &c, &b);

	/* C's initiation keeps the handshake thread busy (C's lock is taken) while A's waits in
	 * the queue behind it. */
	holder.peer = peer_c;
	assert_int_equal(pthread_create(&holder.thread, NULL, hold_peer_lock, &holder), 0);
	while (!atomic_load(&holder.holding))
		usleep(1000);
	fd = own_socket();
	send_to_node(fd, &from_c, sizeof(from_c), &b);
	send_to_node(fd, &from_a, sizeof(from_a), &b);
	for (waited = 0; waited < WAIT_MS && handshakes_waiting(b.dev) != 1; waited++)
		usleep(1000);
	assert_int_equal(handshakes_waiting(b.dev), 1);

	assert_int_equal(wg_device_set_up(b.dev, false), 0);
	pthread_join(holder.thread, NULL);
	/* Whatever the handshake thread still had would run now. */
	usleep(200000);
	/* C's was being handled when the device went down: its session went down with it. A's
	 * was still waiting: it must not have roamed A nor given it a session. */
	assert_no_session(peer_c);
	assert_no_session(peer_a);
	pthread_mutex_lock(&peer_a->lock);
	assert_memory_equal(&peer_a->endpoint, &endpoint_a, sizeof(endpoint_a));
	pthread_mutex_unlock(&peer_a->lock);
	assert_int_equal(handshakes_waiting(b.dev), 0);
	close(fd);
	wg_device_destroy(b.dev);
}

/* n's session with `of`, in slot `slot` (0 next, 1 current, 2 previous); NULL if none. */
static const struct wg_noise_keypair *session(struct node *n, const struct node *of, int slot)
{
	struct wg_peer *peer = find_peer(n, of);
	const struct wg_noise_keypair *kp;

	pthread_mutex_lock(&peer->lock);
	kp = slot == 0   ? peer->keypairs.next
	     : slot == 1 ? peer->keypairs.current
	                 : peer->keypairs.previous;
	pthread_mutex_unlock(&peer->lock);
	return kp;
}

static void wait_for_session(struct node *n, const struct node *of,
                             const struct wg_noise_keypair *other_than)
{
	int waited;

	for (waited = 0; waited < WAIT_MS; waited += 10) {
		if (session(n, of, 1) && session(n, of, 1) != other_than)
			return;
		usleep(10000);
	}
	fail_msg("no new session");
}

/* A data message from `from` to `to` on from's keypair in `slot`, with its next nonce. */
static size_t seal_on(struct node *from, const struct node *to, int slot, uint8_t *out)
{
	struct wg_msg_data *msg = (struct wg_msg_data *)out;
	struct wg_peer *peer = find_peer(from, to);
	struct wg_noise_keypair *kp;
	uint64_t nonce;

	pthread_mutex_lock(&peer->lock);
	kp = slot == 1 ? peer->keypairs.current : peer->keypairs.previous;
	assert_non_null(kp);
	nonce = atomic_fetch_add(&kp->send_counter, 1);
	msg->header.type = htole32(MESSAGE_DATA);
	msg->receiver_index = htole32(kp->remote_index);
	msg->counter = htole64(nonce);
	wg_aead_seal(msg->encrypted_data, msg->encrypted_data, 0, NULL, 0, nonce, kp->send_key);
	pthread_mutex_unlock(&peer->lock);
	return message_data_len(0);
}

/* Whatever reaches our socket within timeout_ms: its length, or 0. */
static ssize_t received_within(int fd, int timeout_ms)
{
	uint8_t buf[2048];
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	if (poll(&pfd, 1, timeout_ms) != 1)
		return 0;
	return recv(fd, buf, sizeof(buf), 0);
}

static void wait_rx_bytes(struct wg_peer *peer, uint64_t bytes)
{
	int waited;

	for (waited = 0; waited < WAIT_MS && atomic_load(&peer->rx_bytes) < bytes; waited += 10)
		usleep(10000);
	assert_int_equal(atomic_load(&peer->rx_bytes), bytes);
}

/*
 * Keep-key-fresh on receive is about the session we send with: A initiated the first session,
 * B the second; a late packet on the first, old as it is, must not make A start a third.
 */
static void test_straggler_on_the_previous_session_starts_no_handshake(void **state)
{
	const struct wg_noise_keypair *first;
	struct node a, b;
	uint8_t msg[64];
	uint64_t rx;
	size_t len;
	int fd;

	(void)state;
	node_init(&a, 0);
	node_init(&b, 1);
	add_peer(&b, &a, 0);
	add_peer(&a, &b, 0);
	/* A greeting sends a keepalive only: no data, so no timer is left running. */
	add_peer(&a, &b, WG_PEER_HANDSHAKE_NOW);
	wait_for_session(&b, &a, NULL);
	first = session(&a, &b, 1);
	assert_true(first->i_am_initiator);
	/* B initiates the second session: it sent data and heard nothing back for 15 s. */
	send_and_expect(&b, &a, 1);
	wg_device_advance_clock(b.dev, (KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + 1) * SEC);
	wait_for_session(&a, &b, first);
	assert_false(session(&a, &b, 1)->i_am_initiator);
	assert_ptr_equal(session(&a, &b, 2), first);

	/* Past REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT, short of
	 * REJECT_AFTER_TIME. */
	wg_device_advance_clock(a.dev, (REJECT_AFTER_TIME - 10) * SEC);
	fd = own_socket();
	rx = atomic_load(&find_peer(&a, &b)->rx_bytes);
	len = seal_on(&b, &a, 2, msg);
	send_to_node(fd, msg, len, &a);
	wait_rx_bytes(find_peer(&a, &b), rx + len);
	/* The straggler moved A's endpoint for B to our socket: an initiation would come here. */
	assert_int_equal(received_within(fd, 500), 0);
	close(fd);
	wg_device_destroy(a.dev);
	wg_device_destroy(b.dev);
}

/* The threads a node's initiations were created on, as its log lines tell. */
struct initiation_log {
	pthread_mutex_t lock;
	unsigned int count;
	unsigned int elsewhere; /* on a thread other than the handshake thread */
	char thread[16];        /* the last of those */
};

static struct initiation_log initiations = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void log_initiations(void *ctx, enum wg_log_level level, const char *msg)
{
	static const char line[] = "sending handshake initiation";
	struct initiation_log *log = ctx;
	char name[16] = "";

	(void)level;
	if (strncmp(msg, line, sizeof(line) - 1))
		return;
	pthread_getname_np(pthread_self(), name, sizeof(name));
	pthread_mutex_lock(&log->lock);
	log->count++;
	if (strcmp(name, "wg-handshake")) {
		log->elsewhere++;
		memcpy(log->thread, name, sizeof(name));
	}
	pthread_mutex_unlock(&log->lock);
}

static void forget_initiations(struct initiation_log *log)
{
	pthread_mutex_lock(&log->lock);
	log->count = log->elsewhere = 0;
	pthread_mutex_unlock(&log->lock);
}

/* Waits for an initiation and checks that none was created but on the handshake thread. */
static void assert_initiations_on_the_handshake_thread(struct initiation_log *log)
{
	unsigned int count = 0, elsewhere = 0;
	char thread[16] = "";
	int waited;

	for (waited = 0; waited < WAIT_MS && !count; waited += 10) {
		usleep(10000);
		pthread_mutex_lock(&log->lock);
		count = log->count;
		elsewhere = log->elsewhere;
		memcpy(thread, log->thread, sizeof(thread));
		pthread_mutex_unlock(&log->lock);
	}
	assert_true(count > 0);
	if (elsewhere)
		fail_msg("%u of %u initiations created on %s", elsewhere, count, thread);
}

/* Keep-key-fresh on receive: the packet's finisher asks, the handshake thread does the DH. */
static void test_rekey_on_receive_initiates_from_the_handshake_thread(void **state)
{
	struct node a, b;

	(void)state;
	node_init_logged(&a, 0, log_initiations, &initiations);
	node_init(&b, 1);
	add_peer(&b, &a, 0);
	add_peer(&a, &b, WG_PEER_HANDSHAKE_NOW);
	wait_for_session(&b, &a, NULL);
	assert_true(session(&a, &b, 1)->i_am_initiator);
	wg_device_advance_clock(a.dev,
	                        (REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT + 1) * SEC);
	forget_initiations(&initiations);
	send_and_expect(&b, &a, 1);
	assert_initiations_on_the_handshake_thread(&initiations);
	wg_device_destroy(a.dev);
	wg_device_destroy(b.dev);
}

/* A packet for a peer without a session: the TUN batch's finisher asks, as above. */
static void test_packet_without_a_session_initiates_from_the_handshake_thread(void **state)
{
	struct node a, b;

	(void)state;
	node_init_logged(&a, 0, log_initiations, &initiations);
	node_init(&b, 1);
	add_peer(&b, &a, 0);
	add_peer(&a, &b, 0);
	forget_initiations(&initiations);
	send_and_expect(&a, &b, 1);
	assert_initiations_on_the_handshake_thread(&initiations);
	wg_device_destroy(a.dev);
	wg_device_destroy(b.dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_handshakes_queued_before_down_never_run_after_it),
	    cmocka_unit_test(test_straggler_on_the_previous_session_starts_no_handshake),
	    cmocka_unit_test(test_rekey_on_receive_initiates_from_the_handshake_thread),
	    cmocka_unit_test(test_packet_without_a_session_initiates_from_the_handshake_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
