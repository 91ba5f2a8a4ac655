/* SPDX-License-Identifier: MIT */
/*
 * vectors.h - reader for the known-answer files in tests/vectors, shared by the unit tests.
 *
 * Format: `name = hex` lines (an empty value is an empty byte string), records separated by
 * blank lines, `#` starts a comment line. A malformed file fails the test that reads it.
 */
#ifndef KILO_TESTS_VECTORS_H
#define KILO_TESTS_VECTORS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wg/crypto.h"

enum { VECTOR_MAX_FIELDS = 24, VECTOR_NAME_MAX = 32, VECTOR_LINE_MAX = 4096 };

struct vector_field {
	char name[VECTOR_NAME_MAX];
	uint8_t *value;
	size_t len;
};

struct vector_record {
	struct vector_field fields[VECTOR_MAX_FIELDS];
	size_t count;
};

struct vector_file {
	FILE *file;
	char path[512];
	unsigned int line;
};

static inline void vector_open(struct vector_file *vf, const char *name)
{
	snprintf(vf->path, sizeof(vf->path), "%s/%s", KILO_VECTORS_DIR, name);
	vf->file = fopen(vf->path, "r");
	vf->line = 0;
	if (!vf->file)
		fail_msg("cannot open vector file %s", vf->path);
}

static inline void vector_close(struct vector_file *vf)
{
	fclose(vf->file);
}

/* Decodes hex into a fresh buffer (never NULL, so empty values can be passed as pointers). */
static inline uint8_t *hex_decode(const char *hex, size_t *len)
{
	size_t n = strlen(hex);
	uint8_t *out = malloc(n / 2 + 1);

	assert_non_null(out);
	if (wg_hex_decode(out, n / 2, hex, n))
		fail_msg("bad hex \"%s\"", hex);
	*len = n / 2;
	return out;
}

static inline void vector_record_free(struct vector_record *rec)
{
	size_t i;

	for (i = 0; i < rec->count; ++i)
		free(rec->fields[i].value);
	rec->count = 0;
}

static inline void vector_add_field(struct vector_file *vf, struct vector_record *rec, char *line)
{
	char *eq = strchr(line, '=');
	char *name = line, *value, *end;
	struct vector_field *field;

	if (!eq)
		fail_msg("%s:%u: expected `name = hex`", vf->path, vf->line);
	if (rec->count == VECTOR_MAX_FIELDS)
		fail_msg("%s:%u: more than %d fields in a record", vf->path, vf->line,
		         VECTOR_MAX_FIELDS);
	*eq = '\0';
	for (end = eq; end > name && (end[-1] == ' ' || end[-1] == '\t'); --end)
		end[-1] = '\0';
	for (value = eq + 1; *value == ' ' || *value == '\t'; ++value)
		;
	value[strcspn(value, " \t\r\n")] = '\0';
	if (strlen(name) >= sizeof(field->name))
		fail_msg("%s:%u: name too long", vf->path, vf->line);
	field = &rec->fields[rec->count++];
	memcpy(field->name, name, strlen(name) + 1);
	field->value = hex_decode(value, &field->len);
}

/* Reads the next record; false at the end of the file. */
static inline int vector_next(struct vector_file *vf, struct vector_record *rec)
{
	char line[VECTOR_LINE_MAX];

	vector_record_free(rec);
	while (fgets(line, sizeof(line), vf->file)) {
		++vf->line;
		if (line[0] == '#')
			continue;
		if (line[strspn(line, " \t\r\n")] == '\0') {
			if (rec->count)
				return 1;
			continue;
		}
		if (!strchr(line, '\n') && !feof(vf->file))
			fail_msg("%s:%u: line too long", vf->path, vf->line);
		vector_add_field(vf, rec, line);
	}
	return rec->count > 0;
}

static inline const struct vector_field *vector_find(const struct vector_record *rec,
                                                     const char *name)
{
	size_t i;

	for (i = 0; i < rec->count; ++i) {
		if (!strcmp(rec->fields[i].name, name))
			return &rec->fields[i];
	}
	return NULL;
}

/* The value of a field the record must have; len may be NULL when the size is implied. */
static inline const uint8_t *vector_get(const struct vector_record *rec, const char *name,
                                        size_t *len)
{
	const struct vector_field *field = vector_find(rec, name);

	if (!field)
		fail_msg("vector record lacks field \"%s\"", name);
	if (len)
		*len = field->len;
	return field->value;
}

/* A field of exactly `len` bytes. */
static inline const uint8_t *vector_get_exact(const struct vector_record *rec, const char *name,
                                              size_t len)
{
	size_t got;
	const uint8_t *value = vector_get(rec, name, &got);

	if (got != len)
		fail_msg("vector field \"%s\" has %zu bytes, expected %zu", name, got, len);
	return value;
}

/* A big-endian integer field, as the files write numbers. */
static inline uint64_t vector_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; ++i)
		v = v << 8 | p[i];
	return v;
}

typedef void (*vector_check_fn)(const struct vector_record *rec);

/* Runs check on every record of the named file; returns how many records there were. */
static inline unsigned int vector_for_each(const char *name, vector_check_fn check)
{
	struct vector_record rec = {0};
	struct vector_file vf;
	unsigned int count = 0;

	vector_open(&vf, name);
	while (vector_next(&vf, &rec)) {
		check(&rec);
		++count;
	}
	vector_record_free(&rec);
	vector_close(&vf);
	return count;
}

#endif
