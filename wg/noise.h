/* SPDX-License-Identifier: MIT */
/*
 * noise.h - the Noise_IKpsk2 handshake exactly as WireGuard runs it, and the session keypairs.
 *
 * Contract:
 * - Pure: no socket, thread, lock or clock. `now` is monotonic nanoseconds, `unix_ns` is wall
 *   time; both are arguments. The caller serialises access: the identity is read-locked and the
 *   handshake and keypair slots of one peer are write-locked around every call that takes them.
 * - Errors are negative errnos and leave the handshake as it was: -EINVAL bad argument or a
 *   refused key (all-zero peer key, all-zero DH), -ENOKEY no private key, -EPROTO a message that
 *   does not fit the handshake state, -EBADMSG failed authentication, -ENOENT unknown initiator,
 *   -ESTALE a timestamp not newer than the last one accepted, -EBUSY initiations from one peer
 *   less than 1/INITIATIONS_PER_SECOND apart. Secrets on every path are zeroed.
 * - The caller allocates local indices (unique across its handshakes and keypairs) and maps an
 *   initiator's public key to its handshake: between wg_noise_initiation_open() and
 *   wg_noise_handshake_accept_initiation(), so that it can lock that handshake there, or through
 *   a lookup callback. MACs and cookies are cookie.h's.
 * - Keypairs are the caller's memory: begin_session fills one and installs it in the slots; a
 *   keypair that leaves the slots is handed back in `struct wg_noise_released`, and the caller
 *   frees it once no packet uses it (it stays the caller's to wg_memzero).
 * - The payload layer (write/read_initiation/response) is Noise_IKpsk2 with any prologue (see
 *   wg_noise_static_identity_set_prologue) and payloads, so standard Noise vectors apply; the
 *   WireGuard messages are that layer with the Identifier prologue, a TAI64N initiation payload
 *   and an empty response payload.
 */
#ifndef WG_NOISE_H
#define WG_NOISE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wg/messages.h"
#include "wg/replay.h"

struct wg_noise_static_identity {
	uint8_t static_public[NOISE_PUBLIC_KEY_LEN];
	uint8_t static_private[NOISE_PUBLIC_KEY_LEN];
	/* HASH(HASH(Construction) || prologue); Hi for WireGuard's Identifier prologue. */
	uint8_t prologue_hash[NOISE_HASH_LEN];
	bool has_identity;
};

enum wg_noise_handshake_state {
	HANDSHAKE_ZEROED,
	HANDSHAKE_CREATED_INITIATION,
	HANDSHAKE_CONSUMED_INITIATION,
	HANDSHAKE_CREATED_RESPONSE,
	HANDSHAKE_CONSUMED_RESPONSE,
};

/* The handshake with one peer. remote_static, preshared_key and the replay/flood memory
 * (latest_timestamp, last_initiation_consumption) outlive each handshake; the rest is per try. */
struct wg_noise_handshake {
	const struct wg_noise_static_identity *static_identity;
	enum wg_noise_handshake_state state;
	bool has_consumed_initiation;
	uint64_t last_initiation_consumption;
	uint32_t local_index;
	uint32_t remote_index;
	uint8_t remote_static[NOISE_PUBLIC_KEY_LEN];
	uint8_t remote_ephemeral[NOISE_PUBLIC_KEY_LEN];
	/* All-zero when DH(own static, peer static) is all-zero or there is no identity: refused.
	 */
	uint8_t precomputed_static_static[NOISE_PUBLIC_KEY_LEN];
	uint8_t preshared_key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t hash[NOISE_HASH_LEN];
	uint8_t chaining_key[NOISE_HASH_LEN];
	uint8_t ephemeral_private[NOISE_PUBLIC_KEY_LEN];
	uint8_t latest_timestamp[NOISE_TIMESTAMP_LEN];
};

/* One session: keys for both directions, derived by begin_session. */
struct wg_noise_keypair {
	uint8_t send_key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t recv_key[NOISE_SYMMETRIC_KEY_LEN];
	/* Next nonce to send; raised to REJECT_AFTER_MESSAGES to stop sending with this keypair. */
	_Atomic uint64_t send_counter;
	struct wg_replay replay;
	uint64_t birth; /* monotonic ns */
	uint32_t local_index;
	uint32_t remote_index;
	bool i_am_initiator;
};

/* Sending uses current. A responder's new keypair waits in next until the initiator proves it
 * has it (first data received with it); previous still decrypts packets in flight. */
struct wg_noise_keypairs {
	struct wg_noise_keypair *next;
	struct wg_noise_keypair *current;
	struct wg_noise_keypair *previous;
};

/* Keypairs that left the slots in one call, now the caller's to free. */
struct wg_noise_released {
	struct wg_noise_keypair *keypairs[3];
	unsigned int count;
};

/* The Noise state of one message in flight; private to noise.c. */
struct wg_noise_symmetric_state {
	uint8_t chaining_key[NOISE_HASH_LEN];
	uint8_t hash[NOISE_HASH_LEN];
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
};

/* An initiation as the responder's static key alone opens it: it names the static key its
 * sender claims, before anything of that peer's handshake is read. The rest is private to
 * noise.c. The caller wg_memzero()s it when done. */
struct wg_noise_initiation {
	uint8_t remote_static[NOISE_PUBLIC_KEY_LEN];
	uint8_t remote_ephemeral[NOISE_PUBLIC_KEY_LEN];
	struct wg_noise_symmetric_state st;
};

/* Maps a decrypted initiator public key to that peer's handshake, or NULL if unknown. The
 * handshake returned must stay valid and exclusively the caller's until the consume returns. */
typedef struct wg_noise_handshake *(*wg_noise_lookup_fn)(
    void *ctx, const uint8_t public_key[NOISE_PUBLIC_KEY_LEN]);

/* Identity: starts without a key and with WireGuard's Identifier as prologue. */
void wg_noise_static_identity_init(struct wg_noise_static_identity *id);
void wg_noise_static_identity_set_prologue(struct wg_noise_static_identity *id,
                                           const void *prologue, size_t len);
/* Clamps and installs private_key (all-zero removes the identity); false if it was unchanged.
 * When it changed, call wg_noise_handshake_identity_changed() for every peer. */
bool wg_noise_static_identity_set_private_key(struct wg_noise_static_identity *id,
                                              const uint8_t private_key[NOISE_PUBLIC_KEY_LEN]);

/* A peer's handshake; peer_public all-zero is -EINVAL; psk NULL or all-zero means no psk. */
int wg_noise_handshake_init(struct wg_noise_handshake *hs,
                            const struct wg_noise_static_identity *id,
                            const uint8_t peer_public[NOISE_PUBLIC_KEY_LEN],
                            const uint8_t psk[NOISE_SYMMETRIC_KEY_LEN]);
void wg_noise_handshake_set_preshared_key(struct wg_noise_handshake *hs,
                                          const uint8_t psk[NOISE_SYMMETRIC_KEY_LEN]);
/* Back to ZEROED: forget this try's ephemeral, hash, chaining key and indices. */
void wg_noise_handshake_clear(struct wg_noise_handshake *hs);
/* The private-key change rule for one peer (whitepaper; kernel wg_set_device): recompute the
 * static-static DH, drop the handshake in progress, stop sending with current and next. Returns
 * true if the peer's public key is now our own, which the caller must remove. The caller also
 * lets the peer start a new handshake at once (resets its last-sent-handshake time). */
bool wg_noise_handshake_identity_changed(struct wg_noise_handshake *hs,
                                         struct wg_noise_keypairs *keypairs);

/* WireGuard handshake messages. MACs are left zero for cookie.h to fill. */
int wg_noise_handshake_create_initiation(struct wg_msg_initiation *msg,
                                         struct wg_noise_handshake *hs, uint32_t local_index,
                                         uint64_t unix_ns);
/* Consuming an initiation in two steps, so that the caller can find and lock the sender's
 * handshake in between: open it (one DH, with our static key), then have the handshake of the
 * peer whose key in->remote_static names accept it, which makes that handshake
 * CONSUMED_INITIATION. accept refuses a handshake of another key with -ENOENT. */
int wg_noise_initiation_open(struct wg_noise_initiation *in, const struct wg_msg_initiation *msg,
                             const struct wg_noise_static_identity *id);
int wg_noise_handshake_accept_initiation(struct wg_noise_handshake *hs,
                                         const struct wg_noise_initiation *in,
                                         const struct wg_msg_initiation *msg, uint64_t now);
/* Both steps with a lookup in between. On success *hs is the peer's handshake, now
 * CONSUMED_INITIATION. */
int wg_noise_handshake_consume_initiation(const struct wg_msg_initiation *msg,
                                          const struct wg_noise_static_identity *id,
                                          wg_noise_lookup_fn lookup, void *ctx, uint64_t now,
                                          struct wg_noise_handshake **hs);
int wg_noise_handshake_create_response(struct wg_msg_response *msg, struct wg_noise_handshake *hs,
                                       uint32_t local_index);
/* The caller found hs by msg->receiver_index among its handshakes (not keypairs). */
int wg_noise_handshake_consume_response(const struct wg_msg_response *msg,
                                        struct wg_noise_handshake *hs);
/* After CREATED_RESPONSE (responder) or CONSUMED_RESPONSE (initiator): derive the transport
 * keys into kp (local index = the handshake's), install kp in the slots, clear the handshake. */
int wg_noise_handshake_begin_session(struct wg_noise_handshake *hs,
                                     struct wg_noise_keypairs *keypairs,
                                     struct wg_noise_keypair *kp, uint64_t now,
                                     struct wg_noise_released *released);

/* The payload layer. Bodies are e || enc(s) || enc(payload) and e || enc(payload). */
#define wg_noise_initiation_body_len(payload_len)                                                  \
	(NOISE_PUBLIC_KEY_LEN + noise_encrypted_len(NOISE_PUBLIC_KEY_LEN) +                        \
	 noise_encrypted_len(payload_len))
#define wg_noise_response_body_len(payload_len)                                                    \
	(NOISE_PUBLIC_KEY_LEN + noise_encrypted_len(payload_len))

int wg_noise_handshake_write_initiation(uint8_t *body, struct wg_noise_handshake *hs,
                                        const uint8_t ephemeral_private[NOISE_PUBLIC_KEY_LEN],
                                        const void *payload, size_t payload_len);
/* No replay or flood check: judging the payload is the caller's job at this layer. */
int wg_noise_handshake_read_initiation(const uint8_t *body, size_t payload_len, uint8_t *payload,
                                       const struct wg_noise_static_identity *id,
                                       wg_noise_lookup_fn lookup, void *ctx,
                                       struct wg_noise_handshake **hs);
int wg_noise_handshake_write_response(uint8_t *body, struct wg_noise_handshake *hs,
                                      const uint8_t ephemeral_private[NOISE_PUBLIC_KEY_LEN],
                                      const void *payload, size_t payload_len);
int wg_noise_handshake_read_response(const uint8_t *body, size_t payload_len, uint8_t *payload,
                                     struct wg_noise_handshake *hs);

/* Keypair rules; the key-age arithmetic itself is timers.h's. */
/* The nonce for the next packet, or -EKEYEXPIRED once the keypair may not send any more (too
 * old or too many messages). */
int wg_noise_keypair_next_nonce(struct wg_noise_keypair *kp, uint64_t now, uint64_t *nonce);
/* The same for up to count packets at once: the nonces first, first + 1, ... for as many as the
 * keypair may still send (the count returned, 0 when none). */
unsigned int wg_noise_keypair_take_nonces(struct wg_noise_keypair *kp, uint64_t now,
                                          unsigned int count, uint64_t *first);
/* REJECT_AFTER_TIME old: neither sends nor receives. */
bool wg_noise_keypair_is_expired(const struct wg_noise_keypair *kp, uint64_t now);
/* Sending should start a new handshake (past REKEY_AFTER_MESSAGES, or REKEY_AFTER_TIME old and
 * we initiated it). */
bool wg_noise_keypair_should_rekey_sending(const struct wg_noise_keypair *kp, uint64_t now);

/* Sending was stopped for good: the private key changed, or the messages ran out. */
bool wg_noise_keypair_sending_stopped(struct wg_noise_keypair *kp);

/* Key confirmation: true if kp was next and is now current (the handshake is complete). */
bool wg_noise_keypairs_received_with(struct wg_noise_keypairs *keypairs,
                                     struct wg_noise_keypair *kp,
                                     struct wg_noise_released *released);
void wg_noise_keypairs_clear(struct wg_noise_keypairs *keypairs,
                             struct wg_noise_released *released);

#endif
