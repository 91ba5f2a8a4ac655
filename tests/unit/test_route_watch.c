// SPDX-License-Identifier: MIT
/*
 * netlink/route_watch: a route, a policy rule or a link deleted by someone else is reported, with
 * what it was, in a network namespace of the test's own; what is added is not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/route_watch.h"
#include "netns.h"

struct seen {
	size_t n;
	struct nl_route_watch_event last;
};

static void record(void *ctx, const struct nl_route_watch_event *deleted)
{
	struct seen *seen = ctx;

	assert_int_not_equal(deleted->kind, NL_ROUTE_WATCH_LOST);
	seen->n++;
	seen->last = *deleted;
}

/* Wait (at most a second) for notifications and read them. */
static void read_events(struct nl_route_watch *watch, struct seen *seen)
{
	struct pollfd pfd = {.fd = nl_route_watch_fd(watch), .events = POLLIN};

	assert_true(poll(&pfd, 1, 1000) >= 0);
	assert_int_equal(nl_route_watch_recv(watch, record, seen), 0);
}

static int setup(void **state)
{
	*state = NULL;
	if (netns_enter("ip link add an0 type veth peer name an1 && ip link set an0 up && "
	                "ip addr add 10.7.0.1/24 dev an0"))
		return -1;
	return nl_route_watch_open((struct nl_route_watch **)state);
}

static int teardown(void **state)
{
	nl_route_watch_close(*state);
	return 0;
}

/* Run an added command, then a deleting one, and return what the deletion reported. */
static struct seen added_then_deleted(void **state, const char *add, const char *del)
{
	struct seen seen = {0};

	assert_int_equal(system(add), 0);
	read_events(*state, &seen);
	assert_int_equal(seen.n, 0);
	assert_int_equal(system(del), 0);
	read_events(*state, &seen);
	assert_int_equal(seen.n, 1);
	return seen;
}

static void test_deleted_route_is_reported_with_its_table(void **state)
{
	struct seen seen = added_then_deleted(
	    state, "ip route add 10.8.0.0/24 via 10.7.0.2 dev an0 onlink table 1107",
	    "ip route del 10.8.0.0/24 table 1107");
	struct ip_addr dst = {.family = AF_INET};

	assert_int_equal(seen.last.kind, NL_ROUTE_WATCH_ROUTE);
	assert_int_equal(inet_pton(AF_INET, "10.8.0.0", dst.bytes), 1);
	assert_true(ip_addr_equal(&seen.last.route.dst, &dst));
	assert_int_equal(seen.last.route.dst_len, 24);
	assert_int_equal(seen.last.route.table, 1107);
}

static void test_deleted_ipv6_rule_is_reported_with_its_selectors(void **state)
{
	struct seen seen = added_then_deleted(state, "ip -6 rule add from fd00:2::/64 table 1107",
	                                      "ip -6 rule del from fd00:2::/64 table 1107");
	struct ip_addr src = {.family = AF_INET6};

	assert_int_equal(seen.last.kind, NL_ROUTE_WATCH_RULE);
	assert_int_equal(seen.last.rule.family, AF_INET6);
	assert_int_equal(inet_pton(AF_INET6, "fd00:2::", src.bytes), 1);
	assert_true(ip_addr_equal(&seen.last.rule.src, &src));
	assert_int_equal(seen.last.rule.src_len, 64);
	assert_int_equal(seen.last.rule.table, 1107);
}

static void test_deleted_link_is_reported_by_name(void **state)
{
	struct seen seen = {0};

	/* A veth pair goes as a pair: each end is reported, an2 last. */
	assert_int_equal(system("ip link add an3 type veth peer name an2"), 0);
	read_events(*state, &seen);
	assert_int_equal(seen.n, 0);
	assert_int_equal(system("ip link del an3"), 0);
	read_events(*state, &seen);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.last.kind, NL_ROUTE_WATCH_LINK);
	assert_string_equal(seen.last.link.name, "an2");
	assert_true(seen.last.link.ifindex > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_deleted_route_is_reported_with_its_table),
	    cmocka_unit_test(test_deleted_ipv6_rule_is_reported_with_its_selectors),
	    cmocka_unit_test(test_deleted_link_is_reported_by_name),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
