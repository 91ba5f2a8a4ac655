/* SPDX-License-Identifier: MIT */
/*
 * Private to cmd/common/http.c: the deadlines of a server's connections.
 * A thread shuts a connection's socket, both ways, when its deadline
 * passes; that ends libmicrohttpd's wait on it (a read, a write, the TLS
 * handshake) at once, whatever the client does. A connection is added once
 * libmicrohttpd has accepted it and removed before libmicrohttpd closes its
 * socket, and the thread shuts sockets under the same lock: so it never
 * shuts a number that was closed and may be another file's by now.
 */
#ifndef MESH_HTTP_DEADLINES_H
#define MESH_HTTP_DEADLINES_H

struct mesh_http_deadlines;
struct mesh_http_deadline;

/* Room for slots connections with ms each; 0 or -errno. */
int mesh_http_deadlines_start(unsigned int slots, unsigned int ms,
                              struct mesh_http_deadlines **deadlines);
/* The socket fd, accepted now; NULL if every slot is taken. */
struct mesh_http_deadline *mesh_http_deadline_add(struct mesh_http_deadlines *deadlines, int fd);
/* Before its socket is closed; NULL is fine. */
void mesh_http_deadline_remove(struct mesh_http_deadlines *deadlines,
                               struct mesh_http_deadline *deadline);
/* Once no connection is left; NULL is fine. */
void mesh_http_deadlines_stop(struct mesh_http_deadlines *deadlines);

#endif /* MESH_HTTP_DEADLINES_H */
