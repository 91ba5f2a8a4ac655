// SPDX-License-Identifier: MIT
/*
 * The UAPI socket server over a real (TUN-less) engine device: operations on one connection and
 * on many, all-or-nothing sets, the errno answers, socket file ownership and lifetime.
 * Needs root for /var/run/wireguard; the socket names are kwu<pid>... so runs never collide.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "wg/device.h"
#include "wg/uapi_server.h"

#define KEY_A "0011223344556677889900aabbccddeeff00112233445566778899aabbccddee"
#define PRIV "a8b8f2d0a3a1d6b2a4c0d8e6f4a2c0e8d6f4a2b0c8e6d4f2a0b8c6e4d2f0a86e"
#define ZERO_KEY "0000000000000000000000000000000000000000000000000000000000000000"

struct fixture {
	char ifname[16];
	char path[108];
	struct wg_device *dev;
	struct wg_uapi_server *server;
	atomic_int gone;
	pthread_mutex_t log_lock;
	char log[8192]; /* what the server logged, one line after another */
	size_t log_len;
};

static void on_gone(void *ctx)
{
	atomic_store(&((struct fixture *)ctx)->gone, 1);
}

static void keep_log(void *ctx, enum wg_log_level level, const char *msg)
{
	struct fixture *f = ctx;
	int n;

	(void)level;
	pthread_mutex_lock(&f->log_lock);
	n = snprintf(f->log + f->log_len, sizeof(f->log) - f->log_len, "%s\n", msg);
	if (n > 0)
		f->log_len = f->log_len + (size_t)n < sizeof(f->log) ? f->log_len + (size_t)n
		                                                     : sizeof(f->log) - 1;
	pthread_mutex_unlock(&f->log_lock);
}

static int setup(void **state)
{
	static unsigned int serial;
	struct fixture *f = calloc(1, sizeof(*f));
	struct wg_device_options dev_opts = {.tun_fd = -1};
	struct wg_uapi_server_options opts = {
	    .on_gone = on_gone, .log = keep_log, .log_level = WG_LOG_DEBUG};

	if (geteuid())
		return -1;
	snprintf(f->ifname, sizeof(f->ifname), "kwu%u-%u", (unsigned int)getpid() % 100000,
	         serial++);
	snprintf(f->path, sizeof(f->path), WG_UAPI_DIR "/%s.sock", f->ifname);
	assert_int_equal(wg_device_create(&f->dev, &dev_opts), 0);
	opts.ifname = f->ifname;
	opts.device = f->dev;
	opts.gone_ctx = f;
	opts.log_ctx = f;
	pthread_mutex_init(&f->log_lock, NULL);
	assert_int_equal(wg_uapi_listen(f->ifname, &opts.listen_fd), 0);
	assert_int_equal(wg_uapi_server_start(&f->server, &opts), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	wg_uapi_server_stop(f->server);
	wg_device_destroy(f->dev);
	pthread_mutex_destroy(&f->log_lock);
	free(f);
	return 0;
}

static int connect_to(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(addr.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	return fd;
}

static void send_text(int fd, const char *text, size_t len)
{
	assert_int_equal(send(fd, text, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Everything the server says until it closes; the write side is shut first. */
static char *read_all(int fd)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	ssize_t n;

	shutdown(fd, SHUT_WR);
	while ((n = recv(fd, buf + len, cap - len - 1, 0)) > 0) {
		len += (size_t)n;
		assert_true(len < cap - 1);
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

static char *talk(const struct fixture *f, const char *request)
{
	int fd = connect_to(f->path);

	send_text(fd, request, strlen(request));
	return read_all(fd);
}

static void talk_expect(const struct fixture *f, const char *request, const char *answer)
{
	char *got = talk(f, request);

	assert_string_equal(got, answer);
	free(got);
}

static const char *const full_get = "private_key=" PRIV "\n"
                                    "public_key=" KEY_A "\n"
                                    "preshared_key=" ZERO_KEY "\n"
                                    "protocol_version=1\n"
                                    "endpoint=192.0.2.1:51820\n"
                                    "last_handshake_time_sec=0\n"
                                    "last_handshake_time_nsec=0\n"
                                    "tx_bytes=0\n"
                                    "rx_bytes=0\n"
                                    "persistent_keepalive_interval=0\n"
                                    "allowed_ip=10.0.0.0/8\n"
                                    "errno=0\n\n";

static void configure(const struct fixture *f)
{
	talk_expect(f,
	            "set=1\nprivate_key=" PRIV "\npublic_key=" KEY_A
	            "\nendpoint=192.0.2.1:51820\nallowed_ip=10.0.0.0/8\n\n",
	            "errno=0\n\n");
}

static void test_set_and_get_share_one_connection(void **state)
{
	struct fixture *f = *state;
	char *got;

	talk_expect(f, "get=1\n\n", "errno=0\n\n");
	got = talk(f, "set=1\nprivate_key=" PRIV "\npublic_key=" KEY_A
	              "\nendpoint=192.0.2.1:51820\nallowed_ip=10.0.0.0/8\n\nget=1\n\nget=1\n\n");
	assert_true(!strncmp(got, "errno=0\n\n", 9));
	assert_true(!strncmp(got + 9, full_get, strlen(full_get)));
	assert_string_equal(got + 9 + strlen(full_get), full_get);
	free(got);
}

static void test_bad_set_answers_einval_and_changes_nothing(void **state)
{
	struct fixture *f = *state;

	configure(f);
	/* Valid lines first: in wireguard-go they would have been applied already. */
	talk_expect(f, "set=1\nreplace_peers=true\nprivate_key=" ZERO_KEY "\nlisten_port=70000\n\n",
	            "errno=-22\n\n");
	talk_expect(f, "get=1\n\n", full_get);
}

static void test_peer_beyond_the_limit_answers_einval_and_changes_nothing(void **state)
{
	struct fixture *f = *state;

	configure(f);
	/* The device's limit is MAX_PEERS_PER_DEVICE; one is as good a test of it. */
	f->dev->max_peers = 1;
	talk_expect(f, "set=1\nlisten_port=0\npublic_key=" PRIV "\n\n", "errno=-22\n\n");
	talk_expect(f, "get=1\n\n", full_get);
}

static void test_line_without_equals_answers_eproto(void **state)
{
	struct fixture *f = *state;

	configure(f);
	talk_expect(f, "set=1\nreplace_peers=true\nlisten_port\n\n", "errno=-71\n\n");
	talk_expect(f, "get=1\n\n", full_get);
}

static void test_unreadable_lines_answer_einval(void **state)
{
	static const char nul_line[] = "set=1\nreplace_peers=true\nfwmark=1\0x\n\n";
	struct fixture *f = *state;
	size_t huge = 3 << 20;
	char *request = malloc(huge + 32), *got;
	int fd;

	configure(f);
	fd = connect_to(f->path);
	send_text(fd, nul_line, sizeof(nul_line) - 1);
	got = read_all(fd);
	assert_string_equal(got, "errno=-22\n\n");
	free(got);
	/* A line of megabytes is consumed and refused, and the connection goes on. */
	strcpy(request, "set=1\nallowed_ip=");
	memset(request + strlen(request), '1', huge);
	strcpy(request + strlen("set=1\nallowed_ip=") + huge, "\n\nget=1\n\n");
	got = talk(f, request);
	assert_true(!strncmp(got, "errno=-22\n\n", 11));
	assert_string_equal(got + 11, full_get);
	free(got);
	free(request);
}

/* Fails if the log holds any four characters in a row of secret. */
static void assert_log_has_no_part_of(struct fixture *f, const char *secret)
{
	char window[5];
	size_t i;

	pthread_mutex_lock(&f->log_lock);
	assert_true(f->log_len > 0);
	for (i = 0; secret[i + 3]; i++) {
		memcpy(window, secret + i, 4);
		window[4] = '\0';
		if (strstr(f->log, window))
			fail_msg("the log echoes its input: %s", f->log);
	}
	pthread_mutex_unlock(&f->log_lock);
}

static void test_bad_input_never_reaches_the_log(void **state)
{
	struct fixture *f = *state;

	/* A private key pasted where a line should have had its '=': 80 bits and more. */
	talk_expect(f, "private_key" PRIV "\nget=1\n\n", "");
	talk_expect(f, "set=1\nprivate_key" PRIV "\n\n", "errno=-71\n\n");
	talk_expect(f, "set=1\n" PRIV "=1\n\n", "errno=-22\n\n");
	talk_expect(f, "set=1\nlisten_port=" PRIV "\n\n", "errno=-22\n\n");
	assert_log_has_no_part_of(f, PRIV);
}

static void test_get_with_a_line_answers_einval(void **state)
{
	struct fixture *f = *state;

	talk_expect(f, "get=1\nprivate_key=" PRIV "\nget=1\n\n", "errno=-22\n\nerrno=0\n\n");
}

static void test_unknown_operation_closes_the_connection(void **state)
{
	struct fixture *f = *state;

	talk_expect(f, "sett=1\nget=1\n\n", "");
	talk_expect(f, "\nget=1\n\n", "");
	/* The server itself goes on. */
	talk_expect(f, "get=1\n\n", "errno=0\n\n");
}

static void test_interleaved_connections_each_get_their_answer(void **state)
{
	struct fixture *f = *state;
	int fds[10];
	char *got;
	int i;

	configure(f);
	for (i = 0; i < 10; i++) {
		fds[i] = connect_to(f->path);
		send_text(fds[i], "get", 3);
	}
	for (i = 9; i >= 0; i--) {
		send_text(fds[i], "=1\n\n", 4);
		got = read_all(fds[i]);
		assert_string_equal(got, full_get);
		free(got);
	}
}

static void test_socket_is_owner_only(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(WG_UAPI_DIR, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
}

static void test_live_socket_is_not_taken_over(void **state)
{
	struct fixture *f = *state;
	int fd = -1;

	assert_int_equal(wg_uapi_listen(f->ifname, &fd), -EADDRINUSE);
	assert_int_equal(fd, -1);
	talk_expect(f, "get=1\n\n", "errno=0\n\n");
}

static void test_stale_socket_is_replaced(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	char name[20];
	int stale = socket(AF_UNIX, SOCK_STREAM, 0), fd;

	/* A socket file nobody listens on, as a killed daemon leaves behind. */
	snprintf(name, sizeof(name), "%s-x", f->ifname);
	snprintf(addr.sun_path, sizeof(addr.sun_path), WG_UAPI_DIR "/%s.sock", name);
	unlink(addr.sun_path);
	assert_int_equal(bind(stale, (struct sockaddr *)&addr, sizeof(addr)), 0);
	close(stale);
	assert_int_equal(wg_uapi_listen(name, &fd), 0);
	close(fd);
	unlink(addr.sun_path);
}

static void test_bad_interface_names_are_refused(void **state)
{
	int fd;

	(void)state;
	assert_int_equal(wg_uapi_listen("", &fd), -EINVAL);
	assert_int_equal(wg_uapi_listen("../etc/x", &fd), -EINVAL);
}

static void test_deleting_the_socket_file_reports_gone(void **state)
{
	struct fixture *f = *state;
	struct timespec tick = {.tv_nsec = 10 * 1000 * 1000};
	int i;

	assert_int_equal(atomic_load(&f->gone), 0);
	assert_int_equal(unlink(f->path), 0);
	for (i = 0; i < 200 && !atomic_load(&f->gone); i++)
		nanosleep(&tick, NULL);
	assert_int_equal(atomic_load(&f->gone), 1);
}

static void test_stopping_removes_the_socket_file(void **state)
{
	struct fixture *f = *state;

	wg_uapi_server_stop(f->server);
	assert_int_equal(access(f->path, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	/* Nothing left to stop in teardown. */
	f->server = NULL;
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_set_and_get_share_one_connection),
	    T(test_bad_set_answers_einval_and_changes_nothing),
	    T(test_peer_beyond_the_limit_answers_einval_and_changes_nothing),
	    T(test_line_without_equals_answers_eproto),
	    T(test_unreadable_lines_answer_einval),
	    T(test_get_with_a_line_answers_einval),
	    T(test_bad_input_never_reaches_the_log),
	    T(test_unknown_operation_closes_the_connection),
	    T(test_interleaved_connections_each_get_their_answer),
	    T(test_socket_is_owner_only),
	    T(test_live_socket_is_not_taken_over),
	    T(test_stale_socket_is_replaced),
	    T(test_bad_interface_names_are_refused),
	    T(test_deleting_the_socket_file_reports_gone),
	    T(test_stopping_removes_the_socket_file),
	};

	if (geteuid()) {
		fprintf(stderr, "SKIP: the UAPI server tests need root for " WG_UAPI_DIR "\n");
		return 77; /* ctest's skip code for unit tests */
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
