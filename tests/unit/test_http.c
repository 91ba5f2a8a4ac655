// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cmd/common/http.h"

/* Answers "PATH?QUERY" so the tests see what reached the handler. */
static void echo(void *ctx, const struct mesh_http_request *request,
                 struct mesh_http_response *response)
{
	(void)ctx;
	mesh_http_respond(response, 200, "%s?%s", request->path, request->query);
}

static int setup(void **state)
{
	struct mesh_http_server *server;

	assert_int_equal(mesh_http_open("127.0.0.1:0", echo, NULL, &server), 0);
	*state = server;
	return 0;
}

static int teardown(void **state)
{
	mesh_http_close(*state);
	return 0;
}

static int connect_to(struct mesh_http_server *server)
{
	struct sockaddr_in address = {.sin_family = AF_INET,
	                              .sin_port = htons((uint16_t)mesh_http_port(server)),
	                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&address, sizeof(address)), 0);
	return fd;
}

/* Sends request (len bytes), returns the whole answer up to the server's close. */
static char *exchange(struct mesh_http_server *server, const char *request, size_t len)
{
	static char answer[4096];
	size_t got = 0;
	ssize_t n;
	int fd = connect_to(server);

	assert_int_equal(send(fd, request, len, MSG_NOSIGNAL), (ssize_t)len);
	while ((n = recv(fd, answer + got, sizeof(answer) - 1 - got, 0)) > 0)
		got += (size_t)n;
	answer[got] = '\0';
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
	assert_non_null(strstr(answer, "Content-Length: 30\r\n"));
	assert_non_null(strstr(answer, "Connection: close\r\n"));
	assert_non_null(strstr(answer, "\r\n\r\n/graph?format=dot&layout=circo"));
}

static void test_head_gets_headers_without_body(void **state)
{
	char *answer = get(*state, "HEAD /health HTTP/1.0\r\n\r\n");

	assert_non_null(strstr(answer, "Content-Length: 8\r\n"));
	assert_string_equal(strstr(answer, "\r\n\r\n"), "\r\n\r\n");
}

static void test_malformed_request_is_400(void **state)
{
	assert_non_null(strstr(get(*state, "GET\r\n\r\n"), "HTTP/1.1 400 "));
	assert_non_null(strstr(get(*state, "GET noslash HTTP/1.1\r\n\r\n"), "HTTP/1.1 400 "));
	assert_non_null(strstr(get(*state, "GET / SPDY/3\r\n\r\n"), "HTTP/1.1 400 "));
}

static void test_other_methods_are_405(void **state)
{
	assert_non_null(strstr(get(*state, "POST /metrics HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"),
	                       "HTTP/1.1 405 "));
}

static void test_oversized_head_is_413_and_not_buffered(void **state)
{
	size_t len = MESH_HTTP_HEAD_MAX + 100;
	char *request = malloc(len);

	memset(request, 'a', len);
	memcpy(request, "GET /", 5);
	assert_non_null(strstr(exchange(*state, request, len), "HTTP/1.1 413 "));
	free(request);
}

static void test_silent_client_is_dropped_and_the_next_one_served(void **state)
{
	struct pollfd pfd = {.events = POLLIN};
	time_t start = time(NULL);
	char byte;

	pfd.fd = connect_to(*state);
	assert_int_equal(send(pfd.fd, "GET /", 5, 0), 5);
	assert_int_equal(poll(&pfd, 1, (MESH_HTTP_TIMEOUT + 3) * 1000), 1);
	assert_int_equal(recv(pfd.fd, &byte, 1, 0), 0);
	assert_true(time(NULL) - start >= MESH_HTTP_TIMEOUT - 1);
	close(pfd.fd);
	assert_non_null(strstr(get(*state, "GET /health HTTP/1.1\r\n\r\n"), "HTTP/1.1 200 "));
}

static void test_query_values_are_percent_decoded(void **state)
{
	char value[8];

	(void)state;
	assert_true(mesh_http_query_get("format=svg&layout=%64ot", "layout", value, sizeof(value)));
	assert_string_equal(value, "dot");
	assert_true(mesh_http_query_get("format=a+b", "format", value, sizeof(value)));
	assert_string_equal(value, "a b");
	assert_false(mesh_http_query_get("formats=svg", "format", value, sizeof(value)));
	assert_false(mesh_http_query_get("format=%zz", "format", value, sizeof(value)));
	assert_false(mesh_http_query_get("format=%6", "format", value, sizeof(value)));
	assert_false(mesh_http_query_get("format=toolongvalue", "format", value, sizeof(value)));
	assert_false(mesh_http_query_get("", "format", value, sizeof(value)));
}

static void test_listen_addresses_are_go_style(void **state)
{
	static const char *const good[] = {":0", "127.0.0.1:0", "[::1]:0"};
	static const char *const bad[] = {"1107",  "127.0.0.1", "localhost:http",
	                                  "[::1]", ":",         "::1:0"};
	struct mesh_http_server *server;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		assert_int_equal(mesh_http_open(good[i], echo, NULL, &server), 0);
		assert_int_not_equal(mesh_http_port(server), 0);
		mesh_http_close(server);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(mesh_http_open(bad[i], echo, NULL, &server), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_reaches_the_handler_with_path_and_query),
	    cmocka_unit_test(test_head_gets_headers_without_body),
	    cmocka_unit_test(test_malformed_request_is_400),
	    cmocka_unit_test(test_other_methods_are_405),
	    cmocka_unit_test(test_oversized_head_is_413_and_not_buffered),
	    cmocka_unit_test(test_silent_client_is_dropped_and_the_next_one_served),
	    cmocka_unit_test(test_query_values_are_percent_decoded),
	    cmocka_unit_test(test_listen_addresses_are_go_style),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
