// SPDX-License-Identifier: MIT
/*
 * The review of a Peer: Kilo's validationHandler without the HTTP. Its
 * checks are in its order; where Kilo's Go decoder would fail deeper (a
 * review without a request panics the handler), we refuse with a 400 that
 * names the field.
 */
#include "mesh/k8s/admission.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/k8s/codec.h"

/* Enough of a value to recognise it, without echoing a whole document. */
#define DESCRIBE_MAX 64

const char *const mesh_admission_operations[MESH_ADMISSION_OPERATIONS] = {"CREATE", "UPDATE",
                                                                          "DELETE", "CONNECT"};

/* Messages go to logs and replies: one line of printable ASCII. */
static void flatten(char *message)
{
	for (unsigned char *c = (unsigned char *)message; *c; c++)
		if (*c < 0x20 || *c >= 0x7f)
			*c = '?';
}

static int refuse(struct mesh_admission_verdict *verdict, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int refuse(struct mesh_admission_verdict *verdict, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(verdict->message, sizeof(verdict->message), fmt, ap);
	va_end(ap);
	flatten(verdict->message);
	verdict->status = 400;
	return 0;
}

/* A value as compact JSON, cut to DESCRIBE_MAX; "missing" for none. */
static const char *describe(const json_t *value, char out[DESCRIBE_MAX + 4])
{
	char *text = value ? json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;

	snprintf(out, DESCRIBE_MAX + 4, "%.*s%s", DESCRIBE_MAX, text ? text : "missing",
	         text && strlen(text) > DESCRIBE_MAX ? "..." : "");
	free(text);
	return out;
}

static bool has_string(const json_t *object, const char *key, const char *want)
{
	const char *value = json_string_value(json_object_get(object, key));

	return value && !strcmp(value, want);
}

/* An enum mesh_admission_operation, or -1. */
static int operation_of(const json_t *request)
{
	const char *value = json_string_value(json_object_get(request, "operation"));

	for (int i = 0; value && i < MESH_ADMISSION_OPERATIONS; i++)
		if (!strcmp(value, mesh_admission_operations[i]))
			return i;
	return -1;
}

/*
 * mesh_codec_report_fn: keeps the first report, the one that decided,
 * without its "; <what the agent does>" tail, which is not what happens here.
 */
static void keep_first(void *ctx, const char *report)
{
	struct mesh_admission_verdict *verdict = ctx;
	char *outcome;

	if (verdict->message[0])
		return;
	snprintf(verdict->message, sizeof(verdict->message), "%s", report);
	outcome = strrchr(verdict->message, ';');
	if (outcome && outcome[1] == ' ')
		*outcome = '\0';
	flatten(verdict->message);
}

/* Allowed iff the agent's codec takes the object without a word. */
static int judge(const json_t *object, struct mesh_admission_verdict *verdict)
{
	const struct mesh_codec_options options = {.report = keep_first, .report_ctx = verdict};
	struct mesh_peer peer;
	int ret = mesh_codec_peer_decode(object, &options, &peer);

	if (ret == -ENOMEM)
		return ret;
	if (!ret)
		mesh_peer_release(&peer);
	verdict->allowed = !ret && !verdict->message[0];
	return 0;
}

/* The AdmissionReview v1 answer, fields in the order Kilo's Go types print them. */
static int answer(const json_t *uid, struct mesh_admission_verdict *verdict)
{
	json_t *review = NULL, *response;

	response = json_pack("{s:O, s:b}", "uid", uid, "allowed", verdict->allowed);
	if (!response)
		goto out;
	if (!verdict->allowed &&
	    json_object_set_new(response, "status",
	                        json_pack("{s:{}, s:s}", "metadata", "message", verdict->message)))
		goto out;
	review = json_pack("{s:s, s:s, s:O}", "kind", "AdmissionReview", "apiVersion",
	                   "admission.k8s.io/v1", "response", response);
	if (review)
		verdict->response = json_dumps(review, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
	json_decref(response);
	json_decref(review);
	if (!verdict->response)
		return -ENOMEM;
	verdict->len = strlen(verdict->response);
	verdict->status = 200;
	return 0;
}

static int review(const json_t *document, struct mesh_admission_verdict *verdict)
{
	const json_t *request = json_object_get(document, "request"), *uid, *object;
	char seen[DESCRIBE_MAX + 4], kind[DESCRIBE_MAX + 4];
	int operation, ret;

	if (!has_string(document, "apiVersion", "admission.k8s.io/v1") ||
	    !has_string(document, "kind", "AdmissionReview"))
		return refuse(verdict, "only API v1 is supported: got apiVersion %s, kind %s",
		              describe(json_object_get(document, "apiVersion"), seen),
		              describe(json_object_get(document, "kind"), kind));
	if (!json_is_object(request))
		return refuse(verdict, "request: invalid value %s: not an admission request",
		              describe(request, seen));
	uid = json_object_get(request, "uid");
	if (!json_string_length(uid))
		return refuse(verdict, "request.uid: invalid value %s: not a UID",
		              describe(uid, seen));
	operation = operation_of(request);
	if (operation < 0)
		return refuse(verdict,
		              "request.operation: invalid value %s: not CREATE, UPDATE, DELETE or "
		              "CONNECT",
		              describe(json_object_get(request, "operation"), seen));
	object = json_object_get(request, "object");
	if (!json_is_object(object))
		return refuse(verdict,
		              "could not unmarshal extension to peer spec: request.object: invalid "
		              "value %s: not an object",
		              describe(object, seen));
	ret = judge(object, verdict);
	if (!ret)
		ret = answer(uid, verdict);
	if (!ret)
		verdict->operation = operation;
	return ret;
}

int mesh_admission_review(const char *content_type, const char *body, size_t len,
                          struct mesh_admission_verdict *verdict)
{
	json_error_t error;
	json_t *document;
	int ret;

	*verdict = (struct mesh_admission_verdict){.operation = -1};
	if (!content_type || strcmp(content_type, "application/json")) {
		ret = refuse(verdict, "received Content-Type=%s, expected application/json",
		             content_type ? content_type : "");
		goto out;
	}
	document = json_loadb(body, len, 0, &error);
	if (!document) {
		ret = refuse(verdict, "Request could not be decoded: %s (line %d, column %d)",
		             error.text, error.line, error.column);
		goto out;
	}
	ret = review(document, verdict);
	json_decref(document);
out:
	if (ret)
		mesh_admission_verdict_release(verdict);
	return ret;
}

void mesh_admission_verdict_release(struct mesh_admission_verdict *verdict)
{
	free(verdict->response);
	*verdict = (struct mesh_admission_verdict){.operation = -1};
}
