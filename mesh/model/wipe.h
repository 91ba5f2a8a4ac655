/* SPDX-License-Identifier: MIT */
/*
 * Buffers that may hold secrets (a Peer's preshared key in an API reply, a
 * watch event, a cluster file, the JSON decoded from them) are wiped before
 * their memory goes back to the allocator: growth copies and wipes the old
 * block instead of realloc(), which may leave it behind unwiped.
 */
#ifndef MESH_WIPE_H
#define MESH_WIPE_H

#include <stddef.h>

/* realloc() that wipes the old block; on failure the old block is kept. */
void *mesh_wipe_realloc(void *old, size_t old_size, size_t new_size);

/* free() after wiping size bytes. */
void mesh_wipe_free(void *block, size_t size);

/* Makes jansson wipe every block it frees; call before the first decode. */
void mesh_wipe_json(void);

#endif
