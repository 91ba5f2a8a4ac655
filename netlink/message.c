// SPDX-License-Identifier: MIT
/* message.c - request headers and the attributes every object's messages share. */

#include "netlink/message.h"

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "netlink/netlink.h"

struct nlmsghdr *nl_put_request(void *buf, uint16_t type, uint16_t flags, size_t len)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, NL_BUFSIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	mnl_nlmsg_put_extra_header(nlh, len);
	return nlh;
}

struct ifinfomsg *nl_put_link(void *buf, uint16_t type, uint16_t flags, int ifindex,
                              struct nlmsghdr **nlh)
{
	struct ifinfomsg *ifi;

	*nlh = nl_put_request(buf, type, flags, sizeof(*ifi));
	ifi = mnl_nlmsg_get_payload(*nlh);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return ifi;
}

void nl_get_u32(const struct nlattr *attr, uint32_t *value)
{
	if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
		*value = mnl_attr_get_u32(attr);
}

void nl_get_ip(const struct nlattr *attr, uint8_t family, struct ip_addr *ip)
{
	struct ip_addr parsed = {.family = family};

	if (!ip_addr_len(&parsed) || mnl_attr_get_payload_len(attr) != ip_addr_len(&parsed))
		return;
	memcpy(parsed.bytes, mnl_attr_get_payload(attr), ip_addr_len(&parsed));
	*ip = parsed;
}

void nl_put_ip(struct nlmsghdr *nlh, uint16_t type, const struct ip_addr *ip)
{
	if (ip_addr_len(ip))
		mnl_attr_put(nlh, type, ip_addr_len(ip), ip->bytes);
}
