// SPDX-License-Identifier: MIT
/*
 * ratelimiter.c - token buckets in a chained hash table, after the kernel's ratelimiter.c.
 * Tokens are nanoseconds of credit: a packet costs a twentieth of a second
 * and a bucket holds five packets' worth. The table is keyed with a random
 * SipHash key so that a flood cannot aim at one chain.
 */
#include "wg/ratelimiter.h"

#include <netinet/in.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define NSEC_PER_SEC UINT64_C(1000000000)

enum {
	PACKET_COST = NSEC_PER_SEC / WG_RATELIMITER_PACKETS_PER_SECOND,
	TOKEN_MAX = PACKET_COST * WG_RATELIMITER_BURST,
	ENTRIES_PER_BUCKET = 8,
	BUCKETS_MIN = 16,
};

_Static_assert(NSEC_PER_SEC % WG_RATELIMITER_PACKETS_PER_SECOND == 0, "exact packet cost");

struct source {
	uint64_t ip; /* an IPv4 address or the top half of an IPv6 one */
	uint8_t family;
};

struct entry {
	struct entry *next;
	struct source source;
	uint64_t last_time;
	uint64_t tokens;
};

struct wg_ratelimiter {
	struct entry **buckets;
	size_t bucket_mask;
	size_t max_entries, count;
	uint64_t last_gc;
	uint8_t key[crypto_shorthash_KEYBYTES];
};

struct wg_ratelimiter *wg_ratelimiter_new(size_t max_entries)
{
	struct wg_ratelimiter *rl;
	size_t buckets = BUCKETS_MIN;

	if (sodium_init() < 0)
		return NULL;
	if (!max_entries)
		max_entries = WG_RATELIMITER_DEFAULT_MAX_ENTRIES;
	while (buckets * ENTRIES_PER_BUCKET < max_entries && buckets < SIZE_MAX / 4)
		buckets *= 2;
	rl = calloc(1, sizeof(*rl));
	if (!rl)
		return NULL;
	rl->buckets = calloc(buckets, sizeof(*rl->buckets));
	if (!rl->buckets) {
		free(rl);
		return NULL;
	}
	rl->bucket_mask = buckets - 1;
	rl->max_entries = max_entries;
	randombytes_buf(rl->key, sizeof(rl->key));
	return rl;
}

void wg_ratelimiter_free(struct wg_ratelimiter *rl)
{
	if (!rl)
		return;
	for (size_t i = 0; i <= rl->bucket_mask; i++) {
		while (rl->buckets[i]) {
			struct entry *e = rl->buckets[i];

			rl->buckets[i] = e->next;
			free(e);
		}
	}
	free(rl->buckets);
	sodium_memzero(rl->key, sizeof(rl->key));
	free(rl);
}

static uint64_t load_be(const uint8_t *p, size_t len)
{
	uint64_t v = 0;

	for (size_t i = 0; i < len; i++)
		v = v << 8 | p[i];
	return v;
}

/* IPv6 sources are ratelimited per /64, since one host usually owns a
 * whole /64; IPv4-mapped addresses count as the IPv4 host they are. */
static bool source_of(const struct sockaddr *sa, struct source *src)
{
	const struct in6_addr *in6;

	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		src->family = AF_INET;
		src->ip = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
		return true;
	}
	if (sa->sa_family != AF_INET6)
		return false;
	in6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (IN6_IS_ADDR_V4MAPPED(in6)) {
		src->family = AF_INET;
		src->ip = load_be(in6->s6_addr + 12, 4);
	} else {
		src->family = AF_INET6;
		src->ip = load_be(in6->s6_addr, 8);
	}
	return true;
}

static struct entry **bucket_of(struct wg_ratelimiter *rl, const struct source *src)
{
	uint8_t in[9], out[crypto_shorthash_BYTES];
	uint64_t h;

	for (int i = 0; i < 8; i++)
		in[i] = src->ip >> (8 * i);
	in[8] = src->family;
	crypto_shorthash(out, in, sizeof(in), rl->key);
	memcpy(&h, out, sizeof(h));
	return &rl->buckets[h & rl->bucket_mask];
}

/* A clock read that went backwards counts as no time at all. */
static uint64_t elapsed(uint64_t since, uint64_t now)
{
	return now > since ? now - since : 0;
}

/* Forgets every source idle for more than a second. */
static void gc(struct wg_ratelimiter *rl, uint64_t now)
{
	for (size_t i = 0; i <= rl->bucket_mask; i++) {
		struct entry **link = &rl->buckets[i];

		while (*link) {
			struct entry *e = *link;

			if (elapsed(e->last_time, now) <= NSEC_PER_SEC) {
				link = &e->next;
				continue;
			}
			*link = e->next;
			free(e);
			rl->count--;
		}
	}
	rl->last_gc = now;
}

static bool take_token(struct entry *e, uint64_t now)
{
	uint64_t credit = elapsed(e->last_time, now);

	e->tokens = credit >= TOKEN_MAX - e->tokens ? TOKEN_MAX : e->tokens + credit;
	if (now > e->last_time)
		e->last_time = now;
	if (e->tokens < PACKET_COST)
		return false;
	e->tokens -= PACKET_COST;
	return true;
}

bool wg_ratelimiter_allow(struct wg_ratelimiter *rl, const struct sockaddr *src, uint64_t now)
{
	struct entry **bucket, *e;
	struct source source;

	if (!rl || !source_of(src, &source))
		return false;
	if (elapsed(rl->last_gc, now) >= NSEC_PER_SEC)
		gc(rl, now);
	bucket = bucket_of(rl, &source);
	for (e = *bucket; e; e = e->next) {
		if (e->source.ip == source.ip && e->source.family == source.family)
			return take_token(e, now);
	}
	/* A full table denies newcomers rather than evicting: evicting would
	 * let a flood of fresh sources reset everyone's buckets. */
	if (rl->count >= rl->max_entries)
		return false;
	e = calloc(1, sizeof(*e));
	if (!e)
		return false;
	e->source = source;
	e->last_time = now;
	e->tokens = TOKEN_MAX - PACKET_COST;
	e->next = *bucket;
	*bucket = e;
	rl->count++;
	return true;
}

size_t wg_ratelimiter_count(const struct wg_ratelimiter *rl)
{
	return rl ? rl->count : 0;
}
