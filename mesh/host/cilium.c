// SPDX-License-Identifier: MIT
/* cilium.c - Cilium's links as Kilo's Cilium encapsulator finds them. */

#include "mesh/host/cilium.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int mesh_cilium_host_ip(struct nl_socket *nl, struct mesh_prefix *ip)
{
	struct nl_address *addresses = NULL;
	struct nl_link host;
	size_t n = 0;
	int ret = nl_link_get(nl, MESH_CILIUM_HOST, &host);

	memset(ip, 0, sizeof(*ip));
	if (ret)
		return ret == -ENODEV ? 0 : ret;
	ret = nl_address_dump(nl, AF_INET, &addresses, &n);
	for (size_t i = 0; !ret && i < n; i++) {
		if (addresses[i].ifindex != host.ifindex)
			continue;
		*ip = mesh_prefix_host(&addresses[i].ip);
		break;
	}
	free(addresses);
	return ret;
}

int mesh_cilium_tunnel_adopt(struct nl_socket *nl, bool *adopted)
{
	struct nl_link tunnel;
	int ret = nl_link_get(nl, MESH_CILIUM_TUNNEL, &tunnel);

	*adopted = false;
	if (ret)
		return ret == -ENODEV ? 0 : ret;
	*adopted = true;
	/* Cilium may leave it down; Kilo sets it up and changes nothing else. */
	return tunnel.up ? 0 : nl_link_set(nl, tunnel.ifindex, 1, 0);
}
