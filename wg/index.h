/* SPDX-License-Identifier: MIT */
/*
 * index.h - the two peer lookups of the receive path.
 *
 * Index table: every handshake and keypair in flight owns a random 32-bit local index, unique in
 * the table, that the other side writes into its messages. Entries are embedded in their owner;
 * the table has its own lock, and a lookup calls `get` on the found entry under that lock so the
 * caller can take a reference before anyone can remove it.
 *
 * Pubkey table: peers by static public key. No lock: the device changes it only under its write
 * lock and reads it under its read lock.
 */
#ifndef WG_INDEX_H
#define WG_INDEX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "wg/wg.h"

struct wg_peer;

enum wg_index_type {
	WG_INDEX_HANDSHAKE = 1U << 0,
	WG_INDEX_KEYPAIR = 1U << 1,
};

struct wg_index_entry {
	struct wg_index_entry *next;
	struct wg_peer *peer;
	uint32_t index;
	unsigned int type;
	bool hashed;
};

enum { WG_INDEX_BUCKETS = 1U << 13, WG_PUBKEY_BUCKETS = 1U << 11 };

struct wg_index_table {
	pthread_mutex_t lock;
	struct wg_index_entry *buckets[WG_INDEX_BUCKETS];
};

typedef void (*wg_index_get_fn)(struct wg_index_entry *entry);

void wg_index_table_init(struct wg_index_table *table);
void wg_index_table_destroy(struct wg_index_table *table);
/* Inserts entry under a fresh random index, returned and stored in entry->index. */
uint32_t wg_index_insert(struct wg_index_table *table, struct wg_index_entry *entry);
/* Hands old's index to new (a handshake becoming a keypair); false if old was removed meanwhile. */
bool wg_index_replace(struct wg_index_table *table, struct wg_index_entry *old,
                      struct wg_index_entry *new);
/* Removing an entry that is not in the table is a no-op. */
void wg_index_remove(struct wg_index_table *table, struct wg_index_entry *entry);
/* The entry with this index and one of the types, or NULL. Under the table lock it runs get
 * (may be NULL) and copies the entry's peer to *peer: the entry itself may go away right after
 * unless get pinned it, while the peer lives as long as the caller holds the device lock. */
struct wg_index_entry *wg_index_lookup(struct wg_index_table *table, uint32_t index,
                                       unsigned int types, wg_index_get_fn get,
                                       struct wg_peer **peer);

struct wg_pubkey_entry {
	struct wg_pubkey_entry *next;
	uint8_t key[WG_KEY_LEN];
	struct wg_peer *peer;
};

struct wg_pubkey_table {
	uint8_t hash_key[16];
	struct wg_pubkey_entry *buckets[WG_PUBKEY_BUCKETS];
};

void wg_pubkey_table_init(struct wg_pubkey_table *table);
void wg_pubkey_add(struct wg_pubkey_table *table, struct wg_pubkey_entry *entry);
void wg_pubkey_remove(struct wg_pubkey_table *table, struct wg_pubkey_entry *entry);
struct wg_peer *wg_pubkey_lookup(const struct wg_pubkey_table *table,
                                 const uint8_t key[WG_KEY_LEN]);

#endif /* WG_INDEX_H */
