/* SPDX-License-Identifier: MIT */
/*
 * The one address a link of ours holds (kilo0, tunl0, a connect interface),
 * as Kilo's iproute.SetAddress: mesh_link_set_address() leaves exactly that
 * address on the link (an unset prefix: none), removing any other, and says
 * in *changed (may be NULL) whether it had to touch anything.
 */
#ifndef MESH_LINK_ADDRESS_H
#define MESH_LINK_ADDRESS_H

#include <stdbool.h>

#include "mesh/model/prefix.h"
#include "netlink/netlink.h"

int mesh_link_set_address(struct nl_socket *nl, int ifindex, const struct mesh_prefix *address,
                          bool *changed);

#endif /* MESH_LINK_ADDRESS_H */
