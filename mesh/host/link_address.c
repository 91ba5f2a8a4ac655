// SPDX-License-Identifier: MIT
#include "mesh/host/link_address.h"

#include <stdlib.h>

/* IPv6 link-local addresses are the kernel's: they stay. */
static bool ipv6_link_local(const struct ip_addr *ip)
{
	return ip->family == AF_INET6 && ip->bytes[0] == 0xfe && (ip->bytes[1] & 0xc0) == 0x80;
}

static bool wanted(const struct nl_address *have, const struct mesh_prefix *addresses, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ip_addr_equal(&have->ip, &addresses[i].addr) &&
		    have->prefixlen == addresses[i].cidr)
			return true;
	return false;
}

int mesh_link_set_address(struct nl_socket *nl, int ifindex, const struct mesh_prefix *address,
                          bool *changed)
{
	return mesh_link_set_addresses(nl, ifindex, address, mesh_prefix_is_set(address), changed);
}

int mesh_link_set_addresses(struct nl_socket *nl, int ifindex, const struct mesh_prefix *addresses,
                            size_t n, bool *changed)
{
	struct nl_address *have = NULL;
	size_t n_have = 0;
	bool ignored;
	int ret = nl_address_dump(nl, AF_UNSPEC, &have, &n_have);

	changed = changed ? changed : &ignored;
	*changed = false;
	for (size_t i = 0; ret == 0 && i < n_have; i++) {
		if (have[i].ifindex != ifindex || ipv6_link_local(&have[i].ip) ||
		    wanted(&have[i], addresses, n))
			continue;
		ret = nl_address_del(nl, &have[i]);
		*changed |= ret == 0;
	}
	for (size_t i = 0; ret == 0 && i < n; i++) {
		const struct nl_address want = {
		    .ifindex = ifindex, .ip = addresses[i].addr, .prefixlen = addresses[i].cidr};
		bool present = false;

		for (size_t j = 0; j < n_have && !present; j++)
			present = have[j].ifindex == ifindex &&
			          ip_addr_equal(&have[j].ip, &want.ip) &&
			          have[j].prefixlen == want.prefixlen;
		if (present)
			continue;
		ret = nl_address_add(nl, &want);
		*changed |= ret == 0;
	}
	free(have);
	return ret;
}
