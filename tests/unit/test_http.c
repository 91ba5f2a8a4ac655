// SPDX-License-Identifier: MIT
/*
 * cmd/common/http: the requests reaching the handler, the refusals, and the
 * limits that keep slow and greedy clients from holding the server: one
 * deadline per connection from accept, a thread per connection, the cap
 * and its quarter per address. Loopback only; clients bind to 127.0.0.N to
 * be N addresses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cmd/common/http.h"

/* The body of /big: more than the kernel buffers of both ends hold. */
#define BIG (16 << 20)

static const char *or_dash(const char *text)
{
	return text ? text : "-";
}

/* Answers what reached it; /big with BIG bytes. */
static void echo(void *ctx, const struct mesh_http_request *request,
                 struct mesh_http_response *response)
{
	(void)ctx;
	if (!strcmp(request->path, "/big")) {
		response->body = malloc(BIG);
		assert_non_null(response->body);
		memset(response->body, 'x', BIG);
		response->len = BIG;
		return;
	}
	assert_int_equal(strlen(request->body), request->len);
	mesh_http_respond(response, 200, "%s %s format=%s layout=%s type=%s body=%s",
	                  request->method, request->path,
	                  or_dash(mesh_http_query(request, "format")),
	                  or_dash(mesh_http_query(request, "layout")),
	                  or_dash(request->content_type), request->body);
}

static struct mesh_http_server *open_with(struct mesh_http_options options)
{
	struct mesh_http_server *server;
	char error[256];

	options.listen = options.listen ? options.listen : "127.0.0.1:0";
	options.handler = echo;
	assert_int_equal(mesh_http_open(&options, &server, error, sizeof(error)), 0);
	return server;
}

static int setup(void **state)
{
	*state = open_with((struct mesh_http_options){0});
	return 0;
}

static int teardown(void **state)
{
	mesh_http_close(*state);
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* A connection to the server from 127.0.0.N. */
static int connect_from(struct mesh_http_server *server, int n)
{
	struct sockaddr_in source = {.sin_family = AF_INET,
	                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK + (uint32_t)n - 1)},
	                   address = {.sin_family = AF_INET,
	                              .sin_port = htons((uint16_t)mesh_http_port(server)),
	                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&source, sizeof(source)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&address, sizeof(address)), 0);
	return fd;
}

static void send_text(int fd, const char *text)
{
	assert_int_equal(send(fd, text, strlen(text), MSG_NOSIGNAL), (ssize_t)strlen(text));
}

/*
 * Reads the answer up to the server's close into a static buffer (kept
 * short: the rest is counted, not kept); NULL if it has not ended within
 * ms. *total, if given, gets the bytes read.
 */
static char *answer_within(int fd, int ms, size_t *total)
{
	static char answer[8192];
	int64_t until = now_ms() + ms;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	size_t got = 0, all = 0;
	char discard[65536];

	for (;;) {
		int64_t left = until - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) != 1)
			return NULL;
		if (got < sizeof(answer) - 1)
			n = recv(fd, answer + got, sizeof(answer) - 1 - got, 0);
		else
			n = recv(fd, discard, sizeof(discard), 0);
		if (n <= 0)
			break;
		if (got < sizeof(answer) - 1)
			got += (size_t)n;
		all += (size_t)n;
	}
	answer[got] = '\0';
	if (total)
		*total = all;
	return answer;
}

/* Sends request from 127.0.0.1 and returns the whole answer. */
static char *exchange(struct mesh_http_server *server, const char *request, size_t len)
{
	int fd = connect_from(server, 1);
	char *answer;

	assert_int_equal(send(fd, request, len, MSG_NOSIGNAL), (ssize_t)len);
	answer = answer_within(fd, 5000, NULL);
	assert_non_null(answer);
	close(fd);
	return answer;
}

static char *get(struct mesh_http_server *server, const char *request)
{
	return exchange(server, request, strlen(request));
}

static void test_get_reaches_the_handler_with_path_and_query(void **state)
{
	char *answer =
	    get(*state, "GET /graph?format=dot&layout=circo HTTP/1.1\r\nHost: x\r\n\r\n");

	assert_non_null(strstr(answer, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(answer, "Content-Length: 47\r\n"));
	assert_non_null(strstr(answer, "Content-Type: text/plain; charset=utf-8\r\n"));
	assert_non_null(strstr(answer, "Connection: close\r\n"));
	assert_non_null(strstr(answer, "\r\n\r\nGET /graph format=dot layout=circo type=- body="));
}

static void test_query_values_are_percent_decoded(void **state)
{
	assert_non_null(strstr(get(*state, "GET /graph?format=a+b&layout=%64ot HTTP/1.1\r\n\r\n"),
	                       "format=a b layout=dot "));
	assert_non_null(
	    strstr(get(*state, "GET /graph?formats=svg HTTP/1.1\r\n\r\n"), "format=- layout=- "));
	assert_non_null(
	    strstr(get(*state, "GET /heal%74h HTTP/1.1\r\n\r\n"), "\r\n\r\nGET /health "));
}

static void test_head_gets_headers_without_body(void **state)
{
	char *answer = get(*state, "HEAD /health HTTP/1.0\r\n\r\n");

	assert_non_null(strstr(answer, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(answer, "Content-Length: 43\r\n"));
	assert_string_equal(strstr(answer, "\r\n\r\n"), "\r\n\r\n");
}

/* libmicrohttpd answers some with a 400 and closes others at once. */
static void test_malformed_requests_are_refused_and_reach_no_handler(void **state)
{
	static const char *const malformed[] = {
	    "GET\r\n\r\n",
	    "GET noslash HTTP/1.1\r\n\r\n",
	    "GET / HTTP/1.1\r\nno colon\r\n\r\n",
	    "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
	};

	for (size_t i = 0; i < sizeof(malformed) / sizeof(*malformed); i++) {
		char *answer = get(*state, malformed[i]);

		assert_true(!*answer || !strncmp(answer, "HTTP/1.1 400 ", 13));
		assert_null(strstr(answer, "body="));
	}
}

static void test_other_methods_are_405(void **state)
{
	assert_non_null(strstr(get(*state, "POST /metrics HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"),
	                       "HTTP/1.1 405 "));
}

static void test_oversized_head_is_refused_and_not_buffered(void **state)
{
	size_t len = MESH_HTTP_MEMORY + 100;
	char *request = malloc(len), *answer;

	memset(request, 'a', len);
	memcpy(request, "GET /", 5);
	answer = exchange(*state, request, len);
	assert_true(strstr(answer, "HTTP/1.1 414 ") || strstr(answer, "HTTP/1.1 431 "));
	memcpy(request, "GET / HTTP/1.1\r\nX: ", 19);
	answer = exchange(*state, request, len);
	assert_non_null(strstr(answer, "HTTP/1.1 431 "));
	free(request);
}

static void test_bodies_up_to_the_limit_reach_the_handler(void **state)
{
	struct mesh_http_server *server = open_with((struct mesh_http_options){.body_max = 16});

	(void)state;
	assert_non_null(strstr(get(server, "POST /v HTTP/1.1\r\nContent-Type: application/json\r\n"
	                                   "Content-Length: 16\r\n\r\n0123456789abcdef"),
	                       "\r\n\r\nPOST /v format=- layout=- type=application/json "
	                       "body=0123456789abcdef"));
	assert_non_null(strstr(get(server, "PUT /v HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	                                   "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
	                       "body=hello world"));
	assert_non_null(
	    strstr(get(server, "POST /v HTTP/1.1\r\nContent-Length: 17\r\n\r\n0123456789abcdefg"),
	           "HTTP/1.1 413 "));
	assert_non_null(strstr(get(server, "POST /v HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	                                   "9\r\n012345678\r\n9\r\n9abcdefgh\r\n0\r\n\r\n"),
	                       "HTTP/1.1 413 "));
	assert_string_equal(strstr(get(server, "GET /v HTTP/1.1\r\n\r\n"), "body="), "body=");
	mesh_http_close(server);
}

struct trickle {
	int *fds;
	size_t n;
	const char *text; /* sent a byte a second to each, never to its end */
	volatile bool stop;
};

static void *trickle_bytes(void *arg)
{
	struct trickle *trickle = arg;

	for (size_t i = 0; !trickle->stop && trickle->text[i]; i++) {
		for (size_t j = 0; j < trickle->n; j++)
			send(trickle->fds[j], trickle->text + i, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		for (int k = 0; k < 10 && !trickle->stop; k++)
			poll(NULL, 0, 100);
	}
	return NULL;
}

/*
 * A connection from 127.0.0.n that asks for /big and does not read: the
 * server's writes wait once the kernel buffers of both ends are full.
 */
static int slow_reader(struct mesh_http_server *server, int n)
{
	int fd = connect_from(server, n);

	send_text(fd, "GET /big HTTP/1.1\r\n\r\n");
	return fd;
}

#define TRICKLERS 12
#define READERS 4

static void test_slow_clients_do_not_delay_an_honest_one(void **state)
{
	struct mesh_http_server *server =
	    open_with((struct mesh_http_options){.deadline_ms = 4000});
	int fds[TRICKLERS], readers[READERS], fd;
	struct trickle trickle = {.fds = fds,
	                          .n = TRICKLERS,
	                          .text = "GET /health HTTP/1.1\r\n"
	                                  "X-Slow: aaaaaaaaaaaaaaaa"};
	pthread_t thread;
	int64_t start;
	char *answer;

	(void)state;
	for (int i = 0; i < TRICKLERS; i++)
		fds[i] = connect_from(server, 2);
	for (int i = 0; i < READERS; i++)
		readers[i] = slow_reader(server, 3);
	assert_int_equal(pthread_create(&thread, NULL, trickle_bytes, &trickle), 0);
	poll(NULL, 0, 1500);
	start = now_ms();
	fd = connect_from(server, 1);
	send_text(fd, "GET /health HTTP/1.1\r\n\r\n");
	answer = answer_within(fd, 5000, NULL);
	print_message("honest GET /health beside %d trickling clients and %d slow readers: %s "
	              "after %lld ms\n",
	              TRICKLERS, READERS, answer ? "answered" : "no answer",
	              (long long)(now_ms() - start));
	assert_non_null(answer);
	assert_non_null(strstr(answer, "HTTP/1.1 200 OK\r\n"));
	close(fd);
	trickle.stop = true;
	pthread_join(thread, NULL);
	for (int i = 0; i < TRICKLERS; i++)
		close(fds[i]);
	for (int i = 0; i < READERS; i++)
		close(readers[i]);
	mesh_http_close(server);
}

static void test_slow_clients_are_cut_at_the_deadline_from_accept(void **state)
{
	struct mesh_http_server *server =
	    open_with((struct mesh_http_options){.deadline_ms = 2000});
	int fd = connect_from(server, 2), reader = slow_reader(server, 3);
	struct trickle trickle = {.fds = &fd, .n = 1, .text = "GET /health HTTP/1.1\r\n"};
	int64_t start = now_ms(), cut;
	pthread_t thread;
	size_t total = 0;

	(void)state;
	/* A byte a second: no wait for it is long, the whole is. */
	assert_int_equal(pthread_create(&thread, NULL, trickle_bytes, &trickle), 0);
	assert_non_null(answer_within(fd, 6000, NULL));
	cut = now_ms() - start;
	print_message("a client trickling a byte a second cut after %lld ms (deadline 2000)\n",
	              (long long)cut);
	assert_in_range(cut, 1800, 3500);
	trickle.stop = true;
	pthread_join(thread, NULL);
	/* The reader that never read finds, once it reads, that the server gave up on it. */
	assert_non_null(answer_within(reader, 6000, &total));
	print_message("a reader that did not read for 2 s got %zu of %d bytes\n", total, BIG);
	assert_true(total < BIG);
	close(fd);
	close(reader);
	mesh_http_close(server);
}

/* Whether fd was closed by the server within ms. */
static bool closed_within(int fd, int ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char byte;

	return poll(&pfd, 1, ms) == 1 && recv(fd, &byte, 1, MSG_DONTWAIT) <= 0;
}

static void test_connection_cap_holds_and_starves_no_one(void **state)
{
	struct mesh_http_server *server =
	    open_with((struct mesh_http_options){.deadline_ms = 6000, .connections = 8});
	int held[8], extra, waiting;
	char *answer;

	(void)state;
	/* A quarter of the cap from one address; one more from there is closed at once. */
	held[0] = connect_from(server, 2);
	held[1] = connect_from(server, 2);
	poll(NULL, 0, 200);
	extra = connect_from(server, 2);
	assert_true(closed_within(extra, 1000));
	close(extra);
	assert_non_null(strstr(get(server, "GET /health HTTP/1.1\r\n\r\n"), "HTTP/1.1 200 "));
	/* Three more addresses fill the cap: the next connection is closed at once. */
	for (int i = 2; i < 8; i++)
		held[i] = connect_from(server, 3 + (i - 2) / 2);
	poll(NULL, 0, 200);
	extra = connect_from(server, 6);
	assert_true(closed_within(extra, 1000));
	close(extra);
	/* The crowd does not starve those inside. */
	send_text(held[5], "GET /held HTTP/1.1\r\n\r\n");
	answer = answer_within(held[5], 2000, NULL);
	assert_non_null(answer);
	assert_non_null(strstr(answer, "GET /held "));
	/* Its slot is free for the next one. */
	poll(NULL, 0, 100);
	waiting = connect_from(server, 6);
	send_text(waiting, "GET /next HTTP/1.1\r\n\r\n");
	answer = answer_within(waiting, 2000, NULL);
	assert_non_null(answer);
	assert_non_null(strstr(answer, "GET /next "));
	close(waiting);
	for (int i = 0; i < 8; i++)
		close(held[i]);
	mesh_http_close(server);
}

static void test_close_ends_connections_at_once(void **state)
{
	struct mesh_http_server *server = open_with((struct mesh_http_options){0});
	int fd = connect_from(server, 2);
	int64_t start;

	(void)state;
	send_text(fd, "GET /");
	poll(NULL, 0, 100);
	start = now_ms();
	mesh_http_close(server);
	assert_true(now_ms() - start < 1000);
	assert_true(closed_within(fd, 0));
	close(fd);
}

static void test_listen_addresses_are_go_style(void **state)
{
	static const char *const good[] = {":0", "127.0.0.1:0", "[::1]:0"};
	static const char *const bad[] = {"1107",  "127.0.0.1", "localhost:http",
	                                  "[::1]", ":",         "::1:0"};
	struct mesh_http_server *server;
	char error[256];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		server = open_with((struct mesh_http_options){.listen = good[i]});
		assert_int_not_equal(mesh_http_port(server), 0);
		mesh_http_close(server);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char expected[64];

		assert_int_equal(
		    mesh_http_open(&(struct mesh_http_options){.listen = bad[i], .handler = echo},
		                   &server, error, sizeof(error)),
		    -EINVAL);
		snprintf(expected, sizeof(expected), "failed to listen on %s: Invalid argument",
		         bad[i]);
		assert_string_equal(error, expected);
	}
}

static void test_missing_certificate_or_key_is_named(void **state)
{
	struct mesh_http_server *server;
	char error[256];

	(void)state;
	assert_int_equal(mesh_http_open(&(struct mesh_http_options){.listen = "127.0.0.1:0",
	                                                            .handler = echo,
	                                                            .cert_file = "/nonexistent.crt",
	                                                            .key_file = "/nonexistent.key"},
	                                &server, error, sizeof(error)),
	                 -ENOENT);
	assert_string_equal(
	    error, "failed to load certificate /nonexistent.crt: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_reaches_the_handler_with_path_and_query),
	    cmocka_unit_test(test_query_values_are_percent_decoded),
	    cmocka_unit_test(test_head_gets_headers_without_body),
	    cmocka_unit_test(test_malformed_requests_are_refused_and_reach_no_handler),
	    cmocka_unit_test(test_other_methods_are_405),
	    cmocka_unit_test(test_oversized_head_is_refused_and_not_buffered),
	    cmocka_unit_test(test_bodies_up_to_the_limit_reach_the_handler),
	    cmocka_unit_test(test_slow_clients_do_not_delay_an_honest_one),
	    cmocka_unit_test(test_slow_clients_are_cut_at_the_deadline_from_accept),
	    cmocka_unit_test(test_connection_cap_holds_and_starves_no_one),
	    cmocka_unit_test(test_close_ends_connections_at_once),
	    cmocka_unit_test(test_listen_addresses_are_go_style),
	    cmocka_unit_test(test_missing_certificate_or_key_is_named),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
