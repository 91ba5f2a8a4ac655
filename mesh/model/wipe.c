// SPDX-License-Identifier: MIT
#include "mesh/model/wipe.h"

#include <jansson.h>
#include <malloc.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void *mesh_wipe_realloc(void *old, size_t old_size, size_t new_size)
{
	void *block = malloc(new_size);

	if (!block)
		return NULL;
	if (old)
		memcpy(block, old, old_size < new_size ? old_size : new_size);
	mesh_wipe_free(old, old_size);
	return block;
}

void mesh_wipe_free(void *block, size_t size)
{
	if (!block)
		return;
	sodium_memzero(block, size);
	free(block);
}

/*
 * jansson tells its free() no size, and json_dumps()'s text is freed with
 * plain free() by its callers, so blocks stay plain malloc() blocks and
 * the allocator says how large each is.
 */
static void json_free(void *block)
{
	if (block)
		mesh_wipe_free(block, malloc_usable_size(block));
}

void mesh_wipe_json(void)
{
	json_set_alloc_funcs(malloc, json_free);
}
