// SPDX-License-Identifier: MIT
/* codec_fixture: what the codec's tests share (codec_fixture.h). */
#include "codec_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mesh/k8s/cluster_file.h"
#include "mesh/model/key.h"

/* Every report, in order. */
json_t *reports;

static void collect(void *ctx, const char *message)
{
	(void)ctx;
	json_array_append_new(reports, json_string(message));
}

const struct mesh_codec_options options = {.report = collect};

int codec_setup(void **state)
{
	(void)state;
	reports = json_array();
	return 0;
}

int codec_teardown(void **state)
{
	(void)state;
	json_decref(reports);
	return 0;
}

void assert_reports(const char *const *expected, size_t n)
{
	for (size_t i = 0; i < n || i < json_array_size(reports); i++) {
		const char *got = json_string_value(json_array_get(reports, i));

		if (i >= n || !got || strcmp(got, expected[i]))
			fail_msg("report %zu: got \"%s\", expected \"%s\"", i, got ? got : "(none)",
			         i < n ? expected[i] : "(none)");
	}
	json_array_clear(reports);
}

const char *prefix_text(const struct mesh_prefix *prefix)
{
	static char buf[4][MESH_PREFIX_STRLEN];
	static unsigned next;

	return mesh_prefix_format(prefix, buf[next++ % 4]);
}

const char *endpoint_text(const struct mesh_endpoint *endpoint)
{
	static char buf[MESH_ENDPOINT_STRLEN];

	return mesh_endpoint_format(endpoint, buf);
}

const char *key_text(const uint8_t key[MESH_KEY_LEN])
{
	static char buf[2][45];
	static unsigned next;

	return mesh_key_encode(key, buf[next++ % 2]);
}

void decode_fixture(const char *name, struct mesh_cluster *cluster)
{
	struct mesh_cluster_objects objects;
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", KILO_FIXTURES_DIR, name);
	assert_int_equal(mesh_cluster_file_load(path, &objects, NULL), 0);
	assert_int_equal(mesh_codec_cluster_decode(objects.nodes, objects.peers, &options, cluster),
	                 0);
	mesh_cluster_objects_release(&objects);
}

void assert_prefixes_equal(const struct mesh_prefix *a, size_t na, const struct mesh_prefix *b,
                           size_t nb)
{
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++)
		assert_true(mesh_prefix_equal(&a[i], &b[i]));
}

/* Node "n" with a valid base set of annotations plus (or overriding) extra. */
json_t *node_object(const char *extra_json)
{
	json_t *annotations =
	    json_pack("{s:s, s:s, s:s, s:s}", "kilo.squat.ai/endpoint", "1.2.3.4:51820",
	              "kilo.squat.ai/internal-ip", "10.0.0.1/24", "kilo.squat.ai/key", KEY_AWS_1,
	              "kilo.squat.ai/last-seen", "1795629600");
	json_t *extra = json_loads(extra_json, 0, NULL);

	assert_non_null(extra);
	json_object_update(annotations, extra);
	json_decref(extra);
	return json_pack("{s:s, s:s, s:{s:s, s:o, s:{s:s}}, s:{s:s}}", "apiVersion", "v1", "kind",
	                 "Node", "metadata", "name", "n", "annotations", annotations, "labels",
	                 "topology.kubernetes.io/region", "label-region", "spec", "podCIDR",
	                 "10.2.0.0/24");
}

void decode_node(const char *extra_json, struct mesh_node *node)
{
	json_t *object = node_object(extra_json);

	assert_int_equal(mesh_codec_node_decode(object, &options, node), 0);
	json_decref(object);
}

/* Node name with the base annotations plus extra, and spec as given (JSON). */
json_t *node_with_spec(const char *name, const char *spec_json, const char *extra_json)
{
	json_t *object = node_object(extra_json);
	json_t *spec = json_loads(spec_json, 0, NULL);

	assert_non_null(spec);
	json_object_set_new(object, "spec", spec);
	json_object_set_new(json_object_get(object, "metadata"), "name", json_string(name));
	return object;
}

void decode_with_spec(const char *spec_json, const char *extra_json, struct mesh_node *node)
{
	json_t *object = node_with_spec("n", spec_json, extra_json);

	assert_int_equal(mesh_codec_node_decode(object, &options, node), 0);
	json_decref(object);
}

json_t *peer_object(const char *spec_json)
{
	json_t *spec = json_loads(spec_json, 0, NULL);

	assert_non_null(spec);
	return json_pack("{s:s, s:s, s:{s:s}, s:o}", "apiVersion", "kilo.squat.ai/v1alpha1", "kind",
	                 "Peer", "metadata", "name", "p", "spec", spec);
}
