// SPDX-License-Identifier: MIT
/* mesh/cluster_file: the `file` backend reads what kubectl prints. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mesh/k8s/cluster_file.h"

static void load_fixture(const char *name, struct mesh_cluster_objects *objects)
{
	char path[512];
	json_error_t error;

	snprintf(path, sizeof(path), "%s/%s", KILO_FIXTURES_DIR, name);
	if (mesh_cluster_file_load(path, objects, &error))
		fail_msg("%s:%d:%d: %s", error.source, error.line, error.column, error.text);
}

static const char *name_of(const json_t *objects, size_t i)
{
	return json_string_value(
	    json_object_get(json_object_get(json_array_get(objects, i), "metadata"), "name"));
}

static void test_json_and_yaml_fixtures_hold_the_same_objects(void **state)
{
	static const char *const nodes[] = {"aws-1", "aws-2", "aws-3", "gcp-1",
	                                    "gcp-2", "gcp-3", "edge-1"};
	struct mesh_cluster_objects json, yaml;

	(void)state;
	load_fixture("cluster.json", &json);
	load_fixture("cluster.yaml", &yaml);
	assert_true(json_equal(json.nodes, yaml.nodes));
	assert_true(json_equal(json.peers, yaml.peers));
	assert_int_equal(json_array_size(json.nodes), 7);
	for (size_t i = 0; i < 7; i++)
		assert_string_equal(name_of(json.nodes, i), nodes[i]);
	assert_int_equal(json_array_size(json.peers), 2);
	assert_string_equal(name_of(json.peers, 0), "laptop");
	assert_string_equal(name_of(json.peers, 1), "phone");
	mesh_cluster_objects_release(&json);
	mesh_cluster_objects_release(&yaml);
}

static void parse_ok(const char *text, size_t n_nodes, size_t n_peers,
                     struct mesh_cluster_objects *objects)
{
	json_error_t error;

	if (mesh_cluster_file_parse(text, strlen(text), objects, &error))
		fail_msg("%s: %s", text, error.text);
	assert_int_equal(json_array_size(objects->nodes), n_nodes);
	assert_int_equal(json_array_size(objects->peers), n_peers);
}

static void test_typed_lists_imply_the_kind_of_their_items(void **state)
{
	struct mesh_cluster_objects objects;

	(void)state;
	parse_ok(
	    "{\"kind\": \"NodeList\", \"apiVersion\": \"v1\", \"items\": [{\"metadata\": "
	    "{\"name\": \"a\"}}]}\n"
	    "{\"kind\": \"PeerList\", \"apiVersion\": \"kilo.squat.ai/v1alpha1\","
	    " \"items\": [{\"metadata\": {\"name\": \"p\"}}, {\"metadata\": {\"name\": \"q\"}}]}",
	    1, 2, &objects);
	assert_string_equal(name_of(objects.peers, 1), "q");
	mesh_cluster_objects_release(&objects);
}

static void test_streams_of_objects_are_read_in_order(void **state)
{
	struct mesh_cluster_objects objects;

	(void)state;
	parse_ok("kind: Node\napiVersion: v1\nmetadata: {name: b}\n---\n"
	         "kind: Pod\napiVersion: v1\nmetadata: {name: ignored}\n---\n"
	         "---\n"
	         "kind: Node\napiVersion: v1\nmetadata: {name: a}\n",
	         2, 0, &objects);
	assert_string_equal(name_of(objects.nodes, 0), "b");
	assert_string_equal(name_of(objects.nodes, 1), "a");
	mesh_cluster_objects_release(&objects);
	parse_ok("[{\"kind\": \"Peer\", \"apiVersion\": \"kilo.squat.ai/v1alpha1\"}, {\"kind\": "
	         "\"Service\"}]",
	         0, 1, &objects);
	mesh_cluster_objects_release(&objects);
	parse_ok("  \n", 0, 0, &objects);
	mesh_cluster_objects_release(&objects);
}

static void assert_rejected(const char *text, int line, int column, const char *message)
{
	struct mesh_cluster_objects objects;
	json_error_t error;

	assert_int_equal(mesh_cluster_file_parse(text, strlen(text), &objects, &error), -EINVAL);
	assert_null(objects.nodes);
	assert_null(objects.peers);
	if (error.line != line || error.column != column || !strstr(error.text, message))
		fail_msg("%s: error %d:%d \"%s\", expected %d:%d \"%s\"", text, error.line,
		         error.column, error.text, line, column, message);
}

static void test_malformed_files_are_rejected_with_a_position(void **state)
{
	(void)state;
	assert_rejected(
	    "{\"kind\": \"List\", \"items\": [{\"kind\": \"Node\"}, {\"metadata\": {}}]}", -1, -1,
	    "document 1, item 2: object has no \"kind\"");
	assert_rejected(
	    "kind: Node\napiVersion: v1\n---\nkind: Peer\napiVersion: kilo.squat.ai/v1\n", -1, -1,
	    "document 2: Peer has apiVersion \"kilo.squat.ai/v1\", expected "
	    "\"kilo.squat.ai/v1alpha1\"");
	assert_rejected("{\"kind\": \"List\", \"items\": 3}", -1, -1, "\"items\" is not a list");
	assert_rejected("[1]", -1, -1, "document 1, item 1: not an object");
	assert_rejected("{\"kind\": \"Node\"}\n{\"kind\":\n  \"Peer\",,}\n", 3, 10, "");
	assert_rejected("{\"kind\": \"Node\", \"kind\": \"Peer\"}", 1, 23, "duplicate object key");
	assert_rejected("kind: Node\nmetadata:\n  name: a\n name: b\n", 4, 2,
	                "did not find expected key");
}

static void test_a_nul_byte_is_rejected(void **state)
{
	struct mesh_cluster_objects objects;
	json_error_t error;

	(void)state;
	assert_int_equal(mesh_cluster_file_parse("kind: Node\0", 11, &objects, &error), -EINVAL);
	assert_non_null(strstr(error.text, "NUL byte"));
}

static void test_an_unreadable_file_names_the_path(void **state)
{
	struct mesh_cluster_objects objects;
	json_error_t error;

	(void)state;
	assert_int_equal(mesh_cluster_file_load("/nonexistent/mc-cluster.yaml", &objects, &error),
	                 -ENOENT);
	assert_string_equal(error.text,
	                    "cannot read /nonexistent/mc-cluster.yaml: No such file or directory");
	assert_int_equal(mesh_cluster_file_load(KILO_FIXTURES_DIR, &objects, &error), -EISDIR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_and_yaml_fixtures_hold_the_same_objects),
	    cmocka_unit_test(test_typed_lists_imply_the_kind_of_their_items),
	    cmocka_unit_test(test_streams_of_objects_are_read_in_order),
	    cmocka_unit_test(test_malformed_files_are_rejected_with_a_position),
	    cmocka_unit_test(test_a_nul_byte_is_rejected),
	    cmocka_unit_test(test_an_unreadable_file_names_the_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
