/* SPDX-License-Identifier: MIT */
/*
 * The addresses a link of ours holds (kilo0, tunl0, a connect interface),
 * as Kilo's iproute.SetAddress: mesh_link_set_address() leaves exactly that
 * address on the link (an unset prefix: none), removing any other, and says
 * in *changed (may be NULL) whether it had to touch anything.
 * mesh_link_set_addresses() does the same for n addresses (a dual-stack
 * leader's kilo0 holds one WireGuard IP per family). IPv6 link-local
 * addresses are the kernel's and stay.
 */
#ifndef MESH_LINK_ADDRESS_H
#define MESH_LINK_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "mesh/model/prefix.h"
#include "netlink/netlink.h"

int mesh_link_set_address(struct nl_socket *nl, int ifindex, const struct mesh_prefix *address,
                          bool *changed);
int mesh_link_set_addresses(struct nl_socket *nl, int ifindex, const struct mesh_prefix *addresses,
                            size_t n, bool *changed);

#endif /* MESH_LINK_ADDRESS_H */
