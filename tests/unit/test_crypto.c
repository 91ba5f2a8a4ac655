// SPDX-License-Identifier: MIT
/*
 * test_crypto.c - the WireGuard primitives against published known answers (tests/vectors); the
 * data path's ChaCha20-Poly1305 through both libraries it may come from.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <blake2.h>
#include <errno.h>
#include <sodium.h>
#include <stdbool.h>
#include <string.h>

#include "vectors.h"
#include "wg/crypto.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

/* Unkeyed records check our HASH; keyed ones check libb2's keyed mode, which our MAC uses. */
static void check_blake2s(const struct vector_record *rec)
{
	uint8_t out[WG_HASH_LEN];
	size_t len, key_len;
	const uint8_t *in = vector_get(rec, "in", &len);
	const uint8_t *key = vector_get(rec, "key", &key_len);
	const uint8_t *hash = vector_get_exact(rec, "hash", WG_HASH_LEN);

	if (key_len) {
		assert_int_equal(blake2s(out, in, key, sizeof(out), len, key_len), 0);
		assert_memory_equal(out, hash, WG_HASH_LEN);
		return;
	}
	wg_hash(out, in, len);
	assert_memory_equal(out, hash, WG_HASH_LEN);
	/* HASH(a || b) must not depend on where the input is split. */
	wg_hash2(out, in, len / 3, in + len / 3, len - len / 3);
	assert_memory_equal(out, hash, WG_HASH_LEN);
}

static void test_blake2s_kat_unkeyed_and_keyed(void **state)
{
	(void)state;
	assert_int_equal(vector_for_each("blake2s_kat.txt", check_blake2s), 256 + 256);
}

static void check_mac(const struct vector_record *rec)
{
	uint8_t out[WG_MAC_LEN];
	size_t len, key_len;
	const uint8_t *in = vector_get(rec, "in", &len);
	const uint8_t *key = vector_get(rec, "key", &key_len);

	assert_int_equal(wg_mac(out, key, key_len, in, len), 0);
	assert_memory_equal(out, vector_get_exact(rec, "mac", WG_MAC_LEN), WG_MAC_LEN);
}

static void test_mac_is_keyed_blake2s_128(void **state)
{
	(void)state;
	assert_int_equal(vector_for_each("blake2s_mac.txt", check_mac), 16);
}

static void test_mac_rejects_bad_key_length(void **state)
{
	uint8_t key[WG_MAC_KEY_MAX_LEN + 1] = {0}, out[WG_MAC_LEN];

	(void)state;
	assert_int_equal(wg_mac(out, key, 0, "x", 1), -EINVAL);
	assert_int_equal(wg_mac(out, key, sizeof(key), "x", 1), -EINVAL);
}

static void check_hmac(const struct vector_record *rec)
{
	uint8_t out[WG_HASH_LEN];
	size_t len, key_len;
	const uint8_t *in = vector_get(rec, "in", &len);
	const uint8_t *key = vector_get(rec, "key", &key_len);

	wg_hmac(out, key, key_len, in, len);
	assert_memory_equal(out, vector_get_exact(rec, "hmac", WG_HASH_LEN), WG_HASH_LEN);
}

static void test_hmac_blake2s_known_answers(void **state)
{
	(void)state;
	assert_int_equal(vector_for_each("hmac_blake2s.txt", check_hmac), 20);
}

static void check_kdf(const struct vector_record *rec)
{
	uint8_t t[3][WG_HASH_LEN], chain[WG_HASH_LEN];
	size_t len;
	const uint8_t *key = vector_get_exact(rec, "key", WG_HASH_LEN);
	const uint8_t *in = vector_get(rec, "in", &len);
	const uint8_t *t0 = vector_get_exact(rec, "t0", WG_HASH_LEN);
	const uint8_t *t1 = vector_get_exact(rec, "t1", WG_HASH_LEN);
	const uint8_t *t2 = vector_get_exact(rec, "t2", WG_HASH_LEN);

	wg_kdf3(t[0], t[1], t[2], key, in, len);
	assert_memory_equal(t[0], t0, WG_HASH_LEN);
	assert_memory_equal(t[1], t1, WG_HASH_LEN);
	assert_memory_equal(t[2], t2, WG_HASH_LEN);
	memset(t, 0, sizeof(t));
	wg_kdf2(t[0], t[1], key, in, len);
	assert_memory_equal(t[0], t0, WG_HASH_LEN);
	assert_memory_equal(t[1], t1, WG_HASH_LEN);
	wg_kdf1(t[0], key, in, len);
	assert_memory_equal(t[0], t0, WG_HASH_LEN);
	/* The handshake writes the new chaining key over the old one. */
	memcpy(chain, key, WG_HASH_LEN);
	wg_kdf2(chain, t[1], chain, in, len);
	assert_memory_equal(chain, t0, WG_HASH_LEN);
	assert_memory_equal(t[1], t1, WG_HASH_LEN);
}

static void test_kdf_matches_wireguard_go(void **state)
{
	(void)state;
	assert_int_equal(vector_for_each("kdf.txt", check_kdf), 3);
}

static void check_construction(const struct vector_record *rec)
{
	uint8_t ci[WG_HASH_LEN], hi[WG_HASH_LEN];
	size_t construction_len, identifier_len;
	const uint8_t *construction = vector_get(rec, "construction", &construction_len);
	const uint8_t *identifier = vector_get(rec, "identifier", &identifier_len);

	assert_int_equal(construction_len, 37);
	assert_int_equal(identifier_len, 34);
	wg_hash(ci, construction, construction_len);
	assert_memory_equal(ci, vector_get_exact(rec, "ci", WG_HASH_LEN), WG_HASH_LEN);
	wg_hash2(hi, ci, sizeof(ci), identifier, identifier_len);
	assert_memory_equal(hi, vector_get_exact(rec, "hi", WG_HASH_LEN), WG_HASH_LEN);
}

static void test_construction_and_identifier_hashes(void **state)
{
	(void)state;
	assert_int_equal(vector_for_each("construction.txt", check_construction), 1);
}

/* Seals and opens one AEAD record, both out of place and in place, and checks that any change
 * to ciphertext, tag or associated data is refused with the output wiped. */
typedef void (*seal_fn)(uint8_t *, const uint8_t *, size_t, const uint8_t *, size_t,
                        const uint8_t *, const uint8_t *);
typedef int (*open_fn)(uint8_t *, const uint8_t *, size_t, const uint8_t *, size_t, const uint8_t *,
                       const uint8_t *);

static void check_aead_record(const struct vector_record *rec, size_t nonce_len, seal_fn seal,
                              open_fn open)
{
	size_t pt_len, ad_len;
	const uint8_t *key = vector_get_exact(rec, "key", WG_AEAD_KEY_LEN);
	const uint8_t *nonce = vector_get_exact(rec, "nonce", nonce_len);
	const uint8_t *ad = vector_get(rec, "ad", &ad_len);
	const uint8_t *pt = vector_get(rec, "plaintext", &pt_len);
	const uint8_t *ct = vector_get_exact(rec, "ciphertext", pt_len);
	const uint8_t *tag = vector_get_exact(rec, "tag", WG_AEAD_TAG_LEN);
	uint8_t *sealed = malloc(pt_len + WG_AEAD_TAG_LEN);
	uint8_t *opened = malloc(pt_len + 1);
	size_t i;

	assert_non_null(sealed);
	assert_non_null(opened);
	seal(sealed, pt, pt_len, ad, ad_len, nonce, key);
	assert_memory_equal(sealed, ct, pt_len);
	assert_memory_equal(sealed + pt_len, tag, WG_AEAD_TAG_LEN);
	assert_int_equal(open(opened, sealed, pt_len + WG_AEAD_TAG_LEN, ad, ad_len, nonce, key), 0);
	assert_memory_equal(opened, pt, pt_len);

	assert_int_equal(open(sealed, sealed, pt_len + WG_AEAD_TAG_LEN, ad, ad_len, nonce, key), 0);
	assert_memory_equal(sealed, pt, pt_len);
	seal(sealed, sealed, pt_len, ad, ad_len, nonce, key);
	assert_memory_equal(sealed, ct, pt_len);

	for (i = 0; i < pt_len + WG_AEAD_TAG_LEN; i += 37) {
		sealed[i] ^= 0x01;
		memset(opened, 0xaa, pt_len);
		assert_int_equal(
		    open(opened, sealed, pt_len + WG_AEAD_TAG_LEN, ad, ad_len, nonce, key),
		    -EBADMSG);
		assert_true(wg_is_zero(opened, pt_len));
		sealed[i] ^= 0x01;
	}
	if (ad_len)
		assert_int_equal(
		    open(opened, sealed, pt_len + WG_AEAD_TAG_LEN, ad, ad_len - 1, nonce, key),
		    -EBADMSG);
	assert_int_equal(open(opened, sealed, WG_AEAD_TAG_LEN - 1, ad, ad_len, nonce, key),
	                 -EBADMSG);
	free(sealed);
	free(opened);
}

static uint64_t le64_value(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; --i)
		v = v << 8 | p[i];
	return v;
}

/* The data path's contexts, one per library (set up for the whole run), and the one the
 * adapters below hand to the checks written for plain functions. */
static struct wg_aead_ctx aeads[2];
static struct wg_aead_ctx *aead;

static void aead_seal_ietf(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad,
                           size_t ad_len, const uint8_t *nonce, const uint8_t *key)
{
	wg_aead_ctx_seal_ietf(aead, dst, src, len, ad, ad_len, nonce, key);
}

static int aead_open_ietf(uint8_t *dst, const uint8_t *src, size_t src_len, const uint8_t *ad,
                          size_t ad_len, const uint8_t *nonce, const uint8_t *key)
{
	return wg_aead_ctx_open_ietf(aead, dst, src, src_len, ad, ad_len, nonce, key);
}

static void aead_seal(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad,
                      size_t ad_len, uint64_t counter, const uint8_t *key)
{
	wg_aead_ctx_seal(aead, dst, src, len, ad, ad_len, counter, key);
}

static int aead_open(uint8_t *dst, const uint8_t *src, size_t src_len, const uint8_t *ad,
                     size_t ad_len, uint64_t counter, const uint8_t *key)
{
	return wg_aead_ctx_open(aead, dst, src, src_len, ad, ad_len, counter, key);
}

typedef void (*counter_seal_fn)(uint8_t *, const uint8_t *, size_t, const uint8_t *, size_t,
                                uint64_t, const uint8_t *);
typedef int (*counter_open_fn)(uint8_t *, const uint8_t *, size_t, const uint8_t *, size_t,
                               uint64_t, const uint8_t *);

/* A nonce of WireGuard's shape (32 zero bits || LE64 counter, as in RFC 8439 A.5) must give
 * the same answer through the counter interface. */
static void check_counter_nonce(const struct vector_record *rec, counter_seal_fn seal,
                                counter_open_fn open)
{
	size_t pt_len, ad_len;
	const uint8_t *nonce = vector_get_exact(rec, "nonce", WG_AEAD_NONCE_LEN);
	const uint8_t *key = vector_get_exact(rec, "key", WG_AEAD_KEY_LEN);
	const uint8_t *ad = vector_get(rec, "ad", &ad_len);
	const uint8_t *pt = vector_get(rec, "plaintext", &pt_len);
	const uint64_t counter = le64_value(nonce + 4);
	uint8_t *sealed = malloc(pt_len + WG_AEAD_TAG_LEN), *opened = malloc(pt_len + 1);

	assert_non_null(sealed);
	assert_non_null(opened);
	seal(sealed, pt, pt_len, ad, ad_len, counter, key);
	assert_memory_equal(sealed, vector_get_exact(rec, "ciphertext", pt_len), pt_len);
	assert_memory_equal(sealed + pt_len, vector_get(rec, "tag", NULL), WG_AEAD_TAG_LEN);
	assert_int_equal(open(opened, sealed, pt_len + WG_AEAD_TAG_LEN, ad, ad_len, counter, key),
	                 0);
	assert_memory_equal(opened, pt, pt_len);
	assert_int_equal(
	    open(opened, sealed, pt_len + WG_AEAD_TAG_LEN, ad, ad_len, counter + 1, key), -EBADMSG);
	free(sealed);
	free(opened);
}

/* libsodium's plain functions (the handshake's), then each data-path library. */
static void check_chacha20poly1305(const struct vector_record *rec)
{
	const bool counter_shaped =
	    wg_is_zero(vector_get_exact(rec, "nonce", WG_AEAD_NONCE_LEN), 4);
	size_t i;

	check_aead_record(rec, WG_AEAD_NONCE_LEN, wg_aead_seal_ietf, wg_aead_open_ietf);
	if (counter_shaped)
		check_counter_nonce(rec, wg_aead_seal, wg_aead_open);
	for (i = 0; i < 2; i++) {
		aead = &aeads[i];
		check_aead_record(rec, WG_AEAD_NONCE_LEN, aead_seal_ietf, aead_open_ietf);
		if (counter_shaped)
			check_counter_nonce(rec, aead_seal, aead_open);
	}
}

static void test_chacha20poly1305_rfc8439_through_both_libraries(void **state)
{
	(void)state;
	assert_int_equal(vector_for_each("chacha20poly1305.txt", check_chacha20poly1305), 2);
}

/* One transport data message of the transcript, resealed from its header and plaintext (zero
 * padded to the message's length) under key and the counter its header carries. */
static void check_transport_message(struct wg_aead_ctx *ctx, const uint8_t *msg, size_t msg_len,
                                    const uint8_t *plain, size_t plain_len, const uint8_t *key,
                                    const uint8_t *other_key)
{
	enum { HEADER = 16 };
	const size_t padded = msg_len - HEADER - WG_AEAD_TAG_LEN;
	const uint64_t counter = le64_value(msg + 8);
	uint8_t buf[256] = {0};

	assert_true(msg_len <= sizeof(buf) && padded >= plain_len && padded % 16 == 0);
	memcpy(buf, msg, HEADER);
	memcpy(buf + HEADER, plain, plain_len);
	wg_aead_ctx_seal(ctx, buf + HEADER, buf + HEADER, padded, NULL, 0, counter, key);
	assert_memory_equal(buf, msg, msg_len);
	assert_int_equal(wg_aead_ctx_open(ctx, buf + HEADER, buf + HEADER, msg_len - HEADER, NULL,
	                                  0, counter, key),
	                 0);
	assert_memory_equal(buf + HEADER, plain, plain_len);
	assert_true(wg_is_zero(buf + HEADER + plain_len, padded - plain_len));
	memcpy(buf, msg, msg_len);
	assert_int_equal(wg_aead_ctx_open(ctx, buf + HEADER, buf + HEADER, msg_len - HEADER, NULL,
	                                  0, counter, other_key),
	                 -EBADMSG);
}

/* The keepalive (counter 0) and the padded data packet (counter 1) the initiator sends. */
static void check_handshake_transport(const struct vector_record *rec)
{
	const uint8_t *send_key = vector_get_exact(rec, "initiator_send_key", WG_AEAD_KEY_LEN);
	const uint8_t *receive_key =
	    vector_get_exact(rec, "initiator_receive_key", WG_AEAD_KEY_LEN);
	size_t keepalive_len, data_len, plain_len, i;
	const uint8_t *keepalive = vector_get(rec, "keepalive", &keepalive_len);
	const uint8_t *data = vector_get(rec, "data", &data_len);
	const uint8_t *plain = vector_get(rec, "data_plaintext", &plain_len);

	for (i = 0; i < 2; i++) {
		check_transport_message(&aeads[i], keepalive, keepalive_len, plain, 0, send_key,
		                        receive_key);
		check_transport_message(&aeads[i], data, data_len, plain, plain_len, send_key,
		                        receive_key);
	}
}

static void test_handshake_transcript_transport_through_both_libraries(void **state)
{
	(void)state;
	assert_int_equal(vector_for_each("wireguard_handshake.txt", check_handshake_transport), 1);
}

/* Lengths at and around the block sizes either library's code switches at, and random ones. */
static size_t test_length(unsigned int i)
{
	static const size_t edges[] = {0,    1,    15,   16,   17,   63,   64,   65,    127,
	                               128,  129,  255,  256,  257,  511,  512,  513,   1023,
	                               1024, 1420, 1436, 4095, 4096, 8192, 9000, 16384, 65535};
	const size_t n_edges = sizeof(edges) / sizeof(edges[0]);

	return i < n_edges ? edges[i] : randombytes_uniform(2048);
}

static void test_both_libraries_seal_alike_and_open_each_other(void **state)
{
	uint8_t key[WG_AEAD_KEY_LEN], nonce[WG_AEAD_NONCE_LEN], ad[40];
	uint8_t *plain, *by_sodium, *by_openssl, *opened;
	size_t len, ad_len, sealed_len;
	unsigned int i;

	(void)state;
	for (i = 0; i < 300; i++) {
		len = test_length(i);
		sealed_len = len + WG_AEAD_TAG_LEN;
		ad_len = i % 3 ? 0 : randombytes_uniform(sizeof(ad) + 1);
		plain = malloc(len + 1);
		by_sodium = malloc(sealed_len);
		by_openssl = malloc(sealed_len);
		opened = malloc(len + 1);
		assert_true(plain && by_sodium && by_openssl && opened);
		wg_random(key, sizeof(key));
		wg_random(nonce, sizeof(nonce));
		wg_random(ad, sizeof(ad));
		wg_random(plain, len);
		wg_aead_ctx_seal_ietf(&aeads[WG_AEAD_SODIUM], by_sodium, plain, len, ad, ad_len,
		                      nonce, key);
		wg_aead_ctx_seal_ietf(&aeads[WG_AEAD_OPENSSL], by_openssl, plain, len, ad, ad_len,
		                      nonce, key);
		assert_memory_equal(by_sodium, by_openssl, sealed_len);
		assert_int_equal(wg_aead_ctx_open_ietf(&aeads[WG_AEAD_OPENSSL], opened, by_sodium,
		                                       sealed_len, ad, ad_len, nonce, key),
		                 0);
		assert_memory_equal(opened, plain, len);
		assert_int_equal(wg_aead_ctx_open_ietf(&aeads[WG_AEAD_SODIUM], by_openssl,
		                                       by_openssl, sealed_len, ad, ad_len, nonce,
		                                       key),
		                 0);
		assert_memory_equal(by_openssl, plain, len);
		/* A wiped context forgets its key, not how to work. */
		if (i % 7 == 0)
			wg_aead_ctx_wipe(&aeads[WG_AEAD_OPENSSL]);
		free(plain);
		free(by_sodium);
		free(by_openssl);
		free(opened);
	}
}

/* OpenSSL's context takes a key only when it differs from the one it holds, so a run of one
 * key must seal as libsodium does, and so must a key changed in place (the same address, other
 * bytes; a difference in its first or last byte only), one that comes back, and either across an
 * open in between. */
static void test_openssl_context_rekeys_exactly_when_the_key_bytes_change(void **state)
{
	enum { LEN = 333 };
	static const unsigned int flips[] = {0, 0, 31, 31, 0, 8, 8, 0};
	uint8_t key[WG_AEAD_KEY_LEN], plain[LEN], expected[LEN + WG_AEAD_TAG_LEN];
	uint8_t sealed[LEN + WG_AEAD_TAG_LEN], opened[LEN];
	struct wg_aead_ctx *ctx = &aeads[WG_AEAD_OPENSSL];
	unsigned int i;

	(void)state;
	wg_random(key, sizeof(key));
	wg_random(plain, sizeof(plain));
	for (i = 0; i < 3 * ARRAY_SIZE(flips); i++) {
		/* Every other message keeps the key; the rest flip one bit of it. */
		if (i % 2)
			key[flips[i % ARRAY_SIZE(flips)]] ^= 0x80;
		wg_aead_seal(expected, plain, LEN, NULL, 0, i, key);
		wg_aead_ctx_seal(ctx, sealed, plain, LEN, NULL, 0, i, key);
		assert_memory_equal(sealed, expected, sizeof(sealed));
		if (i % 3 == 0)
			assert_int_equal(
			    wg_aead_ctx_open(ctx, opened, sealed, sizeof(sealed), NULL, 0, i, key),
			    0);
	}
	wg_aead_ctx_wipe(ctx);
	wg_aead_ctx_seal(ctx, sealed, plain, LEN, NULL, 0, i, key);
	wg_aead_seal(expected, plain, LEN, NULL, 0, i, key);
	assert_memory_equal(sealed, expected, sizeof(sealed));
	wg_aead_ctx_wipe(ctx);
}

/* Every one-bit change to the tag, an all-zero tag and a message cut short are refused with
 * nothing released. The message is sealed by the same context first, which leaves it holding
 * the right tag: an open must check the tag it is given, not one it remembers. */
static void check_forgeries_refused(struct wg_aead_ctx *ctx)
{
	enum { LEN = 1420 };
	uint8_t key[WG_AEAD_KEY_LEN], plain[LEN], sealed[LEN + WG_AEAD_TAG_LEN];
	uint8_t opened[LEN];
	unsigned int bit;

	wg_random(key, sizeof(key));
	wg_random(plain, sizeof(plain));
	for (bit = 0; bit < 8 * WG_AEAD_TAG_LEN; bit++) {
		wg_aead_ctx_seal(ctx, sealed, plain, LEN, NULL, 0, bit, key);
		sealed[LEN + bit / 8] ^= (uint8_t)(1u << bit % 8);
		memset(opened, 0xaa, sizeof(opened));
		assert_int_equal(
		    wg_aead_ctx_open(ctx, opened, sealed, sizeof(sealed), NULL, 0, bit, key),
		    -EBADMSG);
		assert_true(wg_is_zero(opened, sizeof(opened)));
	}
	wg_aead_ctx_seal(ctx, sealed, plain, LEN, NULL, 0, 0, key);
	memset(sealed + LEN, 0, WG_AEAD_TAG_LEN);
	assert_int_equal(wg_aead_ctx_open(ctx, sealed, sealed, sizeof(sealed), NULL, 0, 0, key),
	                 -EBADMSG);
	assert_true(wg_is_zero(sealed, LEN));
	assert_int_equal(
	    wg_aead_ctx_open(ctx, opened, sealed, WG_AEAD_TAG_LEN - 1, NULL, 0, 0, key), -EBADMSG);
	assert_int_equal(wg_aead_ctx_open(ctx, opened, sealed, 0, NULL, 0, 0, key), -EBADMSG);
}

static void test_forged_tags_are_refused_by_both_libraries(void **state)
{
	(void)state;
	check_forgeries_refused(&aeads[WG_AEAD_SODIUM]);
	check_forgeries_refused(&aeads[WG_AEAD_OPENSSL]);
}

static void test_library_is_chosen_by_name_else_openssl_where_it_works(void **state)
{
	static const char *const bad[] = {"libsodium", "OpenSSL", "openssl ", "auto", "1"};
	enum wg_aead_lib lib;
	size_t i;

	(void)state;
	assert_int_equal(wg_aead_lib_choose(&lib, "sodium"), 0);
	assert_int_equal(lib, WG_AEAD_SODIUM);
	assert_int_equal(wg_aead_lib_choose(&lib, "openssl"), 0);
	assert_int_equal(lib, WG_AEAD_OPENSSL);
	assert_int_equal(wg_aead_lib_choose(&lib, NULL), 0);
	assert_int_equal(lib, WG_AEAD_OPENSSL);
	assert_int_equal(wg_aead_lib_choose(&lib, ""), 0);
	assert_int_equal(lib, WG_AEAD_OPENSSL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(wg_aead_lib_choose(&lib, bad[i]), -EINVAL);
	assert_string_equal(wg_aead_lib_name(WG_AEAD_OPENSSL), "OpenSSL");
	assert_string_equal(wg_aead_lib_name(WG_AEAD_SODIUM), "libsodium");
	assert_true(strchr(wg_aead_lib_version(WG_AEAD_OPENSSL), '.') != NULL);
	assert_true(strchr(wg_aead_lib_version(WG_AEAD_SODIUM), '.') != NULL);
}

static void check_xchacha20poly1305(const struct vector_record *rec)
{
	check_aead_record(rec, WG_XAEAD_NONCE_LEN, wg_xaead_seal, wg_xaead_open);
}

static void test_xchacha20poly1305_draft_vector(void **state)
{
	(void)state;
	assert_int_equal(vector_for_each("xchacha20poly1305.txt", check_xchacha20poly1305), 1);
}

static void x25519_iterate(uint8_t k[WG_CURVE25519_KEY_LEN], unsigned int iterations)
{
	uint8_t u[WG_CURVE25519_KEY_LEN] = {9}, next[WG_CURVE25519_KEY_LEN];
	unsigned int i;

	memset(k, 0, WG_CURVE25519_KEY_LEN);
	k[0] = 9;
	for (i = 0; i < iterations; ++i) {
		assert_int_equal(wg_dh(next, k, u), 0);
		memcpy(u, k, WG_CURVE25519_KEY_LEN);
		memcpy(k, next, WG_CURVE25519_KEY_LEN);
	}
}

static void check_x25519_record(const struct vector_record *rec)
{
	uint8_t out[WG_CURVE25519_KEY_LEN];
	size_t len;
	const uint8_t *iterations =
	    vector_find(rec, "iterations") ? vector_get(rec, "iterations", &len) : NULL;

	if (vector_find(rec, "alice_private")) {
		assert_int_equal(wg_pubkey(out, vector_get(rec, "alice_private", NULL)), 0);
		assert_memory_equal(out, vector_get(rec, "alice_public", NULL), sizeof(out));
		assert_int_equal(wg_pubkey(out, vector_get(rec, "bob_private", NULL)), 0);
		assert_memory_equal(out, vector_get(rec, "bob_public", NULL), sizeof(out));
		assert_int_equal(wg_dh(out, vector_get(rec, "alice_private", NULL),
		                       vector_get(rec, "bob_public", NULL)),
		                 0);
		assert_memory_equal(out, vector_get(rec, "shared", NULL), sizeof(out));
		assert_int_equal(wg_dh(out, vector_get(rec, "bob_private", NULL),
		                       vector_get(rec, "alice_public", NULL)),
		                 0);
		assert_memory_equal(out, vector_get(rec, "shared", NULL), sizeof(out));
	} else if (iterations) {
		x25519_iterate(out, len == 1 ? iterations[0]
		                             : (unsigned)(iterations[0] << 8 | iterations[1]));
		assert_memory_equal(out, vector_get_exact(rec, "out", sizeof(out)), sizeof(out));
	} else if (vector_find(rec, "low_order")) {
		memset(out, 0xaa, sizeof(out));
		assert_int_equal(wg_dh(out, vector_get_exact(rec, "scalar", sizeof(out)),
		                       vector_get_exact(rec, "low_order", sizeof(out))),
		                 -EINVAL);
		assert_true(wg_is_zero(out, sizeof(out)));
	} else {
		assert_int_equal(wg_dh(out, vector_get_exact(rec, "scalar", sizeof(out)),
		                       vector_get_exact(rec, "u", sizeof(out))),
		                 0);
		assert_memory_equal(out, vector_get_exact(rec, "out", sizeof(out)), sizeof(out));
	}
}

static void test_x25519_rfc7748_and_low_order_rejection(void **state)
{
	(void)state;
	assert_int_equal(vector_for_each("x25519.txt", check_x25519_record), 5 + 7);
}

static void test_keygen_is_clamped_and_random(void **state)
{
	uint8_t a[WG_CURVE25519_KEY_LEN], b[WG_CURVE25519_KEY_LEN], pub[WG_CURVE25519_KEY_LEN];

	(void)state;
	wg_keygen(a);
	wg_keygen(b);
	assert_int_equal(a[0] & 7, 0);
	assert_int_equal(a[31] & 0xc0, 0x40);
	assert_false(wg_ct_equal(a, b, sizeof(a)));
	assert_int_equal(wg_pubkey(pub, a), 0);
	assert_false(wg_is_zero(pub, sizeof(pub)));
}

static void check_tai64n(const struct vector_record *rec)
{
	uint8_t out[WG_TAI64N_LEN];

	wg_tai64n(out, vector_be64(vector_get_exact(rec, "unix_ns", 8)));
	assert_memory_equal(out, vector_get_exact(rec, "tai64n", WG_TAI64N_LEN), WG_TAI64N_LEN);
}

static void test_tai64n_known_answers(void **state)
{
	(void)state;
	assert_int_equal(vector_for_each("tai64n.txt", check_tai64n), 8);
}

/* wireguard-go tai64n_test.go: stamps a few ms apart look the same, 2^24 ns apart do not. */
static void test_tai64n_hides_sub_2pow24_ns_timing(void **state)
{
	const uint64_t base = UINT64_C(1700000000) * 1000000000 + (UINT64_C(5) << 24);
	uint8_t first[WG_TAI64N_LEN], later[WG_TAI64N_LEN];
	const uint64_t same[] = {10, 10000, 1000000, 10000000, (UINT64_C(1) << 24) - 1};
	size_t i;

	(void)state;
	wg_tai64n(first, base);
	for (i = 0; i < sizeof(same) / sizeof(same[0]); ++i) {
		wg_tai64n(later, base + same[i]);
		assert_memory_equal(first, later, WG_TAI64N_LEN);
	}
	wg_tai64n(later, base + 20000000);
	assert_true(memcmp(later, first, WG_TAI64N_LEN) > 0);
}

static void test_constant_time_helpers(void **state)
{
	uint8_t a[32] = {1, 2, 3}, b[32] = {1, 2, 3}, zero[32] = {0};

	(void)state;
	assert_true(wg_ct_equal(a, b, sizeof(a)));
	b[31] = 1;
	assert_false(wg_ct_equal(a, b, sizeof(a)));
	assert_true(wg_is_zero(zero, sizeof(zero)));
	assert_false(wg_is_zero(b, sizeof(b)));
	wg_memzero(b, sizeof(b));
	assert_true(wg_is_zero(b, sizeof(b)));
}

static void test_hex_takes_either_case_and_writes_lower_case(void **state)
{
	const uint8_t bytes[4] = {0x00, 0x9f, 0xa0, 0xff};
	uint8_t out[4];
	char hex[9];

	(void)state;
	assert_int_equal(wg_hex_decode(out, 4, "009FA0ff", 8), 0);
	assert_memory_equal(out, bytes, 4);
	wg_hex_encode(hex, bytes, 4);
	assert_string_equal(hex, "009fa0ff");
}

static void test_hex_rejects_bad_digits_and_lengths_and_zeroes_the_output(void **state)
{
	static const char *const bad[] = {"009fa0fg", "009fa0f ", "009fa0f", "009fa0ff00",
	                                  "0x9fa0ff"};
	uint8_t out[4];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(out, 0xee, sizeof(out));
		assert_int_equal(wg_hex_decode(out, 4, bad[i], strlen(bad[i])), -EINVAL);
		assert_true(wg_is_zero(out, sizeof(out)));
	}
}

/* OpenSSL is a build dependency, so a host where its ChaCha20-Poly1305 cannot be had fails. */
static int aeads_setup(void **state)
{
	(void)state;
	return wg_aead_ctx_init(&aeads[WG_AEAD_SODIUM], WG_AEAD_SODIUM) ||
	       wg_aead_ctx_init(&aeads[WG_AEAD_OPENSSL], WG_AEAD_OPENSSL);
}

static int aeads_teardown(void **state)
{
	(void)state;
	wg_aead_ctx_free(&aeads[WG_AEAD_SODIUM]);
	wg_aead_ctx_free(&aeads[WG_AEAD_OPENSSL]);
	wg_aead_ctx_free(&aeads[WG_AEAD_OPENSSL]); /* a second free is harmless */
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_blake2s_kat_unkeyed_and_keyed),
	    cmocka_unit_test(test_mac_is_keyed_blake2s_128),
	    cmocka_unit_test(test_mac_rejects_bad_key_length),
	    cmocka_unit_test(test_hmac_blake2s_known_answers),
	    cmocka_unit_test(test_kdf_matches_wireguard_go),
	    cmocka_unit_test(test_construction_and_identifier_hashes),
	    cmocka_unit_test(test_chacha20poly1305_rfc8439_through_both_libraries),
	    cmocka_unit_test(test_handshake_transcript_transport_through_both_libraries),
	    cmocka_unit_test(test_both_libraries_seal_alike_and_open_each_other),
	    cmocka_unit_test(test_openssl_context_rekeys_exactly_when_the_key_bytes_change),
	    cmocka_unit_test(test_forged_tags_are_refused_by_both_libraries),
	    cmocka_unit_test(test_library_is_chosen_by_name_else_openssl_where_it_works),
	    cmocka_unit_test(test_xchacha20poly1305_draft_vector),
	    cmocka_unit_test(test_x25519_rfc7748_and_low_order_rejection),
	    cmocka_unit_test(test_keygen_is_clamped_and_random),
	    cmocka_unit_test(test_tai64n_known_answers),
	    cmocka_unit_test(test_tai64n_hides_sub_2pow24_ns_timing),
	    cmocka_unit_test(test_constant_time_helpers),
	    cmocka_unit_test(test_hex_takes_either_case_and_writes_lower_case),
	    cmocka_unit_test(test_hex_rejects_bad_digits_and_lengths_and_zeroes_the_output),
	};

	if (wg_crypto_init())
		return 1;
	return cmocka_run_group_tests(tests, aeads_setup, aeads_teardown);
}
