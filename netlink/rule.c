// SPDX-License-Identifier: MIT
/* rule.c - policy rules that send traffic to a table: dump, add, delete. */

#include "netlink/netlink.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "netlink/message.h"
#include "netlink/socket.h"

bool nl_rule_equal(const struct nl_rule *a, const struct nl_rule *b)
{
	return a->family == b->family && ip_addr_equal(&a->src, &b->src) &&
	       a->src_len == b->src_len && ip_addr_equal(&a->dst, &b->dst) &&
	       a->dst_len == b->dst_len && !strcmp(a->iif, b->iif) && a->table == b->table &&
	       (!a->priority || !b->priority || a->priority == b->priority);
}

struct nlmsghdr *nl_build_rule(void *buf, uint16_t type, uint16_t extra_flags,
                               const struct nl_rule *rule)
{
	struct nlmsghdr *nlh;
	struct fib_rule_hdr *frh;

	nlh = nl_put_request(buf, type, NLM_F_ACK | extra_flags, sizeof(*frh));
	frh = mnl_nlmsg_get_payload(nlh);
	frh->family = rule->family;
	frh->src_len = rule->src.family ? rule->src_len : 0;
	frh->dst_len = rule->dst.family ? rule->dst_len : 0;
	frh->table = rule->table < 256 ? (uint8_t)rule->table : RT_TABLE_UNSPEC;
	frh->action = FR_ACT_TO_TBL;
	mnl_attr_put_u32(nlh, FRA_TABLE, rule->table);
	nl_put_ip(nlh, FRA_SRC, &rule->src);
	nl_put_ip(nlh, FRA_DST, &rule->dst);
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
		nl_get_ip(attr, rule->family, &rule->src);
		break;
	case FRA_DST:
		nl_get_ip(attr, rule->family, &rule->dst);
		break;
	case FRA_IIFNAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
			strncpy(rule->iif, mnl_attr_get_str(attr), IFNAMSIZ - 1);
		break;
	case FRA_TABLE:
		nl_get_u32(attr, &rule->table);
		break;
	case FRA_PRIORITY:
		nl_get_u32(attr, &rule->priority);
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
	return nl_dump(nl, RTM_GETRULE, family, parse_rule, sizeof(**rules), (void **)rules, n);
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
