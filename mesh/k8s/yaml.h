/* SPDX-License-Identifier: MIT */
/*
 * YAML to and from jansson values, the way Kubernetes tools read and print
 * YAML (sigs.k8s.io/yaml over go-yaml v2, i.e. YAML 1.1 scalar rules).
 *
 * Loading takes a whole stream: the result is a JSON array holding one value
 * per document ("---" separated). Quoted scalars are strings; plain scalars
 * resolve to null (~, null, empty), booleans (true/false, yes/no, on/off, y/n),
 * integers (decimal, 0x, 0o, 0b, leading-0 octal, '_' separators), floats,
 * or else strings. Mapping keys become strings; a duplicate key, a non-scalar
 * key, or a syntax error fails with the 1-based line and column in the
 * json_error_t. Aliases are resolved, with a bound on the expanded size.
 *
 * Dumping prints one value as one YAML document: mapping keys in byte order,
 * two-space indentation, block sequences not indented under their key, and
 * strings quoted only where a plain scalar would read back as another type.
 * The caller frees the returned text.
 */
#ifndef MESH_YAML_H
#define MESH_YAML_H

#include <jansson.h>
#include <stddef.h>

json_t *mesh_yaml_load(const char *buf, size_t len, json_error_t *error);
char *mesh_yaml_dump(const json_t *value);

#endif /* MESH_YAML_H */
