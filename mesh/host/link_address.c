// SPDX-License-Identifier: MIT
#include "mesh/host/link_address.h"

int mesh_link_set_address(struct nl_socket *nl, int ifindex, const struct mesh_prefix *address,
                          bool *changed)
{
	const struct nl_address want = {
	    .ifindex = ifindex, .ip = address->addr, .prefixlen = address->cidr};

	return nl_address_set(nl, &want, changed);
}
