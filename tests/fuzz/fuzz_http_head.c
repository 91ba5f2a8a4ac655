// SPDX-License-Identifier: MIT
/*
 * fuzz_http_head.c - mesh_http_head_parse() on a request head: the input, with the blank line
 * that ends a head added when it does not end with one.
 *
 * Promises checked: a head that parses has a method without spaces, a path that starts with '/'
 * and holds no query, a Content-Length of -1 or more, and every string it points to lies in the
 * buffer, within one line, the Content-Type trimmed.
 */
#include "fuzz.h"
#include "cmd/common/http_head.h"

static void check_string(const char *text, const char *buf, size_t len)
{
	FUZZ_CHECK(text >= buf && text + strlen(text) < buf + len);
	FUZZ_CHECK(!strpbrk(text, "\r\n"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool ended = size >= 4 && !memcmp(data + size - 4, "\r\n\r\n", 4);
	size_t len = size + (ended ? 0 : 4);
	struct mesh_http_head head;
	char *buf = malloc(len);
	const char *type;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (!ended)
		memcpy(buf + size, "\r\n\r\n", 4);
	if (mesh_http_head_parse(buf, len, &head)) {
		check_string(head.line.method, buf, len);
		check_string(head.line.path, buf, len);
		if (*head.line.query) /* else the static "" */
			check_string(head.line.query, buf, len);
		FUZZ_CHECK(*head.line.method && !strchr(head.line.method, ' '));
		FUZZ_CHECK(head.line.path[0] == '/' && !strchr(head.line.path, '?'));
		FUZZ_CHECK(head.content_length >= -1);
		type = head.content_type;
		if (type) {
			check_string(type, buf, len);
			FUZZ_CHECK(!*type || (!strchr(" \t", type[0]) &&
			                      !strchr(" \t", type[strlen(type) - 1])));
		}
	}
	free(buf);
	return 0;
}
