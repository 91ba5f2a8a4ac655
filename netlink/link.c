// SPDX-License-Identifier: MIT
/* link.c - links: get, dump, set up/down and MTU, create one of a kind, delete. */

#include "netlink/netlink.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/message.h"
#include "netlink/socket.h"

struct nlmsghdr *nl_build_link_get(void *buf, const char *name)
{
	struct nlmsghdr *nlh;

	nl_put_link(buf, RTM_GETLINK, NLM_F_ACK, 0, &nlh);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

struct nlmsghdr *nl_build_link_set(void *buf, int ifindex, int up, unsigned int mtu)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi = nl_put_link(buf, RTM_NEWLINK, NLM_F_ACK, ifindex, &nlh);

	if (up >= 0) {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = up ? IFF_UP : 0;
	}
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nlh;
}

struct nlmsghdr *nl_build_link_new(void *buf, const char *name, const char *kind, unsigned int mtu)
{
	struct nlmsghdr *nlh;
	struct nlattr *linkinfo;

	nl_put_link(buf, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, 0, &nlh);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
	mnl_attr_nest_end(nlh, linkinfo);
	return nlh;
}

struct nlmsghdr *nl_build_link_ipip(void *buf, const char *name, unsigned int mtu)
{
	return nl_build_link_new(buf, name, "ipip", mtu);
}

struct nlmsghdr *nl_build_link_del(void *buf, int ifindex)
{
	struct nlmsghdr *nlh;

	nl_put_link(buf, RTM_DELLINK, NLM_F_ACK, ifindex, &nlh);
	return nlh;
}

static int link_info_attr(const struct nlattr *attr, void *data)
{
	struct nl_link *link = data;

	if (mnl_attr_get_type(attr) == IFLA_INFO_KIND &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
		strncpy(link->kind, mnl_attr_get_str(attr), sizeof(link->kind) - 1);
	return MNL_CB_OK;
}

static int link_attr(const struct nlattr *attr, void *data)
{
	struct nl_link *link = data;

	if (mnl_attr_get_type(attr) == IFLA_LINKINFO &&
	    mnl_attr_validate(attr, MNL_TYPE_NESTED) >= 0)
		mnl_attr_parse_nested(attr, link_info_attr, link);
	else if (mnl_attr_get_type(attr) == IFLA_MTU)
		nl_get_u32(attr, &link->mtu);
	else if (mnl_attr_get_type(attr) == IFLA_IFNAME &&
	         mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
		strncpy(link->name, mnl_attr_get_str(attr), IFNAMSIZ - 1);
	return MNL_CB_OK;
}

int nl_parse_link(const struct nlmsghdr *nlh, struct nl_link *link)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if ((nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK) ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return -ENOMSG;
	memset(link, 0, sizeof(*link));
	link->ifindex = ifi->ifi_index;
	link->up = ifi->ifi_flags & IFF_UP;
	link->running = ifi->ifi_flags & IFF_RUNNING;
	mnl_attr_parse(nlh, sizeof(*ifi), link_attr, link);
	return 0;
}

static int parse_link(const struct nlmsghdr *nlh, void *item)
{
	return nl_parse_link(nlh, item);
}

static bool valid_name(const char *name)
{
	return name && *name && strlen(name) < IFNAMSIZ;
}

int nl_link_get(struct nl_socket *nl, const char *name, struct nl_link *link)
{
	char buf[NL_BUFSIZE];
	struct nl_link *found;
	size_t n;
	int ret;

	if (!valid_name(name))
		return -EINVAL;
	ret = nl_collect(nl, nl_build_link_get(buf, name), parse_link, sizeof(*found),
	                 (void **)&found, &n);
	if (ret < 0)
		return ret;
	if (n == 1)
		*link = found[0];
	free(found);
	return n == 1 ? 0 : -ENODEV;
}

int nl_link_dump(struct nl_socket *nl, struct nl_link **links, size_t *n)
{
	return nl_dump(nl, RTM_GETLINK, AF_UNSPEC, parse_link, sizeof(**links), (void **)links, n);
}

int nl_link_set(struct nl_socket *nl, int ifindex, int up, unsigned int mtu)
{
	char buf[NL_BUFSIZE];

	return nl_request(nl, nl_build_link_set(buf, ifindex, up, mtu));
}

int nl_link_add(struct nl_socket *nl, const char *name, const char *kind, unsigned int mtu)
{
	char buf[NL_BUFSIZE];

	if (!valid_name(name) || !kind || !*kind || strlen(kind) >= NL_LINK_KIND_LEN)
		return -EINVAL;
	return nl_request(nl, nl_build_link_new(buf, name, kind, mtu));
}

int nl_link_add_ipip(struct nl_socket *nl, const char *name, unsigned int mtu)
{
	int ret = nl_link_add(nl, name, "ipip", mtu);

	return ret == -EEXIST ? 0 : ret;
}

int nl_link_del(struct nl_socket *nl, int ifindex)
{
	char buf[NL_BUFSIZE];

	return nl_request(nl, nl_build_link_del(buf, ifindex));
}
