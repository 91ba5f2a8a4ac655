// SPDX-License-Identifier: MIT
/*
 * test_noise.c - WireGuard's handshake and keypair rules between two in-memory endpoints with
 * a fixed clock (the known answers are in test_noise_vectors.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "noise_endpoint.h"
#include "wg/noise.h"

#define SEC UINT64_C(1000000000)
#define MSEC UINT64_C(1000000)
/* Some wall-clock instant for TAI64N stamps; the monotonic clock starts at 1 s. */
#define WALL (UINT64_C(1764090000) * SEC)

static void endpoint_init(struct endpoint *e, uint32_t first_index)
{
	uint8_t private_key[NOISE_PUBLIC_KEY_LEN];

	memset(e, 0, sizeof(*e));
	wg_noise_static_identity_init(&e->id);
	wg_keygen(private_key);
	assert_true(wg_noise_static_identity_set_private_key(&e->id, private_key));
	e->next_index = first_index;
}

static void pair(struct endpoint *a, struct endpoint *b, const uint8_t *psk)
{
	endpoint_init(a, 0x1000);
	endpoint_init(b, 0x2000);
	assert_int_equal(wg_noise_handshake_init(&a->hs, &a->id, b->id.static_public, psk), 0);
	assert_int_equal(wg_noise_handshake_init(&b->hs, &b->id, a->id.static_public, psk), 0);
}

/* Fixture: *state is a pair of endpoints a = [0] and b = [1], without a psk. */
static int setup_pair(void **state)
{
	struct endpoint *e = calloc(2, sizeof(*e));

	if (!e)
		return -1;
	pair(&e[0], &e[1], NULL);
	*state = e;
	return 0;
}

static int teardown_pair(void **state)
{
	struct endpoint *e = *state;

	endpoint_destroy(&e[0]);
	endpoint_destroy(&e[1]);
	free(e);
	return 0;
}

static int send_initiation(struct endpoint *from, struct wg_msg_initiation *msg, uint64_t wall)
{
	return wg_noise_handshake_create_initiation(msg, &from->hs, from->next_index++, wall);
}

/* A whole handshake; returns the first error, with the clock at `now`. */
static int handshake(struct endpoint *initiator, struct endpoint *responder, uint64_t now)
{
	struct wg_msg_initiation init;
	struct wg_msg_response resp;
	int ret;

	ret = send_initiation(initiator, &init, WALL + now);
	if (!ret)
		ret = receive_initiation(responder, &init, now);
	if (!ret)
		ret = wg_noise_handshake_create_response(&resp, &responder->hs,
		                                         responder->next_index++);
	if (!ret)
		ret = wg_noise_handshake_consume_response(&resp, &initiator->hs);
	if (ret)
		return ret;
	begin_session(responder, now);
	begin_session(initiator, now);
	return 0;
}

static struct wg_noise_keypair *find_keypair(struct endpoint *e, uint32_t index)
{
	struct wg_noise_keypair *slots[] = {e->keypairs.next, e->keypairs.current,
	                                    e->keypairs.previous};
	size_t i;

	for (i = 0; i < 3; ++i) {
		if (slots[i] && slots[i]->local_index == index)
			return slots[i];
	}
	return NULL;
}

/* Sends one data packet with the sender's current keypair; returns whether it confirmed the
 * receiver's next keypair. */
static bool send_data(struct endpoint *from, struct endpoint *to, uint64_t now)
{
	static const char text[] = "ping over WireGuard";
	uint8_t sealed[sizeof(text) + NOISE_AUTHTAG_LEN], opened[sizeof(text)];
	struct wg_noise_keypair *tx = from->keypairs.current, *rx;
	struct wg_noise_released released;
	uint64_t nonce;
	bool confirmed;

	assert_non_null(tx);
	assert_int_equal(wg_noise_keypair_next_nonce(tx, now, &nonce), 0);
	wg_aead_seal(sealed, (const uint8_t *)text, sizeof(text), NULL, 0, nonce, tx->send_key);
	rx = find_keypair(to, tx->remote_index);
	assert_non_null(rx);
	assert_int_equal(wg_aead_open(opened, sealed, sizeof(sealed), NULL, 0, nonce, rx->recv_key),
	                 0);
	assert_memory_equal(opened, text, sizeof(text));
	assert_true(wg_replay_check(&rx->replay, nonce));
	confirmed = wg_noise_keypairs_received_with(&to->keypairs, rx, &released);
	free_released(&released);
	return confirmed;
}

static void test_wireguard_messages_have_wire_sizes_and_types(void **state)
{
	struct endpoint *a = *state, *b = a + 1;
	struct wg_msg_initiation init;
	struct wg_msg_response resp;

	assert_int_equal(send_initiation(a, &init, WALL), 0);
	assert_int_equal(wg_msg_classify(&init, sizeof(init)), MESSAGE_HANDSHAKE_INITIATION);
	assert_int_equal(le32toh(init.sender_index), 0x1000);
	assert_int_equal(a->hs.state, HANDSHAKE_CREATED_INITIATION);
	assert_int_equal(receive_initiation(b, &init, SEC), 0);
	assert_int_equal(b->hs.state, HANDSHAKE_CONSUMED_INITIATION);
	assert_int_equal(b->hs.remote_index, 0x1000);
	assert_int_equal(wg_noise_handshake_create_response(&resp, &b->hs, 0x2000), 0);
	assert_int_equal(wg_msg_classify(&resp, sizeof(resp)), MESSAGE_HANDSHAKE_RESPONSE);
	assert_int_equal(le32toh(resp.receiver_index), 0x1000);
	assert_int_equal(le32toh(resp.sender_index), 0x2000);
	assert_int_equal(b->hs.state, HANDSHAKE_CREATED_RESPONSE);
	assert_int_equal(wg_noise_handshake_consume_response(&resp, &a->hs), 0);
	assert_int_equal(a->hs.state, HANDSHAKE_CONSUMED_RESPONSE);
}

static void test_full_handshake_then_data_both_ways(void **state)
{
	struct endpoint *a = *state, *b = a + 1;

	assert_int_equal(handshake(a, b, SEC), 0);
	/* Sessions begun: handshake state is wiped. */
	assert_int_equal(a->hs.state, HANDSHAKE_ZEROED);
	assert_true(wg_is_zero(a->hs.chaining_key, sizeof(a->hs.chaining_key)));
	assert_int_equal(b->hs.state, HANDSHAKE_ZEROED);
	assert_non_null(a->keypairs.current);
	assert_true(a->keypairs.current->i_am_initiator);
	assert_null(b->keypairs.current);
	assert_non_null(b->keypairs.next);
	assert_memory_equal(a->keypairs.current->send_key, b->keypairs.next->recv_key,
	                    NOISE_SYMMETRIC_KEY_LEN);
	assert_memory_equal(a->keypairs.current->recv_key, b->keypairs.next->send_key,
	                    NOISE_SYMMETRIC_KEY_LEN);

	/* The responder may not send until the initiator has used the new keys. */
	assert_true(send_data(a, b, SEC));
	assert_non_null(b->keypairs.current);
	assert_null(b->keypairs.next);
	assert_false(send_data(b, a, SEC));
	assert_false(send_data(a, b, SEC));
}

static void test_psk_on_and_off(void **state)
{
	uint8_t psk[NOISE_SYMMETRIC_KEY_LEN], other[NOISE_SYMMETRIC_KEY_LEN];
	struct endpoint a, b;

	(void)state;
	wg_random(psk, sizeof(psk));
	wg_random(other, sizeof(other));
	pair(&a, &b, psk);
	assert_int_equal(handshake(&a, &b, SEC), 0);
	assert_true(send_data(&a, &b, SEC));
	endpoint_destroy(&a);
	endpoint_destroy(&b);

	pair(&a, &b, NULL);
	assert_int_equal(handshake(&a, &b, SEC), 0);
	assert_true(send_data(&a, &b, SEC));
	endpoint_destroy(&a);
	endpoint_destroy(&b);

	/* Mismatched psks: the responder cannot tell, the initiator rejects the response. */
	pair(&a, &b, psk);
	wg_noise_handshake_set_preshared_key(&b.hs, other);
	assert_int_equal(handshake(&a, &b, SEC), -EBADMSG);
	assert_int_equal(a.hs.state, HANDSHAKE_CREATED_INITIATION);
	assert_null(a.keypairs.current);
	wg_noise_handshake_set_preshared_key(&b.hs, NULL);
	assert_int_equal(handshake(&a, &b, 2 * SEC), -EBADMSG);
	endpoint_destroy(&a);
	endpoint_destroy(&b);
}

static void test_initiation_replay_is_rejected(void **state)
{
	struct endpoint *a = *state, *b = a + 1;
	struct wg_msg_initiation init;
	struct wg_noise_handshake before;

	assert_int_equal(send_initiation(a, &init, WALL), 0);
	assert_int_equal(receive_initiation(b, &init, SEC), 0);
	before = b->hs;
	/* Long after the flood window, so only the timestamp can refuse it. */
	assert_int_equal(receive_initiation(b, &init, 10 * SEC), -ESTALE);
	assert_memory_equal(&b->hs, &before, sizeof(before));
}

static void test_opened_initiation_names_its_sender_before_any_handshake_is_read(void **state)
{
	struct endpoint *a = *state, *b = a + 1, stranger;
	struct wg_noise_handshake before;
	struct wg_msg_initiation init;
	struct wg_noise_initiation in;

	assert_int_equal(send_initiation(a, &init, WALL), 0);
	before = b->hs;
	assert_int_equal(wg_noise_initiation_open(&in, &init, &b->id), 0);
	assert_memory_equal(in.remote_static, a->id.static_public, NOISE_PUBLIC_KEY_LEN);
	assert_memory_equal(&b->hs, &before, sizeof(before));

	/* Only the handshake of the key it names may accept it. */
	endpoint_init(&stranger, 0x3000);
	assert_int_equal(
	    wg_noise_handshake_init(&stranger.hs, &b->id, stranger.id.static_public, NULL), 0);
	before = stranger.hs;
	assert_int_equal(wg_noise_handshake_accept_initiation(&stranger.hs, &in, &init, SEC),
	                 -ENOENT);
	assert_memory_equal(&stranger.hs, &before, sizeof(before));
	assert_int_equal(wg_noise_handshake_accept_initiation(&b->hs, &in, &init, SEC), 0);
	assert_int_equal(b->hs.state, HANDSHAKE_CONSUMED_INITIATION);
	/* The same opened initiation again is a replay. */
	assert_int_equal(wg_noise_handshake_accept_initiation(&b->hs, &in, &init, 10 * SEC),
	                 -ESTALE);
	wg_memzero(&in, sizeof(in));

	/* Another responder's key opens nothing. */
	assert_int_equal(wg_noise_initiation_open(&in, &init, &stranger.id), -EBADMSG);
	assert_true(wg_is_zero(&in, sizeof(in)));
	endpoint_destroy(&stranger);
}

static void test_stale_and_equal_timestamps_are_rejected(void **state)
{
	struct endpoint *a = *state, *b = a + 1;
	struct wg_msg_initiation old, same, newer;

	assert_int_equal(send_initiation(a, &old, WALL), 0);
	assert_int_equal(send_initiation(a, &newer, WALL + SEC), 0);
	/* Within one 2^24 ns step the whitened stamps are equal, and equal is not newer. */
	assert_int_equal(send_initiation(a, &same, WALL + SEC + MSEC), 0);
	assert_int_equal(receive_initiation(b, &newer, SEC), 0);
	assert_int_equal(receive_initiation(b, &old, 2 * SEC), -ESTALE);
	assert_int_equal(receive_initiation(b, &same, 3 * SEC), -ESTALE);
}

static void test_initiation_flood_within_20ms_is_rejected(void **state)
{
	struct wg_msg_initiation first, second;
	struct endpoint *a = *state, *b = a + 1;
	const uint64_t interval = SEC / INITIATIONS_PER_SECOND;

	assert_int_equal(send_initiation(a, &first, WALL), 0);
	assert_int_equal(send_initiation(a, &second, WALL + SEC), 0);
	assert_int_equal(receive_initiation(b, &first, SEC), 0);
	assert_int_equal(receive_initiation(b, &second, SEC + interval - 1), -EBUSY);
	assert_int_equal(receive_initiation(b, &second, SEC + interval), 0);
}

static void test_tampered_initiation_leaves_no_trace(void **state)
{
	struct wg_msg_initiation init, bad;
	struct wg_noise_handshake before;
	struct endpoint *a = *state, *b = a + 1, stranger;

	assert_int_equal(send_initiation(a, &init, WALL), 0);
	before = b->hs;
	bad = init;
	bad.encrypted_static[3] ^= 1;
	assert_int_equal(receive_initiation(b, &bad, SEC), -EBADMSG);
	bad = init;
	bad.encrypted_timestamp[0] ^= 1;
	assert_int_equal(receive_initiation(b, &bad, SEC), -EBADMSG);
	bad = init;
	bad.unencrypted_ephemeral[5] ^= 1;
	assert_int_equal(receive_initiation(b, &bad, SEC), -EBADMSG);
	assert_memory_equal(&b->hs, &before, sizeof(before));

	/* An initiation from a key we have no peer for is dropped. */
	endpoint_init(&stranger, 0x3000);
	assert_int_equal(
	    wg_noise_handshake_init(&stranger.hs, &stranger.id, b->id.static_public, NULL), 0);
	assert_int_equal(send_initiation(&stranger, &bad, WALL), 0);
	assert_int_equal(receive_initiation(b, &bad, SEC), -ENOENT);
	assert_memory_equal(&b->hs, &before, sizeof(before));
	assert_int_equal(receive_initiation(b, &init, SEC), 0);
}

static void test_messages_out_of_state_or_order_are_rejected(void **state)
{
	struct wg_msg_initiation init;
	struct wg_msg_response resp;
	struct wg_noise_keypair kp;
	struct wg_noise_released released;
	struct endpoint *a = *state, *b = a + 1;

	/* No initiation consumed: nothing to respond to, no session to begin. */
	assert_int_equal(wg_noise_handshake_create_response(&resp, &b->hs, 1), -EPROTO);
	assert_int_equal(
	    wg_noise_handshake_begin_session(&b->hs, &b->keypairs, &kp, SEC, &released), -EPROTO);
	assert_int_equal(released.count, 0);
	assert_int_equal(send_initiation(a, &init, WALL), 0);
	assert_int_equal(receive_initiation(b, &init, SEC), 0);
	assert_int_equal(wg_noise_handshake_create_response(&resp, &b->hs, 0x2000), 0);
	/* A response to an index we did not send from. */
	resp.receiver_index = htole32(0x999);
	assert_int_equal(wg_noise_handshake_consume_response(&resp, &a->hs), -EPROTO);
	resp.receiver_index = htole32(0x1000);
	resp.encrypted_nothing[0] ^= 1;
	assert_int_equal(wg_noise_handshake_consume_response(&resp, &a->hs), -EBADMSG);
	resp.encrypted_nothing[0] ^= 1;
	assert_int_equal(wg_noise_handshake_consume_response(&resp, &a->hs), 0);
	/* The same response again: the handshake is no longer waiting for one. */
	assert_int_equal(wg_noise_handshake_consume_response(&resp, &a->hs), -EPROTO);
}

/* Random bytes with valid framing must be refused without touching any state (ASan watches
 * the reads). */
static void test_random_handshake_messages_are_refused(void **state)
{
	struct endpoint *a = *state, *b = a + 1;
	struct wg_noise_handshake before_a, before_b;
	struct wg_msg_initiation init, sent;
	struct wg_msg_response resp;
	unsigned int i;

	assert_int_equal(send_initiation(a, &sent, WALL), 0);
	before_a = a->hs;
	before_b = b->hs;
	for (i = 0; i < 200; ++i) {
		wg_random(&init, sizeof(init));
		init.header.type = htole32(MESSAGE_HANDSHAKE_INITIATION);
		assert_true(receive_initiation(b, &init, SEC) < 0);
		wg_random(&resp, sizeof(resp));
		resp.header.type = htole32(MESSAGE_HANDSHAKE_RESPONSE);
		resp.receiver_index = sent.sender_index;
		assert_true(wg_noise_handshake_consume_response(&resp, &a->hs) < 0);
	}
	assert_memory_equal(&a->hs, &before_a, sizeof(before_a));
	assert_memory_equal(&b->hs, &before_b, sizeof(before_b));
}

static void test_wrong_length_or_type_is_invalid(void **state)
{
	uint8_t buf[256] = {0};
	const struct {
		uint32_t type;
		size_t len;
		enum wg_msg_type expect;
	} cases[] = {
	    {1, 148, MESSAGE_HANDSHAKE_INITIATION},
	    {1, 147, MESSAGE_INVALID},
	    {1, 149, MESSAGE_INVALID},
	    {2, 92, MESSAGE_HANDSHAKE_RESPONSE},
	    {2, 148, MESSAGE_INVALID},
	    {3, 64, MESSAGE_HANDSHAKE_COOKIE},
	    {3, 65, MESSAGE_INVALID},
	    {4, 32, MESSAGE_DATA},
	    {4, 31, MESSAGE_INVALID},
	    {4, 200, MESSAGE_DATA},
	    {0, 148, MESSAGE_INVALID},
	    {5, 148, MESSAGE_INVALID},
	    {0x101, 148, MESSAGE_INVALID},
	    {0x01000001, 148, MESSAGE_INVALID},
	    {1, 3, MESSAGE_INVALID},
	    {1, 0, MESSAGE_INVALID},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
		uint32_t le = htole32(cases[i].type);

		memcpy(buf, &le, sizeof(le));
		assert_int_equal(wg_msg_classify(buf, cases[i].len), cases[i].expect);
	}
}

static void test_all_zero_keys_and_dh_results_are_refused(void **state)
{
	uint8_t zero[NOISE_PUBLIC_KEY_LEN] = {0}, one[NOISE_PUBLIC_KEY_LEN] = {1};
	struct wg_msg_initiation init;
	struct wg_noise_handshake before;
	struct endpoint *a = *state, *b = a + 1;

	assert_int_equal(wg_noise_handshake_init(&a->hs, &a->id, zero, NULL), -EINVAL);

	/* A low-order peer key makes every DH with it zero: refused before anything is sent. */
	assert_int_equal(wg_noise_handshake_init(&a->hs, &a->id, one, NULL), 0);
	assert_true(wg_is_zero(a->hs.precomputed_static_static, NOISE_PUBLIC_KEY_LEN));
	assert_int_equal(send_initiation(a, &init, WALL), -EINVAL);
	assert_int_equal(a->hs.state, HANDSHAKE_ZEROED);

	/* A low-order ephemeral in an initiation. */
	assert_int_equal(wg_noise_handshake_init(&a->hs, &a->id, b->id.static_public, NULL), 0);
	assert_int_equal(send_initiation(a, &init, WALL), 0);
	before = b->hs;
	memset(init.unencrypted_ephemeral, 0, sizeof(init.unencrypted_ephemeral));
	assert_int_equal(receive_initiation(b, &init, SEC), -EINVAL);
	assert_memory_equal(&b->hs, &before, sizeof(before));
}

static void test_handshake_without_private_key_is_refused(void **state)
{
	uint8_t zero[NOISE_PUBLIC_KEY_LEN] = {0};
	struct wg_msg_initiation init;
	struct endpoint *a = *state, *b = a + 1;

	assert_int_equal(send_initiation(a, &init, WALL), 0);
	assert_true(wg_noise_static_identity_set_private_key(&b->id, zero));
	assert_false(b->id.has_identity);
	assert_int_equal(receive_initiation(b, &init, SEC), -ENOKEY);
	assert_true(wg_noise_static_identity_set_private_key(&a->id, zero));
	assert_int_equal(send_initiation(a, &init, WALL), -ENOKEY);
}

/* Initiator: new keypairs go straight to current; responder: to next, until confirmed. */
static void test_rekey_rotates_keypairs_by_the_clock(void **state)
{
	const uint64_t t1 = SEC, t2 = t1 + REKEY_AFTER_TIME * SEC, t3 = t2 + REKEY_AFTER_TIME * SEC;
	struct wg_noise_keypair *k1, *k2, *r1, *r2;
	struct endpoint *a = *state, *b = a + 1;
	uint32_t k1_index;
	uint64_t nonce;

	assert_int_equal(handshake(a, b, t1), 0);
	k1 = a->keypairs.current;
	k1_index = k1->local_index;
	assert_true(send_data(a, b, t1));
	r1 = b->keypairs.current;
	assert_false(wg_noise_keypair_should_rekey_sending(k1, t2 - 1));
	assert_true(wg_noise_keypair_should_rekey_sending(k1, t2));
	/* Only the initiator of a session rekeys it on age. */
	assert_false(wg_noise_keypair_should_rekey_sending(r1, t2));

	assert_int_equal(handshake(a, b, t2), 0);
	k2 = a->keypairs.current;
	assert_ptr_not_equal(k2, k1);
	assert_ptr_equal(a->keypairs.previous, k1);
	r2 = b->keypairs.next;
	assert_ptr_equal(b->keypairs.current, r1);
	/* Packets still in flight on the old session decrypt. */
	assert_false(send_data(b, a, t2));
	assert_true(send_data(a, b, t2));
	assert_ptr_equal(b->keypairs.current, r2);
	assert_ptr_equal(b->keypairs.previous, r1);
	assert_null(b->keypairs.next);

	/* REJECT_AFTER_TIME after its birth a keypair may not send at all. */
	assert_false(wg_noise_keypair_is_expired(k2, t2 + REJECT_AFTER_TIME * SEC - 1));
	assert_true(wg_noise_keypair_is_expired(k2, t2 + REJECT_AFTER_TIME * SEC));
	assert_int_equal(wg_noise_keypair_next_nonce(k2, t2 + REJECT_AFTER_TIME * SEC, &nonce),
	                 -EKEYEXPIRED);

	/* A third session pushes the first out of the slots. */
	assert_int_equal(handshake(a, b, t3), 0);
	assert_ptr_equal(a->keypairs.previous, k2);
	assert_null(find_keypair(a, k1_index));
}

/* Both sides initiate at once: the side that was responder holds an unconfirmed next, which
 * its own completed initiation demotes to previous. */
static void test_crossing_handshakes_demote_unconfirmed_next(void **state)
{
	struct wg_noise_keypair *old_current, *unconfirmed;
	struct endpoint *a = *state, *b = a + 1;

	assert_int_equal(handshake(a, b, SEC), 0);
	assert_true(send_data(a, b, SEC));
	old_current = b->keypairs.current;
	assert_int_equal(handshake(a, b, 2 * SEC), 0);
	unconfirmed = b->keypairs.next;
	assert_non_null(unconfirmed);
	assert_int_equal(handshake(b, a, 3 * SEC), 0);
	assert_ptr_equal(b->keypairs.previous, unconfirmed);
	assert_null(b->keypairs.next);
	assert_ptr_not_equal(b->keypairs.current, old_current);
	assert_true(b->keypairs.current->i_am_initiator);
	assert_true(send_data(b, a, 3 * SEC));
}

static void test_nonce_limit_stops_sending(void **state)
{
	struct endpoint *a = *state, *b = a + 1;
	uint64_t nonce;

	assert_int_equal(handshake(a, b, SEC), 0);
	atomic_store(&a->keypairs.current->send_counter, REJECT_AFTER_MESSAGES - 1);
	assert_false(wg_noise_keypair_sending_stopped(a->keypairs.current));
	assert_int_equal(wg_noise_keypair_next_nonce(a->keypairs.current, SEC, &nonce), 0);
	assert_true(nonce == REJECT_AFTER_MESSAGES - 1);
	assert_int_equal(wg_noise_keypair_next_nonce(a->keypairs.current, SEC, &nonce),
	                 -EKEYEXPIRED);
	assert_true(wg_noise_keypair_sending_stopped(a->keypairs.current));
	assert_int_equal(wg_noise_keypair_next_nonce(a->keypairs.current, SEC, &nonce),
	                 -EKEYEXPIRED);
	assert_true(atomic_load(&a->keypairs.current->send_counter) == REJECT_AFTER_MESSAGES);
}

static void test_nonces_taken_in_blocks_stop_at_the_limit(void **state)
{
	struct endpoint *a = *state, *b = a + 1;
	struct wg_noise_keypair *kp;
	uint64_t first = 0, nonce;

	assert_int_equal(handshake(a, b, SEC), 0);
	kp = a->keypairs.current;
	assert_int_equal(wg_noise_keypair_take_nonces(kp, SEC, 5, &first), 5);
	assert_true(first == 0);
	assert_int_equal(wg_noise_keypair_next_nonce(kp, SEC, &nonce), 0);
	assert_true(nonce == 5);
	assert_int_equal(wg_noise_keypair_take_nonces(kp, SEC, 0, &first), 0);
	/* A block that would pass the limit gets what is left, and the keypair stops. */
	atomic_store(&kp->send_counter, REJECT_AFTER_MESSAGES - 3);
	assert_int_equal(wg_noise_keypair_take_nonces(kp, SEC, 128, &first), 3);
	assert_true(first == REJECT_AFTER_MESSAGES - 3);
	assert_true(wg_noise_keypair_sending_stopped(kp));
	assert_int_equal(wg_noise_keypair_take_nonces(kp, SEC, 1, &first), 0);
	assert_true(atomic_load(&kp->send_counter) == REJECT_AFTER_MESSAGES);
	/* Too old: none at all. */
	atomic_store(&kp->send_counter, 0);
	assert_int_equal(wg_noise_keypair_take_nonces(kp, SEC + REJECT_AFTER_TIME * SEC, 4, &first),
	                 0);
}

static void test_private_key_change_expires_sessions(void **state)
{
	uint8_t new_key[NOISE_PUBLIC_KEY_LEN], old_ss[NOISE_PUBLIC_KEY_LEN];
	struct wg_msg_initiation init;
	struct endpoint *a = *state, *b = a + 1;
	uint64_t nonce;

	assert_int_equal(handshake(a, b, SEC), 0);
	assert_int_equal(send_initiation(a, &init, WALL + SEC), 0);
	memcpy(old_ss, a->hs.precomputed_static_static, sizeof(old_ss));
	assert_false(wg_noise_static_identity_set_private_key(&a->id, a->id.static_private));

	wg_keygen(new_key);
	assert_true(wg_noise_static_identity_set_private_key(&a->id, new_key));
	assert_false(wg_noise_handshake_identity_changed(&a->hs, &a->keypairs));
	assert_memory_not_equal(a->hs.precomputed_static_static, old_ss, sizeof(old_ss));
	assert_int_equal(a->hs.state, HANDSHAKE_ZEROED);
	assert_int_equal(wg_noise_keypair_next_nonce(a->keypairs.current, SEC, &nonce),
	                 -EKEYEXPIRED);
	assert_true(wg_noise_keypair_sending_stopped(a->keypairs.current));
	/* The peer must learn the new key before a handshake can work again. */
	assert_int_equal(handshake(a, b, 2 * SEC), -ENOENT);
	assert_int_equal(wg_noise_handshake_init(&b->hs, &b->id, a->id.static_public, NULL), 0);
	assert_int_equal(handshake(a, b, 3 * SEC), 0);
	assert_true(send_data(a, b, 3 * SEC));

	/* Taking the peer's own key: the caller must remove that peer. */
	assert_true(wg_noise_static_identity_set_private_key(&a->id, b->id.static_private));
	assert_true(wg_noise_handshake_identity_changed(&a->hs, &a->keypairs));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_wireguard_messages_have_wire_sizes_and_types,
	                                    setup_pair, teardown_pair),
	    cmocka_unit_test_setup_teardown(test_full_handshake_then_data_both_ways, setup_pair,
	                                    teardown_pair),
	    cmocka_unit_test(test_psk_on_and_off),
	    cmocka_unit_test_setup_teardown(
	        test_opened_initiation_names_its_sender_before_any_handshake_is_read, setup_pair,
	        teardown_pair),
	    cmocka_unit_test_setup_teardown(test_initiation_replay_is_rejected, setup_pair,
	                                    teardown_pair),
	    cmocka_unit_test_setup_teardown(test_stale_and_equal_timestamps_are_rejected,
	                                    setup_pair, teardown_pair),
	    cmocka_unit_test_setup_teardown(test_initiation_flood_within_20ms_is_rejected,
	                                    setup_pair, teardown_pair),
	    cmocka_unit_test_setup_teardown(test_tampered_initiation_leaves_no_trace, setup_pair,
	                                    teardown_pair),
	    cmocka_unit_test_setup_teardown(test_messages_out_of_state_or_order_are_rejected,
	                                    setup_pair, teardown_pair),
	    cmocka_unit_test(test_wrong_length_or_type_is_invalid),
	    cmocka_unit_test_setup_teardown(test_random_handshake_messages_are_refused, setup_pair,
	                                    teardown_pair),
	    cmocka_unit_test_setup_teardown(test_all_zero_keys_and_dh_results_are_refused,
	                                    setup_pair, teardown_pair),
	    cmocka_unit_test_setup_teardown(test_handshake_without_private_key_is_refused,
	                                    setup_pair, teardown_pair),
	    cmocka_unit_test_setup_teardown(test_rekey_rotates_keypairs_by_the_clock, setup_pair,
	                                    teardown_pair),
	    cmocka_unit_test_setup_teardown(test_crossing_handshakes_demote_unconfirmed_next,
	                                    setup_pair, teardown_pair),
	    cmocka_unit_test_setup_teardown(test_nonce_limit_stops_sending, setup_pair,
	                                    teardown_pair),
	    cmocka_unit_test_setup_teardown(test_nonces_taken_in_blocks_stop_at_the_limit,
	                                    setup_pair, teardown_pair),
	    cmocka_unit_test_setup_teardown(test_private_key_change_expires_sessions, setup_pair,
	                                    teardown_pair),
	};

	if (wg_crypto_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
