// SPDX-License-Identifier: MIT
/*
 * test_cookie.c - mac1, mac2 and cookie replies between an initiator's maker and a responder's
 * checker, with a fixed clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "wg/cookie.h"
#include "wg/noise.h"
#include "wg/ratelimiter.h"

#define SEC UINT64_C(1000000000)
#define WALL (UINT64_C(1764090000) * SEC)

/* Every X25519 the process does goes through libsodium; counting the calls here proves which
 * code paths never reach a Diffie-Hellman. */
static unsigned long dh_calls;

int crypto_scalarmult_curve25519(unsigned char *q, const unsigned char *n, const unsigned char *p);
int crypto_scalarmult_curve25519(unsigned char *q, const unsigned char *n, const unsigned char *p)
{
	static int (*real)(unsigned char *, const unsigned char *, const unsigned char *);

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "crypto_scalarmult_curve25519");
	++dh_calls;
	return real(q, n, p);
}

/* A responder with its checker, an initiator with a maker for it, both with identities. */
struct link {
	struct wg_noise_static_identity responder_id, initiator_id;
	struct wg_noise_handshake responder_hs, initiator_hs;
	struct wg_cookie_checker checker;
	struct wg_cookie_maker maker;
	struct sockaddr_in src;
};

static struct wg_noise_handshake *lookup(void *ctx, const uint8_t key[NOISE_PUBLIC_KEY_LEN])
{
	struct link *l = ctx;

	return wg_ct_equal(key, l->responder_hs.remote_static, NOISE_PUBLIC_KEY_LEN)
	           ? &l->responder_hs
	           : NULL;
}

static void identity(struct wg_noise_static_identity *id)
{
	uint8_t key[NOISE_PUBLIC_KEY_LEN];

	wg_noise_static_identity_init(id);
	wg_keygen(key);
	assert_true(wg_noise_static_identity_set_private_key(id, key));
}

static void link_init(struct link *l)
{
	memset(l, 0, sizeof(*l));
	identity(&l->responder_id);
	identity(&l->initiator_id);
	assert_int_equal(wg_noise_handshake_init(&l->responder_hs, &l->responder_id,
	                                         l->initiator_id.static_public, NULL),
	                 0);
	assert_int_equal(wg_noise_handshake_init(&l->initiator_hs, &l->initiator_id,
	                                         l->responder_id.static_public, NULL),
	                 0);
	wg_cookie_checker_init(&l->checker, l->responder_id.static_public);
	wg_cookie_maker_init(&l->maker, l->responder_id.static_public);
	l->src.sin_family = AF_INET;
	l->src.sin_port = htons(51820);
	l->src.sin_addr.s_addr = htonl(0xc0000201); /* 192.0.2.1 */
}

static void initiation(struct link *l, struct wg_msg_initiation *msg, uint64_t now)
{
	assert_int_equal(wg_noise_handshake_create_initiation(msg, &l->initiator_hs, 7, WALL + now),
	                 0);
	assert_int_equal(wg_cookie_add_macs(&l->maker, msg, sizeof(*msg), now), 0);
}

static enum wg_cookie_mac_state validate(struct link *l, const void *msg, size_t len,
                                         bool under_load, uint64_t now)
{
	return wg_cookie_validate(&l->checker, msg, len, (const struct sockaddr *)&l->src,
	                          under_load, NULL, now);
}

/* Under load, a message without mac2 gets a cookie reply, which the initiator takes. */
static void get_cookie(struct link *l, uint64_t now)
{
	struct wg_msg_cookie_reply reply;
	struct wg_msg_initiation msg;

	initiation(l, &msg, now);
	assert_int_equal(validate(l, &msg, sizeof(msg), true, now), COOKIE_VALID_MAC_BUT_NO_COOKIE);
	assert_int_equal(wg_cookie_create_reply(&l->checker, &reply, &msg, sizeof(msg),
	                                        le32toh(msg.sender_index),
	                                        (const struct sockaddr *)&l->src, now),
	                 0);
	assert_int_equal(wg_msg_classify(&reply, sizeof(reply)), MESSAGE_HANDSHAKE_COOKIE);
	assert_int_equal(le32toh(reply.receiver_index), 7);
	assert_int_equal(wg_cookie_consume_reply(&l->maker, &reply, now), 0);
}

static void test_mac1_is_accepted_and_mac2_absent_without_cookie(void **state)
{
	struct wg_msg_initiation msg;
	struct link l;

	(void)state;
	link_init(&l);
	initiation(&l, &msg, SEC);
	assert_false(wg_is_zero(msg.macs.mac1, COOKIE_LEN));
	assert_true(wg_is_zero(msg.macs.mac2, COOKIE_LEN));
	assert_int_equal(validate(&l, &msg, sizeof(msg), false, SEC),
	                 COOKIE_VALID_MAC_BUT_NO_COOKIE);
	assert_int_equal(validate(&l, &msg, sizeof(msg), true, SEC),
	                 COOKIE_VALID_MAC_BUT_NO_COOKIE);
}

static void test_wrong_mac1_is_dropped_before_any_dh(void **state)
{
	struct wg_noise_handshake *hs, before;
	struct wg_msg_initiation msg, bad;
	unsigned long calls;
	struct link l;

	(void)state;
	link_init(&l);
	initiation(&l, &msg, SEC);
	before = l.responder_hs;
	bad = msg;
	bad.macs.mac1[0] ^= 1;
	calls = dh_calls;
	assert_int_equal(validate(&l, &bad, sizeof(bad), false, SEC), COOKIE_INVALID_MAC);
	bad = msg;
	bad.encrypted_timestamp[0] ^= 1; /* mac1 covers the whole message before it */
	assert_int_equal(validate(&l, &bad, sizeof(bad), false, SEC), COOKIE_INVALID_MAC);
	assert_int_equal(dh_calls, calls);
	assert_memory_equal(&l.responder_hs, &before, sizeof(before));

	/* The counter does see the DH of a message that passes mac1 and gets consumed. */
	assert_int_equal(validate(&l, &msg, sizeof(msg), false, SEC),
	                 COOKIE_VALID_MAC_BUT_NO_COOKIE);
	assert_int_equal(dh_calls, calls);
	assert_int_equal(
	    wg_noise_handshake_consume_initiation(&msg, &l.responder_id, lookup, &l, SEC, &hs), 0);
	assert_true(dh_calls > calls);
}

static void test_mac1_for_another_responder_is_invalid(void **state)
{
	struct wg_noise_static_identity other;
	struct wg_msg_initiation msg;
	struct link l;

	(void)state;
	link_init(&l);
	identity(&other);
	wg_cookie_maker_init(&l.maker, other.static_public);
	initiation(&l, &msg, SEC);
	assert_int_equal(validate(&l, &msg, sizeof(msg), false, SEC), COOKIE_INVALID_MAC);
}

static void test_cookie_reply_round_trip_then_mac2_is_accepted(void **state)
{
	struct wg_msg_initiation msg;
	struct wg_msg_response resp;
	struct link l;

	(void)state;
	link_init(&l);
	get_cookie(&l, SEC);
	initiation(&l, &msg, 2 * SEC);
	assert_false(wg_is_zero(msg.macs.mac2, COOKIE_LEN));
	assert_int_equal(validate(&l, &msg, sizeof(msg), true, 2 * SEC),
	                 COOKIE_VALID_MAC_WITH_COOKIE);

	/* The cookie is bound to the source address and port. */
	l.src.sin_port = htons(51821);
	assert_int_equal(validate(&l, &msg, sizeof(msg), true, 2 * SEC),
	                 COOKIE_VALID_MAC_BUT_NO_COOKIE);

	/* Responses carry the same macs at their end. */
	memset(&resp, 0x5a, sizeof(resp));
	resp.header.type = htole32(MESSAGE_HANDSHAKE_RESPONSE);
	assert_int_equal(wg_cookie_add_macs(&l.maker, &resp, sizeof(resp), 2 * SEC), 0);
	l.src.sin_port = htons(51820);
	assert_int_equal(validate(&l, &resp, sizeof(resp), true, 2 * SEC),
	                 COOKIE_VALID_MAC_WITH_COOKIE);
}

static void test_cookie_over_ipv6_binds_address(void **state)
{
	struct sockaddr_in6 src6 = {.sin6_family = AF_INET6, .sin6_port = htons(51820)};
	struct wg_msg_cookie_reply reply;
	struct wg_msg_initiation msg;
	struct link l;

	(void)state;
	link_init(&l);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", &src6.sin6_addr), 1);
	initiation(&l, &msg, SEC);
	assert_int_equal(wg_cookie_create_reply(&l.checker, &reply, &msg, sizeof(msg), 7,
	                                        (const struct sockaddr *)&src6, SEC),
	                 0);
	assert_int_equal(wg_cookie_consume_reply(&l.maker, &reply, SEC), 0);
	initiation(&l, &msg, SEC);
	assert_int_equal(wg_cookie_validate(&l.checker, &msg, sizeof(msg),
	                                    (const struct sockaddr *)&src6, true, NULL, SEC),
	                 COOKIE_VALID_MAC_WITH_COOKIE);
	src6.sin6_addr.s6_addr[15] = 2;
	assert_int_equal(wg_cookie_validate(&l.checker, &msg, sizeof(msg),
	                                    (const struct sockaddr *)&src6, true, NULL, SEC),
	                 COOKIE_VALID_MAC_BUT_NO_COOKIE);
}

static void test_one_reply_is_consumed_per_mac1_sent(void **state)
{
	struct wg_msg_cookie_reply reply, tampered;
	struct wg_msg_initiation first, second;
	struct link l;

	(void)state;
	link_init(&l);
	memset(&reply, 0, sizeof(reply));
	/* Nothing sent yet: there is nothing a reply could answer. */
	assert_int_equal(wg_cookie_consume_reply(&l.maker, &reply, SEC), -EPROTO);

	initiation(&l, &first, SEC);
	assert_int_equal(wg_cookie_create_reply(&l.checker, &reply, &first, sizeof(first), 7,
	                                        (const struct sockaddr *)&l.src, SEC),
	                 0);
	tampered = reply;
	tampered.encrypted_cookie[0] ^= 1;
	assert_int_equal(wg_cookie_consume_reply(&l.maker, &tampered, SEC), -EBADMSG);
	assert_false(l.maker.is_valid);
	assert_int_equal(wg_cookie_consume_reply(&l.maker, &reply, SEC), 0);
	assert_int_equal(wg_cookie_consume_reply(&l.maker, &reply, SEC), -EPROTO);

	/* A reply to an older message does not authenticate against the latest mac1. */
	initiation(&l, &first, 2 * SEC);
	assert_int_equal(wg_cookie_create_reply(&l.checker, &reply, &first, sizeof(first), 7,
	                                        (const struct sockaddr *)&l.src, 2 * SEC),
	                 0);
	initiation(&l, &second, 2 * SEC);
	assert_int_equal(wg_cookie_consume_reply(&l.maker, &reply, 2 * SEC), -EBADMSG);
}

static void test_initiator_stops_using_cookie_after_115_seconds(void **state)
{
	const uint64_t limit = (COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY) * SEC;
	struct wg_msg_initiation msg;
	struct link l;

	(void)state;
	link_init(&l);
	get_cookie(&l, SEC);
	initiation(&l, &msg, SEC + limit - 1);
	assert_false(wg_is_zero(msg.macs.mac2, COOKIE_LEN));
	initiation(&l, &msg, SEC + limit);
	assert_true(wg_is_zero(msg.macs.mac2, COOKIE_LEN));
}

static void test_cookie_secret_rotates_every_120_seconds(void **state)
{
	const uint64_t max_age = COOKIE_SECRET_MAX_AGE * SEC;
	struct wg_msg_initiation msg;
	struct link l;

	(void)state;
	link_init(&l);
	get_cookie(&l, SEC);
	initiation(&l, &msg, 100 * SEC);
	assert_int_equal(validate(&l, &msg, sizeof(msg), true, SEC + max_age - 1),
	                 COOKIE_VALID_MAC_WITH_COOKIE);
	assert_int_equal(validate(&l, &msg, sizeof(msg), true, SEC + max_age),
	                 COOKIE_VALID_MAC_BUT_NO_COOKIE);
	/* A new cookie from the new secret works again. */
	get_cookie(&l, SEC + max_age);
	initiation(&l, &msg, SEC + max_age);
	assert_int_equal(validate(&l, &msg, sizeof(msg), true, SEC + max_age),
	                 COOKIE_VALID_MAC_WITH_COOKIE);
}

static void test_rate_limit_applies_only_to_proven_sources(void **state)
{
	struct wg_ratelimiter *rl = wg_ratelimiter_new(0);
	struct wg_msg_initiation with_cookie, without;
	const struct sockaddr *src;
	unsigned int i, limited = 0;
	struct link l;

	(void)state;
	assert_non_null(rl);
	link_init(&l);
	src = (const struct sockaddr *)&l.src;
	initiation(&l, &without, SEC);
	/* Messages that fail mac2 spend no tokens, so spoofed floods cannot drain a bucket. */
	for (i = 0; i < 100; ++i)
		assert_int_equal(
		    wg_cookie_validate(&l.checker, &without, sizeof(without), src, true, rl, SEC),
		    COOKIE_VALID_MAC_BUT_NO_COOKIE);
	get_cookie(&l, SEC);
	initiation(&l, &with_cookie, SEC);
	assert_int_equal(
	    wg_cookie_validate(&l.checker, &with_cookie, sizeof(with_cookie), src, true, rl, SEC),
	    COOKIE_VALID_MAC_WITH_COOKIE);
	for (i = 0; i < 2 * WG_RATELIMITER_BURST; ++i) {
		if (wg_cookie_validate(&l.checker, &with_cookie, sizeof(with_cookie), src, true, rl,
		                       SEC) == COOKIE_VALID_MAC_WITH_COOKIE_BUT_RATELIMITED)
			++limited;
	}
	assert_true(limited > 0);
	wg_ratelimiter_free(rl);
}

static void test_bad_lengths_and_sources_are_errors(void **state)
{
	struct sockaddr_un unix_src = {.sun_family = AF_UNIX};
	struct wg_msg_cookie_reply reply;
	struct wg_msg_initiation msg;
	uint8_t tiny[sizeof(struct wg_msg_macs)] = {0};
	struct link l;

	(void)state;
	link_init(&l);
	initiation(&l, &msg, SEC);
	assert_int_equal(validate(&l, tiny, sizeof(tiny), false, SEC), COOKIE_INVALID_MAC);
	assert_int_equal(validate(&l, &msg, 0, false, SEC), COOKIE_INVALID_MAC);
	assert_int_equal(validate(&l, &msg, sizeof(msg) - 1, false, SEC), COOKIE_INVALID_MAC);
	assert_int_equal(wg_cookie_add_macs(&l.maker, tiny, sizeof(tiny), SEC), -EINVAL);
	assert_int_equal(wg_cookie_create_reply(&l.checker, &reply, tiny, sizeof(tiny), 7,
	                                        (const struct sockaddr *)&l.src, SEC),
	                 -EINVAL);
	assert_int_equal(wg_cookie_create_reply(&l.checker, &reply, &msg, sizeof(msg), 7,
	                                        (const struct sockaddr *)&unix_src, SEC),
	                 -EINVAL);
	assert_int_equal(
	    wg_cookie_create_reply(&l.checker, &reply, &msg, sizeof(msg), 7, NULL, SEC), -EINVAL);
	/* Without a usable source no cookie can be checked, so mac2 never passes. */
	assert_int_equal(wg_cookie_validate(&l.checker, &msg, sizeof(msg),
	                                    (const struct sockaddr *)&unix_src, true, NULL, SEC),
	                 COOKIE_VALID_MAC_BUT_NO_COOKIE);
}

static void test_random_replies_and_messages_are_refused(void **state)
{
	struct wg_msg_cookie_reply reply;
	struct wg_msg_initiation msg;
	unsigned int i;
	struct link l;

	(void)state;
	link_init(&l);
	initiation(&l, &msg, SEC);
	for (i = 0; i < 200; ++i) {
		wg_random(&reply, sizeof(reply));
		assert_int_equal(wg_cookie_consume_reply(&l.maker, &reply, SEC), -EBADMSG);
		wg_random(&msg, sizeof(msg));
		assert_int_equal(validate(&l, &msg, sizeof(msg), true, SEC), COOKIE_INVALID_MAC);
	}
	assert_false(l.maker.is_valid);
	assert_true(l.maker.have_sent_mac1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mac1_is_accepted_and_mac2_absent_without_cookie),
	    cmocka_unit_test(test_wrong_mac1_is_dropped_before_any_dh),
	    cmocka_unit_test(test_mac1_for_another_responder_is_invalid),
	    cmocka_unit_test(test_cookie_reply_round_trip_then_mac2_is_accepted),
	    cmocka_unit_test(test_cookie_over_ipv6_binds_address),
	    cmocka_unit_test(test_one_reply_is_consumed_per_mac1_sent),
	    cmocka_unit_test(test_initiator_stops_using_cookie_after_115_seconds),
	    cmocka_unit_test(test_cookie_secret_rotates_every_120_seconds),
	    cmocka_unit_test(test_rate_limit_applies_only_to_proven_sources),
	    cmocka_unit_test(test_bad_lengths_and_sources_are_errors),
	    cmocka_unit_test(test_random_replies_and_messages_are_refused),
	};

	if (wg_crypto_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
