// SPDX-License-Identifier: MIT
/* address.c - addresses: dump, add, delete, and make one the only address of its link. */

#include "netlink/netlink.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netlink/message.h"
#include "netlink/socket.h"

struct nlmsghdr *nl_build_address(void *buf, uint16_t type, uint16_t extra_flags,
                                  const struct nl_address *address)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	nlh = nl_put_request(buf, type, NLM_F_ACK | extra_flags, sizeof(*ifa));
	ifa = mnl_nlmsg_get_payload(nlh);
	ifa->ifa_family = address->ip.family;
	ifa->ifa_prefixlen = address->prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned int)address->ifindex;
	/* As ip(8) does: IFA_LOCAL is the address, IFA_ADDRESS the peer (the same here). */
	mnl_attr_put(nlh, IFA_LOCAL, ip_addr_len(&address->ip), address->ip.bytes);
	mnl_attr_put(nlh, IFA_ADDRESS, ip_addr_len(&address->ip), address->ip.bytes);
	return nlh;
}

struct address_attrs {
	uint8_t family;
	struct ip_addr local, address;
};

static int address_attr(const struct nlattr *attr, void *data)
{
	struct address_attrs *a = data;

	if (mnl_attr_get_type(attr) == IFA_LOCAL)
		nl_get_ip(attr, a->family, &a->local);
	else if (mnl_attr_get_type(attr) == IFA_ADDRESS)
		nl_get_ip(attr, a->family, &a->address);
	return MNL_CB_OK;
}

int nl_parse_address(const struct nlmsghdr *nlh, struct nl_address *address)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct address_attrs a = {0};

	if (nlh->nlmsg_type != RTM_NEWADDR || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return -ENOMSG;
	a.family = ifa->ifa_family;
	mnl_attr_parse(nlh, sizeof(*ifa), address_attr, &a);
	memset(address, 0, sizeof(*address));
	/* On point-to-point links IFA_ADDRESS is the far end; IFA_LOCAL is ours. */
	address->ip = a.local.family ? a.local : a.address;
	address->prefixlen = ifa->ifa_prefixlen;
	address->ifindex = (int)ifa->ifa_index;
	return address->ip.family ? 0 : -ENOMSG;
}

static int parse_address(const struct nlmsghdr *nlh, void *item)
{
	return nl_parse_address(nlh, item);
}

int nl_address_dump(struct nl_socket *nl, uint8_t family, struct nl_address **addresses, size_t *n)
{
	return nl_dump(nl, RTM_GETADDR, family, parse_address, sizeof(**addresses),
	               (void **)addresses, n);
}

static int address_request(struct nl_socket *nl, uint16_t type, uint16_t extra_flags,
                           const struct nl_address *address)
{
	char buf[NL_BUFSIZE];

	if (!ip_addr_len(&address->ip))
		return -EAFNOSUPPORT;
	return nl_request(nl, nl_build_address(buf, type, extra_flags, address));
}

int nl_address_add(struct nl_socket *nl, const struct nl_address *address)
{
	return address_request(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, address);
}

int nl_address_del(struct nl_socket *nl, const struct nl_address *address)
{
	return address_request(nl, RTM_DELADDR, 0, address);
}

static bool ipv6_link_local(const struct ip_addr *ip)
{
	return ip->family == AF_INET6 && ip->bytes[0] == 0xfe && (ip->bytes[1] & 0xc0) == 0x80;
}

int nl_address_set(struct nl_socket *nl, const struct nl_address *want, bool *changed)
{
	struct nl_address *have = NULL;
	bool present = false, ignored;
	size_t n = 0;
	int ret = nl_address_dump(nl, AF_UNSPEC, &have, &n);

	changed = changed ? changed : &ignored;
	*changed = false;
	for (size_t i = 0; ret == 0 && i < n; i++) {
		if (have[i].ifindex != want->ifindex || ipv6_link_local(&have[i].ip))
			continue;
		if (want->ip.family && ip_addr_equal(&have[i].ip, &want->ip) &&
		    have[i].prefixlen == want->prefixlen) {
			present = true;
			continue;
		}
		ret = nl_address_del(nl, &have[i]);
		*changed |= ret == 0;
	}
	free(have);
	if (ret == 0 && want->ip.family && !present) {
		ret = nl_address_add(nl, want);
		*changed |= ret == 0;
	}
	return ret;
}
