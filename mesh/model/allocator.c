// SPDX-License-Identifier: MIT
#include "mesh/model/allocator.h"

#include <errno.h>

void mesh_allocator_init(struct mesh_allocator *allocator, const struct mesh_prefix *subnet)
{
	allocator->subnet = mesh_prefix_masked(subnet);
	allocator->current = allocator->subnet.addr;
	allocator->exhausted = !mesh_prefix_is_set(subnet);
}

/* Big-endian increment; wrapping past all-ones leaves the subnet anyway. */
static void increment(struct ip_addr *addr)
{
	for (size_t i = ip_addr_len(addr); i-- > 0;)
		if (++addr->bytes[i])
			break;
}

int mesh_allocator_next(struct mesh_allocator *allocator, struct mesh_prefix *out)
{
	if (allocator->exhausted)
		return -ENOSPC;
	increment(&allocator->current);
	if (!mesh_prefix_contains_addr(&allocator->subnet, &allocator->current)) {
		allocator->exhausted = true;
		return -ENOSPC;
	}
	out->addr = allocator->current;
	out->cidr = allocator->subnet.cidr;
	return 0;
}
