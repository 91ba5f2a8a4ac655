// SPDX-License-Identifier: MIT
/*
 * test_ratelimiter.c - the ratelimiter, with the kernel's timing script (selftest/ratelimiter.c)
 * replayed on an injected clock: exact instead of "sleep and hope".
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cmocka.h>

#include "wg/ratelimiter.h"

#define NSEC_PER_SEC UINT64_C(1000000000)
#define PACKET_INTERVAL (NSEC_PER_SEC / WG_RATELIMITER_PACKETS_PER_SECOND)
/* An arbitrary start, so that nothing depends on the clock starting at 0. */
#define T0 (UINT64_C(7200) * NSEC_PER_SEC)

static struct sockaddr_in v4(uint32_t host)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(51820)};

	sin.sin_addr.s_addr = htonl(host);
	return sin;
}

static struct sockaddr_in6 v6(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(51820)};
	uint32_t words[4] = {htonl(a), htonl(b), htonl(c), htonl(d)};

	memcpy(&sin6.sin6_addr, words, sizeof(words));
	return sin6;
}

static bool allow4(struct wg_ratelimiter *rl, uint32_t host, uint64_t now)
{
	struct sockaddr_in sin = v4(host);

	return wg_ratelimiter_allow(rl, (struct sockaddr *)&sin, now);
}

static bool allow6(struct wg_ratelimiter *rl, struct sockaddr_in6 sin6, uint64_t now)
{
	return wg_ratelimiter_allow(rl, (struct sockaddr *)&sin6, now);
}

/* The kernel's expected_results: a burst of five, then one packet per
 * twentieth of a second, two after two twentieths. */
static const struct {
	bool allowed;
	uint64_t wait_before;
} script[] = {
    {true, 0},
    {true, 0},
    {true, 0},
    {true, 0},
    {true, 0},
    {false, 0},
    {true, PACKET_INTERVAL},
    {false, 0},
    {true, PACKET_INTERVAL * 2},
    {true, 0},
    {false, 0},
};

static void test_kernel_timing_script_v4_and_v6(void **state)
{
	struct wg_ratelimiter *rl = wg_ratelimiter_new(0);
	uint64_t now = T0;

	(void)state;
	assert_non_null(rl);
	for (uint32_t i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
		now += script[i].wait_before;
		assert_int_equal(allow4(rl, 8182, now), script[i].allowed);
		/* Other sources have buckets of their own. */
		assert_true(allow4(rl, 8182 + i + 1, now));
		/* Any address of the same /64 shares one bucket. */
		assert_int_equal(allow6(rl, v6(1212, 289188, i, i), now), script[i].allowed);
		assert_true(allow6(rl, v6(1212 + i + 1, 289188, i, i), now));
	}
	wg_ratelimiter_free(rl);
}

static void test_full_table_denies_new_sources(void **state)
{
	static const size_t caps[] = {1000, WG_RATELIMITER_DEFAULT_MAX_ENTRIES};

	(void)state;
	for (size_t c = 0; c < 2; c++) {
		struct wg_ratelimiter *rl = wg_ratelimiter_new(caps[c]);

		assert_int_equal(wg_ratelimiter_count(rl), 0);
		for (uint32_t i = 0; i <= caps[c]; i++) {
			if (allow4(rl, i, T0) != (i != caps[c]))
				fail_msg("cap %zu: source %u", caps[c], i);
		}
		assert_int_equal(wg_ratelimiter_count(rl), caps[c]);
		/* Known sources still get their tokens. */
		assert_true(allow4(rl, 0, T0));
		wg_ratelimiter_free(rl);
	}
}

static void test_sources_idle_over_a_second_are_forgotten(void **state)
{
	struct wg_ratelimiter *rl = wg_ratelimiter_new(4);
	uint64_t now = T0;

	(void)state;
	for (uint32_t i = 0; i < 4; i++)
		assert_true(allow4(rl, i, now));
	assert_false(allow4(rl, 4, now));
	/* Source 0 stays busy; the others fall silent. */
	now += NSEC_PER_SEC / 2;
	assert_true(allow4(rl, 0, now));
	now += NSEC_PER_SEC / 2 + 1;
	assert_true(allow4(rl, 4, now));
	assert_int_equal(wg_ratelimiter_count(rl), 2);
	wg_ratelimiter_free(rl);
}

static void test_drained_bucket_refills_to_the_burst_not_beyond(void **state)
{
	struct wg_ratelimiter *rl = wg_ratelimiter_new(0);
	uint64_t now = T0;
	int allowed = 0;

	(void)state;
	while (allow4(rl, 1, now))
		allowed++;
	assert_int_equal(allowed, WG_RATELIMITER_BURST);
	/* Active more often than once a second, so the entry survives GC. */
	for (int i = 0; i < 100; i++) {
		now += NSEC_PER_SEC / 2;
		assert_true(allow4(rl, 2, now));
	}
	now += NSEC_PER_SEC / 2;
	for (allowed = 0; allow4(rl, 2, now);)
		allowed++;
	assert_int_equal(allowed, WG_RATELIMITER_BURST);
	wg_ratelimiter_free(rl);
}

static void test_ipv4_mapped_ipv6_shares_the_ipv4_bucket(void **state)
{
	struct wg_ratelimiter *rl = wg_ratelimiter_new(0);
	struct sockaddr_in6 mapped = v6(0, 0, 0xffff, 0xc0000201);

	(void)state;
	for (int i = 0; i < WG_RATELIMITER_BURST; i++)
		assert_true(allow4(rl, 0xc0000201, T0));
	assert_false(allow6(rl, mapped, T0));
	assert_int_equal(wg_ratelimiter_count(rl), 1);
	wg_ratelimiter_free(rl);
}

static void test_clock_going_backwards_grants_nothing(void **state)
{
	struct wg_ratelimiter *rl = wg_ratelimiter_new(0);

	(void)state;
	for (int i = 0; i < WG_RATELIMITER_BURST; i++)
		assert_true(allow4(rl, 9, T0));
	assert_false(allow4(rl, 9, T0 - NSEC_PER_SEC / 2));
	assert_false(allow4(rl, 9, T0 - NSEC_PER_SEC / 4));
	wg_ratelimiter_free(rl);
}

static void test_unknown_sources_are_denied(void **state)
{
	struct wg_ratelimiter *rl = wg_ratelimiter_new(0);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	(void)state;
	assert_false(wg_ratelimiter_allow(rl, NULL, T0));
	assert_false(wg_ratelimiter_allow(rl, (struct sockaddr *)&sun, T0));
	assert_false(allow4(NULL, 1, T0));
	assert_int_equal(wg_ratelimiter_count(rl), 0);
	wg_ratelimiter_free(rl);
	wg_ratelimiter_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kernel_timing_script_v4_and_v6),
	    cmocka_unit_test(test_full_table_denies_new_sources),
	    cmocka_unit_test(test_sources_idle_over_a_second_are_forgotten),
	    cmocka_unit_test(test_drained_bucket_refills_to_the_burst_not_beyond),
	    cmocka_unit_test(test_ipv4_mapped_ipv6_shares_the_ipv4_bucket),
	    cmocka_unit_test(test_clock_going_backwards_grants_nothing),
	    cmocka_unit_test(test_unknown_sources_are_denied),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
