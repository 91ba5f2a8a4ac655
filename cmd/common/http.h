/* SPDX-License-Identifier: MIT */
/*
 * kg's HTTP servers: kg's --listen (/health, /metrics, /graph), kg webhook's
 * HTTPS --listen and its --listen-metrics. libmicrohttpd reads and parses
 * the requests and, given a certificate, speaks TLS 1.2 or 1.3 (GnuTLS);
 * this module sets the limits that let a server face clients it does not
 * trust, and keeps the deadlines:
 *
 * - A thread per connection, at most MESH_HTTP_CONNECTIONS at once (more
 *   wait in the listen backlog); one client address may hold a quarter of
 *   them, and more from it are closed at once. A thread waits on its own
 *   client only, so a slow client delays no one else.
 * - One deadline per connection, MESH_HTTP_DEADLINE_MS from accept to the
 *   last byte sent, TLS handshake included: then its socket is shut,
 *   whatever the client trickles or leaves unread.
 * - One request per connection, answered with Connection: close.
 * - Without body_max, GET and HEAD only (405 otherwise) and bodies are not
 *   kept; with it, any method and a body of body_max bytes at most, sent
 *   with a Content-Length or chunked (413 beyond).
 * - A head that does not fit MESH_HTTP_MEMORY is refused by libmicrohttpd
 *   (414 or 431), a malformed one too (400); a target that is not a path
 *   is a 400.
 *
 * The handler may run on several threads at once. Its response body is
 * heap memory the server frees; a request body is wiped after the handler
 * (a Peer's spec may carry its preshared key).
 *
 * The listen address is Go's, split by ip_host_port_split(): ":1107" (every
 * address), "127.0.0.1:1107", "[::1]:1107"; a bare IPv6 address needs its
 * brackets.
 */
#ifndef MESH_HTTP_H
#define MESH_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define MESH_HTTP_CONNECTIONS 128
#define MESH_HTTP_DEADLINE_MS 10000
/* Per connection, for its head and the part of a body in flight. */
#define MESH_HTTP_MEMORY (64 << 10)

struct MHD_Connection;

struct mesh_http_request {
	const char *method;
	const char *path;         /* percent-decoded, without the query */
	const char *content_type; /* NULL if absent */
	const char *body;         /* NUL-terminated, len bytes ("" without) */
	size_t len;
	struct MHD_Connection *connection; /* the server's, for mesh_http_query() */
};

struct mesh_http_response {
	int status;
	const char *content_type; /* static; NULL = text/plain; charset=utf-8 */
	char *body;               /* heap, may be NULL */
	size_t len;
};

typedef void mesh_http_handler_fn(void *ctx, const struct mesh_http_request *request,
                                  struct mesh_http_response *response);

struct mesh_http_options {
	const char *listen;
	mesh_http_handler_fn *handler;
	void *ctx;
	size_t body_max;                  /* 0: GET and HEAD only */
	const char *cert_file, *key_file; /* PEM chain and key: HTTPS; NULL: HTTP */
	/* 0 for MESH_HTTP_DEADLINE_MS and MESH_HTTP_CONNECTIONS; the tests take less. */
	unsigned int deadline_ms, connections;
};

struct mesh_http_server;

/*
 * Starts serving. On failure, -errno and one line in error naming the
 * address or file and the reason ("failed to listen on ADDRESS: REASON").
 */
int mesh_http_open(const struct mesh_http_options *options, struct mesh_http_server **server,
                   char *error, size_t error_size);
/*
 * The port it listens on (the one picked for port 0). Only the tests call it:
 * they listen on port 0 so as never to collide, and the server is opaque.
 */
unsigned int mesh_http_port(const struct mesh_http_server *server);
/* Stops accepting, ends every connection and waits for its thread; NULL is fine. */
void mesh_http_close(struct mesh_http_server *server);

/* The percent-decoded value of key in the request's query; NULL if absent. */
const char *mesh_http_query(const struct mesh_http_request *request, const char *key);

/* A plain-text response from a format; on allocation failure a 500 without body. */
void mesh_http_respond(struct mesh_http_response *response, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* MESH_HTTP_H */
