// SPDX-License-Identifier: MIT
/*
 * crypto.c - thin, checked wrappers over libb2, libsodium and OpenSSL's EVP, plus HMAC and the
 * KDF.
 */
#include "wg/crypto.h"

#include <blake2.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
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

const char *wg_aead_lib_name(enum wg_aead_lib lib)
{
	return lib == WG_AEAD_OPENSSL ? "OpenSSL" : "libsodium";
}

const char *wg_aead_lib_version(enum wg_aead_lib lib)
{
	return lib == WG_AEAD_OPENSSL ? OpenSSL_version(OPENSSL_VERSION_STRING)
	                              : sodium_version_string();
}

/* The cipher is fetched once per context, which keeps its own reference: an implicit fetch, or
 * passing the cipher again, would cost a lookup or a fresh provider context per message. The
 * tag length is fixed before the first message so that no open can ever compare fewer than 16
 * bytes, even one that forgot to set its tag. */
static int evp_new(EVP_CIPHER_CTX **out)
{
	EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	EVP_CIPHER_CTX *evp = cipher ? EVP_CIPHER_CTX_new() : NULL;
	int ret = !cipher ? -ENOTSUP : !evp ? -ENOMEM : 0;

	if (!ret &&
	    (EVP_EncryptInit_ex2(evp, cipher, NULL, NULL, NULL) != 1 ||
	     EVP_CIPHER_CTX_ctrl(evp, EVP_CTRL_AEAD_SET_IVLEN, WG_AEAD_NONCE_LEN, NULL) <= 0 ||
	     EVP_CIPHER_CTX_ctrl(evp, EVP_CTRL_AEAD_SET_TAG, WG_AEAD_TAG_LEN, NULL) <= 0))
		ret = -ENOTSUP;
	EVP_CIPHER_free(cipher);
	if (ret) {
		EVP_CIPHER_CTX_free(evp);
		evp = NULL;
		ERR_clear_error();
	}
	*out = evp;
	return ret;
}

int wg_aead_ctx_init(struct wg_aead_ctx *ctx, enum wg_aead_lib lib)
{
	ctx->lib = lib;
	ctx->evp = NULL;
	ctx->keyed = false;
	sodium_memzero(ctx->key, sizeof(ctx->key));
	return lib == WG_AEAD_OPENSSL ? evp_new(&ctx->evp) : 0;
}

/*
 * OpenSSL 3.0 asks its provider for the key length, through a parameter lookup by name, each time
 * a key is passed, so the key goes in only when it differs from the one the context holds; the
 * nonce goes in every time (it keeps the key, and starts the keystream and Poly1305 afresh). A
 * batch's messages share one key as a rule. Either way one context serves every session: no
 * context per session and thread to keep.
 */
/* Constant-time like wg_ct_equal(), but in four words: sodium_memcmp()'s byte loop, once per
 * message, costs about what skipping the key saves. */
static bool same_key(const uint8_t a[WG_AEAD_KEY_LEN], const uint8_t b[WG_AEAD_KEY_LEN])
{
	uint64_t x, y, diff = 0;
	unsigned int i;

	for (i = 0; i < WG_AEAD_KEY_LEN; i += sizeof(x)) {
		memcpy(&x, a + i, sizeof(x));
		memcpy(&y, b + i, sizeof(y));
		diff |= x ^ y;
	}
	return !diff;
}

static const uint8_t *key_to_set(struct wg_aead_ctx *ctx, const uint8_t *key)
{
	if (ctx->keyed && same_key(ctx->key, key))
		return NULL;
	memcpy(ctx->key, key, WG_AEAD_KEY_LEN);
	ctx->keyed = true;
	return key;
}

/* A failed init may leave the context's key unknown: the next message keys it afresh. */
static void forget_key(struct wg_aead_ctx *ctx)
{
	sodium_memzero(ctx->key, sizeof(ctx->key));
	ctx->keyed = false;
	ERR_clear_error();
}

static void evp_seal(struct wg_aead_ctx *ctx, uint8_t *dst, const uint8_t *src, size_t len,
                     const uint8_t *ad, size_t ad_len, const uint8_t *nonce, const uint8_t *key)
{
	EVP_CIPHER_CTX *evp = ctx->evp;
	int out_len;

	if (len <= WG_AEAD_MAX_LEN && ad_len <= WG_AEAD_MAX_LEN &&
	    EVP_EncryptInit_ex2(evp, NULL, key_to_set(ctx, key), nonce, NULL) == 1 &&
	    (!ad_len || EVP_EncryptUpdate(evp, NULL, &out_len, ad, (int)ad_len) == 1) &&
	    (!len || EVP_EncryptUpdate(evp, dst, &out_len, src, (int)len) == 1) &&
	    EVP_EncryptFinal_ex(evp, dst + len, &out_len) == 1 &&
	    EVP_CIPHER_CTX_ctrl(evp, EVP_CTRL_AEAD_GET_TAG, WG_AEAD_TAG_LEN, dst + len) > 0)
		return;
	sodium_memzero(dst, len + WG_AEAD_TAG_LEN);
	forget_key(ctx);
}

/* OpenSSL decrypts first and authenticates at the end, so the whole message is always worked
 * through and the tag compared in constant time; what was decrypted is wiped if it fails. A tag
 * that does not authenticate queues no OpenSSL error (only the steps before could), so a flood
 * of forgeries costs a decryption each and nothing more. */
static int evp_open(struct wg_aead_ctx *ctx, uint8_t *dst, const uint8_t *src, size_t src_len,
                    const uint8_t *ad, size_t ad_len, const uint8_t *nonce, const uint8_t *key)
{
	EVP_CIPHER_CTX *evp = ctx->evp;
	size_t len = src_len - WG_AEAD_TAG_LEN;
	uint8_t tag[WG_AEAD_TAG_LEN];
	int out_len;
	bool ready;

	memcpy(tag, src + len, sizeof(tag));
	ready = len <= WG_AEAD_MAX_LEN && ad_len <= WG_AEAD_MAX_LEN &&
	        EVP_DecryptInit_ex2(evp, NULL, key_to_set(ctx, key), nonce, NULL) == 1 &&
	        (!ad_len || EVP_DecryptUpdate(evp, NULL, &out_len, ad, (int)ad_len) == 1) &&
	        (!len || EVP_DecryptUpdate(evp, dst, &out_len, src, (int)len) == 1) &&
	        EVP_CIPHER_CTX_ctrl(evp, EVP_CTRL_AEAD_SET_TAG, sizeof(tag), tag) > 0;
	if (ready && EVP_DecryptFinal_ex(evp, dst + len, &out_len) == 1)
		return 0;
	if (!ready)
		forget_key(ctx);
	sodium_memzero(dst, len);
	return -EBADMSG;
}

void wg_aead_ctx_seal_ietf(struct wg_aead_ctx *ctx, uint8_t *dst, const uint8_t *src, size_t len,
                           const uint8_t *ad, size_t ad_len, const uint8_t nonce[WG_AEAD_NONCE_LEN],
                           const uint8_t key[WG_AEAD_KEY_LEN])
{
	if (ctx->lib == WG_AEAD_OPENSSL)
		evp_seal(ctx, dst, src, len, ad, ad_len, nonce, key);
	else
		wg_aead_seal_ietf(dst, src, len, ad, ad_len, nonce, key);
}

int wg_aead_ctx_open_ietf(struct wg_aead_ctx *ctx, uint8_t *dst, const uint8_t *src, size_t src_len,
                          const uint8_t *ad, size_t ad_len, const uint8_t nonce[WG_AEAD_NONCE_LEN],
                          const uint8_t key[WG_AEAD_KEY_LEN])
{
	if (ctx->lib != WG_AEAD_OPENSSL)
		return wg_aead_open_ietf(dst, src, src_len, ad, ad_len, nonce, key);
	if (src_len < WG_AEAD_TAG_LEN)
		return -EBADMSG;
	return evp_open(ctx, dst, src, src_len, ad, ad_len, nonce, key);
}

void wg_aead_ctx_seal(struct wg_aead_ctx *ctx, uint8_t *dst, const uint8_t *src, size_t len,
                      const uint8_t *ad, size_t ad_len, uint64_t counter,
                      const uint8_t key[WG_AEAD_KEY_LEN])
{
	uint8_t nonce[WG_AEAD_NONCE_LEN];

	counter_nonce(nonce, counter);
	wg_aead_ctx_seal_ietf(ctx, dst, src, len, ad, ad_len, nonce, key);
}

int wg_aead_ctx_open(struct wg_aead_ctx *ctx, uint8_t *dst, const uint8_t *src, size_t src_len,
                     const uint8_t *ad, size_t ad_len, uint64_t counter,
                     const uint8_t key[WG_AEAD_KEY_LEN])
{
	uint8_t nonce[WG_AEAD_NONCE_LEN];

	counter_nonce(nonce, counter);
	return wg_aead_ctx_open_ietf(ctx, dst, src, src_len, ad, ad_len, nonce, key);
}

/* Besides the key, OpenSSL keeps the keystream block it cut the last message's tail from.
 * Sealing nothing under a zero key replaces both (and the Poly1305 state is cleansed by every
 * final anyway), which libsodium, keeping nothing, does not need. */
void wg_aead_ctx_wipe(struct wg_aead_ctx *ctx)
{
	static const uint8_t zero[WG_AEAD_KEY_LEN + WG_AEAD_NONCE_LEN + WG_AEAD_TAG_LEN];
	uint8_t tag[WG_AEAD_TAG_LEN];

	if (ctx->keyed)
		evp_seal(ctx, tag, NULL, 0, NULL, 0, zero, zero);
	sodium_memzero(ctx->key, sizeof(ctx->key));
	ctx->keyed = false;
}

void wg_aead_ctx_free(struct wg_aead_ctx *ctx)
{
	/* EVP_CIPHER_CTX_free() cleanses the provider's context as it frees it. */
	EVP_CIPHER_CTX_free(ctx->evp);
	ctx->evp = NULL;
	sodium_memzero(ctx->key, sizeof(ctx->key));
	ctx->keyed = false;
}

/* Whether OpenSSL's ChaCha20-Poly1305 works here: it can be had, seals an odd-sized message
 * with associated data as libsodium does, opens it, and refuses it with a bit of the tag
 * flipped. A few microseconds, once per device. */
static bool openssl_works(void)
{
	enum { LEN = 1000 + 13, AD_LEN = 13 };
	uint8_t key[WG_AEAD_KEY_LEN], nonce[WG_AEAD_NONCE_LEN] = {7}, ad[AD_LEN];
	uint8_t plain[LEN], expected[LEN + WG_AEAD_TAG_LEN], sealed[LEN + WG_AEAD_TAG_LEN];
	struct wg_aead_ctx ctx;
	bool works;
	size_t i;

	if (wg_aead_ctx_init(&ctx, WG_AEAD_OPENSSL) < 0)
		return false;
	for (i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)(i * 7);
	memcpy(key, plain + 1, sizeof(key));
	memcpy(ad, plain + 2, sizeof(ad));
	wg_aead_seal_ietf(expected, plain, LEN, ad, AD_LEN, nonce, key);
	wg_aead_ctx_seal_ietf(&ctx, sealed, plain, LEN, ad, AD_LEN, nonce, key);
	works = !memcmp(sealed, expected, sizeof(sealed)) &&
	        wg_aead_ctx_open_ietf(&ctx, sealed, sealed, sizeof(sealed), ad, AD_LEN, nonce,
	                              key) == 0 &&
	        !memcmp(sealed, plain, LEN);
	expected[LEN] ^= 1;
	works = works && wg_aead_ctx_open_ietf(&ctx, sealed, expected, sizeof(expected), ad, AD_LEN,
	                                       nonce, key) == -EBADMSG;
	wg_aead_ctx_free(&ctx);
	return works;
}

/* OpenSSL unless forced otherwise or broken, rather than a race of the two at start. Its vector
 * code (AVX2, AVX-512, NEON) is ahead of libsodium 1.0.18's on the full-sized packets where the
 * data path spends its crypto time, about twice as fast with AVX-512, and behind only on tiny
 * ones, by EVP's fixed cost per message. A timed race on a busy host could pick either, and a
 * different one from one start to the next. */
int wg_aead_lib_choose(enum wg_aead_lib *lib, const char *name)
{
	bool forced = name && *name;

	*lib = WG_AEAD_SODIUM;
	if (forced && !strcmp(name, "sodium"))
		return 0;
	if (forced && strcmp(name, "openssl"))
		return -EINVAL;
	if (openssl_works())
		*lib = WG_AEAD_OPENSSL;
	else if (forced)
		return -ENOTSUP;
	return 0;
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
