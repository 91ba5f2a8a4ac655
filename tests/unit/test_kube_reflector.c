// SPDX-License-Identifier: MIT
/*
 * mesh/kube_reflector's thread against a scripted API server: list, watch
 * from the list's resourceVersion, resume from the last one seen (bookmarks
 * count) after a cut stream or a lost connection with growing backoff,
 * re-list at once when the version is gone, and stop while watching.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <cmocka.h>

#include "mesh/k8s/kube_reflector.h"

#define NODE(name, rv)                                                                             \
	"{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"" name                  \
	"\",\"resourceVersion\":\"" rv "\"}}"
#define WATCH(rv)                                                                                  \
	"/api/v1/nodes?watch=true&allowWatchBookmarks=true&resourceVersion=" rv                    \
	"&timeoutSeconds=300"

/* One scripted reply: an error, or a status and a body (streamed if 200). */
struct reply {
	const char *path; /* the request expected */
	int ret;
	long status;
	const char *body;
};

static const struct reply script[] = {
    {"/api/v1/nodes", 0, 200,
     "{\"kind\":\"NodeList\",\"metadata\":{\"resourceVersion\":\"10\"},\"items\":[" NODE("a1",
                                                                                         "9") "]}"},
    /* Events, a bookmark, then the connection drops in the middle of an event. */
    {WATCH("10"), 0, 200,
     "{\"type\":\"ADDED\",\"object\":" NODE(
         "g1",
         "11") "}\n"
               "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"15\"}}}\n"
               "{\"type\":\"MODIFIED\",\"obj"},
    {WATCH("15"), -ECONNREFUSED, 0, NULL},
    {WATCH("15"), 0, 503, "{\"kind\":\"Status\",\"message\":\"the server is shutting down\"}"},
    {WATCH("15"), 0, 200,
     "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":"
     "\"Expired\",\"message\":\"too old resource version: 15 (20)\"}}\n"},
    {"/api/v1/nodes", 0, 200,
     "{\"kind\":\"NodeList\",\"metadata\":{\"resourceVersion\":\"30\"},\"items\":[" NODE(
         "a1", "25") "," NODE("x9", "28") "]}"},
    /* A clean end: resumed at once. */
    {WATCH("30"), 0, 200, "{\"type\":\"DELETED\",\"object\":" NODE("a1", "31") "}\n"},
};

#define SCRIPT_LEN (sizeof(script) / sizeof(script[0]))

struct scripted {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	size_t step; /* requests made */
	char paths[SCRIPT_LEN + 1][256];
	struct timespec at[SCRIPT_LEN + 1];
	unsigned notified;
	char log[4096];
};

static struct scripted server = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .changed = PTHREAD_COND_INITIALIZER,
};

static int stream(const struct mesh_kube_request *request, const char *body)
{
	size_t len = strlen(body);
	int ret = 0;

	/* In small pieces, as the network would cut it. */
	for (size_t at = 0; !ret && at < len; at += 7)
		ret = request->on_data(request->ctx, body + at, len - at < 7 ? len - at : 7);
	return ret;
}

/* After the script: a watch that lasts until the reflector is stopped. */
static int wait_for_stop(const struct mesh_kube_request *request)
{
	const struct timespec tick = {.tv_nsec = 5000000};

	while (!request->stop(request->ctx))
		nanosleep(&tick, NULL);
	return -ECANCELED;
}

static int perform(const struct mesh_kube_config *config, const struct mesh_kube_request *request,
                   struct mesh_kube_response *response, char *err, size_t errlen)
{
	const struct reply *reply;
	size_t step;
	int ret;

	(void)config;
	memset(response, 0, sizeof(*response));
	pthread_mutex_lock(&server.lock);
	step = server.step++;
	snprintf(server.paths[step < SCRIPT_LEN ? step : SCRIPT_LEN], 256, "%s", request->path);
	clock_gettime(CLOCK_MONOTONIC, &server.at[step < SCRIPT_LEN ? step : SCRIPT_LEN]);
	pthread_cond_broadcast(&server.changed);
	pthread_mutex_unlock(&server.lock);
	if (step >= SCRIPT_LEN)
		return wait_for_stop(request);
	reply = &script[step];
	if (reply->ret) {
		snprintf(err, errlen, "GET %s: scripted failure", request->path);
		return reply->ret;
	}
	response->status = reply->status;
	if (reply->status == 200 && request->on_data)
		return stream(request, reply->body);
	response->body = strdup(reply->body);
	response->len = strlen(reply->body);
	ret = response->body ? 0 : -ENOMEM;
	return ret;
}

static void notify(void *ctx)
{
	(void)ctx;
	pthread_mutex_lock(&server.lock);
	server.notified++;
	pthread_mutex_unlock(&server.lock);
}

static void collect(void *ctx, int level, const char *message)
{
	size_t len;

	(void)ctx;
	pthread_mutex_lock(&server.lock);
	len = strlen(server.log);
	snprintf(server.log + len, sizeof(server.log) - len, "%d %s\n", level, message);
	pthread_mutex_unlock(&server.lock);
}

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void test_reflector_resumes_relists_and_backs_off(void **state)
{
	pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
	struct mesh_kube_reflector r = {
	    .path = "/api/v1/nodes",
	    .name = "nodes",
	    .lock = &store_lock,
	    .notify = notify,
	    .log = collect,
	    .perform = perform,
	};

	(void)state;
	assert_int_equal(mesh_kube_reflector_start(&r), 0);
	pthread_mutex_lock(&server.lock);
	while (server.step <= SCRIPT_LEN)
		pthread_cond_wait(&server.changed, &server.lock);
	pthread_mutex_unlock(&server.lock);

	/* Every request is the one the script expected: resumed and re-listed as it should. */
	for (size_t i = 0; i < SCRIPT_LEN; i++)
		assert_string_equal(server.paths[i], script[i].path);
	assert_string_equal(server.paths[SCRIPT_LEN], WATCH("31"));
	/* 0.5 s after the cut stream, 1 s after the refused connection, 2 s after the 503. */
	assert_true(seconds_between(&server.at[1], &server.at[2]) >= 0.5);
	assert_true(seconds_between(&server.at[2], &server.at[3]) >= 1.0);
	assert_true(seconds_between(&server.at[3], &server.at[4]) >= 2.0);
	/* The expired version is listed again at once, and a clean end resumed at once. */
	assert_true(seconds_between(&server.at[4], &server.at[5]) < 0.4);
	assert_true(seconds_between(&server.at[6], &server.at[7]) < 0.4);

	pthread_mutex_lock(&store_lock);
	assert_string_equal(r.store.resource_version, "31");
	assert_int_equal(json_object_size(r.store.objects), 1);
	assert_non_null(json_object_get(r.store.objects, "x9"));
	pthread_mutex_unlock(&store_lock);
	/* Two lists, the ADDED g1 and the DELETED a1. */
	assert_int_equal(server.notified, 4);

	mesh_kube_reflector_release(&r);
	assert_non_null(strstr(server.log, "4 watch of nodes: the stream ended in the middle of "
	                                   "an event\n6 nodes: retrying in 500 ms\n"));
	assert_non_null(
	    strstr(server.log, "4 watch of nodes: GET " WATCH(
	                           "15") ": scripted failure\n6 nodes: retrying in 1000 ms\n"));
	assert_non_null(strstr(server.log, "4 watch of nodes: the server is shutting down\n"
	                                   "6 nodes: retrying in 2000 ms\n"));
	assert_non_null(strstr(server.log, "6 watch of nodes: resourceVersion expired, listing "
	                                   "again\n"));
	/* Stopping a watch in flight is no failure worth a message. */
	assert_null(strstr(server.log, "4000 ms"));
	assert_null(strstr(server.log, "Operation canceled"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reflector_resumes_relists_and_backs_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
