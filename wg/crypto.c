// SPDX-License-Identifier: MIT
/*
 * crypto.c - thin, checked wrappers over libb2 and libsodium, plus HMAC and the KDF.
 */
#include "wg/crypto.h"

#include <blake2.h>
#include <errno.h>
#include <sodium.h>
#include <string.h>

_Static_assert(WG_AEAD_TAG_LEN == crypto_aead_chacha20poly1305_ietf_ABYTES, "tag size");
_Static_assert(WG_AEAD_NONCE_LEN == crypto_aead_chacha20poly1305_ietf_NPUBBYTES, "nonce");
_Static_assert(WG_XAEAD_NONCE_LEN == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "xnonce");
_Static_assert((int)WG_HASH_BLOCK_LEN == (int)BLAKE2S_BLOCKBYTES, "blake2s block");

/* TAI64 label of the Unix epoch, and the nanosecond granularity timestamps are cut to. */
#define TAI64_EPOCH ((UINT64_C(1) << 62) + 10)
#define TAI64N_WHITENER_MASK (UINT32_C(0x1000000) - 1)

int wg_crypto_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

/* The BLAKE2s state holds a function of every secret fed in (HMAC pads, chaining keys), so
 * it is wiped rather than left on the stack. */
static int keyed_hash(uint8_t *out, size_t out_len, const void *key, size_t key_len, const void *a,
                      size_t a_len, const void *b, size_t b_len)
{
	blake2s_state state;
	int ret = key_len ? blake2s_init_key(&state, out_len, key, key_len)
	                  : blake2s_init(&state, out_len);

	if (!ret)
		ret = blake2s_update(&state, a, a_len);
	if (!ret)
		ret = blake2s_update(&state, b, b_len);
	if (!ret)
		ret = blake2s_final(&state, out, out_len);
	sodium_memzero(&state, sizeof(state));
	return ret ? -EINVAL : 0;
}

void wg_hash(uint8_t out[WG_HASH_LEN], const void *in, size_t len)
{
	keyed_hash(out, WG_HASH_LEN, NULL, 0, in, len, NULL, 0);
}

void wg_hash2(uint8_t out[WG_HASH_LEN], const void *a, size_t a_len, const void *b, size_t b_len)
{
	keyed_hash(out, WG_HASH_LEN, NULL, 0, a, a_len, b, b_len);
}

int wg_mac(uint8_t out[WG_MAC_LEN], const void *key, size_t key_len, const void *in, size_t len)
{
	if (!key_len || key_len > WG_MAC_KEY_MAX_LEN)
		return -EINVAL;
	return keyed_hash(out, WG_MAC_LEN, key, key_len, in, len, NULL, 0);
}

/* HMAC(key, in) with the block-sized key already prepared. */
static void hmac_block_key(uint8_t out[WG_HASH_LEN], const uint8_t block_key[WG_HASH_BLOCK_LEN],
                           const void *in, size_t len)
{
	uint8_t pad[WG_HASH_BLOCK_LEN];
	uint8_t inner[WG_HASH_LEN];
	size_t i;

	for (i = 0; i < sizeof(pad); ++i)
		pad[i] = block_key[i] ^ 0x36;
	wg_hash2(inner, pad, sizeof(pad), in, len);
	for (i = 0; i < sizeof(pad); ++i)
		pad[i] = block_key[i] ^ 0x5c;
	wg_hash2(out, pad, sizeof(pad), inner, sizeof(inner));
	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
}

void wg_hmac(uint8_t out[WG_HASH_LEN], const void *key, size_t key_len, const void *in, size_t len)
{
	uint8_t block_key[WG_HASH_BLOCK_LEN] = {0};

	if (key_len > sizeof(block_key))
		wg_hash(block_key, key, key_len);
	else
		memcpy(block_key, key, key_len);
	hmac_block_key(out, block_key, in, len);
	sodium_memzero(block_key, sizeof(block_key));
}

/* T_1 = HMAC(prk, 0x1), T_i = HMAC(prk, T_{i-1} || i); outputs may alias key because prk is
 * taken from it before the first output is written. */
static void kdf(uint8_t *outputs[], unsigned int count, const uint8_t key[WG_HASH_LEN],
                const void *in, size_t len)
{
	uint8_t prk[WG_HASH_LEN];
	uint8_t block[WG_HASH_LEN + 1];
	size_t block_len = 0;
	unsigned int i;

	wg_hmac(prk, key, WG_HASH_LEN, in, len);
	for (i = 0; i < count; ++i) {
		block[block_len] = (uint8_t)(i + 1);
		wg_hmac(block, prk, sizeof(prk), block, block_len + 1);
		memcpy(outputs[i], block, WG_HASH_LEN);
		block_len = WG_HASH_LEN;
	}
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(block, sizeof(block));
}

void wg_kdf1(uint8_t t1[WG_HASH_LEN], const uint8_t key[WG_HASH_LEN], const void *in, size_t len)
{
	uint8_t *outputs[] = {t1};

	kdf(outputs, 1, key, in, len);
}

void wg_kdf2(uint8_t t1[WG_HASH_LEN], uint8_t t2[WG_HASH_LEN], const uint8_t key[WG_HASH_LEN],
             const void *in, size_t len)
{
	uint8_t *outputs[] = {t1, t2};

	kdf(outputs, 2, key, in, len);
}

void wg_kdf3(uint8_t t1[WG_HASH_LEN], uint8_t t2[WG_HASH_LEN], uint8_t t3[WG_HASH_LEN],
             const uint8_t key[WG_HASH_LEN], const void *in, size_t len)
{
	uint8_t *outputs[] = {t1, t2, t3};

	kdf(outputs, 3, key, in, len);
}

void wg_aead_seal_ietf(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad,
                       size_t ad_len, const uint8_t nonce[WG_AEAD_NONCE_LEN],
                       const uint8_t key[WG_AEAD_KEY_LEN])
{
	crypto_aead_chacha20poly1305_ietf_encrypt(dst, NULL, src, len, ad, ad_len, NULL, nonce,
	                                          key);
}

/* libsodium's ChaCha20-Poly1305 and XChaCha20-Poly1305 decryptions share this signature. */
typedef int (*sodium_open_fn)(unsigned char *m, unsigned long long *mlen, unsigned char *nsec,
                              const unsigned char *c, unsigned long long clen,
                              const unsigned char *ad, unsigned long long adlen,
                              const unsigned char *npub, const unsigned char *k);

static int aead_open(sodium_open_fn open, uint8_t *dst, const uint8_t *src, size_t src_len,
                     const uint8_t *ad, size_t ad_len, const uint8_t *nonce,
                     const uint8_t key[WG_AEAD_KEY_LEN])
{
	if (src_len < WG_AEAD_TAG_LEN)
		return -EBADMSG;
	if (open(dst, NULL, NULL, src, src_len, ad, ad_len, nonce, key)) {
		sodium_memzero(dst, src_len - WG_AEAD_TAG_LEN);
		return -EBADMSG;
	}
	return 0;
}

int wg_aead_open_ietf(uint8_t *dst, const uint8_t *src, size_t src_len, const uint8_t *ad,
                      size_t ad_len, const uint8_t nonce[WG_AEAD_NONCE_LEN],
                      const uint8_t key[WG_AEAD_KEY_LEN])
{
	return aead_open(crypto_aead_chacha20poly1305_ietf_decrypt, dst, src, src_len, ad, ad_len,
	                 nonce, key);
}

static void counter_nonce(uint8_t nonce[WG_AEAD_NONCE_LEN], uint64_t counter)
{
	uint64_t le = htole64(counter);

	memset(nonce, 0, WG_AEAD_NONCE_LEN - sizeof(le));
	memcpy(nonce + WG_AEAD_NONCE_LEN - sizeof(le), &le, sizeof(le));
}

void wg_aead_seal(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad, size_t ad_len,
                  uint64_t counter, const uint8_t key[WG_AEAD_KEY_LEN])
{
	uint8_t nonce[WG_AEAD_NONCE_LEN];

	counter_nonce(nonce, counter);
	wg_aead_seal_ietf(dst, src, len, ad, ad_len, nonce, key);
}

int wg_aead_open(uint8_t *dst, const uint8_t *src, size_t src_len, const uint8_t *ad, size_t ad_len,
                 uint64_t counter, const uint8_t key[WG_AEAD_KEY_LEN])
{
	uint8_t nonce[WG_AEAD_NONCE_LEN];

	counter_nonce(nonce, counter);
	return wg_aead_open_ietf(dst, src, src_len, ad, ad_len, nonce, key);
}

void wg_xaead_seal(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad, size_t ad_len,
                   const uint8_t nonce[WG_XAEAD_NONCE_LEN], const uint8_t key[WG_AEAD_KEY_LEN])
{
	crypto_aead_xchacha20poly1305_ietf_encrypt(dst, NULL, src, len, ad, ad_len, NULL, nonce,
	                                           key);
}

int wg_xaead_open(uint8_t *dst, const uint8_t *src, size_t src_len, const uint8_t *ad,
                  size_t ad_len, const uint8_t nonce[WG_XAEAD_NONCE_LEN],
                  const uint8_t key[WG_AEAD_KEY_LEN])
{
	return aead_open(crypto_aead_xchacha20poly1305_ietf_decrypt, dst, src, src_len, ad, ad_len,
	                 nonce, key);
}

/* libsodium already refuses low-order points, but the all-zero rule is the protocol's, so it is
 * checked here rather than trusted to a library version. */
int wg_dh(uint8_t out[WG_CURVE25519_KEY_LEN], const uint8_t private_key[WG_CURVE25519_KEY_LEN],
          const uint8_t public_key[WG_CURVE25519_KEY_LEN])
{
	if (crypto_scalarmult_curve25519(out, private_key, public_key) ||
	    sodium_is_zero(out, WG_CURVE25519_KEY_LEN)) {
		sodium_memzero(out, WG_CURVE25519_KEY_LEN);
		return -EINVAL;
	}
	return 0;
}

void wg_clamp(uint8_t private_key[WG_CURVE25519_KEY_LEN])
{
	private_key[0] &= 248;
	private_key[31] = (private_key[31] & 127) | 64;
}

void wg_keygen(uint8_t private_key[WG_CURVE25519_KEY_LEN])
{
	randombytes_buf(private_key, WG_CURVE25519_KEY_LEN);
	wg_clamp(private_key);
}

int wg_pubkey(uint8_t public_key[WG_CURVE25519_KEY_LEN],
              const uint8_t private_key[WG_CURVE25519_KEY_LEN])
{
	if (crypto_scalarmult_curve25519_base(public_key, private_key)) {
		sodium_memzero(public_key, WG_CURVE25519_KEY_LEN);
		return -EINVAL;
	}
	return 0;
}

void wg_tai64n(uint8_t out[WG_TAI64N_LEN], uint64_t unix_ns)
{
	uint64_t seconds = htobe64(TAI64_EPOCH + unix_ns / 1000000000);
	uint32_t nanoseconds = htobe32((uint32_t)(unix_ns % 1000000000) & ~TAI64N_WHITENER_MASK);

	memcpy(out, &seconds, sizeof(seconds));
	memcpy(out + sizeof(seconds), &nanoseconds, sizeof(nanoseconds));
}

bool wg_ct_equal(const void *a, const void *b, size_t len)
{
	return sodium_memcmp(a, b, len) == 0;
}

bool wg_is_zero(const void *buf, size_t len)
{
	return sodium_is_zero(buf, len);
}

void wg_memzero(void *buf, size_t len)
{
	sodium_memzero(buf, len);
}

void wg_random(void *buf, size_t len)
{
	randombytes_buf(buf, len);
}

int wg_hex_decode(uint8_t *out, size_t len, const char *hex, size_t hex_len)
{
	size_t decoded = 0;

	if (hex_len != 2 * len || sodium_hex2bin(out, len, hex, hex_len, NULL, &decoded, NULL) ||
	    decoded != len) {
		sodium_memzero(out, len);
		return -EINVAL;
	}
	return 0;
}

void wg_hex_encode(char *hex, const uint8_t *in, size_t len)
{
	sodium_bin2hex(hex, 2 * len + 1, in, len);
}
