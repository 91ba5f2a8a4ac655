// SPDX-License-Identifier: MIT
/*
 * fuzz_yaml.c - the YAML loader of mesh/k8s/yaml.h on any stream, the way the file backend and
 * kgctl read cluster files a user hands them.
 *
 * Promises checked: a failure says where (a 1-based line); a loaded stream is an array of
 * documents; every document dumps to YAML that loads back as one document equal to it. Numbers
 * are equal by value: like Go's JSON, which Kubernetes tools go through, the dump does not keep
 * 1.0 apart from 1.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "mesh/k8s/yaml.h"

static bool same_value(const json_t *a, const json_t *b)
{
	const char *key;
	json_t *value;
	size_t i;

	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) == json_integer_value(b);
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_is_array(a) && json_is_array(b)) {
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (i = 0; i < json_array_size(a); i++)
			if (!same_value(json_array_get(a, i), json_array_get(b, i)))
				return false;
		return true;
	}
	if (json_is_object(a) && json_is_object(b)) {
		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_foreach ((json_t *)a, key, value)
			if (!same_value(value, json_object_get(b, key)))
				return false;
		return true;
	}
	return json_equal(a, b);
}

static void report_difference(const json_t *document, const json_t *again, const char *text)
{
	char *before = json_dumps(document, JSON_ENCODE_ANY | JSON_SORT_KEYS);
	char *after = json_dumps(again, JSON_ENCODE_ANY | JSON_SORT_KEYS);

	fprintf(stderr, "loaded:   %s\ndumped:   %s\nreloaded: %s\n", before ? before : "?", text,
	        after ? after : "?");
	free(before);
	free(after);
}

static void check_document(const json_t *document)
{
	json_error_t error;
	json_t *again;
	char *text;

	text = mesh_yaml_dump(document);
	if (!text)
		return;
	again = mesh_yaml_load(text, strlen(text), &error);
	if (!again)
		fprintf(stderr, "dumped YAML does not load: %d:%d: %s\n%s\n", error.line,
		        error.column, error.text, text);
	FUZZ_CHECK(again && json_array_size(again) == 1);
	if (!same_value(document, json_array_get(again, 0)))
		report_difference(document, json_array_get(again, 0), text);
	FUZZ_CHECK(same_value(document, json_array_get(again, 0)));
	json_decref(again);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t error;
	json_t *stream;
	size_t i;

	stream = mesh_yaml_load((const char *)data, size, &error);
	if (!stream) {
		FUZZ_CHECK(error.text[0] != '\0' && error.line >= 1 && error.column >= 1);
		return 0;
	}
	FUZZ_CHECK(json_is_array(stream));
	for (i = 0; i < json_array_size(stream); i++)
		check_document(json_array_get(stream, i));
	json_decref(stream);
	return 0;
}
