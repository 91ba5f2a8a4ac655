// SPDX-License-Identifier: MIT
/*
 * YAML <-> jansson over libyaml's event API. The loader is a recursive
 * descent over events with a nesting bound, so hostile input can neither
 * overflow the stack nor (through aliases) blow up memory.
 */
#include "mesh/k8s/yaml.h"

#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Deeper than any Kubernetes object; keeps recursion off the guard page. */
#define MAX_DEPTH 128
/* Logical values after alias expansion: stops "billion laughs" documents. */
#define MAX_VALUES 1000000
/* Longest plain scalar we try to read as a number. */
#define MAX_NUMBER_LEN 128

struct loader {
	yaml_parser_t parser;
	json_t *anchors; /* anchor name -> [value, logical size], per document */
	size_t values;   /* logical values built so far */
	json_error_t *error;
	bool failed;
};

static void fail(struct loader *ld, const yaml_mark_t *mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct loader *ld, const yaml_mark_t *mark, const char *fmt, ...)
{
	va_list ap;

	if (ld->failed)
		return;
	ld->failed = true;
	if (!ld->error)
		return;
	ld->error->line = (int)mark->line + 1;
	ld->error->column = (int)mark->column + 1;
	ld->error->position = (int)mark->index;
	snprintf(ld->error->source, sizeof(ld->error->source), "<yaml>");
	va_start(ap, fmt);
	vsnprintf(ld->error->text, sizeof(ld->error->text), fmt, ap);
	va_end(ap);
}

static bool next_event(struct loader *ld, yaml_event_t *event)
{
	const yaml_parser_t *parser = &ld->parser;

	if (yaml_parser_parse(&ld->parser, event))
		return true;
	if (parser->context)
		fail(ld, &parser->problem_mark, "%s (%s started at line %zu, column %zu)",
		     parser->problem, parser->context, parser->context_mark.line + 1,
		     parser->context_mark.column + 1);
	else
		fail(ld, &parser->problem_mark, "%s",
		     parser->problem ? parser->problem : "invalid YAML");
	return false;
}

static bool is_one_of(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (!strcmp(s, *words))
			return true;
	return false;
}

/* Digits of base, at least one and nothing else; false on overflow. */
static bool parse_digits(const char *s, int base, unsigned long long *value)
{
	*value = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		int c = tolower((unsigned char)*s);
		unsigned digit = isdigit(c)    ? (unsigned)(c - '0')
		                 : isxdigit(c) ? (unsigned)(c - 'a' + 10)
		                               : 16;

		if (digit >= (unsigned)base || *value > (ULLONG_MAX - digit) / (unsigned)base)
			return false;
		*value = *value * (unsigned)base + digit;
	}
	return true;
}

/* YAML 1.1 integers as go-yaml reads them (Go's strconv base 0 syntax). */
static json_t *resolve_integer(const char *s)
{
	bool negative = *s == '-';
	unsigned long long magnitude;
	int base = 10;

	if (*s == '-' || *s == '+')
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
		base = 8, s += 2;
	else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
		base = 2, s += 2;
	else if (s[0] == '0' && s[1])
		base = 8, s += 1;
	if (!parse_digits(s, base, &magnitude))
		return NULL;
	if (negative && magnitude == (unsigned long long)INT64_MAX + 1)
		return json_integer(INT64_MIN);
	if (negative && magnitude <= INT64_MAX)
		return json_integer(-(json_int_t)magnitude);
	if (!negative && magnitude <= INT64_MAX)
		return json_integer((json_int_t)magnitude);
	return json_real(negative ? -(double)magnitude : (double)magnitude);
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool looks_like_float(const char *s)
{
	size_t digits = 0;

	if (*s == '-' || *s == '+')
		s++;
	for (; *s >= '0' && *s <= '9'; s++)
		digits++;
	if (*s == '.') {
		size_t fraction = 0;

		for (s++; *s >= '0' && *s <= '9'; s++)
			fraction++;
		if (!digits && !fraction)
			return false;
	} else if (!digits) {
		return false;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return !*s;
}

static json_t *resolve_number(const char *text, size_t len)
{
	char plain[MAX_NUMBER_LEN + 1];
	size_t n = 0;
	json_t *value;

	if (!len || len > MAX_NUMBER_LEN || !strchr("+-.0123456789", text[0]))
		return NULL;
	for (size_t i = 0; i < len; i++)
		if (text[i] != '_')
			plain[n++] = text[i];
	plain[n] = '\0';
	value = resolve_integer(plain);
	if (!value && looks_like_float(plain))
		value = json_real(strtod(plain, NULL));
	return value;
}

/* What a plain (unquoted, untagged) scalar means; NULL only on ENOMEM. */
static json_t *resolve_plain(const char *text, size_t len)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const trues[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
	                                    "True", "TRUE", "on",  "On",  "ON",  NULL};
	static const char *const falses[] = {"n",     "N",     "no",  "No",  "NO",  "false",
	                                     "False", "FALSE", "off", "Off", "OFF", NULL};
	json_t *number;

	if (memchr(text, '\0', len))
		return json_stringn(text, len);
	if (is_one_of(text, nulls))
		return json_null();
	if (is_one_of(text, trues))
		return json_true();
	if (is_one_of(text, falses))
		return json_false();
	number = resolve_number(text, len);
	return number ? number : json_stringn(text, len);
}

static bool tag_is_str(const yaml_char_t *tag)
{
	return tag && (!strcmp((const char *)tag, YAML_STR_TAG) || !strcmp((const char *)tag, "!"));
}

static json_t *load_scalar(struct loader *ld, const yaml_event_t *event)
{
	const char *text = (const char *)event->data.scalar.value;
	size_t len = event->data.scalar.length;
	json_t *value;

	if (event->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    tag_is_str(event->data.scalar.tag))
		value = json_stringn(text, len);
	else
		value = resolve_plain(text, len);
	if (!value)
		fail(ld, &event->start_mark,
		     "cannot store scalar (invalid UTF-8 or out of memory)");
	return value;
}

static json_t *load_value(struct loader *ld, yaml_event_t *event, unsigned depth);

/* Keys are scalars; go-yaml prints non-string scalar keys as their text. */
static bool load_key(struct loader *ld, yaml_event_t *event, char **key)
{
	if (event->type != YAML_SCALAR_EVENT) {
		fail(ld, &event->start_mark, "mapping key must be a scalar");
		return false;
	}
	*key = strndup((const char *)event->data.scalar.value, event->data.scalar.length);
	if (!*key)
		fail(ld, &event->start_mark, "out of memory");
	return *key != NULL;
}

static json_t *load_mapping(struct loader *ld, unsigned depth)
{
	json_t *object = json_object();
	yaml_event_t event;

	while (object && next_event(ld, &event)) {
		yaml_mark_t mark = event.start_mark;
		json_t *value = NULL;
		char *key = NULL;
		bool ok;

		if (event.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&event);
			return object;
		}
		ok = load_key(ld, &event, &key);
		yaml_event_delete(&event);
		if (ok && next_event(ld, &event)) {
			value = load_value(ld, &event, depth + 1);
			yaml_event_delete(&event);
		}
		if (value && json_object_get(object, key))
			fail(ld, &mark, "duplicate mapping key \"%s\"", key);
		else if (value && json_object_set_new(object, key, value) == 0)
			value = NULL;
		else if (value)
			fail(ld, &mark,
			     "cannot store mapping key (invalid UTF-8 or out of memory)");
		json_decref(value);
		free(key);
		if (ld->failed)
			break;
	}
	json_decref(object);
	return NULL;
}

static json_t *load_sequence(struct loader *ld, unsigned depth)
{
	json_t *array = json_array();
	yaml_event_t event;

	while (array && next_event(ld, &event)) {
		json_t *value;

		if (event.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&event);
			return array;
		}
		value = load_value(ld, &event, depth + 1);
		yaml_event_delete(&event);
		if (!value || json_array_append_new(array, value))
			break;
	}
	json_decref(array);
	return NULL;
}

static json_t *load_alias(struct loader *ld, const yaml_event_t *event)
{
	json_t *entry = json_object_get(ld->anchors, (const char *)event->data.alias.anchor);

	if (!entry) {
		fail(ld, &event->start_mark, "unknown alias \"%s\"", event->data.alias.anchor);
		return NULL;
	}
	ld->values += (size_t)json_integer_value(json_array_get(entry, 1));
	if (ld->values > MAX_VALUES) {
		fail(ld, &event->start_mark, "aliases expand to more than %d values", MAX_VALUES);
		return NULL;
	}
	return json_incref(json_array_get(entry, 0));
}

static const yaml_char_t *anchor_of(const yaml_event_t *event)
{
	switch (event->type) {
	case YAML_SCALAR_EVENT:
		return event->data.scalar.anchor;
	case YAML_SEQUENCE_START_EVENT:
		return event->data.sequence_start.anchor;
	case YAML_MAPPING_START_EVENT:
		return event->data.mapping_start.anchor;
	default:
		return NULL;
	}
}

/* Build the value that starts with event (which the caller still owns). */
static json_t *load_value(struct loader *ld, yaml_event_t *event, unsigned depth)
{
	const yaml_char_t *anchor = anchor_of(event);
	size_t before = ld->values++;
	json_t *value = NULL;

	if (depth > MAX_DEPTH) {
		fail(ld, &event->start_mark, "nesting deeper than %d levels", MAX_DEPTH);
		return NULL;
	}
	if (event->type == YAML_SCALAR_EVENT)
		value = load_scalar(ld, event);
	else if (event->type == YAML_SEQUENCE_START_EVENT)
		value = load_sequence(ld, depth);
	else if (event->type == YAML_MAPPING_START_EVENT)
		value = load_mapping(ld, depth);
	else if (event->type == YAML_ALIAS_EVENT)
		return load_alias(ld, event);
	else
		fail(ld, &event->start_mark, "unexpected YAML event");
	if (value && anchor &&
	    json_object_set_new(ld->anchors, (const char *)anchor,
	                        json_pack("[OI]", value, (json_int_t)(ld->values - before)))) {
		fail(ld, &event->start_mark, "cannot record anchor \"%s\"", anchor);
		json_decref(value);
		value = NULL;
	}
	return value;
}

/* One document: DOCUMENT-START was consumed, DOCUMENT-END is consumed here. */
static json_t *load_document(struct loader *ld)
{
	yaml_event_t event;
	json_t *root = NULL;

	if (!next_event(ld, &event))
		return NULL;
	root = load_value(ld, &event, 0);
	yaml_event_delete(&event);
	if (root && next_event(ld, &event)) {
		if (event.type != YAML_DOCUMENT_END_EVENT)
			fail(ld, &event.start_mark, "expected the end of the document");
		yaml_event_delete(&event);
	}
	json_object_clear(ld->anchors);
	if (ld->failed) {
		json_decref(root);
		root = NULL;
	}
	return root;
}

static json_t *load_stream(struct loader *ld)
{
	json_t *documents = json_array();
	yaml_event_t event;

	while (documents && next_event(ld, &event)) {
		yaml_event_type_t type = event.type;
		json_t *root;

		yaml_event_delete(&event);
		if (type == YAML_STREAM_END_EVENT)
			return documents;
		if (type != YAML_DOCUMENT_START_EVENT)
			continue; /* STREAM-START */
		root = load_document(ld);
		if (!root || json_array_append_new(documents, root))
			break;
	}
	json_decref(documents);
	return NULL;
}

json_t *mesh_yaml_load(const char *buf, size_t len, json_error_t *error)
{
	struct loader ld = {.error = error};
	json_t *documents = NULL;

	if (error)
		memset(error, 0, sizeof(*error));
	if (!yaml_parser_initialize(&ld.parser))
		return NULL;
	yaml_parser_set_input_string(&ld.parser, (const unsigned char *)buf, len);
	ld.anchors = json_object();
	if (ld.anchors)
		documents = load_stream(&ld);
	json_decref(ld.anchors);
	yaml_parser_delete(&ld.parser);
	return documents;
}

/* Dumping. */

static bool emit(yaml_emitter_t *emitter, yaml_event_t *event, int ok)
{
	return ok && yaml_emitter_emit(emitter, event);
}

static bool emit_scalar(yaml_emitter_t *emitter, const char *text, size_t len,
                        yaml_scalar_style_t style)
{
	yaml_event_t event;

	return emit(emitter, &event,
	            yaml_scalar_event_initialize(&event, NULL, NULL, (yaml_char_t *)text, (int)len,
	                                         1, 1, style));
}

/* Plain unless that would read back as something else, as go-yaml decides. */
static bool emit_string(yaml_emitter_t *emitter, const char *text, size_t len)
{
	yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;
	json_t *plain;

	if (memchr(text, '\n', len)) {
		style = YAML_LITERAL_SCALAR_STYLE;
	} else {
		plain = resolve_plain(text, len);
		if (!plain)
			return false;
		if (!json_is_string(plain))
			style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		json_decref(plain);
	}
	return emit_scalar(emitter, text, len, style);
}

/* Shortest text that reads back as the same double, like Go's 'g', -1. */
static bool emit_real(yaml_emitter_t *emitter, double value)
{
	char text[32];

	for (int precision = 1; precision <= 17; precision++) {
		snprintf(text, sizeof(text), "%.*g", precision, value);
		if (strtod(text, NULL) == value)
			break;
	}
	return emit_scalar(emitter, text, strlen(text), YAML_PLAIN_SCALAR_STYLE);
}

static bool emit_value(yaml_emitter_t *emitter, const json_t *value);

static int compare_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool emit_object(yaml_emitter_t *emitter, const json_t *object)
{
	size_t n = json_object_size(object), i = 0;
	const char **keys = calloc(n ? n : 1, sizeof(*keys));
	yaml_event_t event;
	const char *key;
	json_t *member;
	bool ok;

	if (!keys)
		return false;
	json_object_foreach ((json_t *)object, key, member) {
		keys[i++] = key;
	}
	qsort(keys, n, sizeof(*keys), compare_keys);
	ok = emit(
	    emitter, &event,
	    yaml_mapping_start_event_initialize(&event, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
	for (i = 0; ok && i < n; i++)
		ok = emit_string(emitter, keys[i], strlen(keys[i])) &&
		     emit_value(emitter, json_object_get(object, keys[i]));
	ok = ok && emit(emitter, &event, yaml_mapping_end_event_initialize(&event));
	free(keys);
	return ok;
}

static bool emit_array(yaml_emitter_t *emitter, const json_t *array)
{
	yaml_event_t event;
	bool ok;

	ok = emit(
	    emitter, &event,
	    yaml_sequence_start_event_initialize(&event, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE));
	for (size_t i = 0; ok && i < json_array_size(array); i++)
		ok = emit_value(emitter, json_array_get(array, i));
	return ok && emit(emitter, &event, yaml_sequence_end_event_initialize(&event));
}

static bool emit_value(yaml_emitter_t *emitter, const json_t *value)
{
	char text[32];

	switch (json_typeof(value)) {
	case JSON_OBJECT:
		return emit_object(emitter, value);
	case JSON_ARRAY:
		return emit_array(emitter, value);
	case JSON_STRING:
		return emit_string(emitter, json_string_value(value), json_string_length(value));
	case JSON_INTEGER:
		snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT, json_integer_value(value));
		return emit_scalar(emitter, text, strlen(text), YAML_PLAIN_SCALAR_STYLE);
	case JSON_REAL:
		return emit_real(emitter, json_real_value(value));
	case JSON_TRUE:
		return emit_scalar(emitter, "true", 4, YAML_PLAIN_SCALAR_STYLE);
	case JSON_FALSE:
		return emit_scalar(emitter, "false", 5, YAML_PLAIN_SCALAR_STYLE);
	case JSON_NULL:
		return emit_scalar(emitter, "null", 4, YAML_PLAIN_SCALAR_STYLE);
	}
	return false;
}

static bool emit_document(yaml_emitter_t *emitter, const json_t *value)
{
	yaml_event_t event;

	return emit(emitter, &event,
	            yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING)) &&
	       emit(emitter, &event,
	            yaml_document_start_event_initialize(&event, NULL, NULL, NULL, 1)) &&
	       emit_value(emitter, value) &&
	       emit(emitter, &event, yaml_document_end_event_initialize(&event, 1)) &&
	       emit(emitter, &event, yaml_stream_end_event_initialize(&event));
}

char *mesh_yaml_dump(const json_t *value)
{
	yaml_emitter_t emitter;
	char *text = NULL;
	size_t size = 0;
	FILE *out;
	bool ok;

	if (!value)
		return NULL;
	out = open_memstream(&text, &size);
	if (!out)
		return NULL;
	ok = yaml_emitter_initialize(&emitter);
	if (ok) {
		yaml_emitter_set_output_file(&emitter, out);
		yaml_emitter_set_unicode(&emitter, 1);
		yaml_emitter_set_indent(&emitter, 2);
		/* Long annotation values stay on one line instead of folding. */
		yaml_emitter_set_width(&emitter, -1);
		ok = emit_document(&emitter, value) && yaml_emitter_flush(&emitter);
		yaml_emitter_delete(&emitter);
	}
	if (fclose(out) || !ok) {
		free(text);
		return NULL;
	}
	return text;
}
