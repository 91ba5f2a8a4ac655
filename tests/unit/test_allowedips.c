// SPDX-License-Identifier: MIT
/*
 * test_allowedips.c - allowed IPs: the kernel's self-test table (selftest/allowedips.c) as data,
 * the masked read-back and the 128-deep chain, then 100k random prefixes
 * with removals checked against a linear reference.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "wg/allowedips.h"

/* Peers are opaque to the table: any distinct addresses do. */
static char peers[2000];
enum { A, B, C, D, E, F, G, H };
#define P(i) ((void *)&peers[i])

/* An address as the kernel test spells it: four bytes for v4, four
 * big-endian 32-bit words for v6. */
struct addr {
	int version;
	uint32_t part[4];
};

struct route {
	struct addr addr;
	uint8_t cidr;
	int peer;
};

struct expect {
	struct addr addr;
	int peer;
};

/* clang-format off */
#define V4(a, b, c, d) {4, {a, b, c, d}}
#define V6(a, b, c, d) {6, {a, b, c, d}}
/* clang-format on */

static int family_of(const struct addr *a)
{
	return a->version == 4 ? AF_INET : AF_INET6;
}

static const uint8_t *bytes_of(const struct addr *a, uint8_t out[16])
{
	for (int i = 0; i < 4; i++) {
		if (a->version == 4) {
			out[i] = a->part[i];
		} else {
			uint32_t be = htonl(a->part[i]);

			memcpy(out + 4 * i, &be, 4);
		}
	}
	return out;
}

static int insert(struct wg_allowedips *t, const struct route *r)
{
	uint8_t buf[16];

	return wg_allowedips_insert(t, family_of(&r->addr), bytes_of(&r->addr, buf), r->cidr,
	                            P(r->peer));
}

static void *lookup(struct wg_allowedips *t, const struct addr *a)
{
	uint8_t buf[16];

	return wg_allowedips_lookup(t, family_of(a), bytes_of(a, buf));
}

static void insert_all(struct wg_allowedips *t, const struct route *routes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(insert(t, &routes[i]), 0);
}

static const struct route kernel_routes[] = {
    {V4(192, 168, 4, 0), 24, A},
    {V4(192, 168, 4, 4), 32, B},
    {V4(192, 168, 0, 0), 16, C},
    {V4(192, 95, 5, 64), 27, D},
    /* replaces the previous entry, and needs masking */
    {V4(192, 95, 5, 65), 27, C},
    {V6(0x26075300, 0x60006b00, 0, 0xc05f0543), 128, D},
    {V6(0x26075300, 0x60006b00, 0, 0), 64, C},
    {V4(0, 0, 0, 0), 0, E},
    {V6(0, 0, 0, 0), 0, E},
    /* replaces the previous entry */
    {V6(0, 0, 0, 0), 0, F},
    {V6(0x24046800, 0, 0, 0), 32, G},
    /* needs masking */
    {V6(0x24046800, 0x40040800, 0xdeadbeef, 0xdeadbeef), 64, H},
    {V6(0x24046800, 0x40040800, 0xdeadbeef, 0xdeadbeef), 128, A},
    {V6(0x24446800, 0x40e40800, 0xdeaebeef, 0xdefbeef), 128, C},
    {V6(0x24446800, 0xf0e40800, 0xeeaebeef, 0), 98, B},
    {V4(64, 15, 112, 0), 20, G},
    /* needs masking */
    {V4(64, 15, 123, 211), 25, H},
    {V4(10, 0, 0, 0), 25, A},
    {V4(10, 0, 0, 128), 25, B},
    {V4(10, 1, 0, 0), 30, A},
    {V4(10, 1, 0, 4), 30, B},
    {V4(10, 1, 0, 8), 29, C},
    {V4(10, 1, 0, 16), 29, D},
};

static const struct expect kernel_lookups[] = {
    {V4(192, 168, 4, 20), A},
    {V4(192, 168, 4, 0), A},
    {V4(192, 168, 4, 4), B},
    {V4(192, 168, 200, 182), C},
    {V4(192, 95, 5, 68), C},
    {V4(192, 95, 5, 96), E},
    {V6(0x26075300, 0x60006b00, 0, 0xc05f0543), D},
    {V6(0x26075300, 0x60006b00, 0, 0xc02e01ee), C},
    {V6(0x26075300, 0x60006b01, 0, 0), F},
    {V6(0x24046800, 0x40040806, 0, 0x1006), G},
    {V6(0x24046800, 0x40040806, 0x1234, 0x5678), G},
    {V6(0x240467ff, 0x40040806, 0x1234, 0x5678), F},
    {V6(0x24046801, 0x40040806, 0x1234, 0x5678), F},
    {V6(0x24046800, 0x40040800, 0x1234, 0x5678), H},
    {V6(0x24046800, 0x40040800, 0, 0), H},
    {V6(0x24046800, 0x40040800, 0x10101010, 0x10101010), H},
    {V6(0x24046800, 0x40040800, 0xdeadbeef, 0xdeadbeef), A},
    {V4(64, 15, 116, 26), G},
    {V4(64, 15, 127, 3), G},
    {V4(64, 15, 123, 1), G},
    {V4(64, 15, 123, 128), H},
    {V4(64, 15, 123, 129), H},
    {V4(10, 0, 0, 52), A},
    {V4(10, 0, 0, 220), B},
    {V4(10, 1, 0, 2), A},
    {V4(10, 1, 0, 6), B},
    {V4(10, 1, 0, 10), C},
    {V4(10, 1, 0, 20), D},
};

static void test_kernel_table_lookups_pick_the_longest_prefix(void **state)
{
	struct wg_allowedips *t = wg_allowedips_new();

	(void)state;
	assert_non_null(t);
	insert_all(t, kernel_routes, sizeof(kernel_routes) / sizeof(kernel_routes[0]));
	for (size_t i = 0; i < sizeof(kernel_lookups) / sizeof(kernel_lookups[0]); i++) {
		if (lookup(t, &kernel_lookups[i].addr) != P(kernel_lookups[i].peer))
			fail_msg("lookup %zu: wrong peer", i + 1);
	}
	wg_allowedips_free(t);
}

static void test_remove_by_peer_drops_every_prefix_of_that_peer(void **state)
{
	static const struct route routes[] = {
	    {V4(1, 0, 0, 0), 32, A},   {V4(64, 0, 0, 0), 32, A},  {V4(128, 0, 0, 0), 32, A},
	    {V4(192, 0, 0, 0), 32, A}, {V4(255, 0, 0, 0), 32, A}, {V4(64, 0, 0, 0), 8, B},
	};
	struct wg_allowedips *t = wg_allowedips_new();

	(void)state;
	insert_all(t, routes, sizeof(routes) / sizeof(routes[0]));
	wg_allowedips_remove_by_peer(t, P(A));
	for (size_t i = 0; i < 5; i++)
		assert_ptr_not_equal(lookup(t, &routes[i].addr), P(A));
	assert_ptr_equal(lookup(t, &routes[1].addr), P(B));
	wg_allowedips_free(t);
}

static void test_remove_by_peer_with_nested_prefixes(void **state)
{
	static const struct route routes[] = {
	    {V4(192, 168, 0, 0), 16, A},
	    {V4(192, 168, 0, 0), 24, A},
	};
	static const struct addr probe = V4(192, 168, 0, 1);
	struct wg_allowedips *t = wg_allowedips_new();

	(void)state;
	insert_all(t, routes, 2);
	wg_allowedips_remove_by_peer(t, P(A));
	assert_null(lookup(t, &probe));
	wg_allowedips_free(t);
}

struct collected {
	size_t count;
	struct route seen[8];
};

static int collect(void *ctx, int family, const uint8_t *addr, uint8_t cidr)
{
	struct collected *c = ctx;
	struct route *r;

	if (c->count == 8)
		return -ENOSPC;
	r = &c->seen[c->count++];
	r->addr.version = family == AF_INET ? 4 : 6;
	for (int i = 0; i < 4; i++) {
		if (family == AF_INET) {
			r->addr.part[i] = addr[i];
		} else {
			uint32_t be;

			memcpy(&be, addr + 4 * i, 4);
			r->addr.part[i] = ntohl(be);
		}
	}
	r->cidr = cidr;
	return 0;
}

static void assert_same_route(const struct route *got, const struct route *want)
{
	assert_int_equal(got->addr.version, want->addr.version);
	assert_int_equal(got->cidr, want->cidr);
	assert_memory_equal(got->addr.part, want->addr.part, sizeof(want->addr.part));
}

static void test_walk_reads_prefixes_back_masked_in_insertion_order(void **state)
{
	static const struct route routes[] = {
	    {V4(192, 95, 5, 93), 27, A},
	    {V6(0x26075300, 0x60006b00, 0, 0xc05f0543), 128, A},
	    {V4(10, 1, 0, 20), 29, A},
	    {V6(0x26075300, 0x6d8a6bf8, 0xdab1f1df, 0xc05f1523), 83, A},
	    {V6(0x26075300, 0x6d8a6bf8, 0xdab1f1df, 0xc05f1523), 21, A},
	    {V4(10, 1, 0, 20), 30, B},
	};
	static const struct route masked[] = {
	    {V4(192, 95, 5, 64), 27, A},      {V6(0x26075300, 0x60006b00, 0, 0xc05f0543), 128, A},
	    {V4(10, 1, 0, 16), 29, A},        {V6(0x26075300, 0x6d8a6bf8, 0xdab1e000, 0), 83, A},
	    {V6(0x26075000, 0, 0, 0), 21, A},
	};
	struct wg_allowedips *t = wg_allowedips_new();
	struct collected c = {0};

	(void)state;
	insert_all(t, routes, sizeof(routes) / sizeof(routes[0]));
	assert_int_equal(wg_allowedips_walk_by_peer(t, P(A), collect, &c), 0);
	assert_int_equal(c.count, 5);
	for (size_t i = 0; i < 5; i++)
		assert_same_route(&c.seen[i], &masked[i]);
	wg_allowedips_free(t);
}

static int stop_at_first(void *ctx, int family, const uint8_t *addr, uint8_t cidr)
{
	(void)family, (void)addr, (void)cidr;
	++*(int *)ctx;
	return 7;
}

static void test_walk_stops_when_the_callback_asks(void **state)
{
	static const struct route routes[] = {
	    {V4(10, 0, 0, 0), 8, A},
	    {V4(11, 0, 0, 0), 8, A},
	};
	struct wg_allowedips *t = wg_allowedips_new();
	int calls = 0;

	(void)state;
	insert_all(t, routes, 2);
	assert_int_equal(wg_allowedips_walk_by_peer(t, P(A), stop_at_first, &calls), 7);
	assert_int_equal(calls, 1);
	assert_int_equal(wg_allowedips_walk_by_peer(t, P(B), stop_at_first, &calls), 0);
	assert_int_equal(calls, 1);
	wg_allowedips_free(t);
}

static void test_reinsert_moves_a_prefix_to_the_new_peer(void **state)
{
	static const struct route first = {V4(10, 0, 0, 0), 8, A};
	static const struct route again = {V4(10, 9, 9, 9), 8, B};
	struct wg_allowedips *t = wg_allowedips_new();
	struct collected c = {0};

	(void)state;
	assert_int_equal(insert(t, &first), 0);
	assert_int_equal(insert(t, &again), 0);
	assert_ptr_equal(lookup(t, &first.addr), P(B));
	assert_int_equal(wg_allowedips_walk_by_peer(t, P(A), collect, &c), 0);
	assert_int_equal(c.count, 0);
	assert_int_equal(wg_allowedips_walk_by_peer(t, P(B), collect, &c), 0);
	assert_int_equal(c.count, 1);
	assert_same_route(&c.seen[0], &first);
	wg_allowedips_free(t);
}

static int remove_route(struct wg_allowedips *t, const struct route *r, int peer)
{
	uint8_t buf[16];

	return wg_allowedips_remove(t, family_of(&r->addr), bytes_of(&r->addr, buf), r->cidr,
	                            P(peer));
}

static void test_remove_one_prefix_falls_back_to_the_shorter_one(void **state)
{
	static const struct route routes[] = {
	    {V6(0x20010db8, 0, 0, 0), 32, A},
	    {V6(0x20010db8, 0x00010000, 0, 0), 48, B},
	    {V6(0x20010db8, 0x00010000, 0, 1), 128, C},
	};
	static const struct addr probe = V6(0x20010db8, 0x00010000, 0, 1);
	struct wg_allowedips *t = wg_allowedips_new();

	(void)state;
	insert_all(t, routes, 3);
	assert_ptr_equal(lookup(t, &probe), P(C));
	assert_int_equal(remove_route(t, &routes[2], A), -ENOENT);
	assert_int_equal(remove_route(t, &routes[2], C), 0);
	assert_int_equal(remove_route(t, &routes[2], C), -ENOENT);
	assert_ptr_equal(lookup(t, &probe), P(B));
	assert_int_equal(remove_route(t, &routes[1], B), 0);
	assert_ptr_equal(lookup(t, &probe), P(A));
	assert_int_equal(remove_route(t, &routes[0], A), 0);
	assert_null(lookup(t, &probe));
	wg_allowedips_free(t);
}

static void test_bad_input_is_rejected_not_stored(void **state)
{
	static const uint8_t addr[16] = {10};
	struct wg_allowedips *t = wg_allowedips_new();

	(void)state;
	assert_int_equal(wg_allowedips_insert(t, AF_UNIX, addr, 8, P(A)), -EINVAL);
	assert_int_equal(wg_allowedips_insert(t, AF_INET, addr, 33, P(A)), -EINVAL);
	assert_int_equal(wg_allowedips_insert(t, AF_INET6, addr, 129, P(A)), -EINVAL);
	assert_int_equal(wg_allowedips_insert(t, AF_INET, addr, 8, NULL), -EINVAL);
	assert_int_equal(wg_allowedips_insert(t, AF_INET, NULL, 8, P(A)), -EINVAL);
	assert_int_equal(wg_allowedips_remove(t, AF_UNIX, addr, 8, P(A)), -EINVAL);
	assert_int_equal(wg_allowedips_remove(t, AF_INET, addr, 33, P(A)), -EINVAL);
	assert_int_equal(wg_allowedips_remove(t, AF_INET, addr, 8, P(A)), -ENOENT);
	assert_null(wg_allowedips_lookup(t, AF_UNIX, addr));
	assert_null(wg_allowedips_lookup(t, AF_INET, NULL));
	assert_null(wg_allowedips_lookup(t, AF_INET, addr));
	wg_allowedips_free(t);
	wg_allowedips_free(NULL);
}

/* The i-th address of the kernel's chain: all ones but bit i of one half. */
static void chain_address(int i, uint8_t ip[16])
{
	uint64_t part = ~(UINT64_C(1) << (i % 64));

	memset(ip, 0xff, 16);
	for (int b = 0; b < 8; b++)
		ip[(i < 64) * 8 + b] = part >> (56 - 8 * b);
}

/* Every /128 of the chain sits one level below the previous: the kernel's
 * test that freeing such a trie needs no deep stack. */
static void test_128_deep_ipv6_chain(void **state)
{
	struct wg_allowedips *t = wg_allowedips_new();
	uint8_t ip[16];

	(void)state;
	for (int i = 0; i < 128; i++) {
		chain_address(i, ip);
		assert_int_equal(wg_allowedips_insert(t, AF_INET6, ip, 128, P(i)), 0);
	}
	for (int i = 0; i < 128; i++) {
		chain_address(i, ip);
		assert_ptr_equal(wg_allowedips_lookup(t, AF_INET6, ip), P(i));
	}
	memset(ip, 0xff, 16);
	assert_null(wg_allowedips_lookup(t, AF_INET6, ip));
	wg_allowedips_free(t);
}

/* The randomized comparison, after the kernel's randomized_test(): clusters
 * of prefixes around random bases, so that lookups go deep, checked against a
 * linear list sorted longest prefix first. */
enum {
	RANDOM_BASES = 500,
	MUTATIONS_PER_BASE = 100,
	ROUTES_PER_FAMILY = RANDOM_BASES * (MUTATIONS_PER_BASE + 1),
	RANDOM_PEERS = 2000,
	QUERIES_PER_ROUND = 1500,
};

struct ref_route {
	uint8_t addr[16];
	uint8_t cidr;
	bool removed;
	int peer;
	size_t seq;
};

struct reference {
	int family;
	uint8_t bits;
	struct ref_route *routes;
	size_t count;
	uint8_t bases[RANDOM_BASES][16];
};

static uint64_t rng_state = UINT64_C(0x243f6a8885a308d3);

/* splitmix64: deterministic, so a failure reproduces. */
static uint64_t next_random(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void mask_bytes(uint8_t *addr, unsigned int cidr, unsigned int len)
{
	for (unsigned int i = 0; i < len; i++) {
		unsigned int keep = cidr > 8 * i ? cidr - 8 * i : 0;

		addr[i] &= keep >= 8 ? 0xff : (uint8_t)(0xff00 >> keep);
	}
}

/* base with its first keep bits kept and the rest random. */
static void mutate(uint8_t *out, const uint8_t *base, unsigned int keep, unsigned int len)
{
	uint8_t noise[16];

	for (unsigned int i = 0; i < len; i++)
		noise[i] = next_random();
	memcpy(out, base, len);
	mask_bytes(out, keep, len);
	for (unsigned int i = 0; i < len; i++) {
		uint8_t kept = 0xff;

		mask_bytes(&kept, keep > 8 * i ? keep - 8 * i : 0, 1);
		out[i] |= noise[i] & ~kept;
	}
}

static bool ref_matches(const struct ref_route *r, const uint8_t *addr)
{
	unsigned int full = r->cidr / 8, rest = r->cidr % 8;
	uint8_t mask = 0xff00 >> rest;

	if (memcmp(r->addr, addr, full))
		return false;
	return !rest || !((r->addr[full] ^ addr[full]) & mask);
}

static void *ref_lookup(const struct reference *ref, const uint8_t *addr)
{
	for (size_t i = 0; i < ref->count; i++) {
		const struct ref_route *r = &ref->routes[i];

		if (!r->removed && ref_matches(r, addr))
			return P(r->peer);
	}
	return NULL;
}

/* Longest first; among equal prefixes the latest insert first, so it wins. */
static int ref_order(const void *pa, const void *pb)
{
	const struct ref_route *a = pa, *b = pb;
	int c = memcmp(a->addr, b->addr, 16);

	if (a->cidr != b->cidr)
		return a->cidr > b->cidr ? -1 : 1;
	if (c)
		return c;
	return a->seq > b->seq ? -1 : a->seq < b->seq;
}

static void ref_add(struct wg_allowedips *t, struct reference *ref, const uint8_t *addr,
                    unsigned int cidr)
{
	struct ref_route *r = &ref->routes[ref->count];

	memset(r, 0, sizeof(*r));
	memcpy(r->addr, addr, ref->bits / 8);
	r->cidr = cidr;
	r->peer = next_random() % RANDOM_PEERS;
	r->seq = ref->count++;
	assert_int_equal(wg_allowedips_insert(t, ref->family, addr, cidr, P(r->peer)), 0);
	mask_bytes(r->addr, cidr, 16);
}

static void ref_build(struct wg_allowedips *t, struct reference *ref)
{
	unsigned int len = ref->bits / 8;
	uint8_t addr[16];
	size_t kept = 0;

	for (size_t i = 0; i < RANDOM_BASES; i++) {
		mutate(ref->bases[i], ref->bases[i], 0, len);
		ref_add(t, ref, ref->bases[i], 1 + next_random() % ref->bits);
		for (size_t j = 0; j < MUTATIONS_PER_BASE; j++) {
			mutate(addr, ref->bases[i], next_random() % ref->bits, len);
			ref_add(t, ref, addr, next_random() % (ref->bits + 1));
		}
	}
	qsort(ref->routes, ref->count, sizeof(*ref->routes), ref_order);
	/* A re-inserted prefix keeps only its latest owner. */
	for (size_t i = 0; i < ref->count; i++) {
		if (kept && ref->routes[kept - 1].cidr == ref->routes[i].cidr &&
		    !memcmp(ref->routes[kept - 1].addr, ref->routes[i].addr, 16))
			continue;
		ref->routes[kept++] = ref->routes[i];
	}
	ref->count = kept;
}

static void compare_lookups(struct wg_allowedips *t, const struct reference *ref)
{
	unsigned int len = ref->bits / 8;
	uint8_t addr[16];

	for (size_t i = 0; i < QUERIES_PER_ROUND; i++) {
		if (i % 4 == 0)
			mutate(addr, addr, 0, len);
		else
			mutate(addr, ref->bases[next_random() % RANDOM_BASES],
			       next_random() % (ref->bits + 1), len);
		if (wg_allowedips_lookup(t, ref->family, addr) != ref_lookup(ref, addr))
			fail_msg("family %d query %zu disagrees with the reference", ref->family,
			         i);
	}
}

static void remove_random_prefixes(struct wg_allowedips *t, struct reference *ref, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ref_route *r = &ref->routes[next_random() % ref->count];
		int other = (r->peer + 1) % RANDOM_PEERS;

		if (r->removed)
			continue;
		assert_int_equal(wg_allowedips_remove(t, ref->family, r->addr, r->cidr, P(other)),
		                 -ENOENT);
		assert_int_equal(wg_allowedips_remove(t, ref->family, r->addr, r->cidr, P(r->peer)),
		                 0);
		r->removed = true;
	}
}

static void remove_peers(struct wg_allowedips *t, struct reference *refs, int from, int to)
{
	for (int peer = from; peer < to; peer++)
		wg_allowedips_remove_by_peer(t, P(peer));
	for (int f = 0; f < 2; f++) {
		for (size_t i = 0; i < refs[f].count; i++) {
			if (refs[f].routes[i].peer >= from && refs[f].routes[i].peer < to)
				refs[f].routes[i].removed = true;
		}
	}
}

struct walk_check {
	const struct reference *refs;
	int peer;
	size_t seen;
};

static int check_walked(void *ctx, int family, const uint8_t *addr, uint8_t cidr)
{
	struct walk_check *w = ctx;
	const struct reference *ref = &w->refs[family == AF_INET6];

	w->seen++;
	for (size_t i = 0; i < ref->count; i++) {
		const struct ref_route *r = &ref->routes[i];

		if (!r->removed && r->peer == w->peer && r->cidr == cidr &&
		    !memcmp(r->addr, addr, ref->bits / 8))
			return 0;
	}
	return -ENOENT;
}

/* Each walk yields exactly the peer's live prefixes of the reference. */
static void compare_walks(struct wg_allowedips *t, const struct reference *refs, int walked)
{
	for (int peer = 0; peer < walked; peer++) {
		struct walk_check w = {refs, peer, 0};
		size_t want = 0;

		for (int f = 0; f < 2; f++) {
			for (size_t i = 0; i < refs[f].count; i++)
				want +=
				    !refs[f].routes[i].removed && refs[f].routes[i].peer == peer;
		}
		assert_int_equal(wg_allowedips_walk_by_peer(t, P(peer), check_walked, &w), 0);
		assert_int_equal(w.seen, want);
	}
}

static void test_random_prefixes_match_a_linear_reference(void **state)
{
	struct reference refs[2] = {{.family = AF_INET, .bits = 32},
	                            {.family = AF_INET6, .bits = 128}};
	struct wg_allowedips *t = wg_allowedips_new();

	(void)state;
	assert_non_null(t);
	for (int f = 0; f < 2; f++) {
		refs[f].routes = calloc(ROUTES_PER_FAMILY, sizeof(*refs[f].routes));
		assert_non_null(refs[f].routes);
		ref_build(t, &refs[f]);
		compare_lookups(t, &refs[f]);
	}
	for (int f = 0; f < 2; f++) {
		remove_random_prefixes(t, &refs[f], 5000);
		compare_lookups(t, &refs[f]);
	}
	compare_walks(t, refs, 50);
	remove_peers(t, refs, 0, RANDOM_PEERS / 2);
	compare_walks(t, refs, 50);
	for (int f = 0; f < 2; f++)
		compare_lookups(t, &refs[f]);
	remove_peers(t, refs, RANDOM_PEERS / 2, RANDOM_PEERS);
	for (int f = 0; f < 2; f++) {
		compare_lookups(t, &refs[f]);
		free(refs[f].routes);
	}
	wg_allowedips_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kernel_table_lookups_pick_the_longest_prefix),
	    cmocka_unit_test(test_remove_by_peer_drops_every_prefix_of_that_peer),
	    cmocka_unit_test(test_remove_by_peer_with_nested_prefixes),
	    cmocka_unit_test(test_walk_reads_prefixes_back_masked_in_insertion_order),
	    cmocka_unit_test(test_walk_stops_when_the_callback_asks),
	    cmocka_unit_test(test_reinsert_moves_a_prefix_to_the_new_peer),
	    cmocka_unit_test(test_remove_one_prefix_falls_back_to_the_shorter_one),
	    cmocka_unit_test(test_bad_input_is_rejected_not_stored),
	    cmocka_unit_test(test_128_deep_ipv6_chain),
	    cmocka_unit_test(test_random_prefixes_match_a_linear_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
