// SPDX-License-Identifier: MIT
/*
 * Cluster files: read the text, split it into top-level values, and sort the
 * Kubernetes objects inside into Nodes and Peers.
 */
#include "mesh/k8s/cluster_file.h"
#include "mesh/model/wipe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/k8s/yaml.h"

/* Far above any real cluster listing; bounds what a typo'd path can cost. */
#define MAX_FILE_SIZE (64 << 20)

static const char node_api_version[] = "v1";
static const char peer_api_version[] = "kilo.squat.ai/v1alpha1";

static void set_error(json_error_t *error, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_error(json_error_t *error, const char *fmt, ...)
{
	va_list ap;

	if (!error)
		return;
	error->line = error->column = error->position = -1;
	va_start(ap, fmt);
	vsnprintf(error->text, sizeof(error->text), fmt, ap);
	va_end(ap);
}

static int add_object(const json_t *object, const char *implied_kind, const char *where,
                      struct mesh_cluster_objects *objects, json_error_t *error);

/* Every element of array, as objects of implied_kind when they name none. */
static int add_each(const json_t *array, const char *implied_kind, const char *where,
                    struct mesh_cluster_objects *objects, json_error_t *error)
{
	char item_where[JSON_ERROR_TEXT_LENGTH];
	const json_t *item;
	size_t i;
	int ret;

	json_array_foreach (array, i, item) {
		snprintf(item_where, sizeof(item_where), "%s, item %zu", where, i + 1);
		ret = add_object(item, implied_kind, item_where, objects, error);
		if (ret)
			return ret;
	}
	return 0;
}

static int add_items(const json_t *list, const char *item_kind, const char *where,
                     struct mesh_cluster_objects *objects, json_error_t *error)
{
	const json_t *items = json_object_get(list, "items");

	if (items && !json_is_array(items) && !json_is_null(items)) {
		set_error(error, "%s: \"items\" is not a list", where);
		return -EINVAL;
	}
	return add_each(items, item_kind, where, objects, error);
}

static int add_typed(const json_t *object, const char *kind, const char *api_version,
                     const char *where, json_t *into, json_error_t *error)
{
	const char *version = json_string_value(json_object_get(object, "apiVersion"));

	/* Items of a NodeList/PeerList carry no apiVersion of their own. */
	if (version && strcmp(version, api_version)) {
		set_error(error, "%s: %s has apiVersion \"%s\", expected \"%s\"", where, kind,
		          version, api_version);
		return -EINVAL;
	}
	return json_array_append((json_t *)into, (json_t *)object) ? -ENOMEM : 0;
}

static int add_object(const json_t *object, const char *implied_kind, const char *where,
                      struct mesh_cluster_objects *objects, json_error_t *error)
{
	const char *kind = json_string_value(json_object_get(object, "kind"));

	if (!json_is_object(object)) {
		set_error(error, "%s: not an object", where);
		return -EINVAL;
	}
	if (!kind)
		kind = implied_kind;
	if (!kind) {
		set_error(error, "%s: object has no \"kind\"", where);
		return -EINVAL;
	}
	if (!strcmp(kind, "List"))
		return add_items(object, NULL, where, objects, error);
	if (!strcmp(kind, "NodeList"))
		return add_items(object, "Node", where, objects, error);
	if (!strcmp(kind, "PeerList"))
		return add_items(object, "Peer", where, objects, error);
	if (!strcmp(kind, "Node"))
		return add_typed(object, kind, node_api_version, where, objects->nodes, error);
	if (!strcmp(kind, "Peer"))
		return add_typed(object, kind, peer_api_version, where, objects->peers, error);
	return 0;
}

/* A top-level value: an object, a list of objects, or nothing (empty doc). */
static int add_document(const json_t *value, size_t index, struct mesh_cluster_objects *objects,
                        json_error_t *error)
{
	char where[32];

	snprintf(where, sizeof(where), "document %zu", index + 1);
	if (json_is_null(value))
		return 0;
	if (json_is_array(value))
		return add_each(value, NULL, where, objects, error);
	return add_object(value, NULL, where, objects, error);
}

static size_t skip_space(const char *buf, size_t len, size_t offset)
{
	while (offset < len && buf[offset] && strchr(" \t\r\n", buf[offset]))
		offset++;
	return offset;
}

/* Where a parse error inside buf[offset..] sits in the whole text. */
static void shift_position(json_error_t *error, const char *buf, size_t offset)
{
	int lines = 0, column = 0;

	for (size_t i = 0; i < offset; i++, column++) {
		if (buf[i] == '\n') {
			lines++;
			column = -1;
		}
	}
	if (error->line == 1)
		error->column += column;
	error->line += lines;
	error->position += (int)offset;
}

/* Concatenated JSON values, like `kubectl get -o json` run several times. */
static json_t *load_json_stream(const char *buf, size_t len, json_error_t *error)
{
	json_t *documents = json_array();
	size_t offset = 0;

	while (documents) {
		json_error_t local;
		json_t *value;

		offset = skip_space(buf, len, offset);
		if (offset >= len)
			return documents;
		value = json_loadb(buf + offset, len - offset,
		                   JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &local);
		if (!value) {
			shift_position(&local, buf, offset);
			if (error)
				*error = local;
			break;
		}
		offset += (size_t)local.position;
		if (json_array_append_new(documents, value))
			break;
	}
	json_decref(documents);
	return NULL;
}

int mesh_cluster_file_parse(const char *buf, size_t len, struct mesh_cluster_objects *objects,
                            json_error_t *error)
{
	size_t start = skip_space(buf, len, 0);
	const json_t *document;
	json_t *documents;
	int ret = -ENOMEM;
	size_t i;

	memset(objects, 0, sizeof(*objects));
	if (error)
		memset(error, 0, sizeof(*error));
	if (memchr(buf, '\0', len)) {
		set_error(error, "cluster file contains a NUL byte");
		return -EINVAL;
	}
	if (start < len && (buf[start] == '{' || buf[start] == '['))
		documents = load_json_stream(buf, len, error);
	else
		documents = mesh_yaml_load(buf, len, error);
	if (!documents)
		return -EINVAL;
	objects->nodes = json_array();
	objects->peers = json_array();
	if (!objects->nodes || !objects->peers)
		goto out;
	json_array_foreach (documents, i, document) {
		ret = add_document(document, i, objects, error);
		if (ret)
			goto out;
	}
	ret = 0;
out:
	json_decref(documents);
	if (ret)
		mesh_cluster_objects_release(objects);
	return ret;
}

static int read_stream(FILE *file, char **text, size_t *len)
{
	size_t size = 0, was;
	char *grown;

	*len = 0;
	errno = 0;
	do {
		if (size >= MAX_FILE_SIZE)
			return -EFBIG;
		was = size;
		size = size ? 2 * size : 64 << 10;
		grown = mesh_wipe_realloc(*text, was ? was + 1 : 0, size + 1);
		if (!grown)
			return -ENOMEM;
		*text = grown;
		*len += fread(*text + *len, 1, size - *len, file);
	} while (*len == size);
	if (ferror(file))
		return errno ? -errno : -EIO;
	(*text)[*len] = '\0';
	return 0;
}

/* "-" is standard input, for `kubectl get nodes,peers -o yaml | kgctl ...`. */
static int read_file(const char *path, char **text, size_t *len, json_error_t *error)
{
	bool is_stdin = !strcmp(path, "-");
	FILE *file = is_stdin ? stdin : fopen(path, "re");
	int ret;

	*text = NULL;
	if (!file) {
		ret = -errno;
	} else {
		ret = read_stream(file, text, len);
		if (!is_stdin)
			fclose(file);
	}
	if (ret) {
		set_error(error, "cannot read %s: %s", path, strerror(-ret));
		mesh_wipe_free(*text, *len + 1);
		*text = NULL;
	}
	return ret;
}

int mesh_cluster_file_load(const char *path, struct mesh_cluster_objects *objects,
                           json_error_t *error)
{
	char *text;
	size_t len = 0;
	int ret;

	memset(objects, 0, sizeof(*objects));
	if (error)
		memset(error, 0, sizeof(*error));
	ret = read_file(path, &text, &len, error);
	if (ret)
		return ret;
	ret = mesh_cluster_file_parse(text, len, objects, error);
	if (error)
		snprintf(error->source, sizeof(error->source), "%s", path);
	mesh_wipe_free(text, len + 1);
	return ret;
}

void mesh_cluster_objects_release(struct mesh_cluster_objects *objects)
{
	json_decref(objects->nodes);
	json_decref(objects->peers);
	objects->nodes = objects->peers = NULL;
}
