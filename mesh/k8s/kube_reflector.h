/* SPDX-License-Identifier: MIT */
/*
 * One resource (Nodes, or Peers) kept current the way client-go's Reflector
 * keeps an informer's store: list, then watch from the list's
 * resourceVersion (with bookmarks), resume a watch that ended from the last
 * resourceVersion seen, re-list when the server says that version is gone
 * (HTTP 410, an ERROR event with code 410, or 504 for a version it has not
 * reached), and back off exponentially (MESH_KUBE_BACKOFF_*) while requests
 * fail. A stream cut off after it delivered counts as a first failure, not
 * one more: the server was there a moment ago, so streams that a proxy cuts
 * now and then are resumed after the shortest delay.
 *
 * The decisions are pure functions (store, outcome, plan) so that they can
 * be tested on recorded bodies; mesh_kube_reflector_start() runs them in a
 * thread of its own. The store is guarded by the caller's lock, which the
 * thread takes for every change; notify is called after each change with
 * the lock released.
 */
#ifndef MESH_KUBE_REFLECTOR_H
#define MESH_KUBE_REFLECTOR_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>

#include "mesh/k8s/kube_client.h"
#include "mesh/k8s/kube_config.h"
#include "mesh/k8s/kube_watch.h"

#define MESH_KUBE_BACKOFF_MIN_MS 500u
#define MESH_KUBE_BACKOFF_MAX_MS 30000u
/* The server ends a watch after this; client-go picks 5 to 10 minutes. */
#define MESH_KUBE_WATCH_SECONDS 300

struct mesh_kube_store {
	json_t *objects; /* metadata.name -> object */
	char resource_version[64];
	bool synced; /* listed at least once */
};

/* Take a List reply: its items and metadata.resourceVersion. -EBADMSG if malformed. */
int mesh_kube_store_replace(struct mesh_kube_store *store, const json_t *list);
/*
 * Apply one watch event; *changed says whether the objects changed. An ERROR
 * event returns -ESTALE for code 410 and -EPROTO for any other code.
 */
int mesh_kube_store_apply(struct mesh_kube_store *store, const struct mesh_kube_event *event,
                          bool *changed);
void mesh_kube_store_release(struct mesh_kube_store *store);

enum mesh_kube_outcome {
	MESH_KUBE_LISTED,
	MESH_KUBE_LIST_FAILED,
	MESH_KUBE_WATCH_ENDED,  /* the server closed the stream cleanly */
	MESH_KUBE_WATCH_GONE,   /* our resourceVersion is no more: re-list */
	MESH_KUBE_WATCH_FAILED, /* lost connection, error status, broken stream */
	MESH_KUBE_WATCH_BROKE,  /* cut off after it delivered events */
};

/*
 * A watch's outcome from the request's result (0 or negative errno, -ESTALE
 * for an ERROR 410 event), the HTTP status, mesh_kube_watch_finish(), and
 * whether the stream delivered anything before it ended.
 */
enum mesh_kube_outcome mesh_kube_watch_outcome(int ret, long status, int finish, bool delivered);

struct mesh_kube_plan {
	bool relist;
	unsigned delay_ms;
};

/* What to do next; *failures counts consecutive failures across calls. */
struct mesh_kube_plan mesh_kube_plan_next(unsigned *failures, enum mesh_kube_outcome outcome);

/* How requests are made: mesh_kube_client_perform(), or a script in tests. */
typedef int mesh_kube_perform_fn(const struct mesh_kube_config *config,
                                 const struct mesh_kube_request *request,
                                 struct mesh_kube_response *response, char *err, size_t errlen);

struct mesh_kube_reflector {
	const char *path; /* "/api/v1/nodes" */
	const char *name; /* "nodes", for messages */
	const struct mesh_kube_config *config;
	pthread_mutex_t *lock; /* guards store */
	struct mesh_kube_store store;
	void (*notify)(void *ctx);
	void (*log)(void *ctx, int level, const char *message);
	void *ctx;
	mesh_kube_perform_fn *perform; /* NULL: mesh_kube_client_perform() */
	/* Private to the thread and stop. */
	pthread_t thread;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	bool stopping, running;
};

/* One list into the store, in the caller's thread (no watch follows). */
int mesh_kube_reflector_list(struct mesh_kube_reflector *reflector);
int mesh_kube_reflector_start(struct mesh_kube_reflector *reflector);
/*
 * Asks the thread to stop; a request in flight notices within about a
 * second. Stopping several reflectors first and releasing them after lets
 * them wind down together.
 */
void mesh_kube_reflector_stop(struct mesh_kube_reflector *reflector);
/* Stops and joins the thread (if started) and releases the store. */
void mesh_kube_reflector_release(struct mesh_kube_reflector *reflector);

#endif /* MESH_KUBE_REFLECTOR_H */
