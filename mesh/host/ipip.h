/* SPDX-License-Identifier: MIT */
/*
 * Kilo's IPIP encapsulator (pkg/encapsulation/ipip.go, pkg/iproute/ipip.go): the tunnel that
 * carries traffic between members of a location when --encapsulate says so.
 *
 * mesh_ipip_init() creates the IPIP link (a link of that name already there is adopted, as
 * Kilo ignores "File exists"), sets its MTU to the private interface's MTU minus the 20 bytes
 * of the outer IPv4 header and sets it up, changing only what differs. The kernel allows one
 * tunnel from and to any address per namespace (its fallback tunl0 where the ipip module
 * makes one): another name beside it is refused with -EEXIST.
 * Its address (the first IP of the pod CIDR, mesh_routes_tunnel_address()) is set with
 * mesh/host/link_address.h. mesh_ipip_clean_up() removes the addresses and the
 * link; the kernel keeps its own fallback tunl0, which then carries no address of ours.
 */
#ifndef MESH_IPIP_H
#define MESH_IPIP_H

#include <stdbool.h>
#include <stddef.h>

#include "mesh/model/prefix.h"
#include "netlink/netlink.h"

#define MESH_IPIP_NAME "tunl0"
#define MESH_IPIP_OVERHEAD 20

int mesh_ipip_init(struct nl_socket *nl, const char *name, int private_ifindex,
                   struct nl_link *tunnel, char *err, size_t err_size);
int mesh_ipip_clean_up(struct nl_socket *nl, const char *name);

#endif /* MESH_IPIP_H */
