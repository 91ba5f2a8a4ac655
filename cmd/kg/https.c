// SPDX-License-Identifier: MIT
/*
 * The HTTPS server of `kg webhook`: an accepting thread that starts a
 * thread per connection while fewer than KG_HTTPS_CONNECTIONS run, and per
 * connection a deadline that every wait (handshake, request, response)
 * counts down, so no client holds its thread past it whatever it trickles.
 */
#include "cmd/kg/https.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cmd/common/http_head.h"

/* After the response, how long the client may take to close its side. */
#define LINGER_MS 1000
/* A connection needs little stack: its buffers are a head and OpenSSL's frames. */
#define CONNECTION_STACK (256 << 10)

struct kg_https_server {
	int listen_fd, stop_fd;
	SSL_CTX *tls;
	kg_https_handler_fn *handler;
	void *ctx;
	pthread_t acceptor;
	bool accepting;
	pthread_mutex_t lock;
	pthread_cond_t changed; /* a connection ended, or stopping was set */
	unsigned int active;    /* connection threads alive */
	bool stopping;
};

/* What a connection thread is given. */
struct job {
	struct kg_https_server *server;
	int fd;
};

struct connection {
	int fd;
	SSL *tls;
	int64_t deadline; /* CLOCK_MONOTONIC milliseconds */
};

/* Go's net/http answer to plain HTTP on a TLS port. */
static const char plain_http_answer[] = "HTTP/1.0 400 Bad Request\r\n\r\n"
                                        "Client sent an HTTP request to an HTTPS server.\n";

static int64_t now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Waits for the socket to be ready for events; false at the deadline. */
static bool wait_io(const struct connection *c, short events)
{
	struct pollfd fd = {.fd = c->fd, .events = events};
	int64_t left;
	int n;

	while ((left = c->deadline - now_ms()) > 0) {
		n = poll(&fd, 1, (int)left);
		if (n > 0)
			return true;
		if (n == 0 || errno != EINTR)
			return false;
	}
	return false;
}

/* After a TLS call returned ret: wait for what it needs, and say whether to call it again. */
static bool tls_retry(const struct connection *c, int ret)
{
	switch (SSL_get_error(c->tls, ret)) {
	case SSL_ERROR_WANT_READ:
		return wait_io(c, POLLIN);
	case SSL_ERROR_WANT_WRITE:
		return wait_io(c, POLLOUT);
	default:
		return false;
	}
}

static bool tls_accept(struct connection *c)
{
	int ret;

	do {
		ERR_clear_error();
		ret = SSL_accept(c->tls);
	} while (ret <= 0 && tls_retry(c, ret));
	return ret == 1;
}

/* Bytes read (> 0), or <= 0 at the end, on an error or at the deadline. */
static int tls_read(struct connection *c, char *buf, size_t len)
{
	int n;

	do {
		ERR_clear_error();
		n = SSL_read(c->tls, buf, (int)len);
	} while (n <= 0 && tls_retry(c, n));
	return n;
}

static bool tls_write(struct connection *c, const char *buf, size_t len)
{
	while (len) {
		int n;

		ERR_clear_error();
		n = SSL_write(c->tls, buf, (int)len);
		if (n <= 0 && !tls_retry(c, n))
			return false;
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		}
	}
	return true;
}

/* A TLS client opens with a handshake record (22); an HTTP client with a method's letter. */
static bool speaks_plain_http(const struct connection *c)
{
	unsigned char first;

	return wait_io(c, POLLIN) && recv(c->fd, &first, 1, MSG_PEEK) == 1 && first >= 'A' &&
	       first <= 'Z';
}

/*
 * Closing with unread input makes the kernel answer with a reset, which can
 * destroy the response before the client reads it: half-close, then give
 * the client a moment to close its side.
 */
static void linger(const struct connection *c)
{
	int64_t soon = now_ms() + LINGER_MS;
	struct connection brief = {.fd = c->fd,
	                           .deadline = soon < c->deadline ? soon : c->deadline};
	char buf[4096];

	shutdown(c->fd, SHUT_WR);
	while (wait_io(&brief, POLLIN) && recv(c->fd, buf, sizeof(buf), 0) > 0)
		;
}

/* Reads up to the blank line; the head's length, 0 if the client left, -1 if too long. */
static ssize_t read_head(struct connection *c, char *buf, size_t size, size_t *read)
{
	char *end;

	*read = 0;
	while (*read < size) {
		int n = tls_read(c, buf + *read, size - *read);

		if (n <= 0)
			return 0;
		*read += (size_t)n;
		end = memmem(buf, *read, "\r\n\r\n", 4);
		if (end)
			return end + 4 - buf;
	}
	return -1;
}

/* The body: the bytes that came with the head, then the rest; NULL if the client left. */
static char *read_body(struct connection *c, const char *start, size_t have, size_t len)
{
	char *body = malloc(len + 1);

	if (!body)
		return NULL;
	have = have < len ? have : len;
	memcpy(body, start, have);
	while (have < len) {
		int n = tls_read(c, body + have, len - have);

		if (n <= 0) {
			sodium_memzero(body, have);
			free(body);
			return NULL;
		}
		have += (size_t)n;
	}
	body[len] = '\0';
	return body;
}

/* Reads the body the head announces and has the handler answer; false if the client left. */
static bool dispatch(struct kg_https_server *server, struct connection *c,
                     const struct mesh_http_head *head, const char *start, size_t have,
                     struct mesh_http_response *response)
{
	size_t len = head->content_length < 0 ? 0 : (size_t)head->content_length;
	struct kg_https_request request = {.method = head->line.method,
	                                   .path = head->line.path,
	                                   .content_type = head->content_type,
	                                   .len = len};
	char *body = read_body(c, start, have, len);

	if (!body)
		return false;
	request.body = body;
	server->handler(server->ctx, &request, response);
	sodium_memzero(body, len);
	free(body);
	return true;
}

/*
 * Reads one request and has it answered; false if there is no one to answer.
 * What was read is wiped after: a Peer's spec may carry its preshared key.
 */
static bool handle(struct kg_https_server *server, struct connection *c,
                   struct mesh_http_response *response)
{
	char buf[MESH_HTTP_HEAD_MAX];
	struct mesh_http_head head;
	bool answered = true;
	ssize_t len;
	size_t read;

	len = read_head(c, buf, sizeof(buf), &read);
	if (!len)
		answered = false;
	else if (len < 0)
		mesh_http_respond(response, 413, "request head too large\n");
	else if (!mesh_http_head_parse(buf, (size_t)len, &head))
		mesh_http_respond(response, 400, "malformed request\n");
	else if (head.chunked)
		mesh_http_respond(response, 411,
		                  "chunked bodies are not supported: send a Content-Length\n");
	else if (head.content_length > KG_HTTPS_BODY_MAX)
		mesh_http_respond(response, 413, "request body larger than %d bytes\n",
		                  KG_HTTPS_BODY_MAX);
	else
		answered = dispatch(server, c, &head, buf + len, read - (size_t)len, response);
	sodium_memzero(buf, read);
	return answered;
}

static void serve(struct kg_https_server *server, int fd)
{
	struct connection c = {.fd = fd, .deadline = now_ms() + KG_HTTPS_DEADLINE * 1000};
	struct mesh_http_response response = {.status = 200};
	char head[MESH_HTTP_RESPONSE_HEAD_MAX];

	if (speaks_plain_http(&c)) {
		send(fd, plain_http_answer, sizeof(plain_http_answer) - 1, MSG_NOSIGNAL);
		goto out;
	}
	c.tls = SSL_new(server->tls);
	if (!c.tls || !SSL_set_fd(c.tls, fd) || !tls_accept(&c) || !handle(server, &c, &response))
		goto out;
	if (tls_write(&c, head, mesh_http_head(&response, head, sizeof(head))) && response.len)
		tls_write(&c, response.body, response.len);
	ERR_clear_error();
	SSL_shutdown(c.tls);
out:
	linger(&c);
	free(response.body);
	SSL_free(c.tls);
}

static void *run_connection(void *arg)
{
	struct job *job = arg;
	struct kg_https_server *server = job->server;

	serve(server, job->fd);
	close(job->fd);
	free(job);
	pthread_mutex_lock(&server->lock);
	server->active--;
	pthread_cond_broadcast(&server->changed);
	pthread_mutex_unlock(&server->lock);
	return NULL;
}

/* Waits for a free connection slot; false once the server stops. */
static bool take_slot(struct kg_https_server *server)
{
	bool ok;

	pthread_mutex_lock(&server->lock);
	while (server->active >= KG_HTTPS_CONNECTIONS && !server->stopping)
		pthread_cond_wait(&server->changed, &server->lock);
	ok = !server->stopping;
	if (ok)
		server->active++;
	pthread_mutex_unlock(&server->lock);
	return ok;
}

static void give_slot(struct kg_https_server *server)
{
	pthread_mutex_lock(&server->lock);
	server->active--;
	pthread_mutex_unlock(&server->lock);
}

/* Hands fd to a thread of its own; closes it if none can be had. */
static void start_connection(struct kg_https_server *server, pthread_attr_t *attr, int fd)
{
	struct job *job = malloc(sizeof(*job));
	pthread_t thread;

	if (job) {
		*job = (struct job){.server = server, .fd = fd};
		if (!pthread_create(&thread, attr, run_connection, job))
			return;
		free(job);
	}
	close(fd);
	give_slot(server);
}

static void *accept_connections(void *arg)
{
	struct kg_https_server *server = arg;
	struct pollfd fds[2] = {{.fd = server->listen_fd, .events = POLLIN},
	                        {.fd = server->stop_fd, .events = POLLIN}};
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, CONNECTION_STACK);
	while (take_slot(server)) {
		int n = poll(fds, 2, -1), fd = -1;

		if (n > 0 && fds[1].revents) {
			give_slot(server);
			break;
		}
		if (n > 0)
			fd = accept4(server->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0) {
			start_connection(server, &attr, fd);
			continue;
		}
		give_slot(server);
		if (n > 0 && (errno == EMFILE || errno == ENFILE))
			poll(NULL, 0, 100); /* out of descriptors: let connections close some */
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

/* OpenSSL's reason for the last failure, for an error line. */
static const char *tls_reason(void)
{
	const char *reason = ERR_reason_error_string(ERR_peek_last_error());

	return reason ? reason : "unknown error";
}

static SSL_CTX *tls_context(const char *cert_file, const char *key_file, char *error,
                            size_t error_size)
{
	SSL_CTX *tls = SSL_CTX_new(TLS_server_method());

	if (!tls) {
		snprintf(error, error_size, "failed to create a TLS context: %s", tls_reason());
	} else if (!SSL_CTX_set_min_proto_version(tls, TLS1_2_VERSION)) {
		snprintf(error, error_size, "failed to require TLS 1.2: %s", tls_reason());
	} else if (SSL_CTX_use_certificate_chain_file(tls, cert_file) != 1) {
		snprintf(error, error_size, "failed to load certificate %s: %s", cert_file,
		         tls_reason());
	} else if (SSL_CTX_use_PrivateKey_file(tls, key_file, SSL_FILETYPE_PEM) != 1) {
		snprintf(error, error_size, "failed to load key %s: %s", key_file, tls_reason());
	} else if (SSL_CTX_check_private_key(tls) != 1) {
		snprintf(error, error_size, "key %s does not match certificate %s: %s", key_file,
		         cert_file, tls_reason());
	} else {
		SSL_CTX_set_options(tls, SSL_OP_NO_RENEGOTIATION);
		return tls;
	}
	SSL_CTX_free(tls);
	return NULL;
}

int kg_https_open(const char *listen, const char *cert_file, const char *key_file,
                  kg_https_handler_fn *handler, void *ctx, struct kg_https_server **out,
                  char *error, size_t error_size)
{
	struct kg_https_server *server = calloc(1, sizeof(*server));
	int ret = -ENOMEM;

	snprintf(error, error_size, "out of memory");
	if (!server)
		return ret;
	*server = (struct kg_https_server){.listen_fd = -1, .handler = handler, .ctx = ctx};
	pthread_mutex_init(&server->lock, NULL);
	pthread_cond_init(&server->changed, NULL);
	server->stop_fd = eventfd(0, EFD_CLOEXEC);
	server->tls = tls_context(cert_file, key_file, error, error_size);
	if (!server->tls || server->stop_fd < 0) {
		ret = server->tls ? -errno : -EINVAL;
		goto fail;
	}
	server->listen_fd = mesh_http_listen(listen);
	if (server->listen_fd < 0 || fcntl(server->listen_fd, F_SETFL, O_NONBLOCK)) {
		ret = server->listen_fd < 0 ? server->listen_fd : -errno;
		snprintf(error, error_size, "failed to listen on %s: %s", listen, strerror(-ret));
		goto fail;
	}
	ret = -pthread_create(&server->acceptor, NULL, accept_connections, server);
	if (ret) {
		snprintf(error, error_size, "failed to start a thread: %s", strerror(-ret));
		goto fail;
	}
	server->accepting = true;
	*out = server;
	return 0;
fail:
	kg_https_close(server);
	return ret;
}

void kg_https_close(struct kg_https_server *server)
{
	const uint64_t one = 1;

	if (!server)
		return;
	pthread_mutex_lock(&server->lock);
	server->stopping = true;
	pthread_cond_broadcast(&server->changed);
	pthread_mutex_unlock(&server->lock);
	if (server->accepting && write(server->stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(server->acceptor, NULL);
	/* Each connection ends by its deadline. */
	pthread_mutex_lock(&server->lock);
	while (server->active)
		pthread_cond_wait(&server->changed, &server->lock);
	pthread_mutex_unlock(&server->lock);
	if (server->listen_fd >= 0)
		close(server->listen_fd);
	if (server->stop_fd >= 0)
		close(server->stop_fd);
	SSL_CTX_free(server->tls);
	pthread_cond_destroy(&server->changed);
	pthread_mutex_destroy(&server->lock);
	free(server);
}
