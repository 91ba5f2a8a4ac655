// SPDX-License-Identifier: MIT
/* netlink.c - the rtnetlink socket, links and addresses (routes and rules: netlink_route.c). */

#include "netlink/netlink.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct nl_socket {
	struct mnl_socket *sock;
	unsigned int seq;
	unsigned int portid;
	/* Dumps come in messages of up to 32 KiB; a smaller buffer truncates them. */
	char buf[32768];
};

struct collect_ctx {
	nl_parse_fn parse;
	size_t size, cap;
	char *items;
	size_t n;
	int error;
};

int nl_open(struct nl_socket **out)
{
	struct nl_socket *nl = calloc(1, sizeof(*nl));
	int ret = -ENOMEM;

	if (!nl)
		goto err;
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto err;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	*out = nl;
	return 0;
err:
	nl_close(nl);
	return ret;
}

void nl_close(struct nl_socket *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl);
}

/*
 * What is left of an answer cut short (a failed callback, an interrupted read) would be taken
 * for the answer to the next request; read it away. A dump goes on as it is read, to its end.
 */
static void drain(struct nl_socket *nl)
{
	while (recv(mnl_socket_get_fd(nl->sock), nl->buf, sizeof(nl->buf), MSG_DONTWAIT) > 0)
		;
}

/* Send nlh and run cb over every answer until the ack, the end of the dump or an error. */
static int talk(struct nl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	ssize_t len;
	int ret;

	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		len = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		ret = len < 0
		          ? -1
		          : mnl_cb_run(nl->buf, (size_t)len, nlh->nlmsg_seq, nl->portid, cb, data);
	} while (ret > 0);
	if (ret < 0) {
		ret = -errno;
		drain(nl);
	}
	return ret;
}

int nl_request(struct nl_socket *nl, struct nlmsghdr *nlh)
{
	return talk(nl, nlh, NULL, NULL);
}

static int collect_one(const struct nlmsghdr *nlh, void *data)
{
	struct collect_ctx *c = data;
	char *bigger;

	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		bigger = realloc(c->items, c->cap * c->size);
		if (!bigger) {
			c->error = -ENOMEM;
			return MNL_CB_ERROR;
		}
		c->items = bigger;
	}
	memset(c->items + c->n * c->size, 0, c->size);
	if (c->parse(nlh, c->items + c->n * c->size) == 0)
		c->n++;
	return MNL_CB_OK;
}

int nl_collect(struct nl_socket *nl, struct nlmsghdr *nlh, nl_parse_fn parse, size_t size,
                   void **items, size_t *n)
{
	struct collect_ctx c = {.parse = parse, .size = size};
	int ret = talk(nl, nlh, collect_one, &c);

	if (c.error)
		ret = c.error;
	if (ret < 0) {
		free(c.items);
		return ret;
	}
	*items = c.items;
	*n = c.n;
	return 0;
}

/* A request header with an empty family-specific header of len bytes behind it. */
static struct nlmsghdr *put_request(void *buf, uint16_t type, uint16_t flags, size_t len)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, NL_BUFSIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	mnl_nlmsg_put_extra_header(nlh, len);
	return nlh;
}

struct nlmsghdr *nl_build_dump(void *buf, uint16_t type, uint8_t family)
{
	size_t len = sizeof(struct rtmsg); /* also the size of struct fib_rule_hdr */
	struct nlmsghdr *nlh;

	if (type == RTM_GETLINK)
		len = sizeof(struct ifinfomsg);
	else if (type == RTM_GETADDR)
		len = sizeof(struct ifaddrmsg);
	nlh = put_request(buf, type, NLM_F_DUMP, len);
	/* Every one of these headers starts with its family byte. */
	*(uint8_t *)mnl_nlmsg_get_payload(nlh) = family;
	return nlh;
}

static int dump(struct nl_socket *nl, uint16_t type, uint8_t family, nl_parse_fn parse,
                size_t size, void **items, size_t *n)
{
	char buf[NL_BUFSIZE];

	return nl_collect(nl, nl_build_dump(buf, type, family), parse, size, items, n);
}

static struct ifinfomsg *put_link(void *buf, uint16_t type, uint16_t flags, int ifindex,
                                  struct nlmsghdr **nlh)
{
	struct ifinfomsg *ifi;

	*nlh = put_request(buf, type, NLM_F_ACK | flags, sizeof(*ifi));
	ifi = mnl_nlmsg_get_payload(*nlh);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return ifi;
}

struct nlmsghdr *nl_build_link_get(void *buf, const char *name)
{
	struct nlmsghdr *nlh;

	put_link(buf, RTM_GETLINK, 0, 0, &nlh);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

struct nlmsghdr *nl_build_link_set(void *buf, int ifindex, int up, unsigned int mtu)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi = put_link(buf, RTM_NEWLINK, 0, ifindex, &nlh);

	if (up >= 0) {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = up ? IFF_UP : 0;
	}
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nlh;
}

struct nlmsghdr *nl_build_link_ipip(void *buf, const char *name, unsigned int mtu)
{
	struct nlmsghdr *nlh;
	struct nlattr *linkinfo;

	put_link(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0, &nlh);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "ipip");
	mnl_attr_nest_end(nlh, linkinfo);
	return nlh;
}

struct nlmsghdr *nl_build_link_del(void *buf, int ifindex)
{
	struct nlmsghdr *nlh;

	put_link(buf, RTM_DELLINK, 0, ifindex, &nlh);
	return nlh;
}

/* A 32-bit attribute into *value; one of another size leaves it alone. */
static void get_u32(const struct nlattr *attr, uint32_t *value)
{
	if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
		*value = mnl_attr_get_u32(attr);
}

static int link_attr(const struct nlattr *attr, void *data)
{
	struct nl_link *link = data;

	if (mnl_attr_get_type(attr) == IFLA_MTU)
		get_u32(attr, &link->mtu);
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
	mnl_attr_parse(nlh, sizeof(*ifi), link_attr, link);
	return 0;
}

static int parse_link(const struct nlmsghdr *nlh, void *item)
{
	return nl_parse_link(nlh, item);
}

int nl_link_get(struct nl_socket *nl, const char *name, struct nl_link *link)
{
	char buf[NL_BUFSIZE];
	struct nl_link *found;
	size_t n;
	int ret;

	if (!name || !*name || strlen(name) >= IFNAMSIZ)
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
	return dump(nl, RTM_GETLINK, AF_UNSPEC, parse_link, sizeof(**links), (void **)links, n);
}

int nl_link_set(struct nl_socket *nl, int ifindex, int up, unsigned int mtu)
{
	char buf[NL_BUFSIZE];

	return nl_request(nl, nl_build_link_set(buf, ifindex, up, mtu));
}

int nl_link_add_ipip(struct nl_socket *nl, const char *name, unsigned int mtu)
{
	char buf[NL_BUFSIZE];
	int ret;

	if (!name || !*name || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	ret = nl_request(nl, nl_build_link_ipip(buf, name, mtu));
	return ret == -EEXIST ? 0 : ret;
}

int nl_link_del(struct nl_socket *nl, int ifindex)
{
	char buf[NL_BUFSIZE];

	return nl_request(nl, nl_build_link_del(buf, ifindex));
}

struct nlmsghdr *nl_build_address(void *buf, uint16_t type, uint16_t extra_flags,
                                      const struct nl_address *address)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	nlh = put_request(buf, type, NLM_F_ACK | extra_flags, sizeof(*ifa));
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

/* Copy an address attribute of the expected length; anything else is ignored. */
static void get_ip(const struct nlattr *attr, uint8_t family, struct ip_addr *ip)
{
	struct ip_addr parsed = {.family = family};

	if (!ip_addr_len(&parsed) || mnl_attr_get_payload_len(attr) != ip_addr_len(&parsed))
		return;
	memcpy(parsed.bytes, mnl_attr_get_payload(attr), ip_addr_len(&parsed));
	*ip = parsed;
}

struct address_attrs {
	uint8_t family;
	struct ip_addr local, address;
};

static int address_attr(const struct nlattr *attr, void *data)
{
	struct address_attrs *a = data;

	if (mnl_attr_get_type(attr) == IFA_LOCAL)
		get_ip(attr, a->family, &a->local);
	else if (mnl_attr_get_type(attr) == IFA_ADDRESS)
		get_ip(attr, a->family, &a->address);
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

int nl_address_dump(struct nl_socket *nl, uint8_t family, struct nl_address **addresses,
                        size_t *n)
{
	return dump(nl, RTM_GETADDR, family, parse_address, sizeof(**addresses), (void **)addresses,
	            n);
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

bool nl_route_equal(const struct nl_route *a, const struct nl_route *b)
{
	return ip_addr_equal(&a->dst, &b->dst) && a->dst_len == b->dst_len &&
	       ip_addr_equal(&a->gw, &b->gw) && ip_addr_equal(&a->src, &b->src) &&
	       a->ifindex == b->ifindex && a->table == b->table && a->protocol == b->protocol &&
	       a->onlink == b->onlink;
}

bool nl_rule_equal(const struct nl_rule *a, const struct nl_rule *b)
{
	return a->family == b->family && ip_addr_equal(&a->src, &b->src) &&
	       a->src_len == b->src_len && ip_addr_equal(&a->dst, &b->dst) &&
	       a->dst_len == b->dst_len && !strcmp(a->iif, b->iif) && a->table == b->table &&
	       (!a->priority || !b->priority || a->priority == b->priority);
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

uint8_t nl_route_family(const struct nl_route *route)
{
	if (route->dst.family)
		return route->dst.family;
	return route->gw.family ? route->gw.family : route->src.family;
}

static void put_ip(struct nlmsghdr *nlh, uint16_t type, const struct ip_addr *ip)
{
	if (ip_addr_len(ip))
		mnl_attr_put(nlh, type, ip_addr_len(ip), ip->bytes);
}

struct nlmsghdr *nl_build_route(void *buf, uint16_t type, uint16_t extra_flags,
                                    const struct nl_route *route)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	nlh = put_request(buf, type, NLM_F_ACK | extra_flags, sizeof(*rtm));
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
	put_ip(nlh, RTA_DST, &route->dst);
	put_ip(nlh, RTA_GATEWAY, &route->gw);
	put_ip(nlh, RTA_PREFSRC, &route->src);
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
		get_ip(attr, family, &route->dst);
		break;
	case RTA_GATEWAY:
		get_ip(attr, family, &route->gw);
		break;
	case RTA_PREFSRC:
		get_ip(attr, family, &route->src);
		break;
	case RTA_OIF:
		get_u32(attr, &oif);
		route->ifindex = (int)oif;
		break;
	case RTA_TABLE:
		get_u32(attr, &route->table);
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
	return dump(nl, RTM_GETROUTE, family, parse_route, sizeof(**routes), (void **)routes, n);
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

struct nlmsghdr *nl_build_rule(void *buf, uint16_t type, uint16_t extra_flags,
                                   const struct nl_rule *rule)
{
	struct nlmsghdr *nlh;
	struct fib_rule_hdr *frh;

	nlh = put_request(buf, type, NLM_F_ACK | extra_flags, sizeof(*frh));
	frh = mnl_nlmsg_get_payload(nlh);
	frh->family = rule->family;
	frh->src_len = rule->src.family ? rule->src_len : 0;
	frh->dst_len = rule->dst.family ? rule->dst_len : 0;
	frh->table = rule->table < 256 ? (uint8_t)rule->table : RT_TABLE_UNSPEC;
	frh->action = FR_ACT_TO_TBL;
	mnl_attr_put_u32(nlh, FRA_TABLE, rule->table);
	put_ip(nlh, FRA_SRC, &rule->src);
	put_ip(nlh, FRA_DST, &rule->dst);
	if (rule->iif[0])
		mnl_attr_put_strz(nlh, FRA_IIFNAME, rule->iif);
	if (rule->priority)
		mnl_attr_put_u32(nlh, FRA_PRIORITY, rule->priority);
	return nlh;
}

static int rule_attr(const struct nlattr *attr, void *data)
{
	struct nl_rule *rule = data;

	switch (mnl_attr_get_type(attr)) {
	case FRA_SRC:
		get_ip(attr, rule->family, &rule->src);
		break;
	case FRA_DST:
		get_ip(attr, rule->family, &rule->dst);
		break;
	case FRA_IIFNAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
			strncpy(rule->iif, mnl_attr_get_str(attr), IFNAMSIZ - 1);
		break;
	case FRA_TABLE:
		get_u32(attr, &rule->table);
		break;
	case FRA_PRIORITY:
		get_u32(attr, &rule->priority);
		break;
	}
	return MNL_CB_OK;
}

int nl_parse_rule(const struct nlmsghdr *nlh, struct nl_rule *rule)
{
	const struct fib_rule_hdr *frh = mnl_nlmsg_get_payload(nlh);

	if ((nlh->nlmsg_type != RTM_NEWRULE && nlh->nlmsg_type != RTM_DELRULE) ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*frh) || frh->action != FR_ACT_TO_TBL)
		return -ENOMSG;
	memset(rule, 0, sizeof(*rule));
	rule->family = frh->family;
	rule->src_len = frh->src_len;
	rule->dst_len = frh->dst_len;
	rule->table = frh->table;
	mnl_attr_parse(nlh, sizeof(*frh), rule_attr, rule);
	return 0;
}

static int parse_rule(const struct nlmsghdr *nlh, void *item)
{
	return nl_parse_rule(nlh, item);
}

int nl_rule_dump(struct nl_socket *nl, uint8_t family, struct nl_rule **rules, size_t *n)
{
	return dump(nl, RTM_GETRULE, family, parse_rule, sizeof(**rules), (void **)rules, n);
}

static int rule_request(struct nl_socket *nl, uint16_t type, uint16_t extra_flags,
                        const struct nl_rule *rule)
{
	char buf[NL_BUFSIZE];

	if (rule->family != AF_INET && rule->family != AF_INET6)
		return -EAFNOSUPPORT;
	return nl_request(nl, nl_build_rule(buf, type, extra_flags, rule));
}

int nl_rule_add(struct nl_socket *nl, const struct nl_rule *rule)
{
	return rule_request(nl, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, rule);
}

int nl_rule_del(struct nl_socket *nl, const struct nl_rule *rule)
{
	return rule_request(nl, RTM_DELRULE, 0, rule);
}
