// SPDX-License-Identifier: MIT
/* mesh/yaml: what kubectl's YAML means as JSON, and YAML that kubectl reads back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mesh/k8s/yaml.h"

static json_t *load_one(const char *text)
{
	json_error_t error;
	json_t *documents = mesh_yaml_load(text, strlen(text), &error);
	json_t *value;

	if (!documents)
		fail_msg("%s: %d:%d: %s", text, error.line, error.column, error.text);
	assert_int_equal(json_array_size(documents), 1);
	value = json_incref(json_array_get(documents, 0));
	json_decref(documents);
	return value;
}

static void assert_json_equal(const json_t *got, const char *expected_json)
{
	json_t *expected = json_loads(expected_json, JSON_DECODE_ANY, NULL);
	char *text = json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT);

	assert_non_null(expected);
	if (!json_equal((json_t *)got, expected))
		fail_msg("got %s, expected %s", text, expected_json);
	free(text);
	json_decref(expected);
}

static void test_plain_scalars_resolve_like_go_yaml(void **state)
{
	static const struct {
		const char *yaml, *json;
	} cases[] = {
	    {"a: ", "{\"a\": null}"},
	    {"a: ~", "{\"a\": null}"},
	    {"a: null", "{\"a\": null}"},
	    {"a: true", "{\"a\": true}"},
	    {"a: yes", "{\"a\": true}"},
	    {"a: Off", "{\"a\": false}"},
	    {"a: 51820", "{\"a\": 51820}"},
	    {"a: -7", "{\"a\": -7}"},
	    {"a: 0x1f", "{\"a\": 31}"},
	    {"a: 0o17", "{\"a\": 15}"},
	    {"a: 017", "{\"a\": 15}"},
	    {"a: 0b101", "{\"a\": 5}"},
	    {"a: 1_000", "{\"a\": 1000}"},
	    {"a: -9223372036854775808", "{\"a\": -9223372036854775808}"},
	    {"a: 99999999999999999999", "{\"a\": 1e20}"},
	    {"a: 0x0x10", "{\"a\": \"0x0x10\"}"},
	    {"a: 0o8", "{\"a\": \"0o8\"}"},
	    {"a: 1.2.3", "{\"a\": \"1.2.3\"}"},
	    {"a: 1.5", "{\"a\": 1.5}"},
	    {"a: .5e3", "{\"a\": 500.0}"},
	    {"a: 10.4.0.1/16", "{\"a\": \"10.4.0.1/16\"}"},
	    {"a: 3.120.246.76:51820", "{\"a\": \"3.120.246.76:51820\"}"},
	    {"a: 2026-11-20T09:01:00Z", "{\"a\": \"2026-11-20T09:01:00Z\"}"},
	    {"a: truthy", "{\"a\": \"truthy\"}"},
	    {"a: .inf", "{\"a\": \".inf\"}"},
	    {"a: y", "{\"a\": true}"},
	    {"y: n", "{\"y\": false}"},
	    {"1: x", "{\"1\": \"x\"}"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		json_t *value = load_one(cases[i].yaml);

		assert_json_equal(value, cases[i].json);
		json_decref(value);
	}
}

static void test_quoted_and_tagged_scalars_stay_strings(void **state)
{
	json_t *value =
	    load_one("a: \"1795629600\"\nb: 'true'\nc: !!str 7\nd: \"\"\ne: |\n  x\n  y\n");

	(void)state;
	assert_json_equal(value,
	                  "{\"a\": \"1795629600\", \"b\": \"true\", \"c\": \"7\", \"d\": \"\","
	                  " \"e\": \"x\\ny\\n\"}");
	json_decref(value);
}

/* How kubectl folds long values and prints multi-line ones. */
static void test_folded_and_block_scalars(void **state)
{
	json_t *value = load_one("a: '{\"k\":1,\n  \"l\":2}'\n"
	                         "b: plain words\n  continued here\n"
	                         "c: |-\n  line 1\n  line 2\n"
	                         "d: >\n  folded\n  text\n");

	(void)state;
	assert_json_equal(value, "{\"a\": \"{\\\"k\\\":1, \\\"l\\\":2}\", "
	                         "\"b\": \"plain words continued here\", "
	                         "\"c\": \"line 1\\nline 2\", \"d\": \"folded text\\n\"}");
	json_decref(value);
}

static void test_a_stream_gives_one_value_per_document(void **state)
{
	static const char text[] =
	    "kind: Node\n---\nkind: Peer\n---\n...\n---\n- 1\n- [2, {x: z}]\n";
	json_t *documents = mesh_yaml_load(text, strlen(text), NULL);

	(void)state;
	assert_json_equal(
	    documents,
	    "[{\"kind\": \"Node\"}, {\"kind\": \"Peer\"}, null, [1, [2, {\"x\": \"z\"}]]]");
	json_decref(documents);
}

static void test_an_empty_stream_is_an_empty_list(void **state)
{
	json_t *documents = mesh_yaml_load("", 0, NULL);

	(void)state;
	assert_json_equal(documents, "[]");
	json_decref(documents);
}

static void assert_error_at(const char *text, int line, int column, const char *words)
{
	json_error_t error;
	json_t *documents = mesh_yaml_load(text, strlen(text), &error);

	if (documents)
		fail_msg("%s: accepted", text);
	if (error.line != line || error.column != column || !strstr(error.text, words))
		fail_msg("%s: error %d:%d \"%s\", expected %d:%d \"%s\"", text, error.line,
		         error.column, error.text, line, column, words);
}

static void test_errors_name_line_and_column(void **state)
{
	(void)state;
	assert_error_at("a: 1\nb: [1, 2\n", 3, 1,
	                "while parsing a flow sequence started at line 2, column 4");
	assert_error_at("a:\n  b: 1\n c: 2\n", 3, 2, "did not find expected key");
	assert_error_at("a: 1\nb: 2\na: 3\n", 3, 1, "duplicate mapping key \"a\"");
	assert_error_at("? [x]\n: 1\n", 1, 3, "mapping key must be a scalar");
	assert_error_at("a: *nowhere\n", 1, 4, "unknown alias \"nowhere\"");
	assert_error_at("a: \"\\q\"\n", 1, 5, "escape");
}

static void test_aliases_are_expanded(void **state)
{
	json_t *value = load_one("base: &b {port: 51820}\nuse: *b\nlist: [&x 1, *x]\n");

	(void)state;
	assert_json_equal(value, "{\"base\": {\"port\": 51820}, \"use\": {\"port\": 51820},"
	                         " \"list\": [1, 1]}");
	json_decref(value);
}

static void test_alias_bombs_are_refused(void **state)
{
	static const char bomb[] = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	                           "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	                           "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	                           "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	                           "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	                           "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
	                           "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
	json_error_t error;

	(void)state;
	assert_null(mesh_yaml_load(bomb, strlen(bomb), &error));
	assert_non_null(strstr(error.text, "aliases expand to more than"));
}

static void test_deep_nesting_is_refused(void **state)
{
	char text[4096];
	json_error_t error;
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 1000; i++)
		text[n++] = '[';
	text[n] = '\0';
	assert_null(mesh_yaml_load(text, n, &error));
	assert_non_null(strstr(error.text, "nesting deeper than"));
}

static void test_dump_prints_like_kubectl(void **state)
{
	json_t *peer =
	    json_loads("{\"kind\": \"Peer\", \"apiVersion\": \"kilo.squat.ai/v1alpha1\","
	               " \"metadata\": {\"name\": \"gcp\", \"creationTimestamp\": null},"
	               " \"spec\": {\"allowedIPs\": [\"10.2.2.0/24\", \"10.4.0.2/32\"],"
	               " \"endpoint\": {\"dnsOrIP\": {\"ip\": \"34.1.2.3\"}, \"port\": 51820},"
	               " \"presharedKey\": \"\", \"publicKey\": \"RVmP/+=\", \"x\": [],"
	               " \"y\": {}, \"z\": [\"yes\", \"0755\", \"a: b\", \"-\", 1.5, true]}}",
	               0, NULL);
	static const char expected[] = "apiVersion: kilo.squat.ai/v1alpha1\n"
	                               "kind: Peer\n"
	                               "metadata:\n"
	                               "  creationTimestamp: null\n"
	                               "  name: gcp\n"
	                               "spec:\n"
	                               "  allowedIPs:\n"
	                               "  - 10.2.2.0/24\n"
	                               "  - 10.4.0.2/32\n"
	                               "  endpoint:\n"
	                               "    dnsOrIP:\n"
	                               "      ip: 34.1.2.3\n"
	                               "    port: 51820\n"
	                               "  presharedKey: \"\"\n"
	                               "  publicKey: RVmP/+=\n"
	                               "  x: []\n"
	                               "  \"y\": {}\n"
	                               "  z:\n"
	                               "  - \"yes\"\n"
	                               "  - \"0755\"\n"
	                               "  - 'a: b'\n"
	                               "  - '-'\n"
	                               "  - 1.5\n"
	                               "  - true\n";
	char *text = mesh_yaml_dump(peer);

	(void)state;
	assert_non_null(text);
	assert_string_equal(text, expected);
	free(text);
	json_decref(peer);
}

static void test_dump_then_load_gives_the_same_value(void **state)
{
	json_t *value = json_loads(
	    "{\"s\": [\"\", \"~\", \"null\", \"12\", \"1e3\", \"0x10\","
	    " \"on\", \"#x\", \"x #y\", \"line\\nbreak\", \"tab\\there\","
	    " \"quote'\\\"\", \"ünï\", \"{a}\", \"[b]\", \"*c\", \"&d\"],"
	    " \"n\": [0, -1, 9007199254740993, 0.1, -2.5e-10], \"b\": [true, false, null]}",
	    0, NULL);
	char *text = mesh_yaml_dump(value);
	json_t *back = load_one(text);

	(void)state;
	if (!json_equal(value, back))
		fail_msg("round trip changed the value:\n%s", text);
	free(text);
	json_decref(back);
	json_decref(value);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_scalars_resolve_like_go_yaml),
	    cmocka_unit_test(test_quoted_and_tagged_scalars_stay_strings),
	    cmocka_unit_test(test_folded_and_block_scalars),
	    cmocka_unit_test(test_a_stream_gives_one_value_per_document),
	    cmocka_unit_test(test_an_empty_stream_is_an_empty_list),
	    cmocka_unit_test(test_errors_name_line_and_column),
	    cmocka_unit_test(test_aliases_are_expanded),
	    cmocka_unit_test(test_alias_bombs_are_refused),
	    cmocka_unit_test(test_deep_nesting_is_refused),
	    cmocka_unit_test(test_dump_prints_like_kubectl),
	    cmocka_unit_test(test_dump_then_load_gives_the_same_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
