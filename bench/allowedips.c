// SPDX-License-Identifier: MIT
/*
 * allowedips.c - allowed-IPs lookup speed on two shapes of table: a Kilo mesh (per peer a
 * /24 pod subnet, a /32 WireGuard address and an IPv6 /64 and /128) and 100k
 * random prefixes. Prints one line per figure: what, how many, rate.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "wg/allowedips.h"

enum { MESH_PEERS = 1000, RANDOM_PREFIXES = 100000, LOOKUPS = 4000000, PROBES = 4096 };

static char peers[RANDOM_PREFIXES];

static uint64_t rng = UINT64_C(0x9e3779b97f4a7c15);

static uint32_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static double seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fill_mesh(struct wg_allowedips *t, uint8_t probes[PROBES][16])
{
	for (int i = 0; i < MESH_PEERS; i++) {
		uint8_t pod[4] = {10, 42 + (i >> 8), i & 0xff, 0},
		        wg[4] = {10, 4, i >> 8, i & 0xff};
		uint8_t v6[16] = {0xfd, 0x00, 0, 0, 0, 0, i >> 8, i & 0xff, [15] = 1};
		void *peer = &peers[i];

		if (wg_allowedips_insert(t, AF_INET, pod, 24, peer) ||
		    wg_allowedips_insert(t, AF_INET, wg, 32, peer) ||
		    wg_allowedips_insert(t, AF_INET6, v6, 64, peer) ||
		    wg_allowedips_insert(t, AF_INET6, v6, 128, peer))
			return -1;
	}
	for (int i = 0; i < PROBES; i++) {
		int peer = next_random() % MESH_PEERS;

		probes[i][0] = 10;
		probes[i][1] = 42 + (peer >> 8);
		probes[i][2] = peer & 0xff;
		probes[i][3] = next_random();
	}
	return 0;
}

static int fill_random(struct wg_allowedips *t, uint8_t probes[PROBES][16])
{
	uint8_t addr[4];

	for (int i = 0; i < RANDOM_PREFIXES; i++) {
		uint32_t r = next_random();

		memcpy(addr, &r, 4);
		if (wg_allowedips_insert(t, AF_INET, addr, 8 + r % 25, &peers[i]))
			return -1;
		if (i < PROBES)
			memcpy(probes[i], addr, 4);
	}
	return 0;
}

static void run(const char *name, int (*fill)(struct wg_allowedips *, uint8_t[PROBES][16]))
{
	static uint8_t probes[PROBES][16];
	struct wg_allowedips *t = wg_allowedips_new();
	uintptr_t sink = 0;
	double start;

	if (!t || fill(t, probes) < 0) {
		fprintf(stderr, "allowedips %s: cannot build the table\n", name);
		exit(1);
	}
	start = seconds_now();
	for (int i = 0; i < LOOKUPS; i++)
		sink += (uintptr_t)wg_allowedips_lookup(t, AF_INET, probes[i % PROBES]);
	printf("allowedips lookup %s: %d lookups, %.1f M/s (checksum %lx)\n", name, LOOKUPS,
	       LOOKUPS / (seconds_now() - start) / 1e6, (unsigned long)(sink & 0xffff));
	wg_allowedips_free(t);
}

int main(void)
{
	run("kilo-mesh-1000-peers", fill_mesh);
	run("random-100k-prefixes", fill_random);
	return 0;
}
