// SPDX-License-Identifier: MIT
/*
 * micro.c - what one core of this machine can do for the protocol core: responder handshakes
 * per second, ChaCha20-Poly1305 sealing and opening of MTU-sized packets, and X25519
 * operations per second measured in the same run as the ceiling the handshake rate is judged
 * against. The AEAD and X25519 rows are measured for both libraries the engine could take them
 * from, libsodium and OpenSSL's libcrypto, side by side.
 *
 * The rows are measured in interleaved rounds and each keeps its best round, so that a burst
 * of load from elsewhere on the machine skews one round and not a ratio.
 *
 * Usage: bench_micro [seconds per row, default 1]
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wg/cookie.h"
#include "wg/noise.h"

#define NSEC_PER_SEC 1000000000.0
#define WALL_START (UINT64_C(1764090000) * UINT64_C(1000000000))

enum {
	PACKET_LEN = 1420,    /* the default TUN MTU: a full-sized inner packet */
	INITIATION_POOL = 64, /* initiations prepared (untimed) per timed batch */
	AEAD_BATCH = 128,     /* packets per context wipe, as the engine's batches */
	DH_BATCH = 64,
	ROUNDS = 3,
	LIBS = 2, /* indexed by enum wg_aead_lib */
};

struct lib_rates {
	double seal_packets_per_sec;
	double open_packets_per_sec;
	double x25519_per_sec;
};

struct rates {
	struct lib_rates lib[LIBS];
	double openssl_x25519_reused_per_sec; /* its key objects made once: the library's ceiling */
	double handshakes_per_sec;
};

/* The responder's side of one peer and the initiator that keeps sending to it. */
struct bench_link {
	struct wg_noise_static_identity responder_id, initiator_id;
	struct wg_noise_handshake responder_hs, initiator_hs;
	struct wg_cookie_checker checker;
	struct wg_cookie_maker initiator_maker, responder_maker;
};

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / NSEC_PER_SEC;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_micro: %s failed: %s\n", what, strerror(-err));
	exit(1);
}

static struct wg_noise_handshake *lookup(void *ctx, const uint8_t key[NOISE_PUBLIC_KEY_LEN])
{
	struct bench_link *link = ctx;

	return wg_ct_equal(key, link->responder_hs.remote_static, NOISE_PUBLIC_KEY_LEN)
	           ? &link->responder_hs
	           : NULL;
}

static void identity(struct wg_noise_static_identity *id)
{
	uint8_t key[NOISE_PUBLIC_KEY_LEN];

	wg_noise_static_identity_init(id);
	wg_keygen(key);
	wg_noise_static_identity_set_private_key(id, key);
	wg_memzero(key, sizeof(key));
}

static void link_init(struct bench_link *link)
{
	int ret;

	identity(&link->responder_id);
	identity(&link->initiator_id);
	ret = wg_noise_handshake_init(&link->responder_hs, &link->responder_id,
	                              link->initiator_id.static_public, NULL);
	if (!ret)
		ret = wg_noise_handshake_init(&link->initiator_hs, &link->initiator_id,
		                              link->responder_id.static_public, NULL);
	if (ret)
		die("handshake init", ret);
	wg_cookie_checker_init(&link->checker, link->responder_id.static_public);
	wg_cookie_maker_init(&link->initiator_maker, link->responder_id.static_public);
	wg_cookie_maker_init(&link->responder_maker, link->initiator_id.static_public);
}

/* X25519 through OpenSSL's EVP as wg_dh() would have to call it: every operation of a handshake
 * has a key that is new (an ephemeral, a peer's), so every operation makes its key objects. */
static int openssl_dh(uint8_t out[NOISE_PUBLIC_KEY_LEN],
                      const uint8_t private_key[NOISE_PUBLIC_KEY_LEN],
                      const uint8_t public_key[NOISE_PUBLIC_KEY_LEN])
{
	EVP_PKEY *private =
	    EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, private_key, NOISE_PUBLIC_KEY_LEN);
	EVP_PKEY *public =
	    EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, public_key, NOISE_PUBLIC_KEY_LEN);
	EVP_PKEY_CTX *ctx = private ? EVP_PKEY_CTX_new_from_pkey(NULL, private, NULL) : NULL;
	size_t len = NOISE_PUBLIC_KEY_LEN;
	int ret = ctx && public && EVP_PKEY_derive_init(ctx) == 1 &&
	                  EVP_PKEY_derive_set_peer(ctx, public) == 1 &&
	                  EVP_PKEY_derive(ctx, out, &len) == 1
	              ? 0
	              : -EINVAL;

	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(public);
	EVP_PKEY_free(private);
	return ret;
}

static double bench_x25519(enum wg_aead_lib lib, double seconds)
{
	uint8_t private_key[NOISE_PUBLIC_KEY_LEN], point[NOISE_PUBLIC_KEY_LEN];
	uint8_t check[NOISE_PUBLIC_KEY_LEN];
	double start = now_seconds(), elapsed;
	unsigned long ops = 0;
	int i, ret;

	wg_keygen(private_key);
	if ((ret = wg_pubkey(point, private_key)))
		die("X25519 public key", ret);
	if (wg_dh(check, private_key, point) || openssl_dh(point, private_key, point) ||
	    memcmp(check, point, sizeof(point)))
		die("X25519 (the libraries disagree)", -EINVAL);
	do {
		/* Chained so each result feeds the next, like the RFC 7748 iteration test. */
		for (i = 0; i < DH_BATCH; ++i) {
			ret = lib == WG_AEAD_OPENSSL ? openssl_dh(point, private_key, point)
			                             : wg_dh(point, private_key, point);
			if (ret)
				die("X25519", ret);
		}
		ops += DH_BATCH;
		elapsed = now_seconds() - start;
	} while (elapsed < seconds);
	return (double)ops / elapsed;
}

/* OpenSSL's X25519 alone: the same two keys derived from again and again. */
static double bench_openssl_x25519_reused(double seconds)
{
	uint8_t private_key[NOISE_PUBLIC_KEY_LEN], public_key[NOISE_PUBLIC_KEY_LEN];
	uint8_t out[NOISE_PUBLIC_KEY_LEN];
	double start = now_seconds(), elapsed;
	EVP_PKEY *private, *public;
	unsigned long ops = 0;
	EVP_PKEY_CTX *ctx;
	size_t len;
	int i;

	wg_keygen(private_key);
	wg_keygen(public_key);
	if (wg_pubkey(public_key, public_key))
		die("X25519 public key", -EINVAL);
	private = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, private_key, sizeof(out));
	public = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, public_key, sizeof(out));
	ctx = private ? EVP_PKEY_CTX_new_from_pkey(NULL, private, NULL) : NULL;
	if (!ctx || !public || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer(ctx, public) != 1)
		die("OpenSSL X25519 setup", -EINVAL);
	do {
		for (i = 0; i < DH_BATCH; ++i) {
			len = sizeof(out);
			if (EVP_PKEY_derive(ctx, out, &len) != 1)
				die("OpenSSL X25519", -EINVAL);
		}
		ops += DH_BATCH;
		elapsed = now_seconds() - start;
	} while (elapsed < seconds);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(public);
	EVP_PKEY_free(private);
	wg_memzero(private_key, sizeof(private_key));
	return (double)ops / elapsed;
}

/* Initiations with strictly increasing timestamps, as one real initiator would send them. */
static void prepare_initiations(struct bench_link *link, struct wg_msg_initiation *pool,
                                uint64_t *wall)
{
	int i, ret;

	for (i = 0; i < INITIATION_POOL; ++i) {
		ret = wg_noise_handshake_create_initiation(&pool[i], &link->initiator_hs,
		                                           (uint32_t)i, *wall);
		if (!ret)
			ret = wg_cookie_add_macs(&link->initiator_maker, &pool[i], sizeof(pool[i]),
			                         0);
		if (ret)
			die("create initiation", ret);
		*wall += UINT64_C(1) << 24; /* one TAI64N step */
	}
}

/* What the responder does per initiation: mac1, consume, respond, mac1 on the response. */
static void respond(struct bench_link *link, const struct wg_msg_initiation *msg, uint64_t now)
{
	struct wg_msg_response resp;
	struct wg_noise_handshake *hs;
	int ret;

	if (wg_cookie_validate(&link->checker, msg, sizeof(*msg), NULL, false, NULL, now) !=
	    COOKIE_VALID_MAC_BUT_NO_COOKIE)
		die("mac1 validation", -EBADMSG);
	ret =
	    wg_noise_handshake_consume_initiation(msg, &link->responder_id, lookup, link, now, &hs);
	if (!ret)
		ret = wg_noise_handshake_create_response(&resp, hs, 1);
	if (!ret)
		ret = wg_cookie_add_macs(&link->responder_maker, &resp, sizeof(resp), now);
	if (ret)
		die("consume initiation / create response", ret);
}

static double bench_handshakes(double seconds)
{
	static struct wg_msg_initiation pool[INITIATION_POOL];
	/* Initiations from one peer are accepted at most every 20 ms: step the clock by that. */
	const uint64_t flood_interval = UINT64_C(1000000000) / INITIATIONS_PER_SECOND;
	uint64_t wall = WALL_START, now = 0;
	struct bench_link link;
	unsigned long done = 0;
	double spent = 0, start;
	int i;

	link_init(&link);
	while (spent < seconds) {
		prepare_initiations(&link, pool, &wall);
		start = now_seconds();
		for (i = 0; i < INITIATION_POOL; ++i) {
			now += flood_interval;
			respond(&link, &pool[i], now);
		}
		spent += now_seconds() - start;
		done += INITIATION_POOL;
	}
	wg_memzero(&link, sizeof(link));
	return (double)done / spent;
}

static double bench_seal(struct wg_aead_ctx *aead, double seconds)
{
	static uint8_t packet[PACKET_LEN + NOISE_AUTHTAG_LEN];
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	double start = now_seconds(), elapsed;
	uint64_t counter = 0;
	int i;

	wg_random(key, sizeof(key));
	wg_random(packet, PACKET_LEN);
	do {
		/* In place, as the data path encrypts packets in their own buffers. */
		for (i = 0; i < AEAD_BATCH; ++i, ++counter)
			wg_aead_ctx_seal(aead, packet, packet, PACKET_LEN, NULL, 0, counter, key);
		wg_aead_ctx_wipe(aead);
		elapsed = now_seconds() - start;
	} while (elapsed < seconds);
	wg_memzero(key, sizeof(key));
	return (double)counter / elapsed;
}

/* Out of place, unlike the data path, so that the one sealed packet authenticates every time. */
static double bench_open(struct wg_aead_ctx *aead, double seconds)
{
	static uint8_t sealed[PACKET_LEN + NOISE_AUTHTAG_LEN], opened[PACKET_LEN];
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	double start = now_seconds(), elapsed;
	unsigned long opens = 0;
	int i;

	wg_random(key, sizeof(key));
	wg_random(opened, PACKET_LEN);
	wg_aead_ctx_seal(aead, sealed, opened, PACKET_LEN, NULL, 0, 1, key);
	do {
		for (i = 0; i < AEAD_BATCH; ++i, ++opens) {
			if (wg_aead_ctx_open(aead, opened, sealed, sizeof(sealed), NULL, 0, 1, key))
				die("ChaCha20-Poly1305 open", -EBADMSG);
		}
		wg_aead_ctx_wipe(aead);
		elapsed = now_seconds() - start;
	} while (elapsed < seconds);
	wg_memzero(key, sizeof(key));
	return (double)opens / elapsed;
}

static double best(double a, double b)
{
	return a > b ? a : b;
}

static void measure(struct rates *r, struct wg_aead_ctx aeads[LIBS], double seconds)
{
	double round = seconds / ROUNDS;
	struct lib_rates *lr;
	int i, lib;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < ROUNDS; ++i) {
		for (lib = 0; lib < LIBS; ++lib) {
			lr = &r->lib[lib];
			lr->x25519_per_sec = best(lr->x25519_per_sec, bench_x25519(lib, round));
			lr->seal_packets_per_sec =
			    best(lr->seal_packets_per_sec, bench_seal(&aeads[lib], round));
			lr->open_packets_per_sec =
			    best(lr->open_packets_per_sec, bench_open(&aeads[lib], round));
		}
		r->openssl_x25519_reused_per_sec =
		    best(r->openssl_x25519_reused_per_sec, bench_openssl_x25519_reused(round));
		r->handshakes_per_sec = best(r->handshakes_per_sec, bench_handshakes(round));
	}
}

static void print_row(const char *operation, const char *unit, double sodium, double openssl)
{
	printf("%-44s %-5s %16.0f %16.0f %7.2fx\n", operation, unit, sodium, openssl,
	       openssl / sodium);
}

static void print_report(const struct rates *r, double seconds, enum wg_aead_lib chosen)
{
	const struct lib_rates *sodium = &r->lib[WG_AEAD_SODIUM];
	const struct lib_rates *openssl = &r->lib[WG_AEAD_OPENSSL];
	const double mb_per_packet = PACKET_LEN / 1e6;
	char sodium_name[32], openssl_name[32];

	printf("kilo protocol-core microbenchmark: 1 thread (one core), %.2f s per row, best of %d "
	       "rounds\n\n",
	       seconds, ROUNDS);
	snprintf(sodium_name, sizeof(sodium_name), "libsodium %s",
	         wg_aead_lib_version(WG_AEAD_SODIUM));
	snprintf(openssl_name, sizeof(openssl_name), "OpenSSL %s",
	         wg_aead_lib_version(WG_AEAD_OPENSSL));
	printf("%-44s %-5s %16s %16s %8s\n", "operation", "unit", sodium_name, openssl_name,
	       "ratio");
	print_row("ChaCha20-Poly1305 seal, 1420-byte packets", "MB/s",
	          sodium->seal_packets_per_sec * mb_per_packet,
	          openssl->seal_packets_per_sec * mb_per_packet);
	print_row("ChaCha20-Poly1305 open, 1420-byte packets", "MB/s",
	          sodium->open_packets_per_sec * mb_per_packet,
	          openssl->open_packets_per_sec * mb_per_packet);
	print_row("X25519 scalar multiplication (ceiling)", "ops/s", sodium->x25519_per_sec,
	          openssl->x25519_per_sec);
	printf(
	    "  (ratio: OpenSSL / libsodium; OpenSSL's X25519 makes its key objects per operation,\n"
	    "  as the handshake's fresh keys would need: %.0f ops/s when they are made once)\n",
	    r->openssl_x25519_reused_per_sec);
	printf("\n%-44s %-5s %16.0f\n", "responder handshake: mac1, consume, respond", "hs/s",
	       r->handshakes_per_sec);
	printf("\nthe engine takes: ChaCha20-Poly1305 from %s (KWG_CRYPTO=sodium|openssl forces "
	       "one), X25519 from libsodium\n",
	       wg_aead_lib_name(chosen));
	printf("\nratios\n");
	printf("  X25519 ops per responder handshake: %.2f (floor 4: es, ee, se and the ephemeral "
	       "public key)\n",
	       sodium->x25519_per_sec / r->handshakes_per_sec);
	printf("  handshake rate vs its 4-X25519 ceiling: %.0f%%\n",
	       100 * r->handshakes_per_sec * 4 / sodium->x25519_per_sec);
	printf("  sealed 1420-byte packets per X25519 op: %.1f (%.2f Gbit/s sealed)\n",
	       r->lib[chosen].seal_packets_per_sec / sodium->x25519_per_sec,
	       r->lib[chosen].seal_packets_per_sec * mb_per_packet * 8 / 1e3);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? strtod(argv[1], NULL) : 1.0;
	struct wg_aead_ctx aeads[LIBS];
	enum wg_aead_lib chosen;
	struct rates rates;
	int ret;

	if (argc > 2 || !(seconds > 0)) {
		fprintf(stderr, "usage: %s [seconds per row, > 0]\n", argv[0]);
		return 2;
	}
	if (wg_crypto_init()) {
		fprintf(stderr, "bench_micro: libsodium failed to initialise\n");
		return 1;
	}
	if ((ret = wg_aead_lib_choose(&chosen, getenv("KWG_CRYPTO"))) ||
	    (ret = wg_aead_ctx_init(&aeads[WG_AEAD_SODIUM], WG_AEAD_SODIUM)) ||
	    (ret = wg_aead_ctx_init(&aeads[WG_AEAD_OPENSSL], WG_AEAD_OPENSSL)))
		die("ChaCha20-Poly1305 setup", ret);
	measure(&rates, aeads, seconds);
	print_report(&rates, seconds, chosen);
	wg_aead_ctx_free(&aeads[WG_AEAD_SODIUM]);
	wg_aead_ctx_free(&aeads[WG_AEAD_OPENSSL]);
	return 0;
}
