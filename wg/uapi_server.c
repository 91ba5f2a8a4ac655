// SPDX-License-Identifier: MIT
/*
 * uapi_server.c - the UAPI socket: one thread polling the listening socket, every connection,
 * an inotify watch on the socket directory and a stop eventfd.
 *
 * Connections are read without blocking and parsed line by line, so a client that sends half a
 * line and goes quiet holds up nobody. Answers are written with a send timeout, so a client that
 * never reads its answer is dropped instead of stalling the server.
 */
#include "wg/uapi_server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "wg/crypto.h"
#include "wg/thread.h"
#include "wg/uapi.h"

enum {
	MAX_CLIENTS = 64,
	/* Far above any real line (the longest is an endpoint with a zone); longer is garbage. */
	MAX_LINE = 1024,
	SEND_TIMEOUT_SEC = 2,
	FIXED_FDS = 3, /* stop, listen, inotify */
};

enum op { OP_NONE, OP_GET, OP_SET };

struct client {
	int fd;
	uint64_t last_active; /* monotonic ns, to pick whom to drop when full */
	enum op op;
	bool bad_line; /* the line being read is too long or holds a NUL byte */
	int error;     /* the current set's error that wg_uapi_set knows nothing of */
	size_t len;
	char line[MAX_LINE];
	struct wg_uapi_set req;
};

struct wg_uapi_server {
	struct wg_uapi_server_options opts;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ino_t ino;
	int listen_fd, inotify_fd, stop_fd;
	bool gone;
	pthread_t thread;
	struct client *clients[MAX_CLIENTS];
	size_t n_clients;
};

static void say(struct wg_uapi_server *srv, enum wg_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(struct wg_uapi_server *srv, enum wg_log_level level, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!srv->opts.log || level > srv->opts.log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	srv->opts.log(srv->opts.log_ctx, level, msg);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int socket_path(char *path, size_t size, const char *ifname)
{
	int n = snprintf(path, size, WG_UAPI_DIR "/%s.sock", ifname);

	if (!*ifname || strchr(ifname, '/'))
		return -EINVAL;
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* A socket file that accepts a connection belongs to a live daemon; one that refuses is stale. */
static bool socket_in_use(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool in_use;

	if (fd < 0)
		return false;
	in_use = !connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	close(fd);
	return in_use;
}

/* Read-write for root alone (0600): nobody else may read keys from it or change the device. */
static int bind_private(int fd, const struct sockaddr_un *addr)
{
	mode_t old = umask(0177);
	int ret = bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) ? -errno : 0;

	umask(old);
	return ret;
}

int wg_uapi_listen(const char *ifname, int *fd_out)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = -1, ret;

	ret = socket_path(addr.sun_path, sizeof(addr.sun_path), ifname);
	if (ret)
		goto out;
	if (mkdir(WG_UAPI_DIR, 0755) && errno != EEXIST) {
		ret = -errno;
		goto out;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = bind_private(fd, &addr);
	if (ret == -EADDRINUSE && !socket_in_use(&addr)) {
		unlink(addr.sun_path);
		ret = bind_private(fd, &addr);
	}
	if (!ret && listen(fd, SOMAXCONN))
		ret = -errno;
out:
	if (ret && fd >= 0)
		close(fd);
	else if (!ret)
		*fd_out = fd;
	return ret;
}

static int send_all(int fd, const char *data, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int reply_errno(struct client *c, int err)
{
	char msg[32];
	int n = snprintf(msg, sizeof(msg), "errno=%d\n\n", err);

	return send_all(c->fd, msg, (size_t)n);
}

static int do_get(struct wg_uapi_server *srv, struct client *c)
{
	struct wg_snapshot snap;
	struct wg_uapi_buf buf = {0};
	int ret = wg_device_snapshot(srv->opts.device, &snap);

	if (ret) {
		say(srv, WG_LOG_ERROR, "UAPI: get failed: %s", strerror(-ret));
		return reply_errno(c, ret);
	}
	wg_uapi_format_get(&buf, &snap);
	wg_uapi_buf_printf(&buf, "errno=0\n\n");
	wg_snapshot_free(&snap);
	ret = buf.error ? reply_errno(c, buf.error) : send_all(c->fd, buf.data, buf.len);
	wg_uapi_buf_free(&buf);
	return ret;
}

static int do_set(struct wg_uapi_server *srv, struct client *c)
{
	const struct wg_config *config;
	int ret = c->error;

	if (!ret)
		ret = wg_uapi_set_finish(&c->req, &config);
	if (ret)
		say(srv, WG_LOG_ERROR, "UAPI: set rejected, nothing changed: %s",
		    c->error ? "a line too long or holding a NUL byte"
		             : wg_uapi_set_error(&c->req));
	else
		ret = wg_device_configure(srv->opts.device, config);
	wg_uapi_set_free(&c->req);
	c->error = 0;
	return reply_errno(c, ret);
}

static int start_op(struct wg_uapi_server *srv, struct client *c, const char *line)
{
	if (!c->bad_line && !strcmp(line, "get=1"))
		c->op = OP_GET;
	else if (!c->bad_line && !strcmp(line, "set=1"))
		c->op = OP_SET;
	else
		say(srv, WG_LOG_ERROR, "UAPI: unknown operation, closing");
	/* Without a known operation the stream cannot be followed: like wireguard-go, hang up. */
	return c->op == OP_NONE ? -EPROTO : 0;
}

/* Handles one complete line; a negative return drops the connection. */
static int client_line(struct wg_uapi_server *srv, struct client *c, const char *line)
{
	bool blank = !*line && !c->bad_line;
	enum op op = c->op;

	if (op == OP_NONE)
		return start_op(srv, c, line);
	if (op == OP_SET && !blank) {
		if (!c->bad_line)
			wg_uapi_set_line(&c->req, line);
		else if (!c->error)
			c->error = -EINVAL;
		return 0;
	}
	c->op = OP_NONE;
	if (op == OP_SET)
		return do_set(srv, c);
	/* A get takes no lines (wireguard-go: "trailing character in UAPI get"). */
	return blank ? do_get(srv, c) : reply_errno(c, -EINVAL);
}

/* Reads what is pending; a negative return drops the connection. Lines may carry keys, so
 * both buffers are wiped once read. */
static int client_read(struct wg_uapi_server *srv, struct client *c)
{
	char buf[4096];
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	ssize_t i;
	int ret = 0;

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0)
		return -ECONNRESET;
	c->last_active = now_ns();
	for (i = 0; i < n && !ret; i++) {
		if (buf[i] == '\n') {
			c->line[c->len] = '\0';
			ret = client_line(srv, c, c->line);
			wg_memzero(c->line, c->len);
			c->len = 0;
			c->bad_line = false;
		} else if (!buf[i] || c->len == MAX_LINE - 1) {
			c->bad_line = true;
		} else {
			c->line[c->len++] = buf[i];
		}
	}
	wg_memzero(buf, (size_t)n);
	return ret;
}

static void client_drop(struct wg_uapi_server *srv, size_t i)
{
	struct client *c = srv->clients[i];

	close(c->fd);
	wg_uapi_set_free(&c->req);
	wg_memzero(c, sizeof(*c));
	free(c);
	srv->clients[i] = srv->clients[--srv->n_clients];
}

/* When every slot is taken, the connection idle the longest goes: a pile of stalled clients
 * must not lock `wg` out. */
static void drop_idlest(struct wg_uapi_server *srv)
{
	size_t i, idlest = 0;

	for (i = 1; i < srv->n_clients; i++) {
		if (srv->clients[i]->last_active < srv->clients[idlest]->last_active)
			idlest = i;
	}
	say(srv, WG_LOG_ERROR, "UAPI: %d connections open, dropping the idlest", MAX_CLIENTS);
	client_drop(srv, idlest);
}

static void client_accept(struct wg_uapi_server *srv)
{
	struct timeval timeout = {.tv_sec = SEND_TIMEOUT_SEC};
	struct client *c;
	int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	if (srv->n_clients == MAX_CLIENTS)
		drop_idlest(srv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
	c->fd = fd;
	c->last_active = now_ns();
	srv->clients[srv->n_clients++] = c;
}

/* Any change in the directory may be the socket file going away or being replaced. */
static void check_socket_file(struct wg_uapi_server *srv)
{
	char events[4096];
	struct stat st;

	while (read(srv->inotify_fd, events, sizeof(events)) > 0)
		;
	if (srv->gone || (!lstat(srv->path, &st) && st.st_ino == srv->ino))
		return;
	srv->gone = true;
	say(srv, WG_LOG_INFO, "UAPI: %s was removed", srv->path);
	if (srv->opts.on_gone)
		srv->opts.on_gone(srv->opts.gone_ctx);
}

static void *serve(void *arg)
{
	struct wg_uapi_server *srv = arg;
	struct pollfd fds[FIXED_FDS + MAX_CLIENTS];
	size_t i, n;

	for (;;) {
		fds[0] = (struct pollfd){.fd = srv->stop_fd, .events = POLLIN};
		fds[1] = (struct pollfd){.fd = srv->listen_fd, .events = POLLIN};
		fds[2] = (struct pollfd){.fd = srv->inotify_fd, .events = POLLIN};
		n = srv->n_clients;
		for (i = 0; i < n; i++)
			fds[FIXED_FDS + i] =
			    (struct pollfd){.fd = srv->clients[i]->fd, .events = POLLIN};
		if (poll(fds, FIXED_FDS + n, -1) < 0)
			continue;
		if (fds[0].revents)
			break;
		if (fds[2].revents)
			check_socket_file(srv);
		/* Backwards, as dropping a client moves the last one into its slot. */
		for (i = n; i-- > 0;) {
			if (fds[FIXED_FDS + i].revents && client_read(srv, srv->clients[i]))
				client_drop(srv, i);
		}
		if (fds[1].revents)
			client_accept(srv);
	}
	return NULL;
}

static void server_free(struct wg_uapi_server *srv)
{
	struct stat st;

	while (srv->n_clients)
		client_drop(srv, 0);
	if (srv->listen_fd >= 0) {
		/* Another daemon may have taken the name meanwhile; its socket is not ours. */
		if (!lstat(srv->path, &st) && st.st_ino == srv->ino)
			unlink(srv->path);
		close(srv->listen_fd);
	}
	if (srv->inotify_fd >= 0)
		close(srv->inotify_fd);
	if (srv->stop_fd >= 0)
		close(srv->stop_fd);
	free(srv);
}

static int server_watch(struct wg_uapi_server *srv)
{
	struct stat st;

	if (fcntl(srv->listen_fd, F_SETFL, O_NONBLOCK) || lstat(srv->path, &st))
		return -errno;
	srv->ino = st.st_ino;
	srv->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	srv->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (srv->stop_fd < 0 || srv->inotify_fd < 0)
		return -errno;
	if (inotify_add_watch(srv->inotify_fd, WG_UAPI_DIR,
	                      IN_ATTRIB | IN_DELETE | IN_DELETE_SELF | IN_MOVED_FROM | IN_MOVED_TO |
	                          IN_CREATE) < 0)
		return -errno;
	return 0;
}

int wg_uapi_server_start(struct wg_uapi_server **out, const struct wg_uapi_server_options *opts)
{
	struct wg_uapi_server *srv = calloc(1, sizeof(*srv));
	int ret;

	if (!srv) {
		close(opts->listen_fd);
		return -ENOMEM;
	}
	srv->opts = *opts;
	srv->listen_fd = opts->listen_fd;
	srv->inotify_fd = srv->stop_fd = -1;
	ret = socket_path(srv->path, sizeof(srv->path), opts->ifname);
	if (!ret)
		ret = server_watch(srv);
	if (!ret)
		ret = wg_thread_start(&srv->thread, "wg-uapi", serve, srv);
	if (ret) {
		server_free(srv);
		return ret;
	}
	*out = srv;
	return 0;
}

void wg_uapi_server_stop(struct wg_uapi_server *srv)
{
	uint64_t one = 1;

	if (!srv)
		return;
	if (write(srv->stop_fd, &one, sizeof(one)) != sizeof(one))
		say(srv, WG_LOG_ERROR, "UAPI: cannot wake the server thread: %s", strerror(errno));
	pthread_join(srv->thread, NULL);
	server_free(srv);
}
