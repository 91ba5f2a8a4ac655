// SPDX-License-Identifier: MIT
/*
 * test_replay.c - the replay window, checked with the kernel's counter self-test
 * (selftest/counter.c, also ported by wireguard-go as replay_test.go): the 34
 * scripted steps, then the loops that fill the whole window in either order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "wg/replay.h"

#define T_LIM ((uint64_t)COUNTER_WINDOW_SIZE + 1)

struct step {
	uint64_t counter;
	bool accepted;
};

static void run(struct wg_replay *r, const struct step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool accepted = wg_replay_check(r, steps[i].counter);

		if (accepted != steps[i].accepted)
			fail_msg("step %zu: counter %llu %s, expected %s", i + 1,
			         (unsigned long long)steps[i].counter,
			         accepted ? "accepted" : "rejected",
			         steps[i].accepted ? "accepted" : "rejected");
	}
}

static void test_kernel_counter_script(void **state)
{
	static const struct step steps[] = {
	    /*  1 */ {0, true},
	    /*  2 */ {1, true},
	    /*  3 */ {1, false},
	    /*  4 */ {9, true},
	    /*  5 */ {8, true},
	    /*  6 */ {7, true},
	    /*  7 */ {7, false},
	    /*  8 */ {T_LIM, true},
	    /*  9 */ {T_LIM - 1, true},
	    /* 10 */ {T_LIM - 1, false},
	    /* 11 */ {T_LIM - 2, true},
	    /* 12 */ {2, true},
	    /* 13 */ {2, false},
	    /* 14 */ {T_LIM + 16, true},
	    /* 15 */ {3, false},
	    /* 16 */ {T_LIM + 16, false},
	    /* 17 */ {T_LIM * 4, true},
	    /* 18 */ {T_LIM * 4 - (T_LIM - 1), true},
	    /* 19 */ {10, false},
	    /* 20 */ {T_LIM * 4 - T_LIM, false},
	    /* 21 */ {T_LIM * 4 - (T_LIM + 1), false},
	    /* 22 */ {T_LIM * 4 - (T_LIM - 2), true},
	    /* 23 */ {T_LIM * 4 + 1 - T_LIM, false},
	    /* 24 */ {0, false},
	    /* 25 */ {REJECT_AFTER_MESSAGES, false},
	    /* 26 */ {REJECT_AFTER_MESSAGES - 1, true},
	    /* 27 */ {REJECT_AFTER_MESSAGES, false},
	    /* 28 */ {REJECT_AFTER_MESSAGES - 1, false},
	    /* 29 */ {REJECT_AFTER_MESSAGES - 2, true},
	    /* 30 */ {REJECT_AFTER_MESSAGES + 1, false},
	    /* 31 */ {REJECT_AFTER_MESSAGES + 2, false},
	    /* 32 */ {REJECT_AFTER_MESSAGES - 2, false},
	    /* 33 */ {REJECT_AFTER_MESSAGES - 3, true},
	    /* 34 */ {0, false},
	};
	struct wg_replay r;

	(void)state;
	wg_replay_init(&r);
	run(&r, steps, sizeof(steps) / sizeof(steps[0]));
}

/* Accepts every counter of [from, to] (in that order, either direction). */
static void accept_range(struct wg_replay *r, uint64_t from, uint64_t to)
{
	for (uint64_t i = from;; i += from <= to ? 1 : -1) {
		if (!wg_replay_check(r, i))
			fail_msg("counter %llu rejected", (unsigned long long)i);
		if (i == to)
			break;
	}
}

static void test_zero_is_accepted_after_a_full_window_ascending(void **state)
{
	struct wg_replay r;

	(void)state;
	wg_replay_init(&r);
	accept_range(&r, 1, COUNTER_WINDOW_SIZE);
	assert_true(wg_replay_check(&r, 0));
	assert_false(wg_replay_check(&r, 0));
}

static void test_zero_falls_out_once_the_window_moved_past_it(void **state)
{
	struct wg_replay r;

	(void)state;
	wg_replay_init(&r);
	accept_range(&r, 2, COUNTER_WINDOW_SIZE + 1);
	assert_true(wg_replay_check(&r, 1));
	assert_false(wg_replay_check(&r, 0));
}

static void test_whole_window_descending_from_window_size(void **state)
{
	struct wg_replay r;

	(void)state;
	wg_replay_init(&r);
	accept_range(&r, COUNTER_WINDOW_SIZE, 0);
}

static void test_whole_window_descending_then_zero_is_too_old(void **state)
{
	struct wg_replay r;

	(void)state;
	wg_replay_init(&r);
	accept_range(&r, COUNTER_WINDOW_SIZE + 1, 1);
	assert_false(wg_replay_check(&r, 0));
}

static void test_descending_window_then_new_top_pushes_zero_out(void **state)
{
	struct wg_replay r;

	(void)state;
	wg_replay_init(&r);
	accept_range(&r, COUNTER_WINDOW_SIZE, 1);
	assert_true(wg_replay_check(&r, COUNTER_WINDOW_SIZE + 1));
	assert_false(wg_replay_check(&r, 0));
}

static void test_descending_window_then_zero_then_new_top(void **state)
{
	struct wg_replay r;

	(void)state;
	wg_replay_init(&r);
	accept_range(&r, COUNTER_WINDOW_SIZE, 1);
	assert_true(wg_replay_check(&r, 0));
	assert_true(wg_replay_check(&r, COUNTER_WINDOW_SIZE + 1));
}

/* A jump far beyond the ring must forget everything behind the window. */
static void test_big_jump_forgets_old_counters(void **state)
{
	struct wg_replay r;

	(void)state;
	wg_replay_init(&r);
	accept_range(&r, 0, 300);
	assert_true(wg_replay_check(&r, 1000000));
	/* This one shares its ring bit with counter 280, which must not haunt it. */
	assert_true(wg_replay_check(&r, 122 * (uint64_t)COUNTER_BITS_TOTAL + 280));
	assert_false(wg_replay_check(&r, 1000000 - COUNTER_WINDOW_SIZE - 1));
	assert_true(wg_replay_check(&r, 1000000 - COUNTER_WINDOW_SIZE));
	assert_true(wg_replay_check(&r, 999999));
	assert_false(wg_replay_check(&r, 999999));
}

/* The ring wraps many times; each word must be cleared as the top enters it. */
static void test_long_in_order_stream_is_accepted(void **state)
{
	struct wg_replay r;

	(void)state;
	wg_replay_init(&r);
	accept_range(&r, 0, 4 * COUNTER_BITS_TOTAL);
	assert_false(wg_replay_check(&r, 4 * COUNTER_BITS_TOTAL - 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kernel_counter_script),
	    cmocka_unit_test(test_zero_is_accepted_after_a_full_window_ascending),
	    cmocka_unit_test(test_zero_falls_out_once_the_window_moved_past_it),
	    cmocka_unit_test(test_whole_window_descending_from_window_size),
	    cmocka_unit_test(test_whole_window_descending_then_zero_is_too_old),
	    cmocka_unit_test(test_descending_window_then_new_top_pushes_zero_out),
	    cmocka_unit_test(test_descending_window_then_zero_then_new_top),
	    cmocka_unit_test(test_big_jump_forgets_old_counters),
	    cmocka_unit_test(test_long_in_order_stream_is_accepted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
