// SPDX-License-Identifier: MIT
/*
 * mesh/kube_watch and mesh/kube_reflector: watch streams cut anywhere, the
 * store they keep, and when to resume, re-list or back off.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mesh/k8s/kube_reflector.h"
#include "mesh/k8s/kube_watch.h"

#define NODE(name, rv)                                                                             \
	"{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"" name                  \
	"\",\"resourceVersion\":\"" rv "\"}}"

/* A watch body as the API server sends it, bookmark included. */
static const char recorded[] = "{\"type\":\"ADDED\",\"object\":" NODE(
    "a1", "11") "}\n"
                "{\"type\":\"ADDED\",\"object\":" NODE(
                    "g1", "12") "}\n"
                                "{\"type\":\"MODIFIED\",\"object\":" NODE(
                                    "a1", "13") "}\n"
                                                "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":"
                                                "\"Node\",\"apiVersion\":\"v1\","
                                                "\"metadata\":{\"resourceVersion\":\"20\"}}}\n"
                                                "{\"type\":\"DELETED\",\"object\":" NODE(
                                                    "g1", "21") "}\n";

static const char recorded_events[] =
    "ADDED a1 11;ADDED g1 12;MODIFIED a1 13;BOOKMARK - 20;DELETED g1 21;";

static const char *const type_names[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};

/* Events as "TYPE name rv;" so a whole stream compares as one string. */
struct transcript {
	char text[4096];
	int fail_with; /* returned for every event, after recording it */
};

static int record(void *ctx, const struct mesh_kube_event *event)
{
	struct transcript *t = ctx;
	const json_t *metadata = json_object_get(event->object, "metadata");
	const char *name = json_string_value(json_object_get(metadata, "name"));
	const char *rv = json_string_value(json_object_get(metadata, "resourceVersion"));
	size_t len = strlen(t->text);

	snprintf(t->text + len, sizeof(t->text) - len, "%s %s %s;", type_names[event->type],
	         name ? name : "-", rv ? rv : "-");
	return t->fail_with;
}

static void feed_in_pieces(const char *body, size_t len, size_t piece, struct transcript *t)
{
	struct mesh_kube_watch watch;

	mesh_kube_watch_init(&watch, record, t);
	for (size_t at = 0; at < len; at += piece)
		assert_int_equal(
		    mesh_kube_watch_feed(&watch, body + at, len - at < piece ? len - at : piece),
		    0);
	assert_int_equal(mesh_kube_watch_finish(&watch), 0);
	mesh_kube_watch_release(&watch);
}

static void test_events_survive_any_split_in_two(void **state)
{
	size_t len = strlen(recorded);

	(void)state;
	for (size_t split = 0; split <= len; split++) {
		struct transcript t = {0};
		struct mesh_kube_watch watch;

		mesh_kube_watch_init(&watch, record, &t);
		assert_int_equal(mesh_kube_watch_feed(&watch, recorded, split), 0);
		assert_int_equal(mesh_kube_watch_feed(&watch, recorded + split, len - split), 0);
		assert_int_equal(mesh_kube_watch_finish(&watch), 0);
		mesh_kube_watch_release(&watch);
		if (strcmp(t.text, recorded_events))
			fail_msg("split at %zu: got %s", split, t.text);
	}
}

static void test_events_survive_any_piece_size(void **state)
{
	(void)state;
	for (size_t piece = 1; piece <= 64; piece++) {
		struct transcript t = {0};

		feed_in_pieces(recorded, strlen(recorded), piece, &t);
		assert_string_equal(t.text, recorded_events);
	}
}

static void test_partial_line_waits_for_its_newline(void **state)
{
	const char line[] = "{\"type\":\"ADDED\",\"object\":" NODE("a1", "5") "}";
	struct transcript t = {0};
	struct mesh_kube_watch watch;

	(void)state;
	mesh_kube_watch_init(&watch, record, &t);
	assert_int_equal(mesh_kube_watch_feed(&watch, line, strlen(line)), 0);
	assert_string_equal(t.text, "");
	assert_int_equal(mesh_kube_watch_finish(&watch), -EPIPE);
	assert_int_equal(mesh_kube_watch_feed(&watch, "\n", 1), 0);
	assert_string_equal(t.text, "ADDED a1 5;");
	assert_int_equal(mesh_kube_watch_finish(&watch), 0);
	mesh_kube_watch_release(&watch);
}

static void test_blank_lines_and_crlf_are_skipped(void **state)
{
	const char body[] = "\n\r\n  \n{\"type\":\"ADDED\",\"object\":" NODE("a1", "5") "}\r\n\n";
	struct transcript t = {0};

	(void)state;
	feed_in_pieces(body, strlen(body), 3, &t);
	assert_string_equal(t.text, "ADDED a1 5;");
}

static void expect_bad_line(const char *body, int expected, const char *why)
{
	struct transcript t = {0};
	struct mesh_kube_watch watch;

	mesh_kube_watch_init(&watch, record, &t);
	assert_int_equal(mesh_kube_watch_feed(&watch, body, strlen(body)), expected);
	if (!strstr(watch.error, why))
		fail_msg("error \"%s\" does not say \"%s\"", watch.error, why);
	assert_string_equal(t.text, "");
	mesh_kube_watch_release(&watch);
}

static void test_garbage_is_a_bad_message_naming_the_problem(void **state)
{
	(void)state;
	expect_bad_line("HTTP/1.1 200 OK\n", -EBADMSG, "not JSON");
	expect_bad_line("{\"type\":\"ADDED\",\"object\":{\"a\":1}\n", -EBADMSG, "not JSON");
	expect_bad_line("[1,2]\n", -EBADMSG, "no type");
	expect_bad_line("{\"object\":{}}\n", -EBADMSG, "no type");
	expect_bad_line("{\"type\":\"RENAMED\",\"object\":{}}\n", -EBADMSG, "unknown type");
	expect_bad_line("{\"type\":\"ADDED\",\"object\":\"a1\"}\n", -EBADMSG, "no object");
	expect_bad_line("{\"type\":\"ADDED\"}\n", -EBADMSG, "no object");
}

static void test_endless_line_is_refused(void **state)
{
	size_t len = 1 << 20;
	char *chunk = malloc(len);
	struct transcript t = {0};
	struct mesh_kube_watch watch;
	int ret = 0;

	(void)state;
	assert_non_null(chunk);
	memset(chunk, ' ', len);
	mesh_kube_watch_init(&watch, record, &t);
	for (size_t fed = 0; !ret && fed <= MESH_KUBE_WATCH_LINE_MAX; fed += len)
		ret = mesh_kube_watch_feed(&watch, chunk, len);
	assert_int_equal(ret, -EMSGSIZE);
	assert_non_null(strstr(watch.error, "longer than"));
	mesh_kube_watch_release(&watch);
	free(chunk);
}

static void test_callback_error_stops_the_feed(void **state)
{
	struct transcript t = {.fail_with = -EPROTO};
	struct mesh_kube_watch watch;

	(void)state;
	mesh_kube_watch_init(&watch, record, &t);
	assert_int_equal(mesh_kube_watch_feed(&watch, recorded, strlen(recorded)), -EPROTO);
	assert_string_equal(t.text, "ADDED a1 11;");
	mesh_kube_watch_release(&watch);
}

/* Feed body into store, as the reflector does; returns the first error. */
static int follow(struct mesh_kube_store *store, const char *body, int *changes)
{
	struct mesh_kube_event event;
	const char *line = body;
	int ret = 0;

	*changes = 0;
	for (const char *end; !ret && (end = strchr(line, '\n')); line = end + 1) {
		json_t *root = json_loadb(line, (size_t)(end - line), 0, NULL);
		const char *type = json_string_value(json_object_get(root, "type"));
		bool changed;

		assert_non_null(type);
		for (size_t i = 0; i < 5; i++)
			if (!strcmp(type, type_names[i]))
				event.type = (enum mesh_kube_event_type)i;
		event.object = json_object_get(root, "object");
		ret = mesh_kube_store_apply(store, &event, &changed);
		*changes += changed;
		json_decref(root);
	}
	return ret;
}

static json_t *node_list(const char *rv)
{
	char text[512];

	snprintf(text, sizeof(text),
	         "{\"kind\":\"NodeList\",\"metadata\":{\"resourceVersion\":\"%s\"},"
	         "\"items\":[" NODE("a1", "3") "," NODE("x9", "4") "]}",
	         rv);
	return json_loads(text, 0, NULL);
}

static void test_store_follows_list_then_events(void **state)
{
	struct mesh_kube_store store = {0};
	json_t *list = node_list("10");
	int changes;

	(void)state;
	assert_int_equal(mesh_kube_store_replace(&store, list), 0);
	assert_true(store.synced);
	assert_string_equal(store.resource_version, "10");
	assert_int_equal(json_object_size(store.objects), 2);
	assert_int_equal(follow(&store, recorded, &changes), 0);
	/* The bookmark moved the version but changed nothing. */
	assert_int_equal(changes, 4);
	assert_string_equal(store.resource_version, "21");
	assert_int_equal(json_object_size(store.objects), 2);
	assert_non_null(json_object_get(store.objects, "x9"));
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(json_object_get(store.objects, "a1"), "metadata"),
	                        "resourceVersion")),
	                    "13");
	assert_null(json_object_get(store.objects, "g1"));
	json_decref(list);
	mesh_kube_store_release(&store);
}

static void test_relist_replaces_everything(void **state)
{
	struct mesh_kube_store store = {0};
	json_t *first = node_list("10");
	json_t *second =
	    json_loads("{\"metadata\":{\"resourceVersion\":\"30\"},\"items\":[]}", 0, NULL);

	(void)state;
	assert_int_equal(mesh_kube_store_replace(&store, first), 0);
	assert_int_equal(mesh_kube_store_replace(&store, second), 0);
	assert_int_equal(json_object_size(store.objects), 0);
	assert_string_equal(store.resource_version, "30");
	json_decref(first);
	json_decref(second);
	mesh_kube_store_release(&store);
}

static void test_list_without_version_is_refused_and_keeps_the_store(void **state)
{
	struct mesh_kube_store store = {0};
	json_t *good = node_list("10");
	json_t *bad = json_loads("{\"items\":[]}", 0, NULL);
	json_t *not_list =
	    json_loads("{\"metadata\":{\"resourceVersion\":\"9\"},\"items\":{}}", 0, NULL);

	(void)state;
	assert_int_equal(mesh_kube_store_replace(&store, good), 0);
	assert_int_equal(mesh_kube_store_replace(&store, bad), -EBADMSG);
	assert_int_equal(mesh_kube_store_replace(&store, not_list), -EBADMSG);
	assert_int_equal(json_object_size(store.objects), 2);
	assert_string_equal(store.resource_version, "10");
	json_decref(good);
	json_decref(bad);
	json_decref(not_list);
	mesh_kube_store_release(&store);
}

static void test_error_event_410_means_stale_others_protocol(void **state)
{
	struct mesh_kube_store store = {0};
	json_t *list = node_list("10");
	int changes;

	(void)state;
	assert_int_equal(mesh_kube_store_replace(&store, list), 0);
	assert_int_equal(follow(&store,
	                        "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"status\":"
	                        "\"Failure\",\"message\":\"too old resource version: 2 (10)\","
	                        "\"reason\":\"Expired\",\"code\":410}}\n",
	                        &changes),
	                 -ESTALE);
	assert_int_equal(follow(&store,
	                        "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":500,"
	                        "\"message\":\"etcd is sad\"}}\n",
	                        &changes),
	                 -EPROTO);
	assert_int_equal(changes, 0);
	assert_string_equal(store.resource_version, "10");
	json_decref(list);
	mesh_kube_store_release(&store);
}

static void test_event_without_name_or_version_is_bad(void **state)
{
	struct mesh_kube_store store = {0};
	int changes;

	(void)state;
	assert_int_equal(
	    follow(&store, "{\"type\":\"ADDED\",\"object\":{\"metadata\":{}}}\n", &changes),
	    -EBADMSG);
	assert_int_equal(follow(&store,
	                        "{\"type\":\"ADDED\",\"object\":{\"metadata\":"
	                        "{\"resourceVersion\":\"4\"}}}\n",
	                        &changes),
	                 -EBADMSG);
	assert_string_equal(store.resource_version, "");
	mesh_kube_store_release(&store);
}

static void test_watch_outcomes(void **state)
{
	(void)state;
	/* Clean end of stream: resume. */
	assert_int_equal(mesh_kube_watch_outcome(0, 200, 0, false), MESH_KUBE_WATCH_ENDED);
	/* The version is gone: an ERROR event, HTTP 410, or a version not reached (504). */
	assert_int_equal(mesh_kube_watch_outcome(-ESTALE, 200, 0, false), MESH_KUBE_WATCH_GONE);
	assert_int_equal(mesh_kube_watch_outcome(0, 410, 0, false), MESH_KUBE_WATCH_GONE);
	assert_int_equal(mesh_kube_watch_outcome(0, 504, 0, false), MESH_KUBE_WATCH_GONE);
	/* Cut mid-event, lost connection, garbage, other errors: back off and resume. */
	assert_int_equal(mesh_kube_watch_outcome(0, 200, -EPIPE, false), MESH_KUBE_WATCH_FAILED);
	assert_int_equal(mesh_kube_watch_outcome(-EIO, 200, 0, false), MESH_KUBE_WATCH_FAILED);
	assert_int_equal(mesh_kube_watch_outcome(-ECONNREFUSED, 0, 0, false),
	                 MESH_KUBE_WATCH_FAILED);
	assert_int_equal(mesh_kube_watch_outcome(-EBADMSG, 200, 0, false), MESH_KUBE_WATCH_FAILED);
	assert_int_equal(mesh_kube_watch_outcome(-EPROTO, 200, 0, false), MESH_KUBE_WATCH_FAILED);
	assert_int_equal(mesh_kube_watch_outcome(0, 500, 0, false), MESH_KUBE_WATCH_FAILED);
	assert_int_equal(mesh_kube_watch_outcome(0, 403, 0, false), MESH_KUBE_WATCH_FAILED);
	/* After it delivered: cut off (a new run of failures), unless for what it delivered. */
	assert_int_equal(mesh_kube_watch_outcome(0, 200, -EPIPE, true), MESH_KUBE_WATCH_BROKE);
	assert_int_equal(mesh_kube_watch_outcome(-EIO, 200, 0, true), MESH_KUBE_WATCH_BROKE);
	assert_int_equal(mesh_kube_watch_outcome(0, 200, 0, true), MESH_KUBE_WATCH_ENDED);
	assert_int_equal(mesh_kube_watch_outcome(-EBADMSG, 200, 0, true), MESH_KUBE_WATCH_FAILED);
	assert_int_equal(mesh_kube_watch_outcome(-EPROTO, 200, 0, true), MESH_KUBE_WATCH_FAILED);
}

static void test_failures_back_off_exponentially_up_to_the_bound(void **state)
{
	unsigned failures = 0, expected = MESH_KUBE_BACKOFF_MIN_MS;

	(void)state;
	for (int i = 0; i < 100; i++) {
		struct mesh_kube_plan plan = mesh_kube_plan_next(&failures, MESH_KUBE_WATCH_FAILED);

		assert_false(plan.relist);
		assert_int_equal(plan.delay_ms, expected);
		expected = expected * 2 < MESH_KUBE_BACKOFF_MAX_MS ? expected * 2
		                                                   : MESH_KUBE_BACKOFF_MAX_MS;
	}
}

static void test_success_resets_the_backoff(void **state)
{
	unsigned failures = 0;
	struct mesh_kube_plan plan;

	(void)state;
	mesh_kube_plan_next(&failures, MESH_KUBE_LIST_FAILED);
	mesh_kube_plan_next(&failures, MESH_KUBE_LIST_FAILED);
	plan = mesh_kube_plan_next(&failures, MESH_KUBE_LIST_FAILED);
	assert_true(plan.relist);
	assert_int_equal(plan.delay_ms, 4 * MESH_KUBE_BACKOFF_MIN_MS);
	plan = mesh_kube_plan_next(&failures, MESH_KUBE_LISTED);
	assert_false(plan.relist);
	assert_int_equal(plan.delay_ms, 0);
	plan = mesh_kube_plan_next(&failures, MESH_KUBE_WATCH_FAILED);
	assert_int_equal(plan.delay_ms, MESH_KUBE_BACKOFF_MIN_MS);
	plan = mesh_kube_plan_next(&failures, MESH_KUBE_WATCH_ENDED);
	assert_false(plan.relist);
	assert_int_equal(plan.delay_ms, 0);
	assert_int_equal(failures, 0);
}

/* A proxy that cuts every stream now and then: each is resumed after the shortest delay. */
static void test_watch_cut_off_after_it_delivered_is_a_first_failure(void **state)
{
	unsigned failures = 0;
	struct mesh_kube_plan plan;

	(void)state;
	for (int i = 0; i < 6; i++)
		mesh_kube_plan_next(&failures, MESH_KUBE_WATCH_FAILED);
	plan = mesh_kube_plan_next(&failures, MESH_KUBE_WATCH_BROKE);
	assert_false(plan.relist);
	assert_int_equal(plan.delay_ms, MESH_KUBE_BACKOFF_MIN_MS);
	plan = mesh_kube_plan_next(&failures, MESH_KUBE_WATCH_BROKE);
	assert_int_equal(plan.delay_ms, MESH_KUBE_BACKOFF_MIN_MS);
	/* The resumed watch refused: the run goes on from there. */
	plan = mesh_kube_plan_next(&failures, MESH_KUBE_WATCH_FAILED);
	assert_int_equal(plan.delay_ms, 2 * MESH_KUBE_BACKOFF_MIN_MS);
}

static void test_gone_relists_at_once_and_a_failed_list_relists_later(void **state)
{
	unsigned failures = 0;
	struct mesh_kube_plan plan;

	(void)state;
	plan = mesh_kube_plan_next(&failures, MESH_KUBE_WATCH_GONE);
	assert_true(plan.relist);
	assert_int_equal(plan.delay_ms, 0);
	plan = mesh_kube_plan_next(&failures, MESH_KUBE_LIST_FAILED);
	assert_true(plan.relist);
	assert_int_equal(plan.delay_ms, MESH_KUBE_BACKOFF_MIN_MS);
}

/* A recorded stream that ends in "410 Expired" takes the reflector to a re-list. */
static void test_expired_stream_leads_to_relist(void **state)
{
	static const char body[] = "{\"type\":\"MODIFIED\",\"object\":" NODE(
	    "a1",
	    "41") "}\n"
	          "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
	          "\"metadata\""
	          ":{},\"status\":\"Failure\",\"message\":\"too old resource version: 41 (60)\","
	          "\"reason\":\"Expired\",\"code\":410}}\n";
	struct mesh_kube_store store = {0};
	json_t *list = node_list("40");
	unsigned failures = 3;
	struct mesh_kube_plan plan;
	int changes, ret;

	(void)state;
	assert_int_equal(mesh_kube_store_replace(&store, list), 0);
	ret = follow(&store, body, &changes);
	assert_int_equal(ret, -ESTALE);
	assert_int_equal(changes, 1);
	plan = mesh_kube_plan_next(&failures, mesh_kube_watch_outcome(ret, 200, 0, true));
	assert_true(plan.relist);
	assert_int_equal(plan.delay_ms, 0);
	json_decref(list);
	mesh_kube_store_release(&store);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_events_survive_any_split_in_two),
	    cmocka_unit_test(test_events_survive_any_piece_size),
	    cmocka_unit_test(test_partial_line_waits_for_its_newline),
	    cmocka_unit_test(test_blank_lines_and_crlf_are_skipped),
	    cmocka_unit_test(test_garbage_is_a_bad_message_naming_the_problem),
	    cmocka_unit_test(test_endless_line_is_refused),
	    cmocka_unit_test(test_callback_error_stops_the_feed),
	    cmocka_unit_test(test_store_follows_list_then_events),
	    cmocka_unit_test(test_relist_replaces_everything),
	    cmocka_unit_test(test_list_without_version_is_refused_and_keeps_the_store),
	    cmocka_unit_test(test_error_event_410_means_stale_others_protocol),
	    cmocka_unit_test(test_event_without_name_or_version_is_bad),
	    cmocka_unit_test(test_watch_outcomes),
	    cmocka_unit_test(test_failures_back_off_exponentially_up_to_the_bound),
	    cmocka_unit_test(test_success_resets_the_backoff),
	    cmocka_unit_test(test_watch_cut_off_after_it_delivered_is_a_first_failure),
	    cmocka_unit_test(test_gone_relists_at_once_and_a_failed_list_relists_later),
	    cmocka_unit_test(test_expired_stream_leads_to_relist),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
