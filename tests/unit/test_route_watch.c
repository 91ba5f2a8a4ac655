// SPDX-License-Identifier: MIT
/*
 * tun/route_watch: a route deleted by someone else is reported, with what it was, in a network
 * namespace of the test's own; added routes are not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <poll.h>
#include <stdlib.h>

#include "netns.h"
#include "tun/route_watch.h"

struct seen {
	size_t n;
	struct tun_nl_route last;
};

static void record(void *ctx, const struct tun_nl_route *deleted)
{
	struct seen *seen = ctx;

	assert_non_null(deleted);
	seen->n++;
	seen->last = *deleted;
}

/* Wait (at most a second) for notifications and read them. */
static void read_events(struct tun_route_watch *watch, struct seen *seen)
{
	struct pollfd pfd = {.fd = tun_route_watch_fd(watch), .events = POLLIN};

	assert_true(poll(&pfd, 1, 1000) >= 0);
	assert_int_equal(tun_route_watch_recv(watch, record, seen), 0);
}

static void test_deleted_route_is_reported_with_its_table(void **state)
{
	struct tun_route_watch *watch;
	struct seen seen = {0};
	struct tun_nl_ip dst = {.family = AF_INET};

	(void)state;
	assert_int_equal(
	    netns_enter("ip link add an0 type veth peer name an1 && ip link set an0 up && "
	                "ip addr add 10.7.0.1/24 dev an0"),
	    0);
	assert_int_equal(tun_route_watch_open(&watch), 0);
	assert_int_equal(system("ip route add 10.8.0.0/24 via 10.7.0.2 dev an0 onlink table 1107"),
	                 0);
	read_events(watch, &seen);
	assert_int_equal(seen.n, 0);
	assert_int_equal(system("ip route del 10.8.0.0/24 table 1107"), 0);
	read_events(watch, &seen);
	assert_int_equal(seen.n, 1);
	assert_int_equal(inet_pton(AF_INET, "10.8.0.0", dst.bytes), 1);
	assert_true(tun_nl_ip_equal(&seen.last.dst, &dst));
	assert_int_equal(seen.last.dst_len, 24);
	assert_int_equal(seen.last.table, 1107);
	tun_route_watch_close(watch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_deleted_route_is_reported_with_its_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
