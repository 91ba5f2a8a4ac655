// SPDX-License-Identifier: MIT
#include "cmd/common/http_head.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool parse_length(const char *value, long long *length)
{
	char *end;

	if (*value < '0' || *value > '9')
		return false;
	errno = 0;
	*length = strtoll(value, &end, 10);
	return !errno && !*end;
}

/* One "Name: value" line; false if malformed or at odds with an earlier line. */
static bool parse_header(char *line, struct mesh_http_head *head)
{
	char *value = strchr(line, ':'), *end;
	long long length;

	if (!value || value == line)
		return false;
	*value++ = '\0';
	value += strspn(value, " \t");
	for (end = value + strlen(value); end > value && (end[-1] == ' ' || end[-1] == '\t');)
		*--end = '\0';
	if (!strcasecmp(line, "Content-Type") && !head->content_type) {
		head->content_type = value;
	} else if (!strcasecmp(line, "Content-Length")) {
		if (!parse_length(value, &length) ||
		    (head->content_length >= 0 && head->content_length != length))
			return false;
		head->content_length = length;
	} else if (!strcasecmp(line, "Transfer-Encoding")) {
		head->chunked = true;
	}
	return true;
}

/*
 * Ends the line at its "\r\n" and returns the next one; NULL if the line
 * holds a bare CR or LF, which other parsers could take for a line's end.
 */
static char *cut_line(char *line)
{
	char *end = strstr(line, "\r\n");

	*end = '\0';
	return strpbrk(line, "\r\n") ? NULL : end + 2;
}

bool mesh_http_head_parse(char *buf, size_t len, struct mesh_http_head *head)
{
	char *line, *next;

	*head = (struct mesh_http_head){.content_length = -1};
	if (len < 4 || memcmp(buf + len - 4, "\r\n\r\n", 4) || memchr(buf, '\0', len))
		return false;
	/* Every line, the last included, still ends in "\r\n". */
	buf[len - 2] = '\0';
	next = cut_line(buf);
	if (!next || !mesh_http_parse_request_line(buf, &head->line) || !*head->line.method)
		return false;
	for (line = next; *line; line = next) {
		next = cut_line(line);
		if (!next || !parse_header(line, head))
			return false;
	}
	return true;
}
