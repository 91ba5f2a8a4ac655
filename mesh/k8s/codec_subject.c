// SPDX-License-Identifier: MIT
/*
 * What Node and Peer decoding share: reports that name the object, the field
 * and the value, and small value parsers with Go's strconv rules.
 */
#include "mesh/k8s/codec_subject.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Enough of a value to recognise it, without echoing a whole document. */
#define QUOTE_MAX 96

static void quote_text(const char *text, char *out, size_t size)
{
	size_t n = 0;

	out[n++] = '"';
	for (; *text; text++) {
		unsigned char c = (unsigned char)*text;
		char escaped[8] = {(char)c};
		size_t len = 1;

		if (c == '"' || c == '\\')
			len = (size_t)snprintf(escaped, sizeof(escaped), "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			len = (size_t)snprintf(escaped, sizeof(escaped), "\\x%02x", c);
		/* Keep room for "...", the closing quote and the NUL. */
		if (n + len + 5 > size) {
			memcpy(out + n, "...", 3);
			n += 3;
			break;
		}
		memcpy(out + n, escaped, len);
		n += len;
	}
	out[n++] = '"';
	out[n] = '\0';
}

static void quote_value(const json_t *value, char *out, size_t size)
{
	char *text;

	if (json_is_string(value)) {
		quote_text(json_string_value(value), out, size);
		return;
	}
	text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
	snprintf(out, size, "%.*s%s", (int)size - 4, text ? text : "?",
	         text && strlen(text) > size - 4 ? "..." : "");
	free(text);
}

void codec_report(const struct codec_subject *subject, const char *fmt, ...)
{
	char message[512], name[QUOTE_MAX];
	int n;
	va_list ap;

	if (!subject->options || !subject->options->report)
		return;
	/* Quoted, so that a name holding a newline cannot split the report into two lines. */
	quote_text(subject->name, name, sizeof(name));
	n = snprintf(message, sizeof(message), "%s %s: ", subject->kind, name);
	va_start(ap, fmt);
	vsnprintf(message + n, sizeof(message) - (size_t)n, fmt, ap);
	va_end(ap);
	subject->options->report(subject->options->report_ctx, message);
}

void codec_report_text(const struct codec_subject *subject, const char *field, const char *text,
                       const char *why, const char *outcome)
{
	char quoted[QUOTE_MAX];

	quote_text(text, quoted, sizeof(quoted));
	codec_report(subject, "%s: invalid value %s: %s; %s", field, quoted, why, outcome);
}

void codec_report_value(const struct codec_subject *subject, const char *field, const json_t *value,
                        const char *why, const char *outcome)
{
	char quoted[QUOTE_MAX];

	quote_value(value, quoted, sizeof(quoted));
	codec_report(subject, "%s: invalid value %s: %s; %s", field, quoted, why, outcome);
}

/* Go's strconv.ParseInt(text, 10, 64): optional sign, decimal digits only. */
int codec_parse_int64(const char *text, int64_t *value)
{
	const char *digits = text + (text[0] == '-' || text[0] == '+');
	char *end;
	long long v;

	if (*digits < '0' || *digits > '9')
		return -EINVAL;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*value = v;
	return 0;
}

/* metadata.name, which every report needs first. */
int codec_subject_init(struct codec_subject *subject, const char *kind, const json_t *object,
                       const struct mesh_codec_options *options, char *name, size_t size)
{
	const json_t *value = json_object_get(json_object_get(object, "metadata"), "name");
	const char *text = json_string_value(value);

	subject->options = options;
	subject->kind = kind;
	subject->name = "";
	if (!text || !*text || strlen(text) >= size) {
		if (value)
			codec_report_value(subject, "metadata.name", value,
			                   "not a Kubernetes object name", "object ignored");
		else
			codec_report(subject, "metadata.name: missing; object ignored");
		return -EINVAL;
	}
	memcpy(name, text, strlen(text) + 1);
	subject->name = name;
	return 0;
}
