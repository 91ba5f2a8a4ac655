/* SPDX-License-Identifier: MIT */
/*
 * The host side of Kilo's Cilium encapsulator (pkg/encapsulation/cilium.go,
 * --compatibility=cilium): Kilo's IPIP, with the outer packets sent to the
 * other node's cilium_host address so that Cilium's overlay carries them.
 *
 * mesh_cilium_host_ip() reads the first IPv4 address of cilium_host, as a
 * /32: what the agent publishes as its kilo.squat.ai/cni-compatibility-ip.
 * No such link or no IPv4 on it leaves ip unset and is not an error.
 *
 * mesh_cilium_tunnel_adopt() takes Cilium's cilium_tunl (the kernel's tunl0,
 * renamed by Cilium with enable-ipip-termination) when it exists, and sets it
 * up if Cilium left it down; *adopted says whether it was there. The link
 * stays Cilium's: kg never removes it. Without it, the agent makes its own
 * tunl0 as in Kilo's IPIP mode.
 */
#ifndef MESH_CILIUM_H
#define MESH_CILIUM_H

#include <stdbool.h>

#include "mesh/model/prefix.h"
#include "netlink/netlink.h"

#define MESH_CILIUM_HOST "cilium_host"
#define MESH_CILIUM_TUNNEL "cilium_tunl"

int mesh_cilium_host_ip(struct nl_socket *nl, struct mesh_prefix *ip);
int mesh_cilium_tunnel_adopt(struct nl_socket *nl, bool *adopted);

#endif /* MESH_CILIUM_H */
