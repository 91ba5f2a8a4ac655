// SPDX-License-Identifier: MIT
/*
 * allowedips.c - a binary trie with path compression per address family, like the kernel's
 * allowedips.c. Every node carries a prefix (key masked to cidr); a child
 * hangs off bit[b] where b is the key's bit just past the parent's cidr.
 * Nodes without an owner are branch points and always have two children.
 * Keys are held as two host-order 64-bit words of the big-endian address, so
 * prefix tests are a xor and a count of leading zeros.
 *
 * Peers are opaque, so the per-peer node lists that remove_by_peer and the
 * walk need live here, in a small hash table of owners keyed by the pointer.
 */
#include "wg/allowedips.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct key {
	uint64_t w[2];
};

struct owner {
	const void *peer;
	struct node *first, *last;
	struct owner *next;
};

/* What a lookup reads comes first, to share a cache line. */
struct node {
	struct key key;
	struct node *bit[2];
	struct owner *owner; /* NULL for a branch point */
	uint8_t cidr;
	uint8_t bits;
	struct node *parent;
	struct node *owner_prev, *owner_next;
};

struct wg_allowedips {
	struct node *root4, *root6;
	struct owner **owners;
	size_t owner_buckets, owner_count;
};

enum { OWNER_BUCKETS_MIN = 16 };

static unsigned int bit_at(const struct key *key, unsigned int i)
{
	return (key->w[i >> 6] >> (63 - (i & 63))) & 1;
}

static unsigned int common_bits(const struct key *a, const struct key *b)
{
	uint64_t x = a->w[0] ^ b->w[0];

	if (x)
		return __builtin_clzll(x);
	x = a->w[1] ^ b->w[1];
	return x ? 64 + __builtin_clzll(x) : 128;
}

static bool prefix_matches(const struct node *node, const struct key *key)
{
	return common_bits(&node->key, key) >= node->cidr;
}

static uint64_t word_mask(unsigned int cidr, unsigned int word)
{
	unsigned int n = cidr > word * 64 ? cidr - word * 64 : 0;

	return n >= 64 ? UINT64_MAX : n ? ~(UINT64_MAX >> n) : 0;
}

static struct key masked(const struct key *key, unsigned int cidr)
{
	struct key out = {{key->w[0] & word_mask(cidr, 0), key->w[1] & word_mask(cidr, 1)}};

	return out;
}

static uint64_t load_be64(const uint8_t *p, size_t len)
{
	uint64_t v = 0;

	for (size_t i = 0; i < 8; i++)
		v = v << 8 | (i < len ? p[i] : 0);
	return v;
}

static void store_be64(uint8_t *p, size_t len, uint64_t v)
{
	for (size_t i = 0; i < len; i++)
		p[i] = v >> (56 - 8 * i);
}

/* Decodes a family/address pair into its key and its width in bits. */
static int parse(int family, const void *addr, struct key *key, uint8_t *bits)
{
	const uint8_t *p = addr;

	if (!addr)
		return -EINVAL;
	if (family == AF_INET) {
		*key = (struct key){{load_be64(p, 4), 0}};
		*bits = 32;
	} else if (family == AF_INET6) {
		*key = (struct key){{load_be64(p, 8), load_be64(p + 8, 8)}};
		*bits = 128;
	} else {
		return -EINVAL;
	}
	return 0;
}

static struct node **root_of(struct wg_allowedips *table, uint8_t bits)
{
	return bits == 32 ? &table->root4 : &table->root6;
}

static size_t owner_slot(const struct wg_allowedips *table, const void *peer)
{
	uint64_t h = (uint64_t)(uintptr_t)peer * UINT64_C(0x9e3779b97f4a7c15);

	return (h >> 32) & (table->owner_buckets - 1);
}

static struct owner *owner_find(const struct wg_allowedips *table, const void *peer)
{
	struct owner *owner = table->owners[owner_slot(table, peer)];

	while (owner && owner->peer != peer)
		owner = owner->next;
	return owner;
}

/* Doubles the owner buckets; failing to grow only makes chains longer. */
static void owners_grow(struct wg_allowedips *table)
{
	size_t old_buckets = table->owner_buckets;
	struct owner **old = table->owners, **fresh;

	fresh = calloc(old_buckets * 2, sizeof(*fresh));
	if (!fresh)
		return;
	table->owners = fresh;
	table->owner_buckets = old_buckets * 2;
	for (size_t i = 0; i < old_buckets; i++) {
		while (old[i]) {
			struct owner *owner = old[i];
			size_t slot = owner_slot(table, owner->peer);

			old[i] = owner->next;
			owner->next = fresh[slot];
			fresh[slot] = owner;
		}
	}
	free(old);
}

static struct owner *owner_get(struct wg_allowedips *table, const void *peer)
{
	struct owner *owner = owner_find(table, peer);
	size_t slot;

	if (owner)
		return owner;
	owner = calloc(1, sizeof(*owner));
	if (!owner)
		return NULL;
	if (table->owner_count >= table->owner_buckets)
		owners_grow(table);
	slot = owner_slot(table, peer);
	owner->peer = peer;
	owner->next = table->owners[slot];
	table->owners[slot] = owner;
	table->owner_count++;
	return owner;
}

/* Forgets an owner once it holds no prefix. */
static void owner_put(struct wg_allowedips *table, struct owner *owner)
{
	struct owner **link = &table->owners[owner_slot(table, owner->peer)];

	if (owner->first)
		return;
	while (*link != owner)
		link = &(*link)->next;
	*link = owner->next;
	table->owner_count--;
	free(owner);
}

static void attach(struct owner *owner, struct node *node)
{
	node->owner = owner;
	node->owner_prev = owner->last;
	node->owner_next = NULL;
	if (owner->last)
		owner->last->owner_next = node;
	else
		owner->first = node;
	owner->last = node;
}

static struct owner *detach(struct node *node)
{
	struct owner *owner = node->owner;

	if (node->owner_prev)
		node->owner_prev->owner_next = node->owner_next;
	else
		owner->first = node->owner_next;
	if (node->owner_next)
		node->owner_next->owner_prev = node->owner_prev;
	else
		owner->last = node->owner_prev;
	node->owner = NULL;
	node->owner_prev = node->owner_next = NULL;
	return owner;
}

static struct node *node_new(const struct key *key, uint8_t cidr, uint8_t bits)
{
	struct node *node = calloc(1, sizeof(*node));

	if (node) {
		node->key = masked(key, cidr);
		node->cidr = cidr;
		node->bits = bits;
	}
	return node;
}

/* Puts new where old hangs (below parent, or at the root). */
static void replace(struct node **root, struct node *parent, const struct node *old,
                    struct node *new)
{
	if (parent)
		parent->bit[parent->bit[1] == old] = new;
	else
		*root = new;
	if (new)
		new->parent = parent;
}

static void hang(struct node *parent, struct node *child)
{
	parent->bit[bit_at(&child->key, parent->cidr)] = child;
	child->parent = parent;
}

/* The deepest node whose prefix contains key/cidr; *exact if it is key/cidr. */
static struct node *find_parent(struct node *root, const struct key *key, uint8_t cidr, bool *exact)
{
	struct node *node = root, *parent = NULL;

	*exact = false;
	while (node && node->cidr <= cidr && prefix_matches(node, key)) {
		parent = node;
		if (parent->cidr == cidr) {
			*exact = true;
			break;
		}
		node = parent->bit[bit_at(key, parent->cidr)];
	}
	return parent;
}

/* Where addr/cidr is or would go: its masked key and width, its trie, and
 * the deepest node containing it (exact if that node is addr/cidr). */
struct spot {
	struct key key;
	uint8_t bits;
	struct node **root, *node;
	bool exact;
};

static int find_spot(struct wg_allowedips *table, int family, const void *addr, uint8_t cidr,
                     struct spot *spot)
{
	if (parse(family, addr, &spot->key, &spot->bits) < 0 || cidr > spot->bits)
		return -EINVAL;
	spot->key = masked(&spot->key, cidr);
	spot->root = root_of(table, spot->bits);
	spot->node = find_parent(*spot->root, &spot->key, cidr, &spot->exact);
	return 0;
}

/* Links a new node for key/cidr below parent, splitting the edge to the
 * subtree already there with a branch point where the two part ways. */
static struct node *add_node(struct node **root, struct node *parent, const struct key *key,
                             uint8_t cidr, uint8_t bits)
{
	struct node *node, *down, *branch;
	unsigned int common;

	node = node_new(key, cidr, bits);
	if (!node)
		return NULL;
	down = parent ? parent->bit[bit_at(key, parent->cidr)] : *root;
	if (!down) {
		if (parent)
			hang(parent, node);
		else
			*root = node;
		return node;
	}
	common = common_bits(&down->key, key);
	if (common >= cidr) {
		replace(root, parent, down, node);
		hang(node, down);
		return node;
	}
	branch = node_new(key, common, bits);
	if (!branch) {
		free(node);
		return NULL;
	}
	replace(root, parent, down, branch);
	hang(branch, down);
	hang(branch, node);
	return node;
}

/* Drops a node that just lost its owner, unless it still branches. */
static void remove_node(struct node **root, struct node *node)
{
	struct node *parent = node->parent, *child;

	if (node->bit[0] && node->bit[1])
		return;
	child = node->bit[0] ? node->bit[0] : node->bit[1];
	replace(root, parent, node, child);
	free(node);
	/* A branch point left with one child has no reason to exist. */
	if (child || !parent || parent->owner)
		return;
	child = parent->bit[0] ? parent->bit[0] : parent->bit[1];
	replace(root, parent->parent, parent, child);
	free(parent);
}

struct wg_allowedips *wg_allowedips_new(void)
{
	struct wg_allowedips *table = calloc(1, sizeof(*table));

	if (!table)
		return NULL;
	table->owner_buckets = OWNER_BUCKETS_MIN;
	table->owners = calloc(table->owner_buckets, sizeof(*table->owners));
	if (!table->owners) {
		free(table);
		return NULL;
	}
	return table;
}

/* Post-order without a stack: the parent pointers lead back up. */
static void free_trie(struct node *node)
{
	while (node) {
		struct node *parent;

		if (node->bit[0] || node->bit[1]) {
			node = node->bit[0] ? node->bit[0] : node->bit[1];
			continue;
		}
		parent = node->parent;
		if (parent)
			parent->bit[parent->bit[1] == node] = NULL;
		free(node);
		node = parent;
	}
}

void wg_allowedips_free(struct wg_allowedips *table)
{
	if (!table)
		return;
	free_trie(table->root4);
	free_trie(table->root6);
	for (size_t i = 0; i < table->owner_buckets; i++) {
		while (table->owners[i]) {
			struct owner *owner = table->owners[i];

			table->owners[i] = owner->next;
			free(owner);
		}
	}
	free(table->owners);
	free(table);
}

int wg_allowedips_insert(struct wg_allowedips *table, int family, const void *addr, uint8_t cidr,
                         void *peer)
{
	struct spot spot;
	struct owner *owner;
	struct node *node;

	if (!peer || find_spot(table, family, addr, cidr, &spot) < 0)
		return -EINVAL;
	owner = owner_get(table, peer);
	if (!owner)
		return -ENOMEM;
	node = spot.node;
	if (spot.exact && node->owner) {
		struct owner *previous = detach(node);

		if (previous != owner)
			owner_put(table, previous);
	} else if (!spot.exact) {
		node = add_node(spot.root, node, &spot.key, cidr, spot.bits);
		if (!node) {
			owner_put(table, owner);
			return -ENOMEM;
		}
	}
	attach(owner, node);
	return 0;
}

int wg_allowedips_remove(struct wg_allowedips *table, int family, const void *addr, uint8_t cidr,
                         void *peer)
{
	struct spot spot;
	struct owner *owner;

	if (find_spot(table, family, addr, cidr, &spot) < 0)
		return -EINVAL;
	if (!spot.exact || !spot.node->owner || spot.node->owner->peer != peer)
		return -ENOENT;
	owner = detach(spot.node);
	remove_node(spot.root, spot.node);
	owner_put(table, owner);
	return 0;
}

void wg_allowedips_remove_by_peer(struct wg_allowedips *table, void *peer)
{
	struct owner *owner = owner_find(table, peer);
	struct node *node, *next;

	if (!owner)
		return;
	for (node = owner->first; node; node = next) {
		next = node->owner_next;
		node->owner = NULL;
		remove_node(root_of(table, node->bits), node);
	}
	owner->first = owner->last = NULL;
	owner_put(table, owner);
}

void *wg_allowedips_lookup(const struct wg_allowedips *table, int family, const void *addr)
{
	const struct node *node, *found = NULL;
	struct key key;
	uint8_t bits;

	if (parse(family, addr, &key, &bits) < 0)
		return NULL;
	for (node = bits == 32 ? table->root4 : table->root6; node && prefix_matches(node, &key);) {
		if (node->owner)
			found = node;
		if (node->cidr == bits)
			break;
		node = node->bit[bit_at(&key, node->cidr)];
	}
	return found ? (void *)found->owner->peer : NULL;
}

int wg_allowedips_walk_by_peer(const struct wg_allowedips *table, const void *peer,
                               wg_allowedips_walk_fn fn, void *ctx)
{
	struct owner *owner = owner_find(table, peer);
	const struct node *node;
	uint8_t addr[16];
	int ret;

	for (node = owner ? owner->first : NULL; node; node = node->owner_next) {
		if (node->bits == 32) {
			store_be64(addr, 4, node->key.w[0]);
			ret = fn(ctx, AF_INET, addr, node->cidr);
		} else {
			store_be64(addr, 8, node->key.w[0]);
			store_be64(addr + 8, 8, node->key.w[1]);
			ret = fn(ctx, AF_INET6, addr, node->cidr);
		}
		if (ret)
			return ret;
	}
	return 0;
}
