// SPDX-License-Identifier: MIT
/*
 * netlink/listener and the link watch on it: what a listener hears (its groups, the answers
 * to what it sent, the loss of notices when it overran) and how it stops, then what the link
 * watch tells of one link, in a network namespace of the test's own with the veth pair
 * an0/an1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "netlink/link_watch.h"
#include "netlink/listener.h"
#include "netlink/netlink.h"
#include "netns.h"

/* What one listener heard. */
struct heard {
	size_t messages, links, answers, others, lost;
	int refusal;                  /* the last error answer's, 0 if none */
	int stop_with;                /* what message returns */
	int stop_lost_with;           /* what lost returns */
	struct nl_listener *ask_lost; /* where lost asks for an0 again, if anywhere */
};

/*
 * A get of an0 without ack, told by its sequence number. One answer: a shrunk buffer takes a
 * single message into an empty queue, not the ack behind it.
 */
#define GET_SEQ 0x5eed

static struct nlmsghdr *get_an0(char *buf)
{
	struct nlmsghdr *nlh = nl_build_link_get(buf, "an0");

	nlh->nlmsg_flags &= ~NLM_F_ACK;
	nlh->nlmsg_seq = GET_SEQ;
	return nlh;
}

static int hear(void *ctx, const struct nlmsghdr *nlh)
{
	struct heard *h = ctx;
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

	h->messages++;
	h->answers += nlh->nlmsg_seq == GET_SEQ;
	if (nlh->nlmsg_type == RTM_NEWLINK || nlh->nlmsg_type == RTM_DELLINK)
		h->links++;
	else if (nlh->nlmsg_type == NLMSG_ERROR)
		h->refusal = err->error;
	else
		h->others++;
	return h->stop_with;
}

static int hear_lost(void *ctx)
{
	struct heard *h = ctx;
	char buf[NL_BUFSIZE];

	h->lost++;
	if (h->ask_lost)
		assert_int_equal(nl_listener_send(h->ask_lost, get_an0(buf)), 0);
	return h->stop_lost_with;
}

static bool readable(int fd, int ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	return poll(&pfd, 1, ms) == 1;
}

static struct nl_listener *listen_to_links(void)
{
	const unsigned int groups[] = {RTNLGRP_LINK};
	struct nl_listener *listener;

	assert_int_equal(nl_listener_open(&listener, groups, 1), 0);
	return listener;
}

/* The least receive buffer the kernel allows, so that a few notices overrun it. */
static void shrink(int fd)
{
	int size = 1;

	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)), 0);
}

/* More link notices than a shrunk buffer holds. */
static void flood(void)
{
	assert_int_equal(system("for m in $(seq 1300 1363); do ip link set an0 mtu $m; done"), 0);
}

static int enter_namespace(void **state)
{
	(void)state;
	return netns_enter("ip link add an0 type veth peer name an1");
}

static void test_nothing_pending_is_zero_and_calls_nothing(void **state)
{
	struct nl_listener *listener = listen_to_links();
	struct heard h = {0};

	(void)state;
	assert_int_equal(nl_listener_recv(listener, hear, hear_lost, &h), 0);
	assert_int_equal(h.messages + h.lost, 0);
	nl_listener_close(listener);
}

static void test_joined_group_is_heard_and_others_are_not(void **state)
{
	struct nl_listener *listener = listen_to_links();
	struct heard h = {0};

	(void)state;
	assert_int_equal(system("ip addr add 10.7.0.1/24 dev an0 && ip link set an0 mtu 1400"), 0);
	assert_true(readable(nl_listener_fd(listener), 1000));
	assert_int_equal(nl_listener_recv(listener, hear, hear_lost, &h), 0);
	assert_true(h.links > 0);
	assert_int_equal(h.others, 0); /* no RTM_NEWADDR: that group was not joined */
	nl_listener_close(listener);
}

static void test_answer_and_refusal_of_a_sent_request_come_as_messages(void **state)
{
	struct nl_listener *listener = listen_to_links();
	struct heard h = {0};
	char buf[NL_BUFSIZE];

	(void)state;
	assert_int_equal(nl_listener_send(listener, get_an0(buf)), 0);
	assert_true(readable(nl_listener_fd(listener), 1000));
	assert_int_equal(nl_listener_recv(listener, hear, hear_lost, &h), 0);
	assert_int_equal(h.links, 1);
	assert_int_equal(h.answers, 1);

	assert_int_equal(nl_listener_send(listener, nl_build_link_get(buf, "an-missing")), 0);
	assert_true(readable(nl_listener_fd(listener), 1000));
	assert_int_equal(nl_listener_recv(listener, hear, hear_lost, &h), 0);
	assert_int_equal(h.links, 1);
	assert_int_equal(h.refusal, -ENODEV);
	nl_listener_close(listener);
}

static void test_message_error_stops_the_read_and_the_rest_waits(void **state)
{
	struct nl_listener *listener = listen_to_links();
	struct heard h = {.stop_with = -ECANCELED};

	(void)state;
	/* A veth pair comes as (at least) one notice per end. */
	assert_int_equal(system("ip link add an2 type veth peer name an3"), 0);
	assert_true(readable(nl_listener_fd(listener), 1000));
	assert_int_equal(nl_listener_recv(listener, hear, hear_lost, &h), -ECANCELED);
	assert_int_equal(h.messages, 1);
	h.stop_with = 0;
	assert_int_equal(nl_listener_recv(listener, hear, hear_lost, &h), 0);
	assert_true(h.messages >= 2);
	assert_int_equal(system("ip link del an2"), 0);
	nl_listener_close(listener);
}

static void test_overrun_is_reported_as_lost_and_reading_goes_on(void **state)
{
	struct nl_listener *listener = listen_to_links();
	struct heard h = {0};

	(void)state;
	shrink(nl_listener_fd(listener));
	flood();
	assert_int_equal(nl_listener_recv(listener, hear, hear_lost, &h), 0);
	assert_true(h.lost >= 1);
	assert_true(h.links >= 1); /* what the buffer held is still read */

	h.stop_lost_with = -ESTALE;
	flood();
	assert_int_equal(nl_listener_recv(listener, hear, hear_lost, &h), -ESTALE);
	nl_listener_close(listener);
}

static void test_lost_comes_once_the_queue_is_read_so_what_it_asks_is_answered(void **state)
{
	struct nl_listener *listener = listen_to_links();
	struct heard h = {.ask_lost = listener};

	(void)state;
	shrink(nl_listener_fd(listener));
	flood();
	assert_int_equal(nl_listener_recv(listener, hear, hear_lost, &h), 0);
	assert_int_equal(h.lost, 1);
	assert_int_equal(h.answers, 1); /* in the same read */
	nl_listener_close(listener);
}

/* What a link watch told. */
struct told {
	size_t n;
	struct nl_link_event last;
};

static void tell(void *ctx, const struct nl_link_event *event)
{
	struct told *told = ctx;

	told->n++;
	told->last = *event;
}

/* Read the watch until it has told something that until() accepts, or a second passed. */
static void read_until(struct nl_link_watch *watch, struct told *told,
                       bool (*until)(const struct nl_link_event *event))
{
	for (int i = 0; i < 10 && !(told->n && until(&told->last)); i++) {
		readable(nl_link_watch_fd(watch), 100);
		assert_int_equal(nl_link_watch_recv(watch, tell, told), 0);
	}
}

static bool anything(const struct nl_link_event *event)
{
	(void)event;
	return true;
}

static bool running_at_1400(const struct nl_link_event *event)
{
	return event->running && event->mtu == 1400;
}

static bool deleted(const struct nl_link_event *event)
{
	return event->deleted;
}

static struct nl_link_watch *watch_new_link(void)
{
	struct nl_link_watch *watch;

	assert_int_equal(system("ip link add an4 type veth peer name an5"), 0);
	assert_int_equal(nl_link_watch_open(&watch, (int)if_nametoindex("an4")), 0);
	return watch;
}

/* Told once that the new link is there, down, at the default MTU. */
static void assert_told_as_new(const struct told *told)
{
	assert_int_equal(told->n, 1);
	assert_false(told->last.deleted);
	assert_false(told->last.running);
	assert_int_equal(told->last.mtu, 1500);
}

static void test_link_watch_tells_the_state_at_open(void **state)
{
	struct nl_link_watch *watch = watch_new_link();
	struct told told = {0};

	(void)state;
	read_until(watch, &told, anything);
	assert_told_as_new(&told);
	assert_int_equal(system("ip link del an4"), 0);
	nl_link_watch_close(watch);
}

static void test_link_watch_tells_running_mtu_and_deletion(void **state)
{
	struct nl_link_watch *watch = watch_new_link();
	struct told told = {0};

	(void)state;
	read_until(watch, &told, anything);
	/* A veth end runs once both ends are up. */
	assert_int_equal(system("ip link set an5 up && ip link set an4 mtu 1400 up"), 0);
	read_until(watch, &told, running_at_1400);
	assert_true(running_at_1400(&told.last));
	assert_int_equal(system("ip link del an4"), 0);
	read_until(watch, &told, deleted);
	assert_true(told.last.deleted);
	nl_link_watch_close(watch);
}

static void test_link_watch_tells_the_state_again_after_an_overrun(void **state)
{
	struct nl_link_watch *watch = watch_new_link();
	struct told told = {0};

	(void)state;
	read_until(watch, &told, anything);
	told.n = 0;
	/* an4 does not change, but what was lost might have been about it. */
	shrink(nl_link_watch_fd(watch));
	flood();
	read_until(watch, &told, anything);
	assert_told_as_new(&told);
	assert_int_equal(system("ip link del an4"), 0);
	nl_link_watch_close(watch);
}

static void test_link_watch_of_a_missing_link_is_no_failure(void **state)
{
	struct nl_link_watch *watch;
	struct told told = {0};

	(void)state;
	assert_int_equal(nl_link_watch_open(&watch, 999999), 0);
	assert_true(readable(nl_link_watch_fd(watch), 1000));
	assert_int_equal(nl_link_watch_recv(watch, tell, &told), 0);
	assert_int_equal(told.n, 0);
	nl_link_watch_close(watch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nothing_pending_is_zero_and_calls_nothing),
	    cmocka_unit_test(test_joined_group_is_heard_and_others_are_not),
	    cmocka_unit_test(test_answer_and_refusal_of_a_sent_request_come_as_messages),
	    cmocka_unit_test(test_message_error_stops_the_read_and_the_rest_waits),
	    cmocka_unit_test(test_overrun_is_reported_as_lost_and_reading_goes_on),
	    cmocka_unit_test(test_lost_comes_once_the_queue_is_read_so_what_it_asks_is_answered),
	    cmocka_unit_test(test_link_watch_tells_the_state_at_open),
	    cmocka_unit_test(test_link_watch_tells_running_mtu_and_deletion),
	    cmocka_unit_test(test_link_watch_tells_the_state_again_after_an_overrun),
	    cmocka_unit_test(test_link_watch_of_a_missing_link_is_no_failure),
	};

	return cmocka_run_group_tests(tests, enter_namespace, NULL);
}
