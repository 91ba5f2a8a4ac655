// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/model/wipe.h"

static void test_growth_keeps_the_contents(void **state)
{
	char *block = mesh_wipe_realloc(NULL, 0, 8);

	(void)state;
	assert_non_null(block);
	memcpy(block, "1234567", 8);
	block = mesh_wipe_realloc(block, 8, 4096);
	assert_non_null(block);
	assert_string_equal(block, "1234567");
	mesh_wipe_free(block, 4096);
}

static void test_shrinking_keeps_the_head(void **state)
{
	char *block = mesh_wipe_realloc(NULL, 0, 16);

	(void)state;
	memcpy(block, "abcdefghijklmno", 16);
	block = mesh_wipe_realloc(block, 16, 4);
	assert_memory_equal(block, "abcd", 4);
	mesh_wipe_free(block, 4);
	mesh_wipe_free(NULL, 0);
}

/* Decoding, encoding and freeing all still work with jansson's wiping free(). */
static void test_json_works_with_the_wiping_allocator(void **state)
{
	json_error_t error;
	json_t *peer;
	char *text;

	(void)state;
	mesh_wipe_json();
	peer = json_loads("{\"presharedKey\":\"c2VjcmV0\",\"allowedIPs\":[\"10.5.0.1/32\"]}", 0,
	                  &error);
	assert_non_null(peer);
	text = json_dumps(peer, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text,
	                    "{\"allowedIPs\":[\"10.5.0.1/32\"],\"presharedKey\":\"c2VjcmV0\"}");
	/* What json_dumps() returns is freed with free(), as its callers do. */
	free(text);
	json_decref(peer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_growth_keeps_the_contents),
	    cmocka_unit_test(test_shrinking_keeps_the_head),
	    cmocka_unit_test(test_json_works_with_the_wiping_allocator),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
