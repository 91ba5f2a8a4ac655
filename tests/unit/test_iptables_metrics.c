// SPDX-License-Identifier: MIT
/*
 * mesh/iptables_metrics: every line of an iptables-restore script counts as the go-iptables
 * call Kilo makes for the same effect, under Kilo's metric name and labels; reads count as a
 * List per table; counters of the same labels add up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <sys/socket.h>

#include "mesh/host/iptables_metrics.h"

#define HEAD                                                                                       \
	"# HELP kilo_iptables_operations_total Number of iptables operations.\n"                   \
	"# TYPE kilo_iptables_operations_total counter\n"
#define SAMPLE(chain, operation, protocol, table, n)                                               \
	"kilo_iptables_operations_total{chain=\"" chain "\",operation=\"" operation                \
	"\",protocol=\"" protocol "\",table=\"" table "\"} " #n "\n"

/* What print writes, as a heap string. */
static char *printed(const struct mesh_iptables_metrics *metrics)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	mesh_iptables_metrics_print(metrics, out);
	assert_int_equal(fclose(out), 0);
	return text;
}

static void assert_printed(const struct mesh_iptables_metrics *metrics, const char *want)
{
	char *text = printed(metrics);

	assert_string_equal(text, want);
	free(text);
}

static void test_script_lines_count_as_the_calls_kilo_makes(void **state)
{
	static const char script[] =
	    "*nat\n"
	    ":KILO-NAT - [0:0]\n"
	    "-D POSTROUTING -s 10.2.9.0/24 -m comment --comment \"Kilo: old\" -j KILO-NAT\n"
	    "-A KILO-NAT -d 10.4.0.0/16 -m comment --comment \"Kilo: mesh\" -j RETURN\n"
	    "-A KILO-NAT -m comment --comment \"Kilo: NAT\" -j MASQUERADE\n"
	    "-I POSTROUTING 1 -s 10.2.1.0/24 -m comment --comment \"Kilo: jump\" -j KILO-NAT\n"
	    "COMMIT\n"
	    "*filter\n"
	    "-F KILO-IPIP\n"
	    "-X KILO-IPIP\n"
	    "COMMIT\n";
	struct mesh_iptables_metrics metrics = {0};

	(void)state;
	assert_int_equal(mesh_iptables_metrics_count_script(&metrics, AF_INET6, script), 0);
	/* clang-format off */
	assert_printed(&metrics, HEAD
	               SAMPLE("KILO-NAT", "ClearChain", "IPv6", "nat", 1)
	               SAMPLE("POSTROUTING", "Delete", "IPv6", "nat", 1)
	               SAMPLE("KILO-NAT", "AppendUnique", "IPv6", "nat", 2)
	               SAMPLE("POSTROUTING", "Insert", "IPv6", "nat", 1)
	               SAMPLE("KILO-IPIP", "ClearChain", "IPv6", "filter", 1)
	               SAMPLE("KILO-IPIP", "DeleteChain", "IPv6", "filter", 1));
	/* clang-format on */
	mesh_iptables_metrics_release(&metrics);
}

static void test_nothing_to_write_counts_nothing(void **state)
{
	struct mesh_iptables_metrics metrics = {0};

	(void)state;
	assert_int_equal(mesh_iptables_metrics_count_script(&metrics, AF_INET, ""), 0);
	assert_printed(&metrics, HEAD);
}

static void test_reads_are_a_list_per_table_and_merged_counts_add_up(void **state)
{
	struct mesh_iptables_metrics apply = {0}, total = {0};

	(void)state;
	assert_int_equal(mesh_iptables_metrics_count_read(&apply, AF_INET), 0);
	assert_int_equal(mesh_iptables_metrics_count_read(&apply, AF_INET6), 0);
	assert_int_equal(mesh_iptables_metrics_count_script(&apply, AF_INET, "*nat\n-F KILO-NAT\n"),
	                 0);
	assert_int_equal(mesh_iptables_metrics_merge(&total, &apply), 0);
	assert_int_equal(mesh_iptables_metrics_merge(&total, &apply), 0);
	/* clang-format off */
	assert_printed(&total, HEAD
	               SAMPLE("*", "List", "IPv4", "nat", 2)
	               SAMPLE("*", "List", "IPv4", "filter", 2)
	               SAMPLE("*", "List", "IPv6", "nat", 2)
	               SAMPLE("*", "List", "IPv6", "filter", 2)
	               SAMPLE("KILO-NAT", "ClearChain", "IPv4", "nat", 2));
	/* clang-format on */
	mesh_iptables_metrics_release(&apply);
	mesh_iptables_metrics_release(&total);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_script_lines_count_as_the_calls_kilo_makes),
	    cmocka_unit_test(test_nothing_to_write_counts_nothing),
	    cmocka_unit_test(test_reads_are_a_list_per_table_and_merged_counts_add_up),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
