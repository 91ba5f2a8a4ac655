// SPDX-License-Identifier: MIT
/*
 * netlink/netlink: the requests as bytes (what the kernel would be asked, the IPIP link included,
 * since this host's kernel has no ipip module), then the same requests against the kernel in
 * a network namespace of the test's own (unshare(CLONE_NEWNET), root only) on a veth pair.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netlink/netlink.h"
#include "netns.h"

static struct ip_addr ip(const char *text)
{
	struct ip_addr out = {.family = strchr(text, ':') ? AF_INET6 : AF_INET};

	assert_int_equal(inet_pton(out.family, text, out.bytes), 1);
	return out;
}

static bool address_equal(const struct nl_address *a, const struct nl_address *b)
{
	return a->ifindex == b->ifindex && ip_addr_equal(&a->ip, &b->ip) &&
	       a->prefixlen == b->prefixlen;
}

/* The attributes of a message, by type (the last one of a type wins). */
struct attrs {
	const struct nlattr *at[64];
};

static int index_attr(const struct nlattr *attr, void *data)
{
	struct attrs *a = data;

	if (mnl_attr_get_type(attr) < 64)
		a->at[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static struct attrs attrs_of(const struct nlmsghdr *nlh, size_t header)
{
	struct attrs a = {0};

	assert_int_equal(mnl_attr_parse(nlh, header, index_attr, &a), MNL_CB_OK);
	return a;
}

static void test_dump_asks_for_one_family_behind_the_object_header(void **state)
{
	const struct {
		uint16_t type;
		size_t header;
	} dumps[] = {{RTM_GETLINK, sizeof(struct ifinfomsg)},
	             {RTM_GETADDR, sizeof(struct ifaddrmsg)},
	             {RTM_GETROUTE, sizeof(struct rtmsg)},
	             {RTM_GETRULE, sizeof(struct fib_rule_hdr)}};
	char buf[NL_BUFSIZE];

	(void)state;
	for (size_t i = 0; i < sizeof(dumps) / sizeof(*dumps); i++) {
		struct nlmsghdr *nlh = nl_build_dump(buf, dumps[i].type, AF_INET6);

		assert_int_equal(nlh->nlmsg_type, dumps[i].type);
		assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
		assert_int_equal(mnl_nlmsg_get_payload_len(nlh), dumps[i].header);
		assert_int_equal(*(uint8_t *)mnl_nlmsg_get_payload(nlh), AF_INET6);
	}
}

static void test_ipip_link_is_created_with_kind_ipip_and_mtu(void **state)
{
	char buf[NL_BUFSIZE];
	struct nlmsghdr *nlh = nl_build_link_ipip(buf, "tunl0", 1480);
	struct attrs a = attrs_of(nlh, sizeof(struct ifinfomsg)), info = {0};

	(void)state;
	assert_int_equal(nlh->nlmsg_type, RTM_NEWLINK);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	assert_string_equal(mnl_attr_get_str(a.at[IFLA_IFNAME]), "tunl0");
	assert_int_equal(mnl_attr_get_u32(a.at[IFLA_MTU]), 1480);
	assert_non_null(a.at[IFLA_LINKINFO]);
	assert_int_equal(mnl_attr_parse_nested(a.at[IFLA_LINKINFO], index_attr, &info), MNL_CB_OK);
	assert_string_equal(mnl_attr_get_str(info.at[IFLA_INFO_KIND]), "ipip");
	/* No IFLA_INFO_DATA: no local or remote address, the fallback-device style. */
	assert_null(info.at[IFLA_INFO_DATA]);
}

static void test_wireguard_link_is_created_with_its_kind_and_parses_back(void **state)
{
	char buf[NL_BUFSIZE];
	struct nlmsghdr *nlh = nl_build_link_new(buf, "kilo0", "wireguard", 1420);
	struct nl_link link;

	(void)state;
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	/* A link's dump carries its kind in the same nest. */
	assert_int_equal(nl_parse_link(nlh, &link), 0);
	assert_string_equal(link.name, "kilo0");
	assert_string_equal(link.kind, "wireguard");
	assert_int_equal(link.mtu, 1420);
	/* IPIP's request is the same with its own kind. */
	assert_int_equal(nl_parse_link(nl_build_link_ipip(buf, "tunl0", 1480), &link), 0);
	assert_string_equal(link.kind, "ipip");
}

static void test_link_set_touches_only_what_is_asked(void **state)
{
	char buf[NL_BUFSIZE];
	struct nlmsghdr *nlh = nl_build_link_set(buf, 7, 1, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct attrs a = attrs_of(nlh, sizeof(*ifi));

	(void)state;
	assert_int_equal(ifi->ifi_index, 7);
	assert_int_equal(ifi->ifi_change, IFF_UP);
	assert_int_equal(ifi->ifi_flags, IFF_UP);
	assert_null(a.at[IFLA_MTU]);

	nlh = nl_build_link_set(buf, 7, -1, 1420);
	ifi = mnl_nlmsg_get_payload(nlh);
	a = attrs_of(nlh, sizeof(*ifi));
	assert_int_equal(ifi->ifi_change, 0);
	assert_int_equal(mnl_attr_get_u32(a.at[IFLA_MTU]), 1420);
}

static void test_route_in_table_1107_goes_in_rta_table(void **state)
{
	const struct nl_route route = {.dst = ip("10.2.2.0"),
	                               .dst_len = 24,
	                               .gw = ip("10.4.0.2"),
	                               .src = ip("192.168.0.1"),
	                               .ifindex = 5,
	                               .table = 1107,
	                               .protocol = RTPROT_STATIC,
	                               .onlink = true};
	char buf[NL_BUFSIZE];
	struct nlmsghdr *nlh =
	    nl_build_route(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &route);
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct attrs a = attrs_of(nlh, sizeof(*rtm));

	(void)state;
	assert_int_equal(rtm->rtm_family, AF_INET);
	assert_int_equal(rtm->rtm_dst_len, 24);
	assert_int_equal(rtm->rtm_table, RT_TABLE_UNSPEC);
	assert_int_equal(rtm->rtm_protocol, RTPROT_STATIC);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_UNIVERSE);
	assert_int_equal(rtm->rtm_type, RTN_UNICAST);
	assert_true(rtm->rtm_flags & RTNH_F_ONLINK);
	assert_int_equal(mnl_attr_get_u32(a.at[RTA_TABLE]), 1107);
	assert_int_equal(mnl_attr_get_u32(a.at[RTA_OIF]), 5);
	assert_memory_equal(mnl_attr_get_payload(a.at[RTA_DST]), route.dst.bytes, 4);
	assert_memory_equal(mnl_attr_get_payload(a.at[RTA_GATEWAY]), route.gw.bytes, 4);
	assert_memory_equal(mnl_attr_get_payload(a.at[RTA_PREFSRC]), route.src.bytes, 4);
}

static void test_route_without_gateway_is_link_scoped_and_delete_matches_any_scope(void **state)
{
	const struct nl_route route = {
	    .dst = ip("fd00:5::"), .dst_len = 64, .ifindex = 3, .table = RT_TABLE_MAIN};
	char buf[NL_BUFSIZE];
	struct nlmsghdr *nlh = nl_build_route(buf, RTM_NEWROUTE, 0, &route);
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct attrs a = attrs_of(nlh, sizeof(*rtm));

	(void)state;
	assert_int_equal(rtm->rtm_family, AF_INET6);
	assert_int_equal(rtm->rtm_table, RT_TABLE_MAIN);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_LINK);
	assert_int_equal(mnl_attr_get_payload_len(a.at[RTA_DST]), 16);
	assert_null(a.at[RTA_GATEWAY]);
	assert_null(a.at[RTA_PREFSRC]);

	rtm = mnl_nlmsg_get_payload(nl_build_route(buf, RTM_DELROUTE, 0, &route));
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_NOWHERE);
}

static void test_route_parses_back_to_itself(void **state)
{
	const struct nl_route route = {.dst = ip("fd00:2::"),
	                               .dst_len = 64,
	                               .gw = ip("fd00:4::2"),
	                               .ifindex = 9,
	                               .table = 1107,
	                               .protocol = 99,
	                               .onlink = true};
	char buf[NL_BUFSIZE];
	struct nl_route parsed;

	(void)state;
	assert_int_equal(nl_parse_route(nl_build_route(buf, RTM_NEWROUTE, 0, &route), &parsed), 0);
	assert_true(nl_route_equal(&parsed, &route));
	parsed.onlink = false;
	assert_false(nl_route_equal(&parsed, &route));
	/* A deletion names the route it deletes; a link message is no route. */
	assert_int_equal(nl_parse_route(nl_build_route(buf, RTM_DELROUTE, 0, &route), &parsed), 0);
	assert_true(nl_route_equal(&parsed, &route));
	assert_int_equal(nl_parse_route(nl_build_link_del(buf, 3), &parsed), -ENOMSG);
}

static void test_rule_carries_selectors_table_and_iif(void **state)
{
	const struct nl_rule rule = {.family = AF_INET,
	                             .dst = ip("192.168.0.2"),
	                             .dst_len = 32,
	                             .iif = "kilo0",
	                             .table = 1107};
	char buf[NL_BUFSIZE];
	struct nlmsghdr *nlh = nl_build_rule(buf, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, &rule);
	struct fib_rule_hdr *frh = mnl_nlmsg_get_payload(nlh);
	struct attrs a = attrs_of(nlh, sizeof(*frh));
	struct nl_rule parsed;

	(void)state;
	assert_int_equal(frh->action, FR_ACT_TO_TBL);
	assert_int_equal(frh->dst_len, 32);
	assert_int_equal(frh->src_len, 0);
	assert_int_equal(mnl_attr_get_u32(a.at[FRA_TABLE]), 1107);
	assert_string_equal(mnl_attr_get_str(a.at[FRA_IIFNAME]), "kilo0");
	assert_null(a.at[FRA_SRC]);
	assert_null(a.at[FRA_PRIORITY]);
	assert_int_equal(nl_parse_rule(nlh, &parsed), 0);
	assert_true(nl_rule_equal(&parsed, &rule));
	parsed.iif[0] = '\0';
	assert_false(nl_rule_equal(&parsed, &rule));
}

static void test_address_sets_local_and_address(void **state)
{
	const struct nl_address address = {.ifindex = 4, .ip = ip("10.2.1.1"), .prefixlen = 32};
	char buf[NL_BUFSIZE];
	struct nlmsghdr *nlh = nl_build_address(buf, RTM_NEWADDR, NLM_F_CREATE, &address);
	struct attrs a = attrs_of(nlh, sizeof(struct ifaddrmsg));
	struct nl_address parsed;

	(void)state;
	assert_memory_equal(mnl_attr_get_payload(a.at[IFA_LOCAL]), address.ip.bytes, 4);
	assert_memory_equal(mnl_attr_get_payload(a.at[IFA_ADDRESS]), address.ip.bytes, 4);
	assert_int_equal(nl_parse_address(nlh, &parsed), 0);
	assert_true(address_equal(&parsed, &address));
}

/* The kernel side, in a namespace of our own with the veth pair an0/an1. */

static int enter_namespace(void **state)
{
	struct nl_socket *nl;

	if (netns_enter("ip link add an0 type veth peer name an1") < 0 || nl_open(&nl) < 0)
		return -1;
	*state = nl;
	return 0;
}

static int leave_namespace(void **state)
{
	nl_close(*state);
	return 0;
}

static void test_link_is_found_set_up_and_resized(void **state)
{
	struct nl_socket *nl = *state;
	struct nl_link link;

	assert_int_equal(nl_link_get(nl, "an-missing", &link), -ENODEV);
	assert_int_equal(nl_link_get(nl, "an0", &link), 0);
	assert_string_equal(link.name, "an0");
	assert_string_equal(link.kind, "veth");
	assert_false(link.up);
	assert_int_equal(nl_link_set(nl, link.ifindex, 1, 1400), 0);
	assert_int_equal(nl_link_get(nl, "an0", &link), 0);
	assert_true(link.up);
	assert_int_equal(link.mtu, 1400);
}

static bool has_address(struct nl_socket *nl, const struct nl_address *want)
{
	struct nl_address *all;
	size_t n;
	bool found = false;

	assert_int_equal(nl_address_dump(nl, AF_UNSPEC, &all, &n), 0);
	for (size_t i = 0; i < n; i++)
		found |= address_equal(&all[i], want);
	free(all);
	return found;
}

static void test_address_is_added_dumped_and_deleted(void **state)
{
	struct nl_socket *nl = *state;
	struct nl_link link;
	struct nl_address v4 = {.ip = ip("10.9.0.1"), .prefixlen = 24};
	struct nl_address v6 = {.ip = ip("fd00:9::1"), .prefixlen = 64};

	assert_int_equal(nl_link_get(nl, "an0", &link), 0);
	v4.ifindex = v6.ifindex = link.ifindex;
	assert_int_equal(nl_address_add(nl, &v4), 0);
	assert_int_equal(nl_address_add(nl, &v4), 0); /* again: replaced, not an error */
	assert_int_equal(nl_address_add(nl, &v6), 0);
	assert_true(has_address(nl, &v4));
	assert_true(has_address(nl, &v6));
	assert_int_equal(nl_address_del(nl, &v6), 0);
	assert_false(has_address(nl, &v6));
	assert_int_equal(nl_address_del(nl, &v6), -EADDRNOTAVAIL);
}

static size_t addresses_on(struct nl_socket *nl, int ifindex)
{
	struct nl_address *all;
	size_t n, found = 0;

	assert_int_equal(nl_address_dump(nl, AF_INET, &all, &n), 0);
	for (size_t i = 0; i < n; i++)
		found += all[i].ifindex == ifindex;
	free(all);
	return found;
}

static void test_address_set_leaves_exactly_one_and_touches_nothing_twice(void **state)
{
	struct nl_socket *nl = *state;
	struct nl_link link;
	struct nl_address other = {.ip = ip("10.9.9.9"), .prefixlen = 24};
	struct nl_address tunnel = {.ip = ip("10.2.1.1"), .prefixlen = 32};
	struct nl_address none = {0};
	bool changed;

	assert_int_equal(nl_link_get(nl, "an1", &link), 0);
	other.ifindex = tunnel.ifindex = none.ifindex = link.ifindex;
	assert_int_equal(nl_address_add(nl, &other), 0);
	assert_int_equal(nl_address_set(nl, &tunnel, &changed), 0);
	assert_true(changed);
	assert_true(has_address(nl, &tunnel));
	assert_false(has_address(nl, &other));
	assert_int_equal(nl_address_set(nl, &tunnel, &changed), 0);
	assert_false(changed);
	assert_int_equal(nl_address_set(nl, &none, &changed), 0);
	assert_true(changed);
	assert_int_equal(addresses_on(nl, link.ifindex), 0);
}

static size_t count_routes(struct nl_socket *nl, const struct nl_route *want)
{
	struct nl_route *all;
	size_t n, found = 0;

	assert_int_equal(nl_route_dump(nl, nl_route_family(want), &all, &n), 0);
	for (size_t i = 0; i < n; i++)
		found += nl_route_equal(&all[i], want);
	free(all);
	return found;
}

static void test_route_is_replaced_dumped_and_deleted_in_table_1107(void **state)
{
	struct nl_socket *nl = *state;
	struct nl_link link;
	struct nl_address own = {.ip = ip("10.9.0.1"), .prefixlen = 24};
	struct nl_route route = {.dst = ip("10.8.0.0"),
	                         .dst_len = 24,
	                         .gw = ip("10.7.0.2"),
	                         .src = ip("10.9.0.1"),
	                         .table = 1107,
	                         .protocol = RTPROT_STATIC,
	                         .onlink = true};

	assert_int_equal(nl_link_get(nl, "an0", &link), 0);
	assert_int_equal(nl_link_set(nl, link.ifindex, 1, 0), 0);
	own.ifindex = route.ifindex = link.ifindex;
	assert_int_equal(nl_address_add(nl, &own), 0);
	assert_int_equal(nl_route_replace(nl, &route), 0);
	assert_int_equal(nl_route_replace(nl, &route), 0);
	assert_int_equal(count_routes(nl, &route), 1);
	assert_int_equal(nl_route_del(nl, &route), 0);
	assert_int_equal(count_routes(nl, &route), 0);
	assert_int_equal(nl_route_del(nl, &route), -ESRCH);
}

static void test_ipv6_route_without_gateway(void **state)
{
	struct nl_socket *nl = *state;
	struct nl_link link;
	struct nl_route route = {
	    .dst = ip("fd00:8::"), .dst_len = 64, .table = RT_TABLE_MAIN, .protocol = 99};

	assert_int_equal(nl_link_get(nl, "an0", &link), 0);
	assert_int_equal(nl_link_set(nl, link.ifindex, 1, 0), 0);
	route.ifindex = link.ifindex;
	assert_int_equal(nl_route_replace(nl, &route), 0);
	assert_int_equal(count_routes(nl, &route), 1);
	assert_int_equal(nl_route_del(nl, &route), 0);
	assert_int_equal(count_routes(nl, &route), 0);
}

static size_t count_rules(struct nl_socket *nl, const struct nl_rule *want, uint32_t *priority)
{
	struct nl_rule *all;
	size_t n, found = 0;

	assert_int_equal(nl_rule_dump(nl, want->family, &all, &n), 0);
	for (size_t i = 0; i < n; i++) {
		if (nl_rule_equal(&all[i], want)) {
			*priority = all[i].priority;
			found++;
		}
	}
	free(all);
	return found;
}

static void test_rule_is_added_dumped_and_deleted(void **state)
{
	struct nl_socket *nl = *state;
	struct nl_rule rule = {.family = AF_INET,
	                       .src = ip("10.2.1.0"),
	                       .src_len = 24,
	                       .dst = ip("192.168.0.2"),
	                       .dst_len = 32,
	                       .iif = "an0",
	                       .table = 1107};
	uint32_t priority = 0;

	assert_int_equal(nl_rule_add(nl, &rule), 0);
	assert_int_equal(count_rules(nl, &rule, &priority), 1);
	assert_true(priority > 0); /* the kernel picked one */
	rule.priority = priority;
	assert_int_equal(nl_rule_del(nl, &rule), 0);
	assert_int_equal(count_rules(nl, &rule, &priority), 0);
}

int main(void)
{
	const struct CMUnitTest messages[] = {
	    cmocka_unit_test(test_dump_asks_for_one_family_behind_the_object_header),
	    cmocka_unit_test(test_ipip_link_is_created_with_kind_ipip_and_mtu),
	    cmocka_unit_test(test_wireguard_link_is_created_with_its_kind_and_parses_back),
	    cmocka_unit_test(test_link_set_touches_only_what_is_asked),
	    cmocka_unit_test(test_route_in_table_1107_goes_in_rta_table),
	    cmocka_unit_test(
	        test_route_without_gateway_is_link_scoped_and_delete_matches_any_scope),
	    cmocka_unit_test(test_route_parses_back_to_itself),
	    cmocka_unit_test(test_rule_carries_selectors_table_and_iif),
	    cmocka_unit_test(test_address_sets_local_and_address),
	};
	const struct CMUnitTest kernel[] = {
	    cmocka_unit_test(test_link_is_found_set_up_and_resized),
	    cmocka_unit_test(test_address_is_added_dumped_and_deleted),
	    cmocka_unit_test(test_address_set_leaves_exactly_one_and_touches_nothing_twice),
	    cmocka_unit_test(test_route_is_replaced_dumped_and_deleted_in_table_1107),
	    cmocka_unit_test(test_ipv6_route_without_gateway),
	    cmocka_unit_test(test_rule_is_added_dumped_and_deleted),
	};

	return cmocka_run_group_tests_name("messages", messages, NULL, NULL) |
	       cmocka_run_group_tests_name("kernel", kernel, enter_namespace, leave_namespace);
}
