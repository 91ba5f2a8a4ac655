/* SPDX-License-Identifier: MIT */
/*
 * A minimal HTTP/1.1 server for kg's /health, /metrics and /graph.
 *
 * One thread serves one connection at a time, one request per connection,
 * then closes it, so a slow client delays others by MESH_HTTP_TIMEOUT at
 * most: this serves a scraper and an operator, not the public. A request
 * head is read up to MESH_HTTP_HEAD_MAX bytes within MESH_HTTP_TIMEOUT
 * seconds, or the connection is dropped (413 for an oversized head, 400 for
 * a malformed one); bodies are never read. Only GET and HEAD reach the
 * handler (405 otherwise). The handler fills a response whose body is heap
 * memory the server frees after sending it.
 *
 * The listen address is Go's, split by ip_host_port_split(): ":1107" (every
 * address), "127.0.0.1:1107", "[::1]:1107"; a bare IPv6 address needs its
 * brackets.
 */
#ifndef MESH_HTTP_H
#define MESH_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define MESH_HTTP_HEAD_MAX 8192
#define MESH_HTTP_TIMEOUT 5

struct mesh_http_request {
	const char *method;
	const char *path;  /* without the query */
	const char *query; /* after '?', "" if none */
};

struct mesh_http_response {
	int status;
	const char *content_type; /* static; NULL = text/plain; charset=utf-8 */
	char *body;               /* heap, may be NULL */
	size_t len;
};

typedef void mesh_http_handler_fn(void *ctx, const struct mesh_http_request *request,
                                  struct mesh_http_response *response);

struct mesh_http_server;

int mesh_http_open(const char *listen, mesh_http_handler_fn *handler, void *ctx,
                   struct mesh_http_server **server);
/*
 * The port it listens on (the one picked for port 0). Only the tests call it:
 * they listen on port 0 so as never to collide, and the server is opaque.
 */
unsigned int mesh_http_port(const struct mesh_http_server *server);
/* Stops the thread and closes the socket; NULL is fine. */
void mesh_http_close(struct mesh_http_server *server);

/*
 * For other servers of the same requests (kg's HTTPS webhook): the listen
 * socket of a Go address (a file descriptor or -errno); "GET /path?query
 * HTTP/1.1" split in place (false if malformed); the head of a response
 * (status line, Content-Type, Content-Length, Connection: close) written to
 * buf, its length returned.
 */
#define MESH_HTTP_RESPONSE_HEAD_MAX 256
int mesh_http_listen(const char *listen);
bool mesh_http_parse_request_line(char *head, struct mesh_http_request *request);
size_t mesh_http_head(const struct mesh_http_response *response, char *buf, size_t size);

/* A plain-text response from a format; on allocation failure a 500 without body. */
void mesh_http_respond(struct mesh_http_response *response, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The percent-decoded value of key in query; false if absent or too long. */
bool mesh_http_query_get(const char *query, const char *key, char *value, size_t size);

#endif /* MESH_HTTP_H */
