/* SPDX-License-Identifier: MIT */
/*
 * cookie.h - MAC1/MAC2 on handshake messages and the cookie reply that proves a source address.
 *
 * Contract:
 * - The checker (one per device) validates incoming handshake messages and answers with cookie
 *   replies; the maker (one per peer) adds mac1/mac2 to outgoing handshake messages and consumes
 *   cookie replies. Both are pure: `now` is monotonic nanoseconds, no locks inside (the caller
 *   serialises each checker and maker).
 * - wg_cookie_validate() checks mac1 before anything else and costs no Diffie-Hellman, so it is
 *   the first thing run on a handshake message; only with check_cookie (under load) does it look
 *   at mac2 and, if mac2 is good, at the per-source rate limiter.
 * - A handshake message is the whole datagram (148 or 92 bytes): the macs are its last 32 bytes.
 * - The source address is a struct sockaddr_in or sockaddr_in6; the cookie binds IP and port.
 * - Errors are negative errnos: -EINVAL bad length/address, -EPROTO a reply nobody asked for (no
 *   mac1 sent, or the reply to it already consumed), -EBADMSG a reply that does not authenticate.
 */
#ifndef WG_COOKIE_H
#define WG_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "wg/messages.h"

struct wg_ratelimiter;

enum wg_cookie_mac_state {
	COOKIE_INVALID_MAC,
	COOKIE_VALID_MAC_BUT_NO_COOKIE,
	COOKIE_VALID_MAC_WITH_COOKIE_BUT_RATELIMITED,
	COOKIE_VALID_MAC_WITH_COOKIE,
};

struct wg_cookie_checker {
	uint8_t secret[NOISE_HASH_LEN];
	uint64_t secret_birth;
	bool has_secret;
	uint8_t cookie_encryption_key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t message_mac1_key[NOISE_SYMMETRIC_KEY_LEN];
};

struct wg_cookie_maker {
	uint8_t cookie[COOKIE_LEN];
	uint64_t cookie_birth;
	bool is_valid;
	uint8_t last_mac1_sent[COOKIE_LEN];
	bool have_sent_mac1;
	uint8_t cookie_decryption_key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t message_mac1_key[NOISE_SYMMETRIC_KEY_LEN];
};

/* Keys come from our own public key; call again whenever it changes (NULL = no identity). */
void wg_cookie_checker_init(struct wg_cookie_checker *checker,
                            const uint8_t own_public[NOISE_PUBLIC_KEY_LEN]);
/* Keys come from the peer's public key. */
void wg_cookie_maker_init(struct wg_cookie_maker *maker,
                          const uint8_t peer_public[NOISE_PUBLIC_KEY_LEN]);

/* Decide about one incoming handshake message from src; rl NULL means no per-source limit. */
enum wg_cookie_mac_state wg_cookie_validate(struct wg_cookie_checker *checker, const void *msg,
                                            size_t len, const struct sockaddr *src,
                                            bool check_cookie, struct wg_ratelimiter *rl,
                                            uint64_t now);
/* Fill the macs of an outgoing handshake message: mac1 always, mac2 while we hold a cookie
 * younger than COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY (else zero). */
int wg_cookie_add_macs(struct wg_cookie_maker *maker, void *msg, size_t len, uint64_t now);

/* The reply to msg (whose mac1 was valid) from src; index = msg's sender index. */
int wg_cookie_create_reply(struct wg_cookie_checker *checker, struct wg_msg_cookie_reply *reply,
                           const void *msg, size_t len, uint32_t index, const struct sockaddr *src,
                           uint64_t now);
/* Accept at most one reply per mac1 sent, authenticated against that mac1. */
int wg_cookie_consume_reply(struct wg_cookie_maker *maker, const struct wg_msg_cookie_reply *reply,
                            uint64_t now);

#endif
