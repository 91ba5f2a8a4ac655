// SPDX-License-Identifier: MIT
/* cilium.c - Cilium's links as Kilo's Cilium encapsulator finds them. */

#include "mesh/host/cilium.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int mesh_cilium_host_ip(struct tun_nl *nl, struct mesh_prefix *ip)
{
	struct tun_nl_address *addresses = NULL;
	struct tun_nl_link host;
	size_t n = 0;
	int ret = tun_nl_link_get(nl, MESH_CILIUM_HOST, &host);

	memset(ip, 0, sizeof(*ip));
	if (ret)
		return ret == -ENODEV ? 0 : ret;
	ret = tun_nl_address_dump(nl, AF_INET, &addresses, &n);
	for (size_t i = 0; !ret && i < n; i++) {
		struct mesh_addr addr = {.family = AF_INET};

		if (addresses[i].ifindex != host.ifindex)
			continue;
		memcpy(addr.bytes, addresses[i].ip.bytes, 4);
		*ip = mesh_prefix_host(&addr);
		break;
	}
	free(addresses);
	return ret;
}

int mesh_cilium_tunnel_adopt(struct tun_nl *nl, bool *adopted)
{
	struct tun_nl_link tunnel;
	int ret = tun_nl_link_get(nl, MESH_CILIUM_TUNNEL, &tunnel);

	*adopted = false;
	if (ret)
		return ret == -ENODEV ? 0 : ret;
	*adopted = true;
	/* Cilium may leave it down; Kilo sets it up and changes nothing else. */
	return tunnel.up ? 0 : tun_nl_link_set(nl, tunnel.ifindex, 1, 0);
}
