// SPDX-License-Identifier: MIT
/* ipip.c - the IPIP tunnel link: created or adopted, sized, up, one address. */

#include "mesh/host/ipip.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int link_mtu(struct nl_socket *nl, int ifindex, unsigned int *mtu)
{
	struct nl_link *links;
	size_t n;
	int ret = nl_link_dump(nl, &links, &n);

	if (ret < 0)
		return ret;
	ret = -ENODEV;
	for (size_t i = 0; i < n; i++) {
		if (links[i].ifindex == ifindex) {
			*mtu = links[i].mtu;
			ret = 0;
		}
	}
	free(links);
	return ret;
}

int mesh_ipip_init(struct nl_socket *nl, const char *name, int private_ifindex,
                   struct nl_link *tunnel, char *err, size_t err_size)
{
	unsigned int private_mtu = 0, mtu;
	const char *step = "reading the private interface";
	int ret = link_mtu(nl, private_ifindex, &private_mtu);

	if (ret < 0)
		goto out;
	mtu = private_mtu > MESH_IPIP_OVERHEAD ? private_mtu - MESH_IPIP_OVERHEAD : 0;
	step = "creating the link";
	ret = nl_link_add_ipip(nl, name, mtu);
	if (ret < 0)
		goto out;
	step = "reading the link";
	ret = nl_link_get(nl, name, tunnel);
	/*
	 * "File exists" although no link has the name: the kernel allows one tunnel from and to
	 * any address per namespace, and its fallback tunl0 is that one.
	 */
	if (ret == -ENODEV) {
		step = "not created, the kernel's tunl0 is the one tunnel from and to any address";
		ret = -EEXIST;
	}
	if (ret < 0 || (tunnel->up && (!mtu || tunnel->mtu == mtu)))
		goto out;
	step = "setting the link up";
	ret = nl_link_set(nl, tunnel->ifindex, 1, tunnel->mtu != mtu ? mtu : 0);
	if (ret == 0)
		ret = nl_link_get(nl, name, tunnel);
out:
	if (ret < 0)
		snprintf(err, err_size, "IPIP tunnel %s: %s: %s", name, step, strerror(-ret));
	return ret;
}

int mesh_ipip_clean_up(struct nl_socket *nl, const char *name)
{
	struct nl_address none = {0};
	struct nl_link tunnel;
	int ret = nl_link_get(nl, name, &tunnel);

	if (ret == -ENODEV)
		return 0;
	if (ret == 0) {
		none.ifindex = tunnel.ifindex;
		ret = nl_address_set(nl, &none, NULL);
	}
	/* Deleting the kernel's fallback tunl0 succeeds without effect. */
	if (ret == 0)
		ret = nl_link_del(nl, tunnel.ifindex);
	return ret;
}
