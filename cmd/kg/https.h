/* SPDX-License-Identifier: MIT */
/*
 * kg's HTTPS server, for `kg webhook` (OpenSSL's libssl; only kg links it).
 *
 * One request per connection (answered with Connection: close), each on a
 * thread of its own, at most KG_HTTPS_CONNECTIONS at once; beyond that,
 * connections wait in the listen backlog. Each has KG_HTTPS_DEADLINE seconds
 * from accept to its last byte, handshake included, so a slow or silent
 * client holds its thread that long at most. A request is a head of at most
 * MESH_HTTP_HEAD_MAX bytes and a body of Content-Length bytes, at most
 * KG_HTTPS_BODY_MAX (411 when chunked, 413 beyond it, 400 if malformed). A
 * client speaking plain HTTP to the port gets Go's answer for that, a 400.
 *
 * The certificate chain and key are read once, at open, as Go's
 * ListenAndServeTLS does. The handler may run on several threads at once.
 * The caller ignores SIGPIPE (a client may close first).
 */
#ifndef KG_HTTPS_H
#define KG_HTTPS_H

#include <stddef.h>

#include "cmd/common/http.h"

#define KG_HTTPS_CONNECTIONS 128
#define KG_HTTPS_DEADLINE 10
/* A Peer review is a few KiB; this bounds what a crowd of clients can make us hold. */
#define KG_HTTPS_BODY_MAX (1 << 20)

struct kg_https_request {
	const char *method;
	const char *path;         /* without the query */
	const char *content_type; /* NULL if absent */
	const char *body;         /* NUL-terminated, len bytes */
	size_t len;
};

typedef void kg_https_handler_fn(void *ctx, const struct kg_https_request *request,
                                 struct mesh_http_response *response);

struct kg_https_server;

/*
 * Listens on listen (cmd/common/http.h's address form) with the PEM certificate
 * chain and key of cert_file and key_file. On failure, -errno and a line in
 * error that names the file or address and the reason.
 */
int kg_https_open(const char *listen, const char *cert_file, const char *key_file,
                  kg_https_handler_fn *handler, void *ctx, struct kg_https_server **server,
                  char *error, size_t error_size);
/* Stops accepting and waits for every connection to end; NULL is fine. */
void kg_https_close(struct kg_https_server *server);

#endif /* KG_HTTPS_H */
