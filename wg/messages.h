/* SPDX-License-Identifier: MIT */
/*
 * messages.h - WireGuard's wire format: every protocol constant and the packed message layouts.
 *
 * Contract:
 * - Times are in seconds (as in the whitepaper); callers scale to their clock.
 * - Every integer on the wire is little-endian: read with le32toh()/le64toh(), write with
 *   htole32()/htole64(). Structs are packed and their sizes are checked at compile time.
 * - wg_msg_classify() is the only gate from raw datagram bytes to a message type: it returns
 *   MESSAGE_INVALID unless the type word and the exact length agree.
 */
#ifndef WG_MESSAGES_H
#define WG_MESSAGES_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wg/crypto.h"

enum noise_lengths {
	NOISE_PUBLIC_KEY_LEN = WG_CURVE25519_KEY_LEN,
	NOISE_SYMMETRIC_KEY_LEN = WG_AEAD_KEY_LEN,
	NOISE_TIMESTAMP_LEN = WG_TAI64N_LEN,
	NOISE_AUTHTAG_LEN = WG_AEAD_TAG_LEN,
	NOISE_HASH_LEN = WG_HASH_LEN,
};

#define noise_encrypted_len(plain_len) ((plain_len) + NOISE_AUTHTAG_LEN)

enum cookie_values {
	COOKIE_SECRET_MAX_AGE = 2 * 60,
	/* An initiator stops using a cookie this much before the responder's secret rotates. */
	COOKIE_SECRET_LATENCY = 5,
	COOKIE_NONCE_LEN = WG_XAEAD_NONCE_LEN,
	COOKIE_LEN = WG_MAC_LEN,
};

enum counter_values {
	COUNTER_BITS_TOTAL = 8192,
	COUNTER_REDUNDANT_BITS = 64,
	COUNTER_WINDOW_SIZE = COUNTER_BITS_TOTAL - COUNTER_REDUNDANT_BITS,
};

/* 64-bit limits do not fit an enum in C11. */
#define REKEY_AFTER_MESSAGES (UINT64_C(1) << 60)
#define REJECT_AFTER_MESSAGES (UINT64_MAX - COUNTER_WINDOW_SIZE - 1)

enum limits {
	REKEY_TIMEOUT = 5,
	REKEY_TIMEOUT_JITTER_MAX_MS = 333,
	REKEY_AFTER_TIME = 120,
	REJECT_AFTER_TIME = 180,
	REKEY_ATTEMPT_TIME = 90,
	INITIATIONS_PER_SECOND = 50,
	MAX_PEERS_PER_DEVICE = 1U << 20,
	KEEPALIVE_TIMEOUT = 10,
	MAX_TIMER_HANDSHAKES = REKEY_ATTEMPT_TIME / REKEY_TIMEOUT,
	MAX_QUEUED_INCOMING_HANDSHAKES = 4096,
	MAX_STAGED_PACKETS = 128,
	MAX_QUEUED_PACKETS = 1024,
};

enum wg_msg_type {
	MESSAGE_INVALID = 0,
	MESSAGE_HANDSHAKE_INITIATION = 1,
	MESSAGE_HANDSHAKE_RESPONSE = 2,
	MESSAGE_HANDSHAKE_COOKIE = 3,
	MESSAGE_DATA = 4,
};

/* The type is a whole LE32 word: a known type byte with non-zero upper bytes is invalid. */
struct wg_msg_header {
	uint32_t type;
} __attribute__((packed));

/* Both handshake messages end with these, so cookie code finds them from the message end. */
struct wg_msg_macs {
	uint8_t mac1[COOKIE_LEN];
	uint8_t mac2[COOKIE_LEN];
} __attribute__((packed));

struct wg_msg_initiation {
	struct wg_msg_header header;
	uint32_t sender_index;
	uint8_t unencrypted_ephemeral[NOISE_PUBLIC_KEY_LEN];
	uint8_t encrypted_static[noise_encrypted_len(NOISE_PUBLIC_KEY_LEN)];
	uint8_t encrypted_timestamp[noise_encrypted_len(NOISE_TIMESTAMP_LEN)];
	struct wg_msg_macs macs;
} __attribute__((packed));

struct wg_msg_response {
	struct wg_msg_header header;
	uint32_t sender_index;
	uint32_t receiver_index;
	uint8_t unencrypted_ephemeral[NOISE_PUBLIC_KEY_LEN];
	uint8_t encrypted_nothing[noise_encrypted_len(0)];
	struct wg_msg_macs macs;
} __attribute__((packed));

struct wg_msg_cookie_reply {
	struct wg_msg_header header;
	uint32_t receiver_index;
	uint8_t nonce[COOKIE_NONCE_LEN];
	uint8_t encrypted_cookie[noise_encrypted_len(COOKIE_LEN)];
} __attribute__((packed));

/* Transport data: this header, then the sealed padded packet (at least the tag). */
struct wg_msg_data {
	struct wg_msg_header header;
	uint32_t receiver_index;
	uint64_t counter;
	uint8_t encrypted_data[];
} __attribute__((packed));

#define message_data_len(plain_len) (noise_encrypted_len(plain_len) + sizeof(struct wg_msg_data))

enum message_lengths {
	MESSAGE_INITIATION_LEN = 148,
	MESSAGE_RESPONSE_LEN = 92,
	MESSAGE_COOKIE_REPLY_LEN = 64,
	MESSAGE_DATA_HEADER_LEN = 16,
	/* A keepalive: header plus the tag of an empty packet. */
	MESSAGE_MINIMUM_LENGTH = MESSAGE_DATA_HEADER_LEN + NOISE_AUTHTAG_LEN,
	MESSAGE_PADDING_MULTIPLE = 16,
};

enum { HANDSHAKE_DSCP = 0x88 };

_Static_assert(sizeof(struct wg_msg_initiation) == MESSAGE_INITIATION_LEN, "initiation size");
_Static_assert(sizeof(struct wg_msg_response) == MESSAGE_RESPONSE_LEN, "response size");
_Static_assert(sizeof(struct wg_msg_cookie_reply) == MESSAGE_COOKIE_REPLY_LEN, "cookie size");
_Static_assert(sizeof(struct wg_msg_data) == MESSAGE_DATA_HEADER_LEN, "data header size");
_Static_assert(message_data_len(0) == MESSAGE_MINIMUM_LENGTH, "keepalive size");

/* The message type of a datagram, or MESSAGE_INVALID if its type word is unknown or its length
 * is not exactly that type's (data: at least a keepalive). */
static inline enum wg_msg_type wg_msg_classify(const void *buf, size_t len)
{
	uint32_t word;

	if (len < sizeof(word))
		return MESSAGE_INVALID;
	memcpy(&word, buf, sizeof(word));
	switch (le32toh(word)) {
	case MESSAGE_HANDSHAKE_INITIATION:
		return len == MESSAGE_INITIATION_LEN ? MESSAGE_HANDSHAKE_INITIATION
		                                     : MESSAGE_INVALID;
	case MESSAGE_HANDSHAKE_RESPONSE:
		return len == MESSAGE_RESPONSE_LEN ? MESSAGE_HANDSHAKE_RESPONSE : MESSAGE_INVALID;
	case MESSAGE_HANDSHAKE_COOKIE:
		return len == MESSAGE_COOKIE_REPLY_LEN ? MESSAGE_HANDSHAKE_COOKIE : MESSAGE_INVALID;
	case MESSAGE_DATA:
		return len >= MESSAGE_MINIMUM_LENGTH ? MESSAGE_DATA : MESSAGE_INVALID;
	default:
		return MESSAGE_INVALID;
	}
}

#endif
