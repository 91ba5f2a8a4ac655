// SPDX-License-Identifier: MIT
/*
 * The server on libmicrohttpd: our own listen socket (Go's address forms),
 * libmicrohttpd's thread per connection under its connection limits, the
 * deadlines of http_deadlines.c, and a request handler that gathers the
 * body, if any, and hands the request to ours.
 */
#include "cmd/common/http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/common/http_deadlines.h"
#include "mesh/model/wipe.h"
#include "netlink/ip_addr.h"

/* A connection's thread runs libmicrohttpd, GnuTLS and a handler, none deep. */
#define CONNECTION_STACK (512 << 10)
/* A certificate chain or key file larger than this is no PEM we can use. */
#define PEM_MAX (1 << 20)
/* Go's crypto/tls minimum, TLS 1.2, and 1.3. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct mesh_http_server {
	struct MHD_Daemon *daemon;
	struct mesh_http_deadlines *deadlines;
	mesh_http_handler_fn *handler;
	void *ctx;
	size_t body_max;
	/* PEM, held while the server runs and wiped at close. */
	char *cert, *key;
	size_t cert_size, key_size;
	/* libmicrohttpd's first complaint while starting, for the error line. */
	pthread_mutex_t lock;
	bool starting;
	char complaint[256];
};

/* One request: its body as it comes. */
struct exchange {
	char *body;
	size_t len, size;
	bool too_large;
};

static int bind_one(const struct addrinfo *a, int backlog)
{
	int fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, a->ai_addr, a->ai_addrlen) || listen(fd, backlog)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* The listen socket of a Go address (a file descriptor or -errno). */
static int listen_on(const char *address, int backlog)
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
				fd = bind_one(a, backlog);
	freeaddrinfo(answers);
	return fd;
}

/* A whole PEM file, NUL-terminated, in *pem (size bytes); 0 or -errno. */
static int read_pem(const char *path, char **pem, size_t *size)
{
	FILE *file = fopen(path, "re");
	struct stat st;
	int ret = 0;

	*pem = NULL;
	if (!file)
		return -errno;
	if (fstat(fileno(file), &st))
		ret = -errno;
	else if (st.st_size > PEM_MAX)
		ret = -EFBIG;
	else if (!(*pem = calloc(1, (size_t)st.st_size + 1)))
		ret = -ENOMEM;
	else if (fread(*pem, 1, (size_t)st.st_size, file) != (size_t)st.st_size)
		ret = ferror(file) && errno ? -errno : -EIO;
	if (*pem)
		*size = (size_t)st.st_size + 1;
	fclose(file);
	return ret;
}

static void on_log(void *cls, const char *format, va_list ap)
{
	struct mesh_http_server *server = cls;

	/* Once started, the complaints are about clients: theirs to mind. */
	pthread_mutex_lock(&server->lock);
	if (server->starting && !server->complaint[0]) {
		vsnprintf(server->complaint, sizeof(server->complaint), format, ap);
		server->complaint[strcspn(server->complaint, "\n")] = '\0';
	}
	pthread_mutex_unlock(&server->lock);
}

/* Every connection has its deadline from accept; it ends before its socket is closed. */
static void on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	struct mesh_http_server *server = cls;
	const union MHD_ConnectionInfo *info;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context =
		    info ? mesh_http_deadline_add(server->deadlines, info->connect_fd) : NULL;
	} else {
		mesh_http_deadline_remove(server->deadlines, *socket_context);
	}
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **request_context,
                         enum MHD_RequestTerminationCode code)
{
	struct exchange *exchange = *request_context;

	(void)cls;
	(void)connection;
	(void)code;
	if (!exchange)
		return;
	mesh_wipe_free(exchange->body, exchange->size);
	free(exchange);
	*request_context = NULL;
}

/* Queues response, whose body libmicrohttpd takes over. */
static enum MHD_Result reply(struct MHD_Connection *connection, struct mesh_http_response *response)
{
	struct MHD_Response *answer =
	    MHD_create_response_from_buffer(response->len, response->body, MHD_RESPMEM_MUST_FREE);
	const char *type =
	    response->content_type ? response->content_type : "text/plain; charset=utf-8";
	enum MHD_Result ret = MHD_NO;

	if (!answer) {
		free(response->body);
		return MHD_NO;
	}
	if (MHD_add_response_header(answer, MHD_HTTP_HEADER_CONTENT_TYPE, type) &&
	    MHD_add_response_header(answer, MHD_HTTP_HEADER_CONNECTION, "close"))
		ret = MHD_queue_response(connection, (unsigned int)response->status, answer);
	MHD_destroy_response(answer);
	return ret;
}

/* Keeps a piece of the body, unless it grows past max (0: bodies are not kept). */
static void take(struct exchange *exchange, const char *data, size_t len, size_t max)
{
	size_t size;
	char *body;

	if (!max || exchange->too_large)
		return;
	if (len > max - exchange->len) {
		exchange->too_large = true;
		return;
	}
	if (exchange->len + len + 1 > exchange->size) {
		size = exchange->size ? exchange->size : 4096;
		while (size < exchange->len + len + 1)
			size *= 2;
		body = mesh_wipe_realloc(exchange->body, exchange->size, size);
		if (!body) {
			exchange->too_large = true;
			return;
		}
		exchange->body = body;
		exchange->size = size;
	}
	memcpy(exchange->body + exchange->len, data, len);
	exchange->len += len;
	exchange->body[exchange->len] = '\0';
}

/* At the head: an answer that needs no body (true), or none yet. */
static bool refuse(const struct mesh_http_server *server, struct MHD_Connection *connection,
                   const char *path, const char *method, struct mesh_http_response *response)
{
	const char *length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
	                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);

	if (path[0] != '/')
		mesh_http_respond(response, 400, "malformed request\n");
	else if (!server->body_max && strcmp(method, "GET") && strcmp(method, "HEAD"))
		mesh_http_respond(response, 405, "method not allowed\n");
	else if (server->body_max && length && strtoull(length, NULL, 10) > server->body_max)
		mesh_http_respond(response, 413, "request body larger than %zu bytes\n",
		                  server->body_max);
	else
		return false;
	return true;
}

/*
 * libmicrohttpd calls this at the end of the head, for every piece of a
 * body, and once more at the end of the request.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *path,
                                  const char *method, const char *version, const char *data,
                                  size_t *len, void **request_context)
{
	struct mesh_http_server *server = cls;
	struct exchange *exchange = *request_context;
	struct mesh_http_response response = {.status = 200};
	struct mesh_http_request request = {.method = method, .path = path, .body = ""};

	(void)version;
	if (!exchange) {
		exchange = calloc(1, sizeof(*exchange));
		if (!exchange)
			return MHD_NO;
		*request_context = exchange;
		return refuse(server, connection, path, method, &response)
		           ? reply(connection, &response)
		           : MHD_YES;
	}
	if (*len) {
		take(exchange, data, *len, server->body_max);
		*len = 0;
		return MHD_YES;
	}
	if (exchange->too_large) {
		mesh_http_respond(&response, 413, "request body larger than %zu bytes\n",
		                  server->body_max);
		return reply(connection, &response);
	}
	if (exchange->body) {
		request.body = exchange->body;
		request.len = exchange->len;
	}
	request.content_type =
	    MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	request.connection = connection;
	server->handler(server->ctx, &request, &response);
	return reply(connection, &response);
}

/* The PEM files of options, read into server; 0, or -errno and the error line. */
static int load_tls(struct mesh_http_server *server, const struct mesh_http_options *options,
                    char *error, size_t error_size)
{
	int ret = read_pem(options->cert_file, &server->cert, &server->cert_size);

	if (ret) {
		snprintf(error, error_size, "failed to load certificate %s: %s", options->cert_file,
		         strerror(-ret));
		return ret;
	}
	ret = read_pem(options->key_file, &server->key, &server->key_size);
	if (ret)
		snprintf(error, error_size, "failed to load key %s: %s", options->key_file,
		         strerror(-ret));
	return ret;
}

/* libmicrohttpd on fd, which it owns from here on, closing it on failure too. */
static struct MHD_Daemon *start(struct mesh_http_server *server, int fd, unsigned int connections,
                                unsigned int deadline_ms)
{
	struct MHD_OptionItem tls[] = {
	    {MHD_OPTION_HTTPS_MEM_CERT, 0, server->cert},
	    {MHD_OPTION_HTTPS_MEM_KEY, 0, server->key},
	    {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES},
	    {MHD_OPTION_END, 0, NULL},
	};
	unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
	                     MHD_USE_POLL | MHD_USE_ERROR_LOG | (server->cert ? MHD_USE_TLS : 0);

	return MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, server,
	    /* First, or libmicrohttpd complains about it to stderr. */
	    MHD_OPTION_EXTERNAL_LOGGER, on_log, server, MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_LIMIT, connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    connections / 4 ? connections / 4 : 1,
	    /* Idle that long, a connection is past its deadline anyway: a backstop. */
	    MHD_OPTION_CONNECTION_TIMEOUT, (deadline_ms + 999) / 1000,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MESH_HTTP_MEMORY,
	    MHD_OPTION_THREAD_STACK_SIZE, (size_t)CONNECTION_STACK, MHD_OPTION_NOTIFY_CONNECTION,
	    on_connection, server, MHD_OPTION_NOTIFY_COMPLETED, on_completed, server,
	    MHD_OPTION_ARRAY, server->cert ? tls : tls + 3, MHD_OPTION_END);
}

int mesh_http_open(const struct mesh_http_options *options, struct mesh_http_server **out,
                   char *error, size_t error_size)
{
	unsigned int connections =
	                 options->connections ? options->connections : MESH_HTTP_CONNECTIONS,
	             deadline_ms =
	                 options->deadline_ms ? options->deadline_ms : MESH_HTTP_DEADLINE_MS;
	struct mesh_http_server *server = calloc(1, sizeof(*server));
	int fd, ret = -ENOMEM;

	snprintf(error, error_size, "out of memory");
	if (!server)
		return ret;
	*server = (struct mesh_http_server){
	    .handler = options->handler, .ctx = options->ctx, .body_max = options->body_max};
	pthread_mutex_init(&server->lock, NULL);
	if (options->cert_file && (ret = load_tls(server, options, error, error_size)))
		goto fail;
	ret = mesh_http_deadlines_start(connections, deadline_ms, &server->deadlines);
	if (ret) {
		snprintf(error, error_size, "failed to start a thread: %s", strerror(-ret));
		goto fail;
	}
	fd = listen_on(options->listen, (int)connections);
	if (fd < 0) {
		ret = fd;
		snprintf(error, error_size, "failed to listen on %s: %s", options->listen,
		         strerror(-ret));
		goto fail;
	}
	server->starting = true;
	server->daemon = start(server, fd, connections, deadline_ms);
	pthread_mutex_lock(&server->lock);
	server->starting = false;
	pthread_mutex_unlock(&server->lock);
	if (!server->daemon) {
		ret = -EINVAL;
		if (server->cert)
			snprintf(error, error_size, "failed to load certificate %s with key %s: %s",
			         options->cert_file, options->key_file, server->complaint);
		else
			snprintf(error, error_size, "failed to serve on %s: %s", options->listen,
			         server->complaint);
		goto fail;
	}
	*out = server;
	return 0;
fail:
	mesh_http_close(server);
	return ret;
}

unsigned int mesh_http_port(const struct mesh_http_server *server)
{
	const union MHD_DaemonInfo *info =
	    MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_BIND_PORT);

	return info ? info->port : 0;
}

void mesh_http_close(struct mesh_http_server *server)
{
	if (!server)
		return;
	if (server->daemon)
		MHD_stop_daemon(server->daemon);
	mesh_http_deadlines_stop(server->deadlines);
	free(server->cert);
	mesh_wipe_free(server->key, server->key_size);
	pthread_mutex_destroy(&server->lock);
	free(server);
}

const char *mesh_http_query(const struct mesh_http_request *request, const char *key)
{
	return MHD_lookup_connection_value(request->connection, MHD_GET_ARGUMENT_KIND, key);
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
