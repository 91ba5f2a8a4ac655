// SPDX-License-Identifier: MIT
/*
 * The readiness clock: an API server away for longer than the readiness
 * window counts out no node that could not check in, and a node that stays
 * silent once the server is back is counted out a window later.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "mesh/agent/agent_readiness.h"
#include "mesh/model/model.h"

#define T0 1700000000

/* A node that is ready by everything but time, last seen at last_seen. */
static bool ready(struct agent_readiness *clock, int64_t last_seen, int64_t now)
{
	struct mesh_node node = {.last_seen = last_seen, .key = {1}};

	node.endpoint.ip.family = AF_INET;
	node.endpoint.ip.bytes[0] = 10;
	node.endpoint.port = 51820;
	node.subnet.addr.family = AF_INET;
	node.subnet.addr.bytes[0] = 10;
	node.subnet.cidr = 24;
	return mesh_node_is_ready(&node, agent_readiness_now(clock, now));
}

static void test_clock_is_the_wall_clock_while_check_ins_succeed(void **state)
{
	struct agent_readiness clock = {0};

	(void)state;
	assert_int_equal(agent_readiness_now(&clock, T0), T0);
	assert_false(agent_readiness_regained(&clock, T0 + 30));
	assert_int_equal(agent_readiness_now(&clock, T0 + 30), T0 + 30);
	assert_false(ready(&clock, T0, T0 + MESH_READY_WINDOW));
}

static void test_failed_check_in_stops_the_clock(void **state)
{
	struct agent_readiness clock = {0};

	(void)state;
	assert_true(agent_readiness_lost(&clock, T0 + 10));
	assert_false(agent_readiness_lost(&clock, T0 + 40));
	assert_int_equal(agent_readiness_now(&clock, T0 + 300),
	                 agent_readiness_now(&clock, T0 + 10));
	/* Last seen 29 s before the first failure: still ready minutes later. */
	assert_true(ready(&clock, T0 - 19, T0 + 300));
}

static void test_node_a_check_in_period_ahead_stays_ready(void **state)
{
	struct agent_readiness clock = {0};

	(void)state;
	/* Its last check-in 30 s before ours, ours 30 s before the failure, late and rounded. */
	agent_readiness_lost(&clock, T0);
	assert_true(ready(&clock, T0 - MESH_READY_WINDOW, T0 + 100));
}

static void test_node_stale_before_the_outage_stays_out(void **state)
{
	struct agent_readiness clock = {0};

	(void)state;
	agent_readiness_lost(&clock, T0);
	assert_false(ready(&clock, T0 - 2 * MESH_READY_WINDOW, T0 + 100));
	assert_false(ready(&clock, T0 - MESH_READY_WINDOW - 5, T0 + 100));
}

static void test_clock_restarts_a_window_after_a_check_in_succeeds(void **state)
{
	struct agent_readiness clock = {0};

	(void)state;
	agent_readiness_lost(&clock, T0);
	assert_true(agent_readiness_regained(&clock, T0 + 100));
	assert_false(agent_readiness_regained(&clock, T0 + 130));
	assert_true(agent_readiness_now(&clock, T0 + 100 + MESH_READY_WINDOW - 1) <= T0);
	assert_int_equal(agent_readiness_now(&clock, T0 + 100 + MESH_READY_WINDOW),
	                 T0 + 100 + MESH_READY_WINDOW);
	assert_int_equal(agent_readiness_now(&clock, T0 + 500), T0 + 500);
}

static void test_node_back_in_the_window_stays_ready(void **state)
{
	struct agent_readiness clock = {0};

	(void)state;
	agent_readiness_lost(&clock, T0);
	agent_readiness_regained(&clock, T0 + 100);
	/* Checked in 20 s after this agent did; judged by the wall clock again later. */
	assert_true(ready(&clock, T0 + 120, T0 + 170));
	assert_true(ready(&clock, T0 + 120, T0 + 179));
	assert_false(ready(&clock, T0 + 120, T0 + 180));
}

static void test_node_silent_after_the_outage_is_counted_out_a_window_later(void **state)
{
	struct agent_readiness clock = {0};

	(void)state;
	agent_readiness_lost(&clock, T0);
	agent_readiness_regained(&clock, T0 + 100);
	assert_true(ready(&clock, T0 - 20, T0 + 100 + MESH_READY_WINDOW - 1));
	assert_false(ready(&clock, T0 - 20, T0 + 100 + MESH_READY_WINDOW));
}

static void test_lost_again_before_the_restart_waits_for_a_new_window(void **state)
{
	struct agent_readiness clock = {0};

	(void)state;
	agent_readiness_lost(&clock, T0);
	agent_readiness_regained(&clock, T0 + 100);
	assert_false(agent_readiness_lost(&clock, T0 + 130));
	assert_true(agent_readiness_now(&clock, T0 + 200) <= T0);
	assert_true(agent_readiness_regained(&clock, T0 + 200));
	assert_true(agent_readiness_now(&clock, T0 + 259) <= T0);
	assert_int_equal(agent_readiness_now(&clock, T0 + 260), T0 + 260);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clock_is_the_wall_clock_while_check_ins_succeed),
	    cmocka_unit_test(test_failed_check_in_stops_the_clock),
	    cmocka_unit_test(test_node_a_check_in_period_ahead_stays_ready),
	    cmocka_unit_test(test_node_stale_before_the_outage_stays_out),
	    cmocka_unit_test(test_clock_restarts_a_window_after_a_check_in_succeeds),
	    cmocka_unit_test(test_node_back_in_the_window_stays_ready),
	    cmocka_unit_test(test_node_silent_after_the_outage_is_counted_out_a_window_later),
	    cmocka_unit_test(test_lost_again_before_the_restart_waits_for_a_new_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
