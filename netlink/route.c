// SPDX-License-Identifier: MIT
/* route.c - unicast routes in any table: dump, add or replace, delete. */

#include "netlink/netlink.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "netlink/message.h"
#include "netlink/socket.h"

bool nl_route_equal(const struct nl_route *a, const struct nl_route *b)
{
	return ip_addr_equal(&a->dst, &b->dst) && a->dst_len == b->dst_len &&
	       ip_addr_equal(&a->gw, &b->gw) && ip_addr_equal(&a->src, &b->src) &&
	       a->ifindex == b->ifindex && a->table == b->table && a->protocol == b->protocol &&
	       a->onlink == b->onlink;
}

uint8_t nl_route_family(const struct nl_route *route)
{
	if (route->dst.family)
		return route->dst.family;
	return route->gw.family ? route->gw.family : route->src.family;
}

struct nlmsghdr *nl_build_route(void *buf, uint16_t type, uint16_t extra_flags,
                                const struct nl_route *route)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	nlh = nl_put_request(buf, type, NLM_F_ACK | extra_flags, sizeof(*rtm));
	rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_family = nl_route_family(route);
	rtm->rtm_dst_len = route->dst_len;
	/* The 8-bit field cannot hold table 1107: RTA_TABLE carries every table. */
	rtm->rtm_table = route->table < 256 ? (uint8_t)route->table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = route->protocol;
	rtm->rtm_type = RTN_UNICAST;
	if (route->onlink)
		rtm->rtm_flags |= RTNH_F_ONLINK;
	/* As ip(8): a route without gateway is on-link; a delete matches any scope. */
	if (type == RTM_DELROUTE)
		rtm->rtm_scope = RT_SCOPE_NOWHERE;
	else
		rtm->rtm_scope = route->gw.family ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	mnl_attr_put_u32(nlh, RTA_TABLE, route->table);
	nl_put_ip(nlh, RTA_DST, &route->dst);
	nl_put_ip(nlh, RTA_GATEWAY, &route->gw);
	nl_put_ip(nlh, RTA_PREFSRC, &route->src);
	if (route->ifindex)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)route->ifindex);
	return nlh;
}

static int route_attr(const struct nlattr *attr, void *data)
{
	struct nl_route *route = data;
	uint8_t family = route->dst.family; /* set to rtm_family while parsing */
	uint32_t oif = 0;

	switch (mnl_attr_get_type(attr)) {
	case RTA_DST:
		nl_get_ip(attr, family, &route->dst);
		break;
	case RTA_GATEWAY:
		nl_get_ip(attr, family, &route->gw);
		break;
	case RTA_PREFSRC:
		nl_get_ip(attr, family, &route->src);
		break;
	case RTA_OIF:
		nl_get_u32(attr, &oif);
		route->ifindex = (int)oif;
		break;
	case RTA_TABLE:
		nl_get_u32(attr, &route->table);
		break;
	}
	return MNL_CB_OK;
}

int nl_parse_route(const struct nlmsghdr *nlh, struct nl_route *route)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

	if ((nlh->nlmsg_type != RTM_NEWROUTE && nlh->nlmsg_type != RTM_DELROUTE) ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm) || rtm->rtm_type != RTN_UNICAST)
		return -ENOMSG;
	memset(route, 0, sizeof(*route));
	route->dst.family = rtm->rtm_family;
	route->dst_len = rtm->rtm_dst_len;
	route->table = rtm->rtm_table;
	route->protocol = rtm->rtm_protocol;
	route->onlink = rtm->rtm_flags & RTNH_F_ONLINK;
	mnl_attr_parse(nlh, sizeof(*rtm), route_attr, route);
	/* A default route has no RTA_DST: keep the family, all-zero bytes. */
	return 0;
}

static int parse_route(const struct nlmsghdr *nlh, void *item)
{
	return nl_parse_route(nlh, item);
}

int nl_route_dump(struct nl_socket *nl, uint8_t family, struct nl_route **routes, size_t *n)
{
	return nl_dump(nl, RTM_GETROUTE, family, parse_route, sizeof(**routes), (void **)routes, n);
}

static int route_request(struct nl_socket *nl, uint16_t type, uint16_t extra_flags,
                         const struct nl_route *route)
{
	uint8_t family = nl_route_family(route);
	char buf[NL_BUFSIZE];

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (route->dst_len > (family == AF_INET ? 32 : 128))
		return -EINVAL;
	return nl_request(nl, nl_build_route(buf, type, extra_flags, route));
}

int nl_route_replace(struct nl_socket *nl, const struct nl_route *route)
{
	return route_request(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, route);
}

int nl_route_del(struct nl_socket *nl, const struct nl_route *route)
{
	return route_request(nl, RTM_DELROUTE, 0, route);
}
