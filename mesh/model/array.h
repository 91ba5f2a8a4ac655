/* SPDX-License-Identifier: MIT */
/*
 * A growing array for the views (routes, rules): append one item, doubling
 * the capacity as needed. Returns false when out of memory, leaving the
 * array as it was.
 */
#ifndef MESH_ARRAY_H
#define MESH_ARRAY_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static inline bool mesh_array_push(void **array, size_t *n, size_t *cap, const void *item,
                                   size_t size)
{
	if (*n == *cap) {
		size_t new_cap = *cap ? 2 * *cap : 16;
		void *bigger = realloc(*array, new_cap * size);

		if (!bigger)
			return false;
		*array = bigger;
		*cap = new_cap;
	}
	memcpy((char *)*array + *n * size, item, size);
	(*n)++;
	return true;
}

#endif /* MESH_ARRAY_H */
