// SPDX-License-Identifier: MIT
#include "cmd/common/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlink/ip_addr.h"
#include "wg/crypto.h"

struct mesh_http_server {
	int listen_fd, stop_fd;
	mesh_http_handler_fn *handler;
	void *ctx;
	pthread_t thread;
};

static int bind_one(const struct addrinfo *a)
{
	int fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, a->ai_addr, a->ai_addrlen) || listen(fd, 16)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int mesh_http_listen(const char *address)
{
	const struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
	                               .ai_socktype = SOCK_STREAM};
	struct addrinfo *answers;
	char host[256], service[sizeof("65535")];
	int fd = -EAFNOSUPPORT;
	uint16_t port;

	/* Go's host:port, with "" host meaning every address. */
	if (ip_host_port_split(address, host, sizeof(host), &port))
		return -EINVAL;
	snprintf(service, sizeof(service), "%u", port);
	if (getaddrinfo(host[0] ? host : NULL, service, &hints, &answers))
		return -EINVAL;
	/*
	 * ":port" prefers a dual-stack IPv6 socket, as Go does, and falls back
	 * to IPv4 on a kernel without IPv6.
	 */
	for (int pass = 0; pass < 2 && fd < 0; pass++)
		for (const struct addrinfo *a = answers; a && fd < 0; a = a->ai_next)
			if ((a->ai_family == AF_INET6) == !pass || host[0])
				fd = bind_one(a);
	freeaddrinfo(answers);
	return fd;
}

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 411:
		return "Length Required";
	case 413:
		return "Payload Too Large";
	default:
		return "Internal Server Error";
	}
}

static void send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

size_t mesh_http_head(const struct mesh_http_response *response, char *buf, size_t size)
{
	int len =
	    snprintf(buf, size,
	             "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	             "Connection: close\r\n\r\n",
	             response->status, reason(response->status),
	             response->content_type ? response->content_type : "text/plain; charset=utf-8",
	             response->len);

	return len < 0 ? 0 : (size_t)len < size ? (size_t)len : size - 1;
}

static void send_response(int fd, const struct mesh_http_response *response, bool head)
{
	char header[MESH_HTTP_RESPONSE_HEAD_MAX];

	send_all(fd, header, mesh_http_head(response, header, sizeof(header)));
	if (!head && response->body)
		send_all(fd, response->body, response->len);
}

/* Reads until the end of the head; the length read, 0 on EOF/timeout, -1 if too long. */
static ssize_t read_head(int fd, char *buf, size_t size)
{
	size_t len = 0;

	while (len < size - 1) {
		ssize_t n = recv(fd, buf + len, size - 1 - len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return (ssize_t)len;
	}
	return -1;
}

/*
 * Closing with unread input makes the kernel answer with a reset, which can
 * destroy the response before the client reads it: read what has already
 * arrived (without waiting for more) after our side is shut.
 */
static void drain(int fd)
{
	char buf[4096];

	shutdown(fd, SHUT_WR);
	for (int i = 0; i < 16; i++)
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			break;
}

bool mesh_http_parse_request_line(char *head, struct mesh_http_request *request)
{
	char *method = head, *target, *version, *query;

	target = strchr(method, ' ');
	if (!target)
		return false;
	*target++ = '\0';
	version = strchr(target, ' ');
	if (!version || strncmp(version + 1, "HTTP/1.", 7) || target[0] != '/')
		return false;
	*version = '\0';
	query = strchr(target, '?');
	if (query)
		*query++ = '\0';
	*request = (struct mesh_http_request){
	    .method = method, .path = target, .query = query ? query : ""};
	return true;
}

static void serve(struct mesh_http_server *server, int fd)
{
	const struct timeval timeout = {.tv_sec = MESH_HTTP_TIMEOUT};
	struct mesh_http_response response = {.status = 200};
	struct mesh_http_request request;
	char head[MESH_HTTP_HEAD_MAX];
	bool head_only = false;
	ssize_t len;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
	len = read_head(fd, head, sizeof(head));
	if (!len)
		return;
	if (len < 0)
		mesh_http_respond(&response, 413, "request head too large\n");
	else if (!mesh_http_parse_request_line(head, &request))
		mesh_http_respond(&response, 400, "malformed request\n");
	else if (strcmp(request.method, "GET") && strcmp(request.method, "HEAD"))
		mesh_http_respond(&response, 405, "method not allowed\n");
	else
		server->handler(server->ctx, &request, &response);
	if (len > 0 && response.status != 400)
		head_only = !strcmp(request.method, "HEAD");
	send_response(fd, &response, head_only);
	free(response.body);
	drain(fd);
}

static void *run(void *arg)
{
	struct mesh_http_server *server = arg;
	struct pollfd fds[2] = {{.fd = server->listen_fd, .events = POLLIN},
	                        {.fd = server->stop_fd, .events = POLLIN}};

	while (poll(fds, 2, -1) >= 0 || errno == EINTR) {
		int fd;

		if (fds[1].revents)
			break;
		if (!(fds[0].revents & POLLIN))
			continue;
		fd = accept4(server->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve(server, fd);
		close(fd);
	}
	return NULL;
}

int mesh_http_open(const char *listen, mesh_http_handler_fn *handler, void *ctx,
                   struct mesh_http_server **out)
{
	struct mesh_http_server *server = calloc(1, sizeof(*server));
	int ret;

	if (!server)
		return -ENOMEM;
	server->handler = handler;
	server->ctx = ctx;
	server->stop_fd = eventfd(0, EFD_CLOEXEC);
	server->listen_fd = mesh_http_listen(listen);
	ret = server->listen_fd < 0 ? server->listen_fd : server->stop_fd < 0 ? -errno : 0;
	if (!ret)
		ret = -pthread_create(&server->thread, NULL, run, server);
	if (ret) {
		if (server->listen_fd >= 0)
			close(server->listen_fd);
		if (server->stop_fd >= 0)
			close(server->stop_fd);
		free(server);
		return ret;
	}
	*out = server;
	return 0;
}

unsigned int mesh_http_port(const struct mesh_http_server *server)
{
	struct sockaddr_storage address;
	socklen_t len = sizeof(address);

	if (getsockname(server->listen_fd, (struct sockaddr *)&address, &len))
		return 0;
	if (address.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&address)->sin6_port);
	return ntohs(((struct sockaddr_in *)&address)->sin_port);
}

void mesh_http_close(struct mesh_http_server *server)
{
	const uint64_t one = 1;

	if (!server)
		return;
	if (write(server->stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(server->thread, NULL);
	close(server->listen_fd);
	close(server->stop_fd);
	free(server);
}

void mesh_http_respond(struct mesh_http_response *response, int status, const char *fmt, ...)
{
	va_list ap;
	int len;

	free(response->body);
	response->body = NULL;
	response->len = 0;
	response->content_type = NULL;
	va_start(ap, fmt);
	len = vasprintf(&response->body, fmt, ap);
	va_end(ap);
	if (len < 0) {
		response->body = NULL;
		status = 500;
	} else {
		response->len = (size_t)len;
	}
	response->status = status;
}

/* Decodes text[0..len) into value; false if it does not fit or is malformed. */
static bool decode(const char *text, size_t len, char *value, size_t size)
{
	size_t out = 0;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (i + 2 >= len || wg_hex_decode((uint8_t *)&c, 1, text + i + 1, 2))
				return false;
			i += 2;
		}
		if (out + 1 >= size)
			return false;
		value[out++] = c;
	}
	value[out] = '\0';
	return true;
}

bool mesh_http_query_get(const char *query, const char *key, char *value, size_t size)
{
	size_t key_len = strlen(key);

	for (const char *p = query; *p;) {
		const char *end = strchr(p, '&');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len > key_len && !strncmp(p, key, key_len) && p[key_len] == '=')
			return decode(p + key_len + 1, len - key_len - 1, value, size);
		p += len + (end ? 1 : 0);
	}
	return false;
}
