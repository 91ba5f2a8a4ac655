/* SPDX-License-Identifier: MIT */
/*
 * The head of an HTTP/1.1 request that carries a body, parsed in place: the
 * request line (mesh_http_parse_request_line()) and the headers a server
 * needs to take the body: Content-Type (the first one), Content-Length
 * (digits only; repeats must agree) and Transfer-Encoding (any value means
 * a body we cannot delimit by length). Other headers are skipped. Header
 * names are case-insensitive, values trimmed of spaces and tabs. A CR or LF
 * that is not part of a line's "\r\n" makes the head malformed. Pure: the
 * server reads the bytes (kg's HTTPS server for the webhook).
 */
#ifndef MESH_HTTP_HEAD_H
#define MESH_HTTP_HEAD_H

#include <stdbool.h>
#include <stddef.h>

#include "cmd/common/http.h"

struct mesh_http_head {
	struct mesh_http_request line;
	const char *content_type; /* NULL if absent */
	long long content_length; /* -1 if absent */
	bool chunked;             /* a Transfer-Encoding was given */
};

/*
 * buf holds len bytes that end with the blank line ("\r\n\r\n") and no NUL
 * byte; the pointers of head point into it. false if it is malformed.
 */
bool mesh_http_head_parse(char *buf, size_t len, struct mesh_http_head *head);

#endif /* MESH_HTTP_HEAD_H */
