// SPDX-License-Identifier: MIT
/* mesh/http_head: the head of a request with a body, split in place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/common/http_head.h"

static char buf[1024];
static struct mesh_http_head head;

static bool parse(const char *text)
{
	snprintf(buf, sizeof(buf), "%s", text);
	return mesh_http_head_parse(buf, strlen(buf), &head);
}

static void test_api_server_review_head_is_split(void **state)
{
	(void)state;
	assert_true(parse("POST /validate?timeout=5s HTTP/1.1\r\nHost: peer-validation.kilo.svc\r\n"
	                  "Content-Type: application/json\r\nContent-Length: 1234\r\n"
	                  "Accept-Encoding: gzip\r\n\r\n"));
	assert_string_equal(head.line.method, "POST");
	assert_string_equal(head.line.path, "/validate");
	assert_string_equal(head.line.query, "timeout=5s");
	assert_string_equal(head.content_type, "application/json");
	assert_int_equal(head.content_length, 1234);
	assert_false(head.chunked);
}

static void test_head_without_body_headers_has_none(void **state)
{
	(void)state;
	assert_true(parse("GET / HTTP/1.0\r\n\r\n"));
	assert_string_equal(head.line.path, "/");
	assert_null(head.content_type);
	assert_int_equal(head.content_length, -1);
}

static void test_names_are_case_insensitive_and_values_trimmed(void **state)
{
	(void)state;
	assert_true(parse("POST /v HTTP/1.1\r\ncontent-TYPE:\t application/json  \r\n"
	                  "CONTENT-LENGTH:7\r\n\r\n"));
	assert_string_equal(head.content_type, "application/json");
	assert_int_equal(head.content_length, 7);
}

/* Go's Header.Get, which Kilo's handler uses, returns the first value. */
static void test_first_content_type_wins(void **state)
{
	(void)state;
	assert_true(parse("POST /v HTTP/1.1\r\nContent-Type: application/json\r\n"
	                  "Content-Type: text/plain\r\n\r\n"));
	assert_string_equal(head.content_type, "application/json");
}

/* Two lengths that disagree would let two parsers see two different bodies. */
static void test_content_lengths_must_agree(void **state)
{
	(void)state;
	assert_true(parse("POST /v HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"));
	assert_int_equal(head.content_length, 5);
	assert_false(parse("POST /v HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"));
}

static void test_content_length_is_digits_only(void **state)
{
	(void)state;
	assert_false(parse("POST /v HTTP/1.1\r\nContent-Length: -1\r\n\r\n"));
	assert_false(parse("POST /v HTTP/1.1\r\nContent-Length: +5\r\n\r\n"));
	assert_false(parse("POST /v HTTP/1.1\r\nContent-Length: 5x\r\n\r\n"));
	assert_false(parse("POST /v HTTP/1.1\r\nContent-Length: \r\n\r\n"));
	assert_false(parse("POST /v HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n"));
}

static void test_any_transfer_encoding_is_flagged(void **state)
{
	(void)state;
	assert_true(parse("POST /v HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"));
	assert_true(head.chunked);
	assert_true(parse("POST /v HTTP/1.1\r\ntransfer-encoding: gzip, chunked\r\n\r\n"));
	assert_true(head.chunked);
}

static void test_malformed_heads_are_refused(void **state)
{
	(void)state;
	assert_false(parse("POST /v HTTP/1.1\r\nno colon here\r\n\r\n"));
	assert_false(parse("POST /v HTTP/1.1\r\n: empty name\r\n\r\n"));
	assert_false(parse("POST /v\r\n\r\n"));
	assert_false(parse("POST v HTTP/1.1\r\n\r\n"));
	assert_false(parse(" /v HTTP/1.1\r\n\r\n"));
	assert_false(parse("POST /v HTTP/2\r\n\r\n"));
	assert_false(parse("\r\n\r\n"));
	assert_false(parse("POST /v HTTP/1.1\r\n"));
}

/* Some parsers end a line at a bare LF: a header hidden in another could smuggle a length. */
static void test_bare_cr_or_lf_is_refused(void **state)
{
	(void)state;
	assert_false(parse("POST /v HTTP/1.1\r\nX: a\nContent-Length: 5\r\n\r\n"));
	assert_false(parse("POST /v HTTP/1.1\r\nX: a\rb\r\n\r\n"));
	assert_false(parse("POST /v\r HTTP/1.1\r\n\r\n"));
	assert_false(parse("POST /v HTTP/1.1\n\r\n"));
}

static void test_nul_byte_is_refused(void **state)
{
	static char with_nul[] = "POST /v HTTP/1.1\r\nX: a\0b\r\n\r\n";

	(void)state;
	assert_false(mesh_http_head_parse(with_nul, sizeof(with_nul) - 1, &head));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_api_server_review_head_is_split),
	    cmocka_unit_test(test_head_without_body_headers_has_none),
	    cmocka_unit_test(test_names_are_case_insensitive_and_values_trimmed),
	    cmocka_unit_test(test_first_content_type_wins),
	    cmocka_unit_test(test_content_lengths_must_agree),
	    cmocka_unit_test(test_content_length_is_digits_only),
	    cmocka_unit_test(test_any_transfer_encoding_is_flagged),
	    cmocka_unit_test(test_malformed_heads_are_refused),
	    cmocka_unit_test(test_bare_cr_or_lf_is_refused),
	    cmocka_unit_test(test_nul_byte_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
