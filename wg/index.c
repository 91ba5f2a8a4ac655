// SPDX-License-Identifier: MIT
/* index.c - receiver-index and public-key lookup tables. */

#include "wg/index.h"

#include <sodium.h>
#include <string.h>

static struct wg_index_entry **bucket_of(struct wg_index_table *table, uint32_t index)
{
	/* Indices are uniformly random and chosen by us, so their low bits hash well. */
	return &table->buckets[index & (WG_INDEX_BUCKETS - 1)];
}

static struct wg_index_entry *find(struct wg_index_table *table, uint32_t index)
{
	struct wg_index_entry *e;

	for (e = *bucket_of(table, index); e; e = e->next)
		if (e->index == index)
			return e;
	return NULL;
}

static void unlink_entry(struct wg_index_table *table, struct wg_index_entry *entry)
{
	struct wg_index_entry **pp;

	for (pp = bucket_of(table, entry->index); *pp; pp = &(*pp)->next) {
		if (*pp == entry) {
			*pp = entry->next;
			break;
		}
	}
	entry->next = NULL;
	entry->hashed = false;
}

static void link_entry(struct wg_index_table *table, struct wg_index_entry *entry)
{
	struct wg_index_entry **head = bucket_of(table, entry->index);

	entry->next = *head;
	entry->hashed = true;
	*head = entry;
}

void wg_index_table_init(struct wg_index_table *table)
{
	memset(table->buckets, 0, sizeof(table->buckets));
	pthread_mutex_init(&table->lock, NULL);
}

void wg_index_table_destroy(struct wg_index_table *table)
{
	pthread_mutex_destroy(&table->lock);
}

uint32_t wg_index_insert(struct wg_index_table *table, struct wg_index_entry *entry)
{
	uint32_t index;

	pthread_mutex_lock(&table->lock);
	if (entry->hashed)
		unlink_entry(table, entry);
	/* Even with a million entries a fresh random index is free almost every time. */
	do
		index = randombytes_random();
	while (find(table, index));
	entry->index = index;
	link_entry(table, entry);
	pthread_mutex_unlock(&table->lock);
	return index;
}

bool wg_index_replace(struct wg_index_table *table, struct wg_index_entry *old,
                      struct wg_index_entry *new)
{
	bool replaced = false;

	pthread_mutex_lock(&table->lock);
	if (!old->hashed)
		goto out;
	if (new->hashed)
		unlink_entry(table, new);
	unlink_entry(table, old);
	new->index = old->index;
	link_entry(table, new);
	replaced = true;
out:
	pthread_mutex_unlock(&table->lock);
	return replaced;
}

void wg_index_remove(struct wg_index_table *table, struct wg_index_entry *entry)
{
	pthread_mutex_lock(&table->lock);
	if (entry->hashed)
		unlink_entry(table, entry);
	pthread_mutex_unlock(&table->lock);
}

struct wg_index_entry *wg_index_lookup(struct wg_index_table *table, uint32_t index,
                                       unsigned int types, wg_index_get_fn get,
                                       struct wg_peer **peer)
{
	struct wg_index_entry *e;

	pthread_mutex_lock(&table->lock);
	e = find(table, index);
	if (e && !(e->type & types))
		e = NULL;
	if (e && get)
		get(e);
	*peer = e ? e->peer : NULL;
	pthread_mutex_unlock(&table->lock);
	return e;
}

void wg_pubkey_table_init(struct wg_pubkey_table *table)
{
	memset(table->buckets, 0, sizeof(table->buckets));
	randombytes_buf(table->hash_key, sizeof(table->hash_key));
}

static size_t pubkey_slot(const struct wg_pubkey_table *table, const uint8_t key[WG_KEY_LEN])
{
	uint8_t hash[crypto_shorthash_BYTES];
	uint64_t h;

	/* Keyed: the keys in a received initiation are the sender's choice. */
	crypto_shorthash(hash, key, WG_KEY_LEN, table->hash_key);
	memcpy(&h, hash, sizeof(h));
	return h & (WG_PUBKEY_BUCKETS - 1);
}

void wg_pubkey_add(struct wg_pubkey_table *table, struct wg_pubkey_entry *entry)
{
	struct wg_pubkey_entry **head = &table->buckets[pubkey_slot(table, entry->key)];

	entry->next = *head;
	*head = entry;
}

void wg_pubkey_remove(struct wg_pubkey_table *table, struct wg_pubkey_entry *entry)
{
	struct wg_pubkey_entry **pp;

	for (pp = &table->buckets[pubkey_slot(table, entry->key)]; *pp; pp = &(*pp)->next) {
		if (*pp == entry) {
			*pp = entry->next;
			break;
		}
	}
	entry->next = NULL;
}

struct wg_peer *wg_pubkey_lookup(const struct wg_pubkey_table *table, const uint8_t key[WG_KEY_LEN])
{
	const struct wg_pubkey_entry *e;

	for (e = table->buckets[pubkey_slot(table, key)]; e; e = e->next)
		if (sodium_memcmp(e->key, key, WG_KEY_LEN) == 0)
			return e->peer;
	return NULL;
}
