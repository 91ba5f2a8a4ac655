// SPDX-License-Identifier: MIT
/*
 * test_dos.c - floods of unauthenticated datagrams against a device with a live session: each
 * kind must land in the device's counters (wg_device_stats()), cost no Diffie-Hellman unless its
 * mac1 is valid and the device is not under load, and leave the session exactly as it was.
 *
 * Node B is flooded; node A is its legitimate peer. The floods come from sockets of our own on
 * 127.0.0.1, built with the engine's own cookie code for their macs.
 */

#include <stdatomic.h>

#include "device_nodes.h"
#include "wg/cookie.h"

enum { FLOOD = 2048, NS_PER_SEC = 1000000000 };

static struct node nodes[2];
static struct node *const a = &nodes[0], *const b = &nodes[1];

/* B's view of its session with A: what no unauthenticated datagram may change. */
struct session_view {
	const struct wg_noise_keypair *slots[3];
	struct wg_replay replay;
	union wg_endpoint endpoint;
	struct timespec last_handshake;
	uint64_t rx_bytes;
};

static int setup(void **state)
{
	(void)state;
	node_init(a, 0);
	node_init(b, 1);
	add_peer(a, b, 0);
	add_peer(b, a, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	wg_device_destroy(a->dev);
	wg_device_destroy(b->dev);
	return 0;
}

/* Traffic both ways, ending with A's data to B, so that B owes A a keepalive in ten seconds
 * but A owes B nothing: no authentic packet reaches B while a test looks at its view. */
static void settle_session(void)
{
	send_and_expect(b, a, 1);
	send_and_expect(a, b, 2);
}

static void view_session(struct session_view *view)
{
	struct wg_peer *peer = find_peer(b, a);

	memset(view, 0, sizeof(*view));
	pthread_mutex_lock(&peer->lock);
	view->slots[0] = peer->keypairs.next;
	view->slots[1] = peer->keypairs.current;
	view->slots[2] = peer->keypairs.previous;
	assert_non_null(peer->keypairs.current);
	view->replay = peer->keypairs.current->replay;
	view->endpoint = peer->endpoint;
	view->last_handshake = peer->last_handshake;
	pthread_mutex_unlock(&peer->lock);
	view->rx_bytes = atomic_load(&peer->rx_bytes);
}

static void assert_session_unchanged(const struct session_view *before)
{
	struct session_view after;

	view_session(&after);
	assert_memory_equal(after.slots, before->slots, sizeof(after.slots));
	assert_memory_equal(&after.replay, &before->replay, sizeof(after.replay));
	assert_memory_equal(&after.endpoint, &before->endpoint, sizeof(after.endpoint));
	assert_memory_equal(&after.last_handshake, &before->last_handshake,
	                    sizeof(after.last_handshake));
	assert_int_equal(after.rx_bytes, before->rx_bytes);
}

/* Every datagram a flood sends lands in exactly one of these. */
static uint64_t accounted(const struct wg_device_stats *s)
{
	return s->handshake_dh + s->handshake_queue_full + s->handshake_bad_mac +
	       s->handshake_ratelimited + s->cookie_replies_sent + s->data_unknown_index +
	       s->data_unauthenticated + s->data_replayed;
}

/* Waits until B has accounted for n more datagrams than in `before`, and no more. */
static void wait_accounted(const struct wg_device_stats *before, uint64_t n,
                           struct wg_device_stats *after)
{
	int waited;

	for (waited = 0; waited < 2 * WAIT_MS; waited += 10) {
		wg_device_stats(b->dev, after);
		if (accounted(after) - accounted(before) >= n)
			break;
		usleep(10000);
	}
	assert_int_equal(accounted(after) - accounted(before), n);
}

/* A socket of our own on 127.0.0.1 to flood B from. */
static int flood_socket(void)
{
	struct sockaddr_in me = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
	return fd;
}

static void send_all(int fd, const void *msg, size_t len)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(b->port)};

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(sendto(fd, msg, len, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)len);
}

/* An initiation of garbage under a valid mac1 for B: only a Diffie-Hellman can tell. */
static void make_valid_mac1_initiation(struct wg_msg_initiation *msg, uint32_t sender)
{
	struct wg_cookie_maker maker;

	wg_cookie_maker_init(&maker, b->public_key);
	wg_random(msg, sizeof(*msg));
	msg->header.type = htole32(MESSAGE_HANDSHAKE_INITIATION);
	msg->sender_index = htole32(sender);
	assert_int_equal(wg_cookie_add_macs(&maker, msg, sizeof(*msg), 0), 0);
}

static void test_invalid_mac1_flood_costs_no_dh_and_changes_nothing(void **state)
{
	struct wg_device_stats before, after;
	struct session_view view;
	uint8_t msg[MESSAGE_INITIATION_LEN];
	unsigned int i;
	int fd = flood_socket();

	(void)state;
	settle_session();
	view_session(&view);
	wg_device_stats(b->dev, &before);
	for (i = 0; i < FLOOD; i++) {
		wg_random(msg, sizeof(msg));
		/* Initiations and responses alike: both are checked by mac1 first. */
		msg[0] = i % 2 ? MESSAGE_HANDSHAKE_INITIATION : MESSAGE_HANDSHAKE_RESPONSE;
		msg[1] = msg[2] = msg[3] = 0;
		send_all(fd, msg, i % 2 ? MESSAGE_INITIATION_LEN : MESSAGE_RESPONSE_LEN);
	}
	wait_accounted(&before, FLOOD, &after);
	close(fd);
	assert_int_equal(after.handshake_dh, before.handshake_dh);
	assert_int_equal(after.cookie_replies_sent, before.cookie_replies_sent);
	assert_int_equal(after.handshake_bad_mac + after.handshake_queue_full,
	                 before.handshake_bad_mac + before.handshake_queue_full + FLOOD);
	assert_session_unchanged(&view);
	settle_session();
}

static void test_data_for_unknown_indices_costs_nothing(void **state)
{
	struct wg_device_stats before, after;
	struct session_view view;
	uint8_t msg[MESSAGE_MINIMUM_LENGTH + 64];
	struct wg_msg_data *hdr = (struct wg_msg_data *)msg;
	struct wg_peer *peer;
	unsigned int i;
	int fd = flood_socket();

	(void)state;
	settle_session();
	view_session(&view);
	wg_device_stats(b->dev, &before);
	for (i = 0; i < FLOOD; i++) {
		do
			wg_random(msg, sizeof(msg));
		while (wg_index_lookup(&b->dev->index, le32toh(hdr->receiver_index),
		                       WG_INDEX_KEYPAIR | WG_INDEX_HANDSHAKE, NULL, &peer));
		hdr->header.type = htole32(MESSAGE_DATA);
		send_all(fd, msg, sizeof(msg));
	}
	wait_accounted(&before, FLOOD, &after);
	close(fd);
	assert_int_equal(after.data_unknown_index, before.data_unknown_index + FLOOD);
	assert_int_equal(after.handshake_dh, before.handshake_dh);
	assert_session_unchanged(&view);
	settle_session();
}

/* Points A's endpoint for B at port (of 127.0.0.1). */
static void set_endpoint_of_b(uint16_t port)
{
	struct wg_peer_config pc = {.flags = WG_PEER_UPDATE_ONLY | WG_PEER_HAS_ENDPOINT};
	struct wg_config config = {.peers = &pc, .n_peers = 1};

	memcpy(pc.public_key, b->public_key, WG_KEY_LEN);
	pc.endpoint.in.sin_family = AF_INET;
	pc.endpoint.in.sin_port = htons(port);
	pc.endpoint.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(wg_device_configure(a->dev, &config), 0);
}

/*
 * A real data packet from A to B, caught on its way by fd, a flood socket standing in for B,
 * then handed to B once, so that B has seen its counter. Returns its length.
 */
static size_t capture_data(int fd, uint8_t *buf, size_t cap)
{
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	uint8_t packet[64], in[2048];
	ssize_t got;

	assert_int_equal(getsockname(fd, (struct sockaddr *)&me, &len), 0);
	set_endpoint_of_b(ntohs(me.sin_port));
	make_packet(packet, sizeof(packet), a->inner, b->inner, 77);
	assert_int_equal(write(wg_device_packet_fd(a->dev), packet, sizeof(packet)),
	                 (ssize_t)sizeof(packet));
	got = receive_packet(fd, buf, cap, WAIT_MS);
	assert_int_equal(wg_msg_classify(buf, (size_t)got), MESSAGE_DATA);
	set_endpoint_of_b(b->port);
	send_all(fd, buf, (size_t)got);
	assert_int_equal(receive_packet(wg_device_packet_fd(b->dev), in, sizeof(in), WAIT_MS),
	                 (ssize_t)sizeof(packet));
	/* That roamed B's endpoint to fd; authentic traffic from A brings it back. */
	send_and_expect(a, b, 78);
	return (size_t)got;
}

/* Nothing may come out of B's tunnel for a while. */
static void assert_nothing_delivered(void)
{
	uint8_t in[2048];

	assert_int_equal(receive_packet(wg_device_packet_fd(b->dev), in, sizeof(in), 200),
	                 -ETIMEDOUT);
}

static void test_replayed_data_changes_nothing(void **state)
{
	struct wg_device_stats before, after;
	struct session_view view;
	uint8_t data[256];
	unsigned int i;
	int fd = flood_socket();
	size_t len;

	(void)state;
	len = capture_data(fd, data, sizeof(data));
	settle_session();
	view_session(&view);
	wg_device_stats(b->dev, &before);
	for (i = 0; i < FLOOD; i++)
		send_all(fd, data, len);
	wait_accounted(&before, FLOOD, &after);
	close(fd);
	assert_int_equal(after.data_replayed, before.data_replayed + FLOOD);
	assert_int_equal(after.handshake_dh, before.handshake_dh);
	assert_nothing_delivered();
	/* Above all the endpoint: a replay from elsewhere must not steal the session's traffic. */
	assert_session_unchanged(&view);
	settle_session();
}

static void test_forged_data_cannot_move_the_replay_window(void **state)
{
	struct wg_device_stats before, after;
	struct wg_msg_data *hdr;
	struct session_view view;
	uint8_t data[256];
	unsigned int i;
	int fd = flood_socket();
	size_t len;

	(void)state;
	len = capture_data(fd, data, sizeof(data));
	settle_session();
	view_session(&view);
	wg_device_stats(b->dev, &before);
	hdr = (struct wg_msg_data *)data;
	for (i = 0; i < FLOOD; i++) {
		/* Counters far ahead would wipe the window if they were ever recorded. */
		hdr->counter = htole64(view.replay.counter + COUNTER_WINDOW_SIZE * (i + 1));
		send_all(fd, data, len);
	}
	wait_accounted(&before, FLOOD, &after);
	close(fd);
	assert_int_equal(after.data_unauthenticated, before.data_unauthenticated + FLOOD);
	assert_int_equal(after.handshake_dh, before.handshake_dh);
	assert_nothing_delivered();
	assert_session_unchanged(&view);
	settle_session();
}

/* Floods B with n valid-mac1 initiations whose sender indices are first..first+n-1. */
static void flood_valid_mac1(int fd, uint32_t first, unsigned int n)
{
	struct wg_msg_initiation msg;
	unsigned int i;

	for (i = 0; i < n; i++) {
		make_valid_mac1_initiation(&msg, first + i);
		send_all(fd, &msg, sizeof(msg));
	}
}

/* Cookie replies that came back to fd, each for one of the n initiations flood_valid_mac1()
 * sent from first on; fails on any other datagram. */
static unsigned int cookie_replies(int fd, uint32_t first, unsigned int n)
{
	struct wg_msg_cookie_reply reply;
	unsigned int count = 0;
	ssize_t got;

	while ((got = receive_packet(fd, (uint8_t *)&reply, sizeof(reply), 200)) > 0) {
		assert_int_equal(wg_msg_classify(&reply, (size_t)got), MESSAGE_HANDSHAKE_COOKIE);
		assert_true(le32toh(reply.receiver_index) - first < n);
		count++;
	}
	return count;
}

static void test_valid_mac1_flood_is_answered_with_cookies_not_dh(void **state)
{
	enum { FIRST_WAVE = 4 * MAX_QUEUED_INCOMING_HANDSHAKES, SECOND = 1U << 20 };
	struct wg_device_stats before, after;
	struct session_view view;
	int fd1 = flood_socket(), fd2 = flood_socket();

	(void)state;
	settle_session();
	view_session(&view);
	/* The first wave costs Diffie-Hellmans until the backlog puts B under load. */
	wg_device_stats(b->dev, &before);
	flood_valid_mac1(fd1, 0, FIRST_WAVE);
	wait_accounted(&before, FIRST_WAVE, &after);
	assert_true(after.under_load);
	assert_true(after.cookie_replies_sent > before.cookie_replies_sent);

	/* Within the second it stays under load, the next wave costs none at all. */
	before = after;
	flood_valid_mac1(fd2, SECOND, FLOOD);
	wait_accounted(&before, FLOOD, &after);
	assert_int_equal(after.handshake_dh, before.handshake_dh);
	assert_int_equal(after.cookie_replies_sent + after.handshake_queue_full,
	                 before.cookie_replies_sent + before.handshake_queue_full + FLOOD);
	assert_true(cookie_replies(fd1, 0, FIRST_WAVE) > 0);
	assert_true(cookie_replies(fd2, SECOND, FLOOD) > 0);
	close(fd1);
	close(fd2);
	assert_session_unchanged(&view);
	settle_session();
}

/* One wave, made by the test's thread: cmocka's checks must not run on the flooder's. */
struct flooder {
	int fd;
	struct sockaddr_in to;
	struct wg_msg_initiation wave[MAX_QUEUED_INCOMING_HANDSHAKES / 2];
	atomic_bool stop;
};

/* Keeps B under load: a wave past the under-load backlog every tenth of a second, with
 * room between the waves for a legitimate initiation to find the queue open. */
static void *keep_under_load(void *arg)
{
	struct flooder *f = arg;
	size_t i;

	while (!atomic_load(&f->stop)) {
		for (i = 0; i < sizeof(f->wave) / sizeof(f->wave[0]); i++)
			sendto(f->fd, &f->wave[i], sizeof(f->wave[i]), 0,
			       (const struct sockaddr *)&f->to, sizeof(f->to));
		usleep(100000);
	}
	return NULL;
}

static struct flooder *flooder_new(void)
{
	struct flooder *f = calloc(1, sizeof(*f));
	uint32_t i;

	assert_non_null(f);
	f->fd = flood_socket();
	f->to = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(b->port)};
	f->to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < sizeof(f->wave) / sizeof(f->wave[0]); i++)
		make_valid_mac1_initiation(&f->wave[i], i);
	atomic_init(&f->stop, false);
	return f;
}

/* Forgets A's session with B, so that A's next packet starts a new handshake. */
static void restart_peer_b(void)
{
	struct wg_peer_config pc = {.flags = WG_PEER_REMOVE};
	struct wg_config config = {.peers = &pc, .n_peers = 1};

	memcpy(pc.public_key, b->public_key, WG_KEY_LEN);
	assert_int_equal(wg_device_configure(a->dev, &config), 0);
	add_peer(a, b, 0);
}

/* A's packet sits staged behind the handshake; it reaches B once the handshake is done. A
 * retries REKEY_TIMEOUT after each try, so its clock is moved on to the next retry. */
static bool handshake_under_load(const uint8_t *packet, size_t len)
{
	struct wg_device_stats a_before, a_now;
	uint8_t in[2048];
	int tries;

	wg_device_stats(a->dev, &a_before);
	assert_int_equal(write(wg_device_packet_fd(a->dev), packet, len), (ssize_t)len);
	for (tries = 0; tries < 10; tries++) {
		if (receive_packet(wg_device_packet_fd(b->dev), in, sizeof(in), 500) ==
		    (ssize_t)len)
			break;
		wg_device_advance_clock(a->dev, (REKEY_TIMEOUT + 1) * (uint64_t)NS_PER_SEC);
	}
	wg_device_stats(a->dev, &a_now);
	/* A came through because it honoured B's cookie, not because B had calmed down. */
	assert_true(a_now.cookie_replies_taken > a_before.cookie_replies_taken);
	return tries < 10 && !memcmp(in, packet, len);
}

static void test_peer_honouring_the_cookie_completes_a_handshake_under_load(void **state)
{
	struct flooder *f = flooder_new();
	struct wg_device_stats stats;
	uint8_t packet[64];
	uint32_t old_index;
	pthread_t thread;
	int waited;

	(void)state;
	settle_session();
	old_index = current_index(b, a);
	assert_int_equal(pthread_create(&thread, NULL, keep_under_load, f), 0);
	for (waited = 0; waited < WAIT_MS; waited += 10) {
		wg_device_stats(b->dev, &stats);
		if (stats.under_load)
			break;
		usleep(10000);
	}
	assert_true(stats.under_load);
	restart_peer_b();
	make_packet(packet, sizeof(packet), a->inner, b->inner, 4242);
	assert_true(handshake_under_load(packet, sizeof(packet)));
	wg_device_stats(b->dev, &stats);
	assert_true(stats.under_load);
	atomic_store(&f->stop, true);
	pthread_join(thread, NULL);
	close(f->fd);
	free(f);
	send_and_expect(b, a, 3);
	assert_int_not_equal(current_index(b, a), old_index);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_invalid_mac1_flood_costs_no_dh_and_changes_nothing),
	    cmocka_unit_test(test_data_for_unknown_indices_costs_nothing),
	    cmocka_unit_test(test_replayed_data_changes_nothing),
	    cmocka_unit_test(test_forged_data_cannot_move_the_replay_window),
	    cmocka_unit_test(test_valid_mac1_flood_is_answered_with_cookies_not_dh),
	    cmocka_unit_test(test_peer_honouring_the_cookie_completes_a_handshake_under_load),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
