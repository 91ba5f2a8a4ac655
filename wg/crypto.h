/* SPDX-License-Identifier: MIT */
/*
 * crypto.h - the primitives WireGuard is built from, as one small API.
 *
 * Contract:
 * - BLAKE2s comes from libb2; ChaCha20-Poly1305, XChaCha20-Poly1305 and X25519 come from
 *   libsodium. Only HMAC and the HKDF-style KDF are written here, on top of libb2.
 * - The data path's ChaCha20-Poly1305 (struct wg_aead_ctx) comes from libsodium or from OpenSSL's
 *   libcrypto, whose EVP code is faster where the CPU has wide vectors; both give the same bytes.
 * - Call wg_crypto_init() once before anything that needs randomness.
 * - Functions that can fail return 0 or a negative errno: -EINVAL for a bad length or an all-zero
 *   Diffie-Hellman result, -EBADMSG for an AEAD tag that does not authenticate. On failure no
 *   plaintext is released (the output is zeroed).
 * - Outputs may alias inputs (the KDF and the AEADs work in place).
 * - Pure: no clock is read (wall time is an argument) and no state is kept, but for what a
 *   struct wg_aead_ctx holds.
 */
#ifndef WG_CRYPTO_H
#define WG_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum wg_crypto_lengths {
	WG_CURVE25519_KEY_LEN = 32,
	WG_AEAD_KEY_LEN = 32,
	WG_AEAD_TAG_LEN = 16,
	WG_AEAD_NONCE_LEN = 12,
	WG_AEAD_MAX_LEN = 0x7fffffff - WG_AEAD_TAG_LEN, /* OpenSSL counts bytes in an int */
	WG_XAEAD_NONCE_LEN = 24,
	WG_HASH_LEN = 32,
	WG_HASH_BLOCK_LEN = 64,
	WG_MAC_LEN = 16,
	WG_MAC_KEY_MAX_LEN = 32,
	WG_TAI64N_LEN = 12,
};

/* Initialises libsodium; 0 or -EIO. Safe to call more than once. */
int wg_crypto_init(void);

/* HASH(in) = BLAKE2s-256. */
void wg_hash(uint8_t out[WG_HASH_LEN], const void *in, size_t len);
/* HASH(a || b), the shape of every Noise MixHash. */
void wg_hash2(uint8_t out[WG_HASH_LEN], const void *a, size_t a_len, const void *b, size_t b_len);
/* MAC(key, in) = keyed BLAKE2s with a 16-byte output; key_len is 1..32, else -EINVAL. */
int wg_mac(uint8_t out[WG_MAC_LEN], const void *key, size_t key_len, const void *in, size_t len);
/* HMAC-BLAKE2s (RFC 2104, 64-byte block); keys longer than a block are hashed first. */
void wg_hmac(uint8_t out[WG_HASH_LEN], const void *key, size_t key_len, const void *in, size_t len);

/* WireGuard's KDF_n(key, input): prk = HMAC(key, input), T1 = HMAC(prk, 0x1),
 * T_i = HMAC(prk, T_{i-1} || i). Outputs may alias key. */
void wg_kdf1(uint8_t t1[WG_HASH_LEN], const uint8_t key[WG_HASH_LEN], const void *in, size_t len);
void wg_kdf2(uint8_t t1[WG_HASH_LEN], uint8_t t2[WG_HASH_LEN], const uint8_t key[WG_HASH_LEN],
             const void *in, size_t len);
void wg_kdf3(uint8_t t1[WG_HASH_LEN], uint8_t t2[WG_HASH_LEN], uint8_t t3[WG_HASH_LEN],
             const uint8_t key[WG_HASH_LEN], const void *in, size_t len);

/* ChaCha20-Poly1305 (RFC 8439) with a raw 12-byte nonce; dst holds len + WG_AEAD_TAG_LEN. */
void wg_aead_seal_ietf(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad,
                       size_t ad_len, const uint8_t nonce[WG_AEAD_NONCE_LEN],
                       const uint8_t key[WG_AEAD_KEY_LEN]);
/* src_len includes the tag; dst receives src_len - WG_AEAD_TAG_LEN bytes. */
int wg_aead_open_ietf(uint8_t *dst, const uint8_t *src, size_t src_len, const uint8_t *ad,
                      size_t ad_len, const uint8_t nonce[WG_AEAD_NONCE_LEN],
                      const uint8_t key[WG_AEAD_KEY_LEN]);

/* WireGuard's AEAD: the same with nonce = 32 zero bits || LE64(counter). */
void wg_aead_seal(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad, size_t ad_len,
                  uint64_t counter, const uint8_t key[WG_AEAD_KEY_LEN]);
int wg_aead_open(uint8_t *dst, const uint8_t *src, size_t src_len, const uint8_t *ad, size_t ad_len,
                 uint64_t counter, const uint8_t key[WG_AEAD_KEY_LEN]);

/* Where the data path's ChaCha20-Poly1305 comes from. */
enum wg_aead_lib {
	WG_AEAD_SODIUM,
	WG_AEAD_OPENSSL,
};

/* The library for the data path. name "sodium" or "openssl" forces one; NULL or "" takes
 * OpenSSL's wherever it works (it can be had, and seals and opens a test message as libsodium
 * does), else libsodium's. -EINVAL for any other name; -ENOTSUP when "openssl" does not work. */
int wg_aead_lib_choose(enum wg_aead_lib *lib, const char *name);
/* "libsodium" or "OpenSSL", and the version of the library linked, e.g. "3.0.19". */
const char *wg_aead_lib_name(enum wg_aead_lib lib);
const char *wg_aead_lib_version(enum wg_aead_lib lib);

struct evp_cipher_ctx_st;

/* One library's ChaCha20-Poly1305 for one thread at a time. libsodium's needs nothing (so
 * { .lib = WG_AEAD_SODIUM } is one); OpenSSL's needs a cipher context, allocated here once, keyed
 * again only when a message's key differs from the last one's and given each message's nonce,
 * so sealing and opening allocate nothing. The context keeps the last message's key until wiped
 * or freed. */
struct wg_aead_ctx {
	enum wg_aead_lib lib;
	struct evp_cipher_ctx_st *evp;
	bool keyed;                   /* holds a key that is not yet wiped */
	uint8_t key[WG_AEAD_KEY_LEN]; /* the key evp holds, while keyed */
};

/* 0, -ENOMEM, or -ENOTSUP when OpenSSL's cannot be had. */
int wg_aead_ctx_init(struct wg_aead_ctx *ctx, enum wg_aead_lib lib);
/* Forgets the last key (call when a batch of messages is done; nothing to do if none was used
 * since); the context stays usable. */
void wg_aead_ctx_wipe(struct wg_aead_ctx *ctx);
/* Wipes and frees; safe on a zeroed or already freed context. */
void wg_aead_ctx_free(struct wg_aead_ctx *ctx);

/* wg_aead_seal_ietf() and the rest through ctx's library; len and ad_len are at most
 * WG_AEAD_MAX_LEN. Should the library fail anyway, the sealed output is all zeroes, a message no
 * peer accepts, and never plaintext. */
void wg_aead_ctx_seal_ietf(struct wg_aead_ctx *ctx, uint8_t *dst, const uint8_t *src, size_t len,
                           const uint8_t *ad, size_t ad_len, const uint8_t nonce[WG_AEAD_NONCE_LEN],
                           const uint8_t key[WG_AEAD_KEY_LEN]);
int wg_aead_ctx_open_ietf(struct wg_aead_ctx *ctx, uint8_t *dst, const uint8_t *src, size_t src_len,
                          const uint8_t *ad, size_t ad_len, const uint8_t nonce[WG_AEAD_NONCE_LEN],
                          const uint8_t key[WG_AEAD_KEY_LEN]);
void wg_aead_ctx_seal(struct wg_aead_ctx *ctx, uint8_t *dst, const uint8_t *src, size_t len,
                      const uint8_t *ad, size_t ad_len, uint64_t counter,
                      const uint8_t key[WG_AEAD_KEY_LEN]);
int wg_aead_ctx_open(struct wg_aead_ctx *ctx, uint8_t *dst, const uint8_t *src, size_t src_len,
                     const uint8_t *ad, size_t ad_len, uint64_t counter,
                     const uint8_t key[WG_AEAD_KEY_LEN]);

/* XChaCha20-Poly1305 with a 24-byte nonce (cookie replies). */
void wg_xaead_seal(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad, size_t ad_len,
                   const uint8_t nonce[WG_XAEAD_NONCE_LEN], const uint8_t key[WG_AEAD_KEY_LEN]);
int wg_xaead_open(uint8_t *dst, const uint8_t *src, size_t src_len, const uint8_t *ad,
                  size_t ad_len, const uint8_t nonce[WG_XAEAD_NONCE_LEN],
                  const uint8_t key[WG_AEAD_KEY_LEN]);

/* X25519(private, public); an all-zero result (low-order public key) is -EINVAL, out zeroed. */
int wg_dh(uint8_t out[WG_CURVE25519_KEY_LEN], const uint8_t private_key[WG_CURVE25519_KEY_LEN],
          const uint8_t public_key[WG_CURVE25519_KEY_LEN]);
/* A fresh random, clamped private key. */
void wg_keygen(uint8_t private_key[WG_CURVE25519_KEY_LEN]);
/* The public key of a private key; -EINVAL for a private key that maps to zero. */
int wg_pubkey(uint8_t public_key[WG_CURVE25519_KEY_LEN],
              const uint8_t private_key[WG_CURVE25519_KEY_LEN]);
/* Curve25519 clamping, as every implementation applies to configured private keys. */
void wg_clamp(uint8_t private_key[WG_CURVE25519_KEY_LEN]);

/* TAI64N of a wall-clock time in Unix nanoseconds: BE64(2^62 + 10 + seconds) || BE32(nanoseconds
 * rounded down to a multiple of 2^24), so a timestamp does not leak fine timing. */
void wg_tai64n(uint8_t out[WG_TAI64N_LEN], uint64_t unix_ns);

/* Constant-time comparisons and zeroing for secret data. */
bool wg_ct_equal(const void *a, const void *b, size_t len);
bool wg_is_zero(const void *buf, size_t len);
void wg_memzero(void *buf, size_t len);
void wg_random(void *buf, size_t len);

/* Hex as keys are written, in constant time since keys are secrets. Decoding takes exactly
 * 2 * len digits of either case, else -EINVAL with out zeroed; encoding writes 2 * len lower-case
 * digits and a NUL. */
int wg_hex_decode(uint8_t *out, size_t len, const char *hex, size_t hex_len);
void wg_hex_encode(char *hex, const uint8_t *in, size_t len);

#endif
