// SPDX-License-Identifier: MIT
/* test_index.c - receiver-index and public-key tables (wg/index.h). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "wg/index.h"

enum { MANY = 20000 };

/* Peers are opaque to the tables: any distinct addresses do. */
static char peer_a, peer_b;
#define PEER_A ((struct wg_peer *)&peer_a)
#define PEER_B ((struct wg_peer *)&peer_b)

static unsigned int gets;

static void count_get(struct wg_index_entry *entry)
{
	(void)entry;
	gets++;
}

static void test_indices_are_unique_and_found(void **state)
{
	struct wg_index_table *table = malloc(sizeof(*table));
	struct wg_index_entry *entries = calloc(MANY, sizeof(*entries));
	struct wg_peer *peer;
	size_t i;

	(void)state;
	wg_index_table_init(table);
	for (i = 0; i < MANY; i++) {
		entries[i].type = WG_INDEX_KEYPAIR;
		entries[i].peer = PEER_A;
		wg_index_insert(table, &entries[i]);
	}
	for (i = 0; i < MANY; i++)
		assert_ptr_equal(
		    wg_index_lookup(table, entries[i].index, WG_INDEX_KEYPAIR, NULL, &peer),
		    &entries[i]);
	for (i = 0; i < MANY; i++)
		wg_index_remove(table, &entries[i]);
	assert_null(wg_index_lookup(table, entries[0].index, WG_INDEX_KEYPAIR, NULL, &peer));
	assert_null(peer);
	wg_index_table_destroy(table);
	free(entries);
	free(table);
}

static void test_lookup_filters_by_type_and_pins_under_lock(void **state)
{
	struct wg_index_table *table = malloc(sizeof(*table));
	struct wg_index_entry hs = {.type = WG_INDEX_HANDSHAKE, .peer = PEER_B};
	struct wg_peer *peer = NULL;
	uint32_t index;

	(void)state;
	wg_index_table_init(table);
	index = wg_index_insert(table, &hs);
	gets = 0;
	assert_null(wg_index_lookup(table, index, WG_INDEX_KEYPAIR, count_get, &peer));
	assert_int_equal(gets, 0);
	assert_ptr_equal(
	    wg_index_lookup(table, index, WG_INDEX_HANDSHAKE | WG_INDEX_KEYPAIR, count_get, &peer),
	    &hs);
	assert_int_equal(gets, 1);
	assert_ptr_equal(peer, PEER_B);
	wg_index_table_destroy(table);
	free(table);
}

static void test_replace_moves_the_index_to_the_keypair(void **state)
{
	struct wg_index_table *table = malloc(sizeof(*table));
	struct wg_index_entry hs = {.type = WG_INDEX_HANDSHAKE, .peer = PEER_A};
	struct wg_index_entry kp = {.type = WG_INDEX_KEYPAIR, .peer = PEER_A};
	struct wg_peer *peer;
	uint32_t index;

	(void)state;
	wg_index_table_init(table);
	index = wg_index_insert(table, &hs);
	assert_true(wg_index_replace(table, &hs, &kp));
	assert_int_equal(kp.index, index);
	assert_false(hs.hashed);
	assert_ptr_equal(wg_index_lookup(table, index, WG_INDEX_KEYPAIR, NULL, &peer), &kp);
	assert_null(wg_index_lookup(table, index, WG_INDEX_HANDSHAKE, NULL, &peer));
	/* A handshake dropped meanwhile has no index left to hand over. */
	assert_false(wg_index_replace(table, &hs, &kp));
	wg_index_table_destroy(table);
	free(table);
}

static void test_reinserting_an_entry_gives_it_a_new_index(void **state)
{
	struct wg_index_table *table = malloc(sizeof(*table));
	struct wg_index_entry hs = {.type = WG_INDEX_HANDSHAKE, .peer = PEER_A};
	struct wg_peer *peer;
	uint32_t first, second;

	(void)state;
	wg_index_table_init(table);
	first = wg_index_insert(table, &hs);
	second = wg_index_insert(table, &hs);
	assert_int_not_equal(first, second);
	assert_null(wg_index_lookup(table, first, WG_INDEX_HANDSHAKE, NULL, &peer));
	assert_ptr_equal(wg_index_lookup(table, second, WG_INDEX_HANDSHAKE, NULL, &peer), &hs);
	wg_index_table_destroy(table);
	free(table);
}

static void test_pubkey_table_finds_peers_by_exact_key(void **state)
{
	struct wg_pubkey_table *table = malloc(sizeof(*table));
	struct wg_pubkey_entry a = {.peer = PEER_A}, b = {.peer = PEER_B};
	uint8_t other[WG_KEY_LEN];

	(void)state;
	wg_pubkey_table_init(table);
	randombytes_buf(a.key, WG_KEY_LEN);
	randombytes_buf(b.key, WG_KEY_LEN);
	wg_pubkey_add(table, &a);
	wg_pubkey_add(table, &b);
	assert_ptr_equal(wg_pubkey_lookup(table, a.key), PEER_A);
	assert_ptr_equal(wg_pubkey_lookup(table, b.key), PEER_B);
	memcpy(other, a.key, WG_KEY_LEN);
	other[31] ^= 1;
	assert_null(wg_pubkey_lookup(table, other));
	wg_pubkey_remove(table, &a);
	assert_null(wg_pubkey_lookup(table, a.key));
	assert_ptr_equal(wg_pubkey_lookup(table, b.key), PEER_B);
	free(table);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_indices_are_unique_and_found),
	    cmocka_unit_test(test_lookup_filters_by_type_and_pins_under_lock),
	    cmocka_unit_test(test_replace_moves_the_index_to_the_keypair),
	    cmocka_unit_test(test_reinserting_an_entry_gives_it_a_new_index),
	    cmocka_unit_test(test_pubkey_table_finds_peers_by_exact_key),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
