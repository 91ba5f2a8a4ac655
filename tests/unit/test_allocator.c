// SPDX-License-Identifier: MIT
/* Positional WireGuard IP allocation, as Kilo's TestNewAllocator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "mesh/model/allocator.h"

struct allocation_case {
	const char *subnet;
	const char *const *expected; /* every address handed out, then exhaustion */
};

#define ADDRESSES(...) ((const char *const[]){__VA_ARGS__, NULL})

static const struct allocation_case cases[] = {
    {"10.1.0.0/32", (const char *const[]){NULL}},
    {"10.1.0.0/31", ADDRESSES("10.1.0.1/31")},
    {"10.1.0.0/30", ADDRESSES("10.1.0.1/30", "10.1.0.2/30", "10.1.0.3/30")},
    /* Host bits of --subnet are ignored: counting starts at the network. */
    {"10.4.7.9/29", ADDRESSES("10.4.7.9/29", "10.4.7.10/29", "10.4.7.11/29", "10.4.7.12/29",
                              "10.4.7.13/29", "10.4.7.14/29", "10.4.7.15/29")},
    /* The last address of the IPv4 space does not wrap around to 0.0.0.0. */
    {"255.255.255.254/31", ADDRESSES("255.255.255.255/31")},
    {"fd00:4::/126", ADDRESSES("fd00:4::1/126", "fd00:4::2/126", "fd00:4::3/126")},
};

static void run_case(const struct allocation_case *tc)
{
	struct mesh_allocator allocator;
	struct mesh_prefix subnet, next;
	char buf[MESH_PREFIX_STRLEN];

	assert_int_equal(mesh_prefix_parse(tc->subnet, &subnet), 0);
	mesh_allocator_init(&allocator, &subnet);
	for (size_t i = 0; tc->expected[i]; i++) {
		assert_int_equal(mesh_allocator_next(&allocator, &next), 0);
		assert_string_equal(mesh_prefix_format(&next, buf), tc->expected[i]);
	}
	assert_int_equal(mesh_allocator_next(&allocator, &next), -ENOSPC);
	/* Once exhausted, always exhausted. */
	assert_int_equal(mesh_allocator_next(&allocator, &next), -ENOSPC);
}

static void test_allocations_are_positional_and_end_with_the_subnet(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		run_case(&cases[i]);
}

static void test_default_subnet_gives_kilo_addresses(void **state)
{
	struct mesh_allocator allocator;
	struct mesh_prefix subnet, next;
	char buf[MESH_PREFIX_STRLEN];

	(void)state;
	assert_int_equal(mesh_prefix_parse("10.4.0.0/16", &subnet), 0);
	mesh_allocator_init(&allocator, &subnet);
	for (int i = 0; i < 256; i++)
		assert_int_equal(mesh_allocator_next(&allocator, &next), 0);
	assert_string_equal(mesh_prefix_format(&next, buf), "10.4.1.0/16");
	assert_int_equal(mesh_allocator_next(&allocator, &next), 0);
	assert_string_equal(mesh_prefix_format(&next, buf), "10.4.1.1/16");
}

/* Carries across bytes and counts the broadcast address, as Kilo does. */
static void test_small_subnet_runs_out_after_its_last_address(void **state)
{
	struct mesh_allocator allocator;
	struct mesh_prefix subnet, next;
	size_t count = 0;

	(void)state;
	assert_int_equal(mesh_prefix_parse("10.4.0.0/23", &subnet), 0);
	mesh_allocator_init(&allocator, &subnet);
	while (!mesh_allocator_next(&allocator, &next))
		count++;
	assert_int_equal(count, 511);
}

static void test_unset_subnet_allocates_nothing(void **state)
{
	struct mesh_allocator allocator;
	struct mesh_prefix subnet = {0}, next;

	(void)state;
	mesh_allocator_init(&allocator, &subnet);
	assert_int_equal(mesh_allocator_next(&allocator, &next), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_allocations_are_positional_and_end_with_the_subnet),
	    cmocka_unit_test(test_default_subnet_gives_kilo_addresses),
	    cmocka_unit_test(test_small_subnet_runs_out_after_its_last_address),
	    cmocka_unit_test(test_unset_subnet_allocates_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
