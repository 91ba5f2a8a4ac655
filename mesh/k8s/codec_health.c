// SPDX-License-Identifier: MIT
/*
 * The tunnel-health annotation as annotations.c writes it:
 * {"state":"up","since":N}, {"state":"down","since":N,"recovering":N} (no
 * "recovering" when 0) or {"state":"unknown"}; N in Unix seconds.
 */
#include "mesh/k8s/codec_health.h"

#include <errno.h>

#define FIELD "kilo.squat.ai/tunnel-health"

static int timestamp(const json_t *object, const char *key, bool required, int64_t *out)
{
	const json_t *value = json_object_get(object, key);

	if (!value)
		return required ? -EINVAL : 0;
	if (!json_is_integer(value) || json_integer_value(value) <= 0)
		return -EINVAL;
	*out = (int64_t)json_integer_value(value);
	return 0;
}

static int parse(const json_t *object, struct mesh_health *health)
{
	const char *state = json_string_value(json_object_get(object, "state"));
	struct mesh_health out = {0};
	bool timed;

	if (!json_is_object(object) || !state || mesh_health_state_parse(state, &out.state))
		return -EINVAL;
	timed = out.state != MESH_HEALTH_UNKNOWN;
	if ((timed && timestamp(object, "since", true, &out.since)) ||
	    (out.state == MESH_HEALTH_DOWN &&
	     timestamp(object, "recovering", false, &out.recovering)))
		return -EINVAL;
	*health = out;
	return 0;
}

void codec_decode_health(const struct codec_subject *subject, const json_t *annotations,
                         struct mesh_node *node)
{
	const json_t *value = json_object_get(annotations, FIELD);
	json_t *object;

	if (!value)
		return;
	node->health.state = MESH_HEALTH_UNKNOWN;
	if (!json_is_string(value)) {
		codec_report_value(subject, FIELD, value, "not a string", "read as unknown");
		return;
	}
	if (!json_string_length(value))
		return;
	object = json_loads(json_string_value(value), 0, NULL);
	if (parse(object, &node->health))
		codec_report_text(
		    subject, FIELD, json_string_value(value),
		    "not {\"state\": \"up\"|\"down\"|\"unknown\", \"since\": <Unix time>}",
		    "read as unknown");
	json_decref(object);
}
