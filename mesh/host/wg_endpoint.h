/* SPDX-License-Identifier: MIT */
/*
 * Endpoints between the mesh and the engine: a struct mesh_endpoint (an IP
 * or a DNS name, and a port) and the engine's socket address, both ways.
 *
 * mesh_wg_endpoint_from_mesh() resolves a DNS name like Go's
 * net.ResolveUDPAddr("udp", ...), which Kilo uses: the first IPv4 answer,
 * else the first answer; one that does not resolve is -EHOSTUNREACH, with
 * the name in err. An endpoint without a port or an address is none
 * (AF_UNSPEC). mesh_wg_endpoint_to_mesh() is where the device sees a peer:
 * an IP and a port (an IPv6 scope is dropped), AF_UNSPEC as an unset
 * endpoint. For an IP endpoint with a port the two are inverses.
 */
#ifndef MESH_WG_ENDPOINT_H
#define MESH_WG_ENDPOINT_H

#include <stddef.h>

#include "mesh/model/model.h"
#include "wg/wg.h"

int mesh_wg_endpoint_from_mesh(const struct mesh_endpoint *endpoint, union wg_endpoint *out,
                               char *err, size_t err_size);
void mesh_wg_endpoint_to_mesh(const union wg_endpoint *endpoint, struct mesh_endpoint *out);

#endif /* MESH_WG_ENDPOINT_H */
