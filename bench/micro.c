// SPDX-License-Identifier: MIT
/*
 * micro.c - what one core of this machine can do for the protocol core: responder handshakes
 * per second, ChaCha20-Poly1305 sealing of MTU-sized packets, and X25519 operations per
 * second measured in the same run as the ceiling the handshake rate is judged against.
 *
 * The rows are measured in interleaved rounds and each keeps its best round, so that a burst
 * of load from elsewhere on the machine skews one round and not a ratio.
 *
 * Usage: bench_micro [seconds per row, default 1]
 */
#include <errno.h>
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
	SEAL_BATCH = 1024,
	DH_BATCH = 64,
	ROUNDS = 3,
};

struct rates {
	double x25519_per_sec;
	double handshakes_per_sec;
	double seal_packets_per_sec;
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

static double bench_x25519(double seconds)
{
	uint8_t private_key[NOISE_PUBLIC_KEY_LEN], point[NOISE_PUBLIC_KEY_LEN];
	double start = now_seconds(), elapsed;
	unsigned long ops = 0;
	int i, ret;

	wg_keygen(private_key);
	if ((ret = wg_pubkey(point, private_key)))
		die("X25519 public key", ret);
	do {
		/* Chained so each result feeds the next, like the RFC 7748 iteration test. */
		for (i = 0; i < DH_BATCH; ++i) {
			if ((ret = wg_dh(point, private_key, point)))
				die("X25519", ret);
		}
		ops += DH_BATCH;
		elapsed = now_seconds() - start;
	} while (elapsed < seconds);
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

static double bench_seal(double seconds)
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
		for (i = 0; i < SEAL_BATCH; ++i, ++counter)
			wg_aead_seal(packet, packet, PACKET_LEN, NULL, 0, counter, key);
		elapsed = now_seconds() - start;
	} while (elapsed < seconds);
	wg_memzero(key, sizeof(key));
	return (double)counter / elapsed;
}

static double best(double a, double b)
{
	return a > b ? a : b;
}

static void measure(struct rates *r, double seconds)
{
	double round = seconds / ROUNDS;
	int i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < ROUNDS; ++i) {
		r->x25519_per_sec = best(r->x25519_per_sec, bench_x25519(round));
		r->handshakes_per_sec = best(r->handshakes_per_sec, bench_handshakes(round));
		r->seal_packets_per_sec = best(r->seal_packets_per_sec, bench_seal(round));
	}
}

static void print_report(const struct rates *r, double seconds)
{
	double mbytes = r->seal_packets_per_sec * PACKET_LEN / 1e6;

	printf("kilo protocol-core microbenchmark: 1 thread (one core), %.2f s per row, best of %d "
	       "rounds\n\n",
	       seconds, ROUNDS);
	printf("%-58s %14s  %s\n", "operation", "rate", "unit");
	printf("%-58s %14.0f  %s\n", "X25519 scalar multiplication (ceiling)", r->x25519_per_sec,
	       "ops/s");
	printf("%-58s %14.0f  %s\n", "responder handshake: mac1 + consume initiation + response",
	       r->handshakes_per_sec, "handshakes/s");
	printf("%-58s %14.0f  %s\n", "ChaCha20-Poly1305 seal, 1420-byte packets",
	       r->seal_packets_per_sec, "packets/s");
	printf("%-58s %14.1f  %s (%.2f Gbit/s)\n", "", mbytes, "MB/s", mbytes * 8 / 1e3);
	printf("\nratios\n");
	printf("  X25519 ops per responder handshake: %.2f (floor 4: es, ee, se and the ephemeral "
	       "public key)\n",
	       r->x25519_per_sec / r->handshakes_per_sec);
	printf("  handshake rate vs its 4-X25519 ceiling: %.0f%%\n",
	       100 * r->handshakes_per_sec * 4 / r->x25519_per_sec);
	printf("  sealed 1420-byte packets per X25519 op: %.1f\n",
	       r->seal_packets_per_sec / r->x25519_per_sec);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? strtod(argv[1], NULL) : 1.0;
	struct rates rates;

	if (argc > 2 || !(seconds > 0)) {
		fprintf(stderr, "usage: %s [seconds per row, > 0]\n", argv[0]);
		return 2;
	}
	if (wg_crypto_init()) {
		fprintf(stderr, "bench_micro: libsodium failed to initialise\n");
		return 1;
	}
	measure(&rates, seconds);
	print_report(&rates, seconds);
	return 0;
}
