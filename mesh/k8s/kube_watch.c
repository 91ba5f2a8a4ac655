// SPDX-License-Identifier: MIT
/*
 * Watch streams: split the bytes into lines, each line into an event.
 */
#include "mesh/k8s/kube_watch.h"
#include "mesh/model/wipe.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {
    [MESH_KUBE_ADDED] = "ADDED",     [MESH_KUBE_MODIFIED] = "MODIFIED",
    [MESH_KUBE_DELETED] = "DELETED", [MESH_KUBE_BOOKMARK] = "BOOKMARK",
    [MESH_KUBE_ERROR] = "ERROR",
};

void mesh_kube_watch_init(struct mesh_kube_watch *watch, mesh_kube_event_fn *on_event, void *ctx)
{
	memset(watch, 0, sizeof(*watch));
	watch->on_event = on_event;
	watch->ctx = ctx;
}

static int bad_line(struct mesh_kube_watch *watch, const char *why)
{
	snprintf(watch->error, sizeof(watch->error), "watch event: %s", why);
	return -EBADMSG;
}

static int parse_type(const char *name, enum mesh_kube_event_type *type)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
		if (!strcmp(name, type_names[i])) {
			*type = (enum mesh_kube_event_type)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* line is not NUL-terminated: it points into the network's buffer. */
static bool is_blank(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r", line[i]) || !line[i])
			return false;
	return true;
}

static int decode_line(struct mesh_kube_watch *watch, const char *line, size_t len)
{
	struct mesh_kube_event event;
	json_error_t error;
	json_t *root;
	const char *type;
	int ret;

	if (is_blank(line, len))
		return 0;
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &error);
	if (!root) {
		snprintf(watch->error, sizeof(watch->error), "watch event: not JSON: %.120s",
		         error.text);
		return -EBADMSG;
	}
	type = json_string_value(json_object_get(root, "type"));
	event.object = json_object_get(root, "object");
	if (!type)
		ret = bad_line(watch, "no type");
	else if (parse_type(type, &event.type))
		ret = bad_line(watch, "unknown type");
	else if (!json_is_object(event.object))
		ret = bad_line(watch, "no object");
	else
		ret = watch->on_event(watch->ctx, &event);
	json_decref(root);
	return ret;
}

static int keep_partial(struct mesh_kube_watch *watch, const char *data, size_t len)
{
	size_t need = watch->len + len;
	char *line;

	if (need > MESH_KUBE_WATCH_LINE_MAX) {
		snprintf(watch->error, sizeof(watch->error), "watch event: longer than %u bytes",
		         MESH_KUBE_WATCH_LINE_MAX);
		return -EMSGSIZE;
	}
	if (need > watch->cap) {
		size_t cap = watch->cap ? watch->cap : 4096;

		while (cap < need)
			cap *= 2;
		line = mesh_wipe_realloc(watch->line, watch->cap, cap);
		if (!line)
			return -ENOMEM;
		watch->line = line;
		watch->cap = cap;
	}
	memcpy(watch->line + watch->len, data, len);
	watch->len = need;
	return 0;
}

int mesh_kube_watch_feed(struct mesh_kube_watch *watch, const char *data, size_t len)
{
	const char *end = data + len, *newline;
	int ret = 0;

	while (!ret && (newline = memchr(data, '\n', (size_t)(end - data)))) {
		if (watch->len) {
			ret = keep_partial(watch, data, (size_t)(newline - data));
			if (!ret)
				ret = decode_line(watch, watch->line, watch->len);
			watch->len = 0;
		} else {
			ret = decode_line(watch, data, (size_t)(newline - data));
		}
		data = newline + 1;
	}
	if (!ret && data < end)
		ret = keep_partial(watch, data, (size_t)(end - data));
	return ret;
}

int mesh_kube_watch_finish(const struct mesh_kube_watch *watch)
{
	return watch->len ? -EPIPE : 0;
}

void mesh_kube_watch_release(struct mesh_kube_watch *watch)
{
	mesh_wipe_free(watch->line, watch->cap);
	memset(watch, 0, sizeof(*watch));
}
