/* SPDX-License-Identifier: MIT */
/*
 * Positional WireGuard IP allocation (Kilo's pkg/mesh/ip.go allocator).
 *
 * The n-th call returns network + n of the subnet, with the subnet's mask
 * (10.4.0.0/16 gives 10.4.0.1/16, 10.4.0.2/16, ...). Nothing is persisted:
 * every node allocates for the same sorted segments and so agrees without
 * coordination. Past the end of the subnet it returns -ENOSPC for good, so a
 * /32 yields nothing and a /31 one address.
 */
#ifndef MESH_ALLOCATOR_H
#define MESH_ALLOCATOR_H

#include <stdbool.h>

#include "mesh/model/prefix.h"

struct mesh_allocator {
	struct mesh_prefix subnet; /* masked */
	struct ip_addr current;    /* last address handed out */
	bool exhausted;
};

void mesh_allocator_init(struct mesh_allocator *allocator, const struct mesh_prefix *subnet);
int mesh_allocator_next(struct mesh_allocator *allocator, struct mesh_prefix *out);

#endif /* MESH_ALLOCATOR_H */
