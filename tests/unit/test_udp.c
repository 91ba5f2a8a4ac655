// SPDX-License-Identifier: MIT
/* test_udp.c - the UDP bind (wg/udp.h): one port for both families, batches, GSO and GRO. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "wg/udp.h"

enum { N = 12, SIZE = 1200, ENTRIES = 128, CAP = 65536 };

static void to_loopback(union wg_endpoint *addr, uint16_t port)
{
	memset(addr, 0, sizeof(*addr));
	addr->in.sin_family = AF_INET;
	addr->in.sin_port = htons(port);
	addr->in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

/* Receives until n datagrams are in or nothing came for a second; entries as a batch has. */
static unsigned int receive_all(const struct wg_udp *udp, struct wg_udp_msg *msgs, unsigned int n)
{
	struct pollfd pfd = {.fd = udp->fd4, .events = POLLIN};
	unsigned int got = 0;
	int ret;

	while (got < n && poll(&pfd, 1, 1000) == 1) {
		ret = wg_udp_recv(udp, udp->fd4, msgs + got, ENTRIES - got);
		assert_true(ret >= 0);
		got += (unsigned int)ret;
	}
	return got;
}

static void send_run_and_check(bool offload)
{
	static uint8_t out[N][SIZE];
	struct wg_udp_msg msgs[N], rx[ENTRIES];
	uint8_t *in = malloc((size_t)ENTRIES * CAP);
	struct wg_udp a, b;
	unsigned int i;

	assert_int_equal(wg_udp_open(&a, 0, 0, offload), 0);
	assert_int_equal(wg_udp_open(&b, 0, 0, offload), 0);
	/* Linux has had UDP GSO since 4.18 and GRO since 5.0. */
	assert_int_equal(a.gso, offload);
	assert_int_equal(b.gro, offload);
	for (i = 0; i < ENTRIES; i++)
		rx[i] = (struct wg_udp_msg){.data = in + (size_t)i * CAP, .cap = CAP};
	for (i = 0; i < N; i++) {
		memset(out[i], (int)i + 1, SIZE);
		msgs[i] = (struct wg_udp_msg){.data = out[i], .len = SIZE};
		to_loopback(&msgs[i].addr, b.port);
	}
	/* Equal datagrams, then a shorter one that may close a GSO run, then one more. */
	msgs[N - 2].len = SIZE / 2;
	assert_int_equal(wg_udp_send(&a, msgs, N), N);
	assert_int_equal(receive_all(&b, rx, N), N);
	for (i = 0; i < N; i++) {
		assert_int_equal(rx[i].len, msgs[i].len);
		assert_memory_equal(rx[i].data, out[i], msgs[i].len);
		assert_int_equal(rx[i].addr.in.sin_port, htons(a.port));
	}
	wg_udp_close(&a);
	wg_udp_close(&b);
	free(in);
}

static void test_gso_runs_and_gro_receives_give_back_the_datagrams_sent(void **state)
{
	(void)state;
	send_run_and_check(true);
}

static void test_without_offload_datagrams_go_one_by_one(void **state)
{
	(void)state;
	send_run_and_check(false);
}

static void test_both_families_share_one_port(void **state)
{
	struct sockaddr_in6 addr;
	socklen_t len = sizeof(addr);
	struct wg_udp udp;

	(void)state;
	assert_int_equal(wg_udp_open(&udp, 0, 0, true), 0);
	assert_true(udp.fd6 >= 0);
	assert_int_equal(getsockname(udp.fd6, (struct sockaddr *)&addr, &len), 0);
	assert_int_equal(ntohs(addr.sin6_port), udp.port);
	wg_udp_close(&udp);
}

static void test_taken_port_is_refused(void **state)
{
	struct wg_udp a, b;

	(void)state;
	assert_int_equal(wg_udp_open(&a, 0, 0, true), 0);
	assert_int_equal(wg_udp_open(&b, a.port, 0, true), -EADDRINUSE);
	wg_udp_close(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gso_runs_and_gro_receives_give_back_the_datagrams_sent),
	    cmocka_unit_test(test_without_offload_datagrams_go_one_by_one),
	    cmocka_unit_test(test_both_families_share_one_port),
	    cmocka_unit_test(test_taken_port_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
