// SPDX-License-Identifier: MIT
/*
 * timers.c - the five per-peer timers of the kernel's timers.c as deadlines in one
 * struct. A timer is armed by writing its deadline and fires when
 * wg_timers_expire() sees the clock pass it; what the kernel's handlers do
 * with packets and keys becomes an action bit for the engine.
 */
#include "wg/timers.h"

#include <string.h>

#include "wg/messages.h"

#define NSEC_PER_SEC UINT64_C(1000000000)
#define NSEC_PER_MSEC UINT64_C(1000000)

static uint64_t seconds(uint64_t s)
{
	return s * NSEC_PER_SEC;
}

/* Whether secs have passed since birth; a clock behind birth says no. */
static bool has_expired(uint64_t birth, uint64_t now, uint64_t secs)
{
	return now >= birth && now - birth >= seconds(secs);
}

/* now + delta, kept short of WG_TIMERS_NEVER. */
static uint64_t after(uint64_t now, uint64_t delta)
{
	return delta >= WG_TIMERS_NEVER - now ? WG_TIMERS_NEVER - 1 : now + delta;
}

/* Handshake timers are jittered so that peers which lost contact together
 * do not retry in lockstep. */
static uint64_t jitter(struct wg_timers *t)
{
	if (!t->random)
		return 0;
	return (uint64_t)(t->random(t->random_ctx) % (REKEY_TIMEOUT_JITTER_MAX_MS + 1)) *
	       NSEC_PER_MSEC;
}

static bool pending(const struct wg_timers *t, enum wg_timer_kind kind)
{
	return t->deadline[kind] != WG_TIMERS_NEVER;
}

/* Like the kernel's mod_peer_timer: nothing is armed on a stopped peer. */
static void arm(struct wg_timers *t, enum wg_timer_kind kind, uint64_t deadline)
{
	if (t->running)
		t->deadline[kind] = deadline;
}

static void disarm(struct wg_timers *t, enum wg_timer_kind kind)
{
	t->deadline[kind] = WG_TIMERS_NEVER;
}

void wg_timers_init(struct wg_timers *t, wg_timers_random_fn random, void *random_ctx)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < WG_TIMER_COUNT; i++)
		disarm(t, i);
	t->random = random;
	t->random_ctx = random_ctx;
	t->running = true;
}

void wg_timers_start(struct wg_timers *t)
{
	t->running = true;
}

void wg_timers_stop(struct wg_timers *t)
{
	for (int i = 0; i < WG_TIMER_COUNT; i++)
		disarm(t, i);
	t->running = false;
	t->need_another_keepalive = false;
	t->rearm_keepalive_when_sent = false;
	t->sent_handshake = false;
}

void wg_timers_data_sent(struct wg_timers *t, uint64_t now)
{
	if (!pending(t, WG_TIMER_NEW_HANDSHAKE))
		arm(t, WG_TIMER_NEW_HANDSHAKE,
		    after(now, seconds(KEEPALIVE_TIMEOUT + REKEY_TIMEOUT) + jitter(t)));
}

void wg_timers_data_received(struct wg_timers *t, uint64_t now)
{
	if (!t->running)
		return;
	if (!pending(t, WG_TIMER_SEND_KEEPALIVE))
		arm(t, WG_TIMER_SEND_KEEPALIVE, after(now, seconds(KEEPALIVE_TIMEOUT)));
	else
		t->need_another_keepalive = true;
}

void wg_timers_any_authenticated_packet_sent(struct wg_timers *t)
{
	disarm(t, WG_TIMER_SEND_KEEPALIVE);
}

void wg_timers_any_authenticated_packet_received(struct wg_timers *t)
{
	disarm(t, WG_TIMER_NEW_HANDSHAKE);
}

void wg_timers_any_authenticated_packet_traversal(struct wg_timers *t, uint64_t now)
{
	if (t->persistent_keepalive_interval)
		arm(t, WG_TIMER_PERSISTENT_KEEPALIVE,
		    after(now, seconds(t->persistent_keepalive_interval)));
}

void wg_timers_handshake_initiated(struct wg_timers *t, uint64_t now)
{
	arm(t, WG_TIMER_RETRANSMIT_HANDSHAKE, after(now, seconds(REKEY_TIMEOUT) + jitter(t)));
}

void wg_timers_handshake_response_sent(struct wg_timers *t, uint64_t now)
{
	t->last_sent_handshake = now;
	t->sent_handshake = true;
}

void wg_timers_handshake_complete(struct wg_timers *t)
{
	disarm(t, WG_TIMER_RETRANSMIT_HANDSHAKE);
	t->handshake_attempts = 0;
	t->sent_lastminute_handshake = false;
}

void wg_timers_session_derived(struct wg_timers *t, uint64_t now)
{
	arm(t, WG_TIMER_ZERO_KEY_MATERIAL, after(now, seconds(REJECT_AFTER_TIME * 3)));
}

void wg_timers_keepalive_sent(struct wg_timers *t, uint64_t now)
{
	if (!t->rearm_keepalive_when_sent)
		return;
	t->rearm_keepalive_when_sent = false;
	arm(t, WG_TIMER_SEND_KEEPALIVE, after(now, seconds(KEEPALIVE_TIMEOUT)));
}

unsigned int wg_timers_set_persistent_keepalive(struct wg_timers *t, uint16_t interval,
                                                uint64_t now)
{
	bool switched_on = !t->persistent_keepalive_interval && interval && t->running;

	t->persistent_keepalive_interval = interval;
	if (interval)
		arm(t, WG_TIMER_PERSISTENT_KEEPALIVE, after(now, seconds(interval)));
	else
		disarm(t, WG_TIMER_PERSISTENT_KEEPALIVE);
	return switched_on ? WG_TIMERS_SEND_KEEPALIVE : 0;
}

uint16_t wg_timers_persistent_keepalive(const struct wg_timers *t)
{
	return t->persistent_keepalive_interval;
}

/* After MAX_TIMER_HANDSHAKES retries nobody is answering: stop queueing
 * for the peer and let its keys die with the zero-key timer. */
static unsigned int expired_retransmit_handshake(struct wg_timers *t, uint64_t now)
{
	if (t->handshake_attempts > MAX_TIMER_HANDSHAKES) {
		disarm(t, WG_TIMER_SEND_KEEPALIVE);
		if (!pending(t, WG_TIMER_ZERO_KEY_MATERIAL))
			arm(t, WG_TIMER_ZERO_KEY_MATERIAL,
			    after(now, seconds(REJECT_AFTER_TIME * 3)));
		return WG_TIMERS_PURGE_STAGED;
	}
	t->handshake_attempts++;
	return WG_TIMERS_RETRY_INITIATION | WG_TIMERS_CLEAR_ENDPOINT_SRC;
}

/* Another keepalive is armed by wg_timers_keepalive_sent(), once this one has left: arming
 * it here would be undone by this one's send. */
static unsigned int expired_send_keepalive(struct wg_timers *t)
{
	t->rearm_keepalive_when_sent = t->need_another_keepalive;
	t->need_another_keepalive = false;
	return WG_TIMERS_SEND_KEEPALIVE;
}

static unsigned int fire(struct wg_timers *t, enum wg_timer_kind kind, uint64_t now)
{
	switch (kind) {
	case WG_TIMER_RETRANSMIT_HANDSHAKE:
		return expired_retransmit_handshake(t, now);
	case WG_TIMER_SEND_KEEPALIVE:
		return expired_send_keepalive(t);
	case WG_TIMER_NEW_HANDSHAKE:
		/* We sent data and heard nothing back for 15 s. */
		return WG_TIMERS_SEND_INITIATION | WG_TIMERS_CLEAR_ENDPOINT_SRC;
	case WG_TIMER_ZERO_KEY_MATERIAL:
		return WG_TIMERS_ZERO_KEYS;
	case WG_TIMER_PERSISTENT_KEEPALIVE:
		return t->persistent_keepalive_interval ? WG_TIMERS_SEND_KEEPALIVE : 0;
	default:
		return 0;
	}
}

unsigned int wg_timers_expire(struct wg_timers *t, uint64_t now)
{
	unsigned int actions = 0;

	for (int kind = 0; kind < WG_TIMER_COUNT; kind++) {
		if (!pending(t, kind) || t->deadline[kind] > now)
			continue;
		disarm(t, kind);
		actions |= fire(t, kind, now);
	}
	return actions;
}

uint64_t wg_timers_next_deadline(const struct wg_timers *t)
{
	uint64_t next = WG_TIMERS_NEVER;

	for (int kind = 0; kind < WG_TIMER_COUNT; kind++) {
		if (t->deadline[kind] < next)
			next = t->deadline[kind];
	}
	return next;
}

static bool may_initiate(const struct wg_timers *t, uint64_t now)
{
	return t->running &&
	       !(t->sent_handshake && !has_expired(t->last_sent_handshake, now, REKEY_TIMEOUT));
}

bool wg_timers_want_initiation(struct wg_timers *t, uint64_t now, bool is_retry)
{
	if (!is_retry)
		t->handshake_attempts = 0;
	return may_initiate(t, now);
}

bool wg_timers_claim_initiation(struct wg_timers *t, uint64_t now)
{
	if (!may_initiate(t, now))
		return false;
	/* Claimed now, even if creating the message fails, as the kernel does:
	 * a failing handshake must not spin. */
	t->last_sent_handshake = now;
	t->sent_handshake = true;
	return true;
}

void wg_timers_allow_initiation_now(struct wg_timers *t)
{
	t->sent_handshake = false;
}

bool wg_timers_rekey_on_send(uint64_t send_counter, bool initiator, uint64_t birth, uint64_t now)
{
	return send_counter > REKEY_AFTER_MESSAGES ||
	       (initiator && has_expired(birth, now, REKEY_AFTER_TIME));
}

bool wg_timers_rekey_on_receive(struct wg_timers *t, bool initiator, uint64_t birth, uint64_t now)
{
	if (t->sent_lastminute_handshake || !initiator ||
	    !has_expired(birth, now, REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT))
		return false;
	t->sent_lastminute_handshake = true;
	return true;
}

bool wg_timers_key_expired(uint64_t birth, uint64_t now)
{
	return has_expired(birth, now, REJECT_AFTER_TIME);
}
