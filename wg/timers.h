/* SPDX-License-Identifier: MIT */
/*
 * timers.h - the per-peer timer state machine of WireGuard (kernel timers.c) over an
 * injected clock.
 *
 * Contract: the engine reports events through the hooks below, sleeps until
 * wg_timers_next_deadline(), then calls wg_timers_expire() and performs the
 * returned WG_TIMERS_* actions; sending those packets reports further events.
 * All times are monotonic nanoseconds passed in; nothing here reads a clock,
 * sleeps or locks. Handshake jitter (0-333 ms) comes from the random callback
 * given to wg_timers_init(), so tests can pin it. A stopped state machine
 * (device down) arms nothing. Also here: the pure key-age rules the send and
 * receive paths ask about.
 */
#ifndef WG_TIMERS_H
#define WG_TIMERS_H

#include <stdbool.h>
#include <stdint.h>

/* Actions returned by wg_timers_expire() and wg_timers_set_persistent_keepalive(). */
enum wg_timers_action {
	/* Ask for a fresh initiation: wg_timers_want_initiation(t, now, false). */
	WG_TIMERS_SEND_INITIATION = 1u << 0,
	/* Retransmit the initiation: wg_timers_want_initiation(t, now, true). */
	WG_TIMERS_RETRY_INITIATION = 1u << 1,
	/* Forget the endpoint's local source address; it may be what broke. */
	WG_TIMERS_CLEAR_ENDPOINT_SRC = 1u << 2,
	/* Send a keepalive, then report wg_timers_keepalive_sent(). */
	WG_TIMERS_SEND_KEEPALIVE = 1u << 3,
	/* The handshake gave up: drop the packets staged for this peer. */
	WG_TIMERS_PURGE_STAGED = 1u << 4,
	/* Erase the handshake state and every keypair of this peer. */
	WG_TIMERS_ZERO_KEYS = 1u << 5,
};

#define WG_TIMERS_NEVER UINT64_MAX

enum wg_timer_kind {
	WG_TIMER_RETRANSMIT_HANDSHAKE,
	WG_TIMER_SEND_KEEPALIVE,
	WG_TIMER_NEW_HANDSHAKE,
	WG_TIMER_ZERO_KEY_MATERIAL,
	WG_TIMER_PERSISTENT_KEEPALIVE,
	WG_TIMER_COUNT,
};

typedef uint32_t (*wg_timers_random_fn)(void *ctx);

/* Embedded in the peer; the fields are private to timers.c. */
struct wg_timers {
	uint64_t deadline[WG_TIMER_COUNT]; /* WG_TIMERS_NEVER when disarmed */
	uint64_t last_sent_handshake;
	wg_timers_random_fn random;
	void *random_ctx;
	unsigned int handshake_attempts;
	uint16_t persistent_keepalive_interval; /* seconds, 0 = off */
	bool running;
	bool sent_handshake; /* last_sent_handshake is meaningful */
	bool need_another_keepalive;
	bool rearm_keepalive_when_sent; /* the expired keepalive timer owes another */
	bool sent_lastminute_handshake;
};

/* Starts running, nothing armed, no persistent keepalive. random may be NULL
 * for no jitter. */
void wg_timers_init(struct wg_timers *t, wg_timers_random_fn random, void *random_ctx);
void wg_timers_start(struct wg_timers *t);
/* Device down or peer removed: disarm everything, arm nothing until started,
 * and let the next initiation go out at once. */
void wg_timers_stop(struct wg_timers *t);

/* Event hooks, named for the event, called where the kernel calls them (docs/wireguard.md). */
void wg_timers_data_sent(struct wg_timers *t, uint64_t now);
void wg_timers_data_received(struct wg_timers *t, uint64_t now);
void wg_timers_any_authenticated_packet_sent(struct wg_timers *t);
void wg_timers_any_authenticated_packet_received(struct wg_timers *t);
void wg_timers_any_authenticated_packet_traversal(struct wg_timers *t, uint64_t now);
void wg_timers_handshake_initiated(struct wg_timers *t, uint64_t now);
void wg_timers_handshake_response_sent(struct wg_timers *t, uint64_t now);
void wg_timers_handshake_complete(struct wg_timers *t);
void wg_timers_session_derived(struct wg_timers *t, uint64_t now);
/* The engine sent (or staged) the keepalive WG_TIMERS_SEND_KEEPALIVE asked for. If data came
 * in while the keepalive timer was pending, the timer is armed again only now: the keepalive's
 * own send cancels it, as any packet sent does. */
void wg_timers_keepalive_sent(struct wg_timers *t, uint64_t now);

/* A new interval counts from now (0 switches it off). Returns
 * WG_TIMERS_SEND_KEEPALIVE when keepalives were just switched on while
 * running: the peer should hear from us at once. */
unsigned int wg_timers_set_persistent_keepalive(struct wg_timers *t, uint16_t interval,
                                                uint64_t now);
uint16_t wg_timers_persistent_keepalive(const struct wg_timers *t);

/* Fires every timer due at now and returns the OR of their actions. */
unsigned int wg_timers_expire(struct wg_timers *t, uint64_t now);
uint64_t wg_timers_next_deadline(const struct wg_timers *t);

/* The engine wants to send an initiation. A non-retry want starts a new round
 * of attempts (so a peer with traffic waiting never gives up); the answer is
 * whether one may go out now: at most one handshake message per REKEY_TIMEOUT.
 * It claims nothing: whoever creates the initiation claims it just before. */
bool wg_timers_want_initiation(struct wg_timers *t, uint64_t now, bool is_retry);
/* Right before creating an initiation: whether it still may go out, and if so
 * the slot is taken (the next may go out REKEY_TIMEOUT later). */
bool wg_timers_claim_initiation(struct wg_timers *t, uint64_t now);
/* After a private key change: the next initiation may go out at once. */
void wg_timers_allow_initiation_now(struct wg_timers *t);

/* Keep-key-fresh on send: the current keypair has sent more than
 * REKEY_AFTER_MESSAGES, or we initiated it REKEY_AFTER_TIME ago. */
bool wg_timers_rekey_on_send(uint64_t send_counter, bool initiator, uint64_t birth, uint64_t now);
/* Keep-key-fresh on receive, asked about the current keypair (whatever keypair the packet
 * came on): we initiated it and it is REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT
 * old; true once per handshake. */
bool wg_timers_rekey_on_receive(struct wg_timers *t, bool initiator, uint64_t birth, uint64_t now);
/* A keypair REJECT_AFTER_TIME old must not be used in either direction. */
bool wg_timers_key_expired(uint64_t birth, uint64_t now);

#endif
