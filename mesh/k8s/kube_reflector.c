// SPDX-License-Identifier: MIT
/*
 * List then watch one resource: the store and the decisions as pure
 * functions, and the thread that runs them against the API server.
 */
#include "mesh/k8s/kube_reflector.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "mesh/model/log.h"

#define LIST_TIMEOUT_MS 60000L
/* A little past the server's own end of the watch. */
#define WATCH_TIMEOUT_MS ((MESH_KUBE_WATCH_SECONDS + 30) * 1000L)

static const char *object_name(const json_t *object)
{
	return json_string_value(json_object_get(json_object_get(object, "metadata"), "name"));
}

static int take_version(struct mesh_kube_store *store, const json_t *object)
{
	const char *version = json_string_value(
	    json_object_get(json_object_get(object, "metadata"), "resourceVersion"));

	if (!version || !*version || strlen(version) >= sizeof(store->resource_version))
		return -EBADMSG;
	strcpy(store->resource_version, version);
	return 0;
}

int mesh_kube_store_replace(struct mesh_kube_store *store, const json_t *list)
{
	const json_t *items = json_object_get(list, "items"), *item;
	json_t *objects = json_object();
	size_t i;
	int ret = objects ? 0 : -ENOMEM;

	if (!ret && !json_is_array(items) && !json_is_null(items))
		ret = -EBADMSG;
	json_array_foreach (items, i, item) {
		const char *name = object_name(item);

		if (ret)
			break;
		/* An object without a name cannot be tracked; the codec reports nameless ones. */
		if (name && json_object_set(objects, name, (json_t *)item))
			ret = -ENOMEM;
	}
	if (!ret)
		ret = take_version(store, list);
	if (ret) {
		json_decref(objects);
		return ret;
	}
	json_decref(store->objects);
	store->objects = objects;
	store->synced = true;
	return 0;
}

static int error_event(const json_t *status)
{
	return json_integer_value(json_object_get(status, "code")) == 410 ? -ESTALE : -EPROTO;
}

int mesh_kube_store_apply(struct mesh_kube_store *store, const struct mesh_kube_event *event,
                          bool *changed)
{
	const char *name = object_name(event->object);

	*changed = false;
	if (event->type == MESH_KUBE_ERROR)
		return error_event(event->object);
	if ((!name && event->type != MESH_KUBE_BOOKMARK) || take_version(store, event->object))
		return -EBADMSG;
	if (event->type == MESH_KUBE_BOOKMARK)
		return 0;
	if (!store->objects && !(store->objects = json_object()))
		return -ENOMEM;
	if (event->type == MESH_KUBE_DELETED) {
		*changed = !json_object_del(store->objects, name);
		return 0;
	}
	if (json_object_set(store->objects, name, event->object))
		return -ENOMEM;
	*changed = true;
	return 0;
}

void mesh_kube_store_release(struct mesh_kube_store *store)
{
	json_decref(store->objects);
	memset(store, 0, sizeof(*store));
}

enum mesh_kube_outcome mesh_kube_watch_outcome(int ret, long status, int finish, bool delivered)
{
	if (ret == -ESTALE || (!ret && (status == 410 || status == 504)))
		return MESH_KUBE_WATCH_GONE;
	if (!ret && status == 200 && !finish)
		return MESH_KUBE_WATCH_ENDED;
	/* Cut off, that is: not ended for what it delivered (garbage, an error event). */
	if (delivered && ret != -EBADMSG && ret != -EMSGSIZE && ret != -EPROTO && ret != -ECANCELED)
		return MESH_KUBE_WATCH_BROKE;
	return MESH_KUBE_WATCH_FAILED;
}

static unsigned backoff_ms(unsigned failures)
{
	unsigned delay = MESH_KUBE_BACKOFF_MIN_MS;

	while (--failures && delay < MESH_KUBE_BACKOFF_MAX_MS)
		delay *= 2;
	return delay < MESH_KUBE_BACKOFF_MAX_MS ? delay : MESH_KUBE_BACKOFF_MAX_MS;
}

static unsigned count_failure(unsigned *failures)
{
	if (*failures < 64)
		(*failures)++;
	return backoff_ms(*failures);
}

struct mesh_kube_plan mesh_kube_plan_next(unsigned *failures, enum mesh_kube_outcome outcome)
{
	struct mesh_kube_plan plan = {0};

	switch (outcome) {
	case MESH_KUBE_LISTED:
	case MESH_KUBE_WATCH_ENDED:
		*failures = 0;
		break;
	case MESH_KUBE_WATCH_GONE:
		/* Not a failure: the server moved on, and a fresh list catches up. */
		plan.relist = true;
		break;
	case MESH_KUBE_LIST_FAILED:
		plan.relist = true;
		plan.delay_ms = count_failure(failures);
		break;
	case MESH_KUBE_WATCH_BROKE:
		*failures = 0;
		/* fall through */
	case MESH_KUBE_WATCH_FAILED:
		plan.delay_ms = count_failure(failures);
		break;
	}
	return plan;
}

static void say(const struct mesh_kube_reflector *r, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(const struct mesh_kube_reflector *r, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mesh_vlog(r->log, r->ctx, level, fmt, ap);
	va_end(ap);
}

static bool stopping(void *ctx)
{
	struct mesh_kube_reflector *r = ctx;
	bool stop;

	pthread_mutex_lock(&r->stop_lock);
	stop = r->stopping;
	pthread_mutex_unlock(&r->stop_lock);
	return stop;
}

/* Sleep delay_ms unless asked to stop first; true if asked. */
static bool sleep_or_stop(struct mesh_kube_reflector *r, unsigned delay_ms)
{
	struct timespec until;
	bool stop;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += delay_ms / 1000;
	until.tv_nsec += (long)(delay_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->stop_lock);
	while (!r->stopping && pthread_cond_timedwait(&r->stop_cond, &r->stop_lock, &until) == 0)
		;
	stop = r->stopping;
	pthread_mutex_unlock(&r->stop_lock);
	return stop;
}

static int perform(const struct mesh_kube_reflector *r, const struct mesh_kube_request *request,
                   struct mesh_kube_response *response, char *err, size_t errlen)
{
	mesh_kube_perform_fn *fn = r->perform ? r->perform : mesh_kube_client_perform;

	return fn(r->config, request, response, err, errlen);
}

static int list(struct mesh_kube_reflector *r, bool (*stop)(void *))
{
	const struct mesh_kube_request request = {
	    .method = "GET",
	    .path = r->path,
	    .timeout_ms = LIST_TIMEOUT_MS,
	    .stop = stop,
	    .ctx = r,
	};
	struct mesh_kube_response response;
	char err[512], message[256];
	json_t *reply = NULL;
	int ret = perform(r, &request, &response, err, sizeof(err));

	if (ret) {
		/* A list cut short because the reflector stops is no failure to report. */
		if (!stop || !stop(r))
			say(r, LOG_ERR, "failed to list %s: %s", r->name, err);
		return ret;
	}
	if (response.status == 200 && response.body)
		reply = json_loadb(response.body, response.len, 0, NULL);
	if (response.status != 200) {
		say(r, LOG_ERR, "failed to list %s: %s", r->name,
		    mesh_kube_response_message(&response, message, sizeof(message)));
		ret = -EPROTO;
	} else if (!reply) {
		say(r, LOG_ERR, "failed to list %s: the reply is not JSON", r->name);
		ret = -EBADMSG;
	} else {
		pthread_mutex_lock(r->lock);
		ret = mesh_kube_store_replace(&r->store, reply);
		pthread_mutex_unlock(r->lock);
		if (ret)
			say(r, LOG_ERR, "failed to list %s: the reply is no List", r->name);
	}
	json_decref(reply);
	mesh_kube_response_release(&response);
	return ret;
}

int mesh_kube_reflector_list(struct mesh_kube_reflector *r)
{
	return list(r, NULL);
}

static int on_event(void *ctx, const struct mesh_kube_event *event)
{
	struct mesh_kube_reflector *r = ctx;
	bool changed;
	int ret;

	pthread_mutex_lock(r->lock);
	ret = mesh_kube_store_apply(&r->store, event, &changed);
	pthread_mutex_unlock(r->lock);
	if (ret == -EPROTO)
		say(r, LOG_WARNING, "watch of %s: error event: %s", r->name,
		    json_string_value(json_object_get(event->object, "message")));
	else if (ret == -EBADMSG)
		say(r, LOG_WARNING, "watch of %s: event without name or resourceVersion", r->name);
	if (changed)
		r->notify(r->ctx);
	return ret;
}

/* What a watch's callbacks need: the decoder, the reflector for stop, and whether it delivered. */
struct watch_stream {
	struct mesh_kube_reflector *reflector;
	struct mesh_kube_watch decoder;
	bool delivered;
};

static int on_data(void *ctx, const char *data, size_t len)
{
	struct watch_stream *stream = ctx;

	stream->delivered = true;
	return mesh_kube_watch_feed(&stream->decoder, data, len);
}

static bool stream_stopping(void *ctx)
{
	struct watch_stream *stream = ctx;

	return stopping(stream->reflector);
}

/* Why a watch ended, unless it ended as watches do. */
static void report_watch_end(const struct mesh_kube_reflector *r, enum mesh_kube_outcome outcome,
                             int ret, const struct mesh_kube_response *response, const char *err,
                             const struct mesh_kube_watch *decoder)
{
	char message[256];

	if (outcome == MESH_KUBE_WATCH_GONE)
		say(r, LOG_INFO, "watch of %s: resourceVersion expired, listing again", r->name);
	if ((outcome != MESH_KUBE_WATCH_FAILED && outcome != MESH_KUBE_WATCH_BROKE) ||
	    ret == -ECANCELED)
		return;
	if (ret == -EBADMSG || ret == -EMSGSIZE)
		say(r, LOG_WARNING, "watch of %s: %s", r->name, decoder->error);
	else if (ret == -EPROTO)
		; /* on_event said which error event */
	else if (ret)
		say(r, LOG_WARNING, "watch of %s: %s", r->name, err);
	else if (response->status != 200)
		say(r, LOG_WARNING, "watch of %s: %s", r->name,
		    mesh_kube_response_message(response, message, sizeof(message)));
	else
		say(r, LOG_WARNING, "watch of %s: the stream ended in the middle of an event",
		    r->name);
}

static enum mesh_kube_outcome watch(struct mesh_kube_reflector *r)
{
	struct watch_stream stream = {.reflector = r};
	struct mesh_kube_response response;
	char path[512], err[512];
	const struct mesh_kube_request request = {
	    .method = "GET",
	    .path = path,
	    .timeout_ms = WATCH_TIMEOUT_MS,
	    .on_data = on_data,
	    .stop = stream_stopping,
	    .ctx = &stream,
	};
	enum mesh_kube_outcome outcome;
	int ret;

	pthread_mutex_lock(r->lock);
	snprintf(path, sizeof(path),
	         "%s?watch=true&allowWatchBookmarks=true&resourceVersion=%s&timeoutSeconds=%d",
	         r->path, r->store.resource_version, MESH_KUBE_WATCH_SECONDS);
	pthread_mutex_unlock(r->lock);
	mesh_kube_watch_init(&stream.decoder, on_event, r);
	ret = perform(r, &request, &response, err, sizeof(err));
	outcome = mesh_kube_watch_outcome(
	    ret, response.status, mesh_kube_watch_finish(&stream.decoder), stream.delivered);
	report_watch_end(r, outcome, ret, &response, err, &stream.decoder);
	mesh_kube_response_release(&response);
	mesh_kube_watch_release(&stream.decoder);
	return outcome;
}

static void *run(void *ctx)
{
	struct mesh_kube_reflector *r = ctx;
	struct mesh_kube_plan plan = {.relist = true};
	enum mesh_kube_outcome outcome;
	unsigned failures = 0;

	while (!sleep_or_stop(r, plan.delay_ms)) {
		if (plan.relist)
			outcome = list(r, stopping) ? MESH_KUBE_LIST_FAILED : MESH_KUBE_LISTED;
		else
			outcome = watch(r);
		if (outcome == MESH_KUBE_LISTED)
			r->notify(r->ctx);
		plan = mesh_kube_plan_next(&failures, outcome);
		if (plan.delay_ms && !stopping(r))
			say(r, LOG_INFO, "%s: retrying in %u ms", r->name, plan.delay_ms);
	}
	return NULL;
}

int mesh_kube_reflector_start(struct mesh_kube_reflector *r)
{
	pthread_condattr_t attr;
	int ret;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_mutex_init(&r->stop_lock, NULL);
	pthread_cond_init(&r->stop_cond, &attr);
	pthread_condattr_destroy(&attr);
	r->stopping = false;
	ret = -pthread_create(&r->thread, NULL, run, r);
	r->running = !ret;
	if (ret) {
		say(r, LOG_ERR, "%s: cannot start the watch: %s", r->name, strerror(-ret));
		pthread_cond_destroy(&r->stop_cond);
		pthread_mutex_destroy(&r->stop_lock);
	}
	return ret;
}

void mesh_kube_reflector_stop(struct mesh_kube_reflector *r)
{
	if (!r->running)
		return;
	pthread_mutex_lock(&r->stop_lock);
	r->stopping = true;
	pthread_cond_signal(&r->stop_cond);
	pthread_mutex_unlock(&r->stop_lock);
}

void mesh_kube_reflector_release(struct mesh_kube_reflector *r)
{
	if (r->running) {
		mesh_kube_reflector_stop(r);
		pthread_join(r->thread, NULL);
		pthread_cond_destroy(&r->stop_cond);
		pthread_mutex_destroy(&r->stop_lock);
		r->running = false;
	}
	mesh_kube_store_release(&r->store);
}
