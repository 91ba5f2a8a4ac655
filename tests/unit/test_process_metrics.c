// SPDX-License-Identifier: MIT
/*
 * mesh/process_metrics: /proc/PID/stat read as the kernel writes it (any command name), and
 * the process collector's metrics of this very process, with Kilo's names and plausible
 * values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/common/process_metrics.h"

static void test_stat_fields_are_read_after_a_name_with_spaces_and_parentheses(void **state)
{
	static const char line[] = "4242 (k g) (x)) S 1 4242 4242 0 -1 4194560 512 0 0 0 12 34 0 0 "
	                           "20 0 7 0 5678 123456789 2500 18446744073709551615 1 1 0 0 0 0 "
	                           "0 0 0 0 0 0 17 1 0 0 0 0 0\n";
	struct mesh_process_stat stat;

	(void)state;
	assert_int_equal(mesh_process_stat_parse(line, &stat), 0);
	assert_int_equal(stat.utime, 12);
	assert_int_equal(stat.stime, 34);
	assert_int_equal(stat.start_time, 5678);
	assert_int_equal(stat.vsize, 123456789);
	assert_int_equal(stat.rss, 2500);
}

static void test_truncated_stat_line_is_refused(void **state)
{
	struct mesh_process_stat stat;

	(void)state;
	assert_int_equal(mesh_process_stat_parse("4242 (kg) S 1 4242 4242 0", &stat), -EINVAL);
	assert_int_equal(mesh_process_stat_parse("no parenthesis", &stat), -EINVAL);
}

/* The value of the sample named name in text (its own line, not a HELP or TYPE line). */
static double sample(const char *text, const char *name)
{
	char key[64];
	const char *at;

	snprintf(key, sizeof(key), "\n%s ", name);
	at = strstr(text, key);
	assert_non_null(at);
	return strtod(at + strlen(key), NULL);
}

static void test_own_process_metrics_have_kilos_names_and_plausible_values(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	double now = (double)time(NULL);

	(void)state;
	assert_non_null(out);
	assert_int_equal(mesh_process_metrics_print(out), 0);
	assert_int_equal(fclose(out), 0);
	assert_non_null(strstr(text, "# TYPE process_cpu_seconds_total counter\n"));
	assert_true(sample(text, "process_cpu_seconds_total") >= 0);
	/* stdin, stdout and stderr at least. */
	assert_true(sample(text, "process_open_fds") >= 3);
	assert_true(sample(text, "process_max_fds") >= sample(text, "process_open_fds"));
	assert_true(sample(text, "process_resident_memory_bytes") > 0);
	assert_true(sample(text, "process_virtual_memory_bytes") >=
	            sample(text, "process_resident_memory_bytes"));
	assert_true(sample(text, "process_virtual_memory_max_bytes") > 0);
	/* Started within the last hour (the clock of boot time is coarse). */
	assert_true(sample(text, "process_start_time_seconds") > now - 3600);
	assert_true(sample(text, "process_start_time_seconds") < now + 2);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stat_fields_are_read_after_a_name_with_spaces_and_parentheses),
	    cmocka_unit_test(test_truncated_stat_line_is_refused),
	    cmocka_unit_test(test_own_process_metrics_have_kilos_names_and_plausible_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
