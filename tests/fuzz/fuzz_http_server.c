// SPDX-License-Identifier: MIT
/*
 * fuzz_http_server.c - kg's HTTP server (cmd/common/http.h) on what a client sends: the input,
 * on a fresh loopback connection whose sending side is then shut, to each of two servers, one
 * of GET and HEAD only (kg's --listen) and one taking bodies of up to BODY_MAX bytes (kg
 * webhook's, without TLS). libmicrohttpd parses the requests; what is ours to break is the
 * glue that refuses, gathers the body and hands the request over.
 *
 * Promises checked: the handler sees a path that starts with '/', on the first server only GET
 * and HEAD and no body, on the second a body of at most BODY_MAX bytes with a NUL after it;
 * every answer is empty or starts with an HTTP/1.1 status line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd/common/http.h"
#include "fuzz.h"

#define BODY_MAX 64

static void check(void *ctx, const struct mesh_http_request *request,
                  struct mesh_http_response *response)
{
	size_t body_max = *(const size_t *)ctx;

	FUZZ_CHECK(request->path[0] == '/');
	FUZZ_CHECK(request->len <= body_max && !request->body[request->len]);
	if (!body_max)
		FUZZ_CHECK(!strcmp(request->method, "GET") || !strcmp(request->method, "HEAD"));
	mesh_http_respond(response, 200, "%s %s\n", request->method, request->path);
}

static struct mesh_http_server *start(const size_t *body_max)
{
	struct mesh_http_server *server;
	char error[256];

	if (mesh_http_open(&(struct mesh_http_options){.listen = "127.0.0.1:0",
	                                               .handler = check,
	                                               .ctx = (void *)body_max,
	                                               .body_max = *body_max,
	                                               .deadline_ms = 2000},
	                   &server, error, sizeof(error))) {
		fprintf(stderr, "fuzz_http_server: %s\n", error);
		abort();
	}
	return server;
}

/* libFuzzer's SIGALRM for -timeout interrupts what blocks; a connect goes on meanwhile. */
static void connect_to(int fd, const struct mesh_http_server *server)
{
	struct sockaddr_in address = {.sin_family = AF_INET,
	                              .sin_port = htons((uint16_t)mesh_http_port(server)),
	                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	int err = 0;
	socklen_t len = sizeof(err);

	if (!connect(fd, (struct sockaddr *)&address, sizeof(address)))
		return;
	if (errno == EINTR) {
		while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
			;
		if (!getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) && !err)
			return;
		errno = err;
	}
	perror("fuzz_http_server: connect");
	abort();
}

static void exchange(const struct mesh_http_server *server, const uint8_t *data, size_t size)
{
	struct pollfd pfd = {.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0),
	                     .events = POLLIN};
	char answer[9], buf[4096];
	size_t got = 0, take;
	ssize_t n;

	if (pfd.fd < 0)
		abort();
	connect_to(pfd.fd, server);
	/* The server may answer and close before it has read everything. */
	for (size_t sent = 0; sent < size;) {
		n = send(pfd.fd, data + sent, size - sent, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		sent += (size_t)n;
	}
	shutdown(pfd.fd, SHUT_WR);
	/* The deadline ends every connection; a reset may cut an answer short. */
	for (;;) {
		int ready = poll(&pfd, 1, 5000);

		if (ready < 0 && errno == EINTR)
			continue;
		n = ready == 1 ? recv(pfd.fd, buf, sizeof(buf), 0) : 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		take = (size_t)n < sizeof(answer) - got ? (size_t)n : sizeof(answer) - got;

		memcpy(answer + got, buf, take);
		got += take;
	}
	FUZZ_CHECK(!memcmp(answer, "HTTP/1.1 ", got));
	close(pfd.fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t no_body = 0, bodies = BODY_MAX;
	static struct mesh_http_server *plain, *with_bodies;

	if (!plain) {
		plain = start(&no_body);
		with_bodies = start(&bodies);
	}
	exchange(plain, data, size);
	exchange(with_bodies, data, size);
	return 0;
}
