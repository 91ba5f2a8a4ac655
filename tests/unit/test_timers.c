// SPDX-License-Identifier: MIT
/*
 * test_timers.c - the timer state machine against the kernel's timers.c behaviour
 * (docs/wireguard.md, Timers), on an injected clock and injected jitter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "wg/messages.h"
#include "wg/timers.h"

#define SEC UINT64_C(1000000000)
#define MSEC UINT64_C(1000000)
/* An arbitrary start, so that nothing depends on the clock starting at 0. */
#define T0 (UINT64_C(3600) * SEC)

static uint32_t fixed_random(void *ctx)
{
	return *(const uint32_t *)ctx;
}

struct fixture {
	struct wg_timers t;
	uint32_t random;
};

static int setup(void **state)
{
	static struct fixture f;

	f.random = 0;
	wg_timers_init(&f.t, fixed_random, &f.random);
	*state = &f;
	return 0;
}

static struct wg_timers *timers(void **state)
{
	return &((struct fixture *)*state)->t;
}

static void set_random(void **state, uint32_t value)
{
	((struct fixture *)*state)->random = value;
}

/* What the engine does around an initiation it is allowed to send. */
static bool send_initiation(struct wg_timers *t, uint64_t now, bool is_retry)
{
	if (!wg_timers_want_initiation(t, now, is_retry) || !wg_timers_claim_initiation(t, now))
		return false;
	wg_timers_any_authenticated_packet_traversal(t, now);
	wg_timers_any_authenticated_packet_sent(t);
	wg_timers_handshake_initiated(t, now);
	return true;
}

static void test_handshake_retries_give_up_after_max_timer_handshakes(void **state)
{
	struct wg_timers *t = timers(state);
	uint64_t now = T0;
	unsigned int actions, sent = 1;

	assert_true(send_initiation(t, now, false));
	for (;;) {
		now = wg_timers_next_deadline(t);
		assert_int_equal(now - T0, (uint64_t)sent * REKEY_TIMEOUT * SEC);
		actions = wg_timers_expire(t, now);
		if (!(actions & WG_TIMERS_RETRY_INITIATION))
			break;
		assert_true(actions & WG_TIMERS_CLEAR_ENDPOINT_SRC);
		assert_true(send_initiation(t, now, true));
		sent++;
	}
	/* The first initiation, then MAX_TIMER_HANDSHAKES + 1 retries: the kernel's "after 20
	 * attempts". */
	assert_int_equal(sent, MAX_TIMER_HANDSHAKES + 2);
	assert_int_equal(actions, WG_TIMERS_PURGE_STAGED);
	/* Giving up arms the zero-key timer, and nothing else. */
	assert_int_equal(wg_timers_next_deadline(t), now + 3 * REJECT_AFTER_TIME * SEC);
	assert_int_equal(wg_timers_expire(t, wg_timers_next_deadline(t)), WG_TIMERS_ZERO_KEYS);
	assert_int_equal(wg_timers_next_deadline(t), WG_TIMERS_NEVER);
}

static void test_give_up_cancels_keepalive_and_keeps_pending_zero_key_deadline(void **state)
{
	struct wg_timers *t = timers(state);
	uint64_t now = T0, zero_at = T0 + 3 * REJECT_AFTER_TIME * SEC;

	wg_timers_session_derived(t, T0);
	assert_true(send_initiation(t, now, false));
	for (int i = 0; i <= MAX_TIMER_HANDSHAKES; i++) {
		now += REKEY_TIMEOUT * SEC;
		assert_int_equal(wg_timers_expire(t, now) & WG_TIMERS_RETRY_INITIATION,
		                 WG_TIMERS_RETRY_INITIATION);
		assert_true(send_initiation(t, now, true));
	}
	wg_timers_data_received(t, now);
	now += REKEY_TIMEOUT * SEC;
	assert_int_equal(wg_timers_expire(t, now), WG_TIMERS_PURGE_STAGED);
	assert_int_equal(wg_timers_next_deadline(t), zero_at);
}

static void test_traffic_waiting_restarts_the_attempt_count(void **state)
{
	struct wg_timers *t = timers(state);
	uint64_t now = T0;

	assert_true(send_initiation(t, now, false));
	for (int i = 0; i <= MAX_TIMER_HANDSHAKES; i++) {
		now += REKEY_TIMEOUT * SEC;
		wg_timers_expire(t, now);
		assert_true(send_initiation(t, now, true));
	}
	/* A packet is staged with no key: a fresh want, even if rate-limited. */
	assert_false(send_initiation(t, now + SEC, false));
	now += REKEY_TIMEOUT * SEC;
	assert_true(wg_timers_expire(t, now) & WG_TIMERS_RETRY_INITIATION);
}

static void test_retransmit_after_rekey_timeout_plus_injected_jitter(void **state)
{
	struct wg_timers *t = timers(state);
	uint64_t deadline = T0 + REKEY_TIMEOUT * SEC + REKEY_TIMEOUT_JITTER_MAX_MS * MSEC;

	set_random(state, REKEY_TIMEOUT_JITTER_MAX_MS);
	assert_true(send_initiation(t, T0, false));
	assert_int_equal(wg_timers_next_deadline(t), deadline);
	assert_int_equal(wg_timers_expire(t, deadline - 1), 0);
	assert_int_equal(wg_timers_expire(t, deadline),
	                 WG_TIMERS_RETRY_INITIATION | WG_TIMERS_CLEAR_ENDPOINT_SRC);
	/* The jitter wraps into 0-333 ms whatever the random value. */
	set_random(state, REKEY_TIMEOUT_JITTER_MAX_MS + 1);
	assert_true(send_initiation(t, deadline, true));
	assert_int_equal(wg_timers_next_deadline(t), deadline + REKEY_TIMEOUT * SEC);
}

static void test_handshake_complete_cancels_retransmit(void **state)
{
	struct wg_timers *t = timers(state);

	assert_true(send_initiation(t, T0, false));
	wg_timers_handshake_complete(t);
	assert_int_equal(wg_timers_next_deadline(t), WG_TIMERS_NEVER);
	assert_int_equal(wg_timers_expire(t, T0 + 60 * SEC), 0);
}

static void test_keepalive_sent_10s_after_data_received_without_reply(void **state)
{
	struct wg_timers *t = timers(state);

	wg_timers_data_received(t, T0);
	assert_int_equal(wg_timers_expire(t, T0 + KEEPALIVE_TIMEOUT * SEC - 1), 0);
	assert_int_equal(wg_timers_expire(t, T0 + KEEPALIVE_TIMEOUT * SEC),
	                 WG_TIMERS_SEND_KEEPALIVE);
	assert_int_equal(wg_timers_next_deadline(t), WG_TIMERS_NEVER);
}

static void test_any_packet_sent_cancels_the_keepalive(void **state)
{
	struct wg_timers *t = timers(state);

	wg_timers_data_received(t, T0);
	wg_timers_any_authenticated_packet_sent(t);
	assert_int_equal(wg_timers_expire(t, T0 + KEEPALIVE_TIMEOUT * SEC), 0);
}

static void test_data_received_while_keepalive_pending_asks_for_another(void **state)
{
	struct wg_timers *t = timers(state);
	uint64_t first = T0 + KEEPALIVE_TIMEOUT * SEC;

	wg_timers_data_received(t, T0);
	/* More data does not push the first keepalive back... */
	wg_timers_data_received(t, T0 + 2 * SEC);
	assert_int_equal(wg_timers_next_deadline(t), first);
	/* ...but owes one more, ten seconds after the first has left (its own send cancels
	 * the timer, as any packet sent does). */
	assert_int_equal(wg_timers_expire(t, first), WG_TIMERS_SEND_KEEPALIVE);
	wg_timers_any_authenticated_packet_sent(t);
	wg_timers_keepalive_sent(t, first);
	assert_int_equal(wg_timers_next_deadline(t), first + KEEPALIVE_TIMEOUT * SEC);
	assert_int_equal(wg_timers_expire(t, first + KEEPALIVE_TIMEOUT * SEC),
	                 WG_TIMERS_SEND_KEEPALIVE);
	wg_timers_any_authenticated_packet_sent(t);
	wg_timers_keepalive_sent(t, first + KEEPALIVE_TIMEOUT * SEC);
	assert_int_equal(wg_timers_next_deadline(t), WG_TIMERS_NEVER);
}

static void test_keepalive_sent_for_the_persistent_timer_arms_nothing(void **state)
{
	struct wg_timers *t = timers(state);

	wg_timers_set_persistent_keepalive(t, 25, T0);
	wg_timers_data_received(t, T0 + 20 * SEC);
	wg_timers_data_received(t, T0 + 21 * SEC);
	/* The persistent keepalive goes first, and its send cancels the keepalive timer: only an
	 * expired keepalive timer is armed again once its keepalive has left. */
	assert_int_equal(wg_timers_expire(t, T0 + 25 * SEC), WG_TIMERS_SEND_KEEPALIVE);
	wg_timers_any_authenticated_packet_traversal(t, T0 + 25 * SEC);
	wg_timers_any_authenticated_packet_sent(t);
	wg_timers_keepalive_sent(t, T0 + 25 * SEC);
	assert_int_equal(wg_timers_next_deadline(t), T0 + 50 * SEC);
}

static void test_new_handshake_15s_after_data_sent_without_reply(void **state)
{
	struct wg_timers *t = timers(state);
	uint64_t deadline = T0 + (KEEPALIVE_TIMEOUT + REKEY_TIMEOUT) * SEC + 200 * MSEC;

	set_random(state, 200);
	wg_timers_data_sent(t, T0);
	/* Later data does not move the deadline. */
	wg_timers_data_sent(t, T0 + 5 * SEC);
	assert_int_equal(wg_timers_next_deadline(t), deadline);
	assert_int_equal(wg_timers_expire(t, deadline - 1), 0);
	assert_int_equal(wg_timers_expire(t, deadline),
	                 WG_TIMERS_SEND_INITIATION | WG_TIMERS_CLEAR_ENDPOINT_SRC);
}

static void test_any_packet_received_cancels_new_handshake(void **state)
{
	struct wg_timers *t = timers(state);

	wg_timers_data_sent(t, T0);
	wg_timers_any_authenticated_packet_received(t);
	assert_int_equal(wg_timers_expire(t, T0 + 60 * SEC), 0);
}

static void test_zero_keys_540s_after_session(void **state)
{
	struct wg_timers *t = timers(state);
	uint64_t later = T0 + 100 * SEC;

	wg_timers_session_derived(t, T0);
	/* Every new session pushes the erasure back. */
	wg_timers_session_derived(t, later);
	assert_int_equal(wg_timers_expire(t, later + 3 * REJECT_AFTER_TIME * SEC - 1), 0);
	assert_int_equal(wg_timers_expire(t, later + 3 * REJECT_AFTER_TIME * SEC),
	                 WG_TIMERS_ZERO_KEYS);
}

static void test_persistent_keepalive_every_interval(void **state)
{
	struct wg_timers *t = timers(state);
	uint64_t now = T0;

	/* Switching it on sends one at once; its traversal arms the next. */
	assert_int_equal(wg_timers_set_persistent_keepalive(t, 25, now), WG_TIMERS_SEND_KEEPALIVE);
	assert_int_equal(wg_timers_persistent_keepalive(t), 25);
	wg_timers_any_authenticated_packet_traversal(t, now);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(wg_timers_expire(t, now + 25 * SEC - 1), 0);
		now += 25 * SEC;
		assert_int_equal(wg_timers_expire(t, now), WG_TIMERS_SEND_KEEPALIVE);
		wg_timers_any_authenticated_packet_traversal(t, now);
	}
	/* Other traffic pushes it back. */
	wg_timers_any_authenticated_packet_traversal(t, now + 10 * SEC);
	assert_int_equal(wg_timers_next_deadline(t), now + 35 * SEC);
	/* Changing the interval only re-arms; it is already on. */
	assert_int_equal(wg_timers_set_persistent_keepalive(t, 5, now + 11 * SEC), 0);
	assert_int_equal(wg_timers_next_deadline(t), now + 16 * SEC);
}

static void test_persistent_keepalive_off_sends_nothing(void **state)
{
	struct wg_timers *t = timers(state);

	wg_timers_any_authenticated_packet_traversal(t, T0);
	assert_int_equal(wg_timers_next_deadline(t), WG_TIMERS_NEVER);
	wg_timers_set_persistent_keepalive(t, 25, T0);
	assert_int_equal(wg_timers_set_persistent_keepalive(t, 0, T0), 0);
	assert_int_equal(wg_timers_next_deadline(t), WG_TIMERS_NEVER);
	assert_int_equal(wg_timers_expire(t, T0 + 100 * SEC), 0);
}

static void test_keepalive_switched_on_while_stopped_waits_for_start(void **state)
{
	struct wg_timers *t = timers(state);

	wg_timers_stop(t);
	assert_int_equal(wg_timers_set_persistent_keepalive(t, 25, T0), 0);
	assert_int_equal(wg_timers_next_deadline(t), WG_TIMERS_NEVER);
	/* The engine sends one on start (device up) for peers that have it set. */
	wg_timers_start(t);
	assert_int_equal(wg_timers_persistent_keepalive(t), 25);
}

static void test_initiations_limited_to_one_per_rekey_timeout(void **state)
{
	struct wg_timers *t = timers(state);

	/* Wanting claims nothing; claiming takes the slot. */
	assert_true(wg_timers_want_initiation(t, T0, false));
	assert_true(wg_timers_want_initiation(t, T0, false));
	assert_true(wg_timers_claim_initiation(t, T0));
	assert_false(wg_timers_want_initiation(t, T0 + REKEY_TIMEOUT * SEC - 1, false));
	assert_false(wg_timers_claim_initiation(t, T0 + REKEY_TIMEOUT * SEC - 1));
	assert_true(wg_timers_want_initiation(t, T0 + REKEY_TIMEOUT * SEC, false));
	assert_true(wg_timers_claim_initiation(t, T0 + REKEY_TIMEOUT * SEC));
	/* A response counts as a handshake message too. */
	wg_timers_handshake_response_sent(t, T0 + 6 * SEC);
	assert_false(wg_timers_want_initiation(t, T0 + 10 * SEC, false));
	assert_false(wg_timers_claim_initiation(t, T0 + 10 * SEC));
	assert_true(wg_timers_claim_initiation(t, T0 + 11 * SEC));
	/* After a private key change the next one may go at once. */
	wg_timers_allow_initiation_now(t);
	assert_true(wg_timers_claim_initiation(t, T0 + 11 * SEC));
}

static void test_stopped_timers_arm_nothing_until_started(void **state)
{
	struct wg_timers *t = timers(state);

	wg_timers_set_persistent_keepalive(t, 25, T0);
	wg_timers_data_sent(t, T0);
	assert_true(send_initiation(t, T0, false));
	wg_timers_stop(t);
	assert_int_equal(wg_timers_next_deadline(t), WG_TIMERS_NEVER);
	wg_timers_data_sent(t, T0);
	wg_timers_data_received(t, T0);
	wg_timers_session_derived(t, T0);
	wg_timers_any_authenticated_packet_traversal(t, T0);
	assert_false(wg_timers_want_initiation(t, T0, false));
	assert_false(wg_timers_claim_initiation(t, T0));
	assert_int_equal(wg_timers_next_deadline(t), WG_TIMERS_NEVER);
	/* Stopping also lifted the initiation rate limit. */
	wg_timers_start(t);
	assert_true(send_initiation(t, T0 + SEC, false));
	assert_int_equal(wg_timers_next_deadline(t), T0 + SEC + REKEY_TIMEOUT * SEC);
}

static void test_expire_reports_every_due_timer_together(void **state)
{
	struct wg_timers *t = timers(state);
	uint64_t late = T0 + 1000 * SEC;

	wg_timers_session_derived(t, T0);
	wg_timers_data_sent(t, T0);
	wg_timers_data_received(t, T0);
	assert_int_equal(wg_timers_next_deadline(t), T0 + KEEPALIVE_TIMEOUT * SEC);
	assert_int_equal(wg_timers_expire(t, late), WG_TIMERS_ZERO_KEYS | WG_TIMERS_SEND_KEEPALIVE |
	                                                WG_TIMERS_SEND_INITIATION |
	                                                WG_TIMERS_CLEAR_ENDPOINT_SRC);
	assert_int_equal(wg_timers_expire(t, UINT64_MAX), 0);
}

static void test_deadlines_saturate_at_the_end_of_time(void **state)
{
	struct wg_timers *t = timers(state);

	wg_timers_session_derived(t, UINT64_MAX - SEC);
	assert_int_equal(wg_timers_next_deadline(t), WG_TIMERS_NEVER - 1);
	assert_int_equal(wg_timers_expire(t, UINT64_MAX), WG_TIMERS_ZERO_KEYS);
}

static void test_no_random_source_means_no_jitter(void **state)
{
	struct wg_timers t;

	(void)state;
	wg_timers_init(&t, NULL, NULL);
	wg_timers_data_sent(&t, T0);
	assert_int_equal(wg_timers_next_deadline(&t),
	                 T0 + (KEEPALIVE_TIMEOUT + REKEY_TIMEOUT) * SEC);
}

static void test_rekey_after_120s_only_for_initiator(void **state)
{
	(void)state;
	assert_false(wg_timers_rekey_on_send(0, true, T0, T0 + REKEY_AFTER_TIME * SEC - 1));
	assert_true(wg_timers_rekey_on_send(0, true, T0, T0 + REKEY_AFTER_TIME * SEC));
	assert_false(wg_timers_rekey_on_send(0, false, T0, T0 + 1000 * SEC));
	/* A clock behind the key's birth never makes it old. */
	assert_false(wg_timers_rekey_on_send(0, true, T0, T0 - 1000 * SEC));
}

static void test_rekey_after_messages_on_either_side(void **state)
{
	(void)state;
	assert_false(wg_timers_rekey_on_send(REKEY_AFTER_MESSAGES, false, T0, T0));
	assert_true(wg_timers_rekey_on_send(REKEY_AFTER_MESSAGES + 1, false, T0, T0));
	assert_true(wg_timers_rekey_on_send(REKEY_AFTER_MESSAGES + 1, true, T0, T0));
}

static void test_rekey_on_receive_at_165s_once_per_handshake(void **state)
{
	struct wg_timers *t = timers(state);
	uint64_t age = (REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT) * SEC;

	assert_false(wg_timers_rekey_on_receive(t, true, T0, T0 + age - 1));
	assert_false(wg_timers_rekey_on_receive(t, false, T0, T0 + age));
	assert_true(wg_timers_rekey_on_receive(t, true, T0, T0 + age));
	assert_false(wg_timers_rekey_on_receive(t, true, T0, T0 + age + SEC));
	wg_timers_handshake_complete(t);
	assert_true(wg_timers_rekey_on_receive(t, true, T0, T0 + age + SEC));
}

static void test_keys_rejected_after_180s(void **state)
{
	(void)state;
	assert_false(wg_timers_key_expired(T0, T0 + REJECT_AFTER_TIME * SEC - 1));
	assert_true(wg_timers_key_expired(T0, T0 + REJECT_AFTER_TIME * SEC));
	assert_false(wg_timers_key_expired(T0, T0 - SEC));
}

#define TEST(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_handshake_retries_give_up_after_max_timer_handshakes),
	    TEST(test_give_up_cancels_keepalive_and_keeps_pending_zero_key_deadline),
	    TEST(test_traffic_waiting_restarts_the_attempt_count),
	    TEST(test_retransmit_after_rekey_timeout_plus_injected_jitter),
	    TEST(test_handshake_complete_cancels_retransmit),
	    TEST(test_keepalive_sent_10s_after_data_received_without_reply),
	    TEST(test_any_packet_sent_cancels_the_keepalive),
	    TEST(test_data_received_while_keepalive_pending_asks_for_another),
	    TEST(test_keepalive_sent_for_the_persistent_timer_arms_nothing),
	    TEST(test_new_handshake_15s_after_data_sent_without_reply),
	    TEST(test_any_packet_received_cancels_new_handshake),
	    TEST(test_zero_keys_540s_after_session),
	    TEST(test_persistent_keepalive_every_interval),
	    TEST(test_persistent_keepalive_off_sends_nothing),
	    TEST(test_keepalive_switched_on_while_stopped_waits_for_start),
	    TEST(test_initiations_limited_to_one_per_rekey_timeout),
	    TEST(test_stopped_timers_arm_nothing_until_started),
	    TEST(test_expire_reports_every_due_timer_together),
	    TEST(test_deadlines_saturate_at_the_end_of_time),
	    TEST(test_no_random_source_means_no_jitter),
	    TEST(test_rekey_after_120s_only_for_initiator),
	    TEST(test_rekey_after_messages_on_either_side),
	    TEST(test_rekey_on_receive_at_165s_once_per_handshake),
	    TEST(test_keys_rejected_after_180s),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
