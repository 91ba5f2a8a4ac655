/* SPDX-License-Identifier: MIT */
/*
 * The body of a Kubernetes watch: one JSON event per line,
 * {"type": "ADDED|MODIFIED|DELETED|BOOKMARK|ERROR", "object": {...}}, cut
 * by the network into pieces anywhere, even inside a UTF-8 sequence.
 *
 * mesh_kube_watch_feed() takes the pieces in order and hands each complete
 * event to the callback (the object borrowed for the call). Blank lines are
 * skipped. A line that is not such an event is -EBADMSG with the reason in
 * the decoder's error, and a line longer than MESH_KUBE_WATCH_LINE_MAX is
 * -EMSGSIZE: the stream cannot be trusted after either, so the caller ends
 * the watch and resumes from the last good resourceVersion. A callback's
 * non-zero return stops the feed and is returned. mesh_kube_watch_finish()
 * says whether the stream ended on a line boundary (-EPIPE if cut mid-event).
 */
#ifndef MESH_KUBE_WATCH_H
#define MESH_KUBE_WATCH_H

#include <jansson.h>
#include <stddef.h>

#define MESH_KUBE_WATCH_LINE_MAX (16u << 20)

enum mesh_kube_event_type {
	MESH_KUBE_ADDED,
	MESH_KUBE_MODIFIED,
	MESH_KUBE_DELETED,
	MESH_KUBE_BOOKMARK,
	MESH_KUBE_ERROR, /* object is a metav1.Status */
};

struct mesh_kube_event {
	enum mesh_kube_event_type type;
	json_t *object;
};

typedef int mesh_kube_event_fn(void *ctx, const struct mesh_kube_event *event);

struct mesh_kube_watch {
	mesh_kube_event_fn *on_event;
	void *ctx;
	char *line; /* the incomplete line so far */
	size_t len, cap;
	char error[160];
};

void mesh_kube_watch_init(struct mesh_kube_watch *watch, mesh_kube_event_fn *on_event, void *ctx);
int mesh_kube_watch_feed(struct mesh_kube_watch *watch, const char *data, size_t len);
int mesh_kube_watch_finish(const struct mesh_kube_watch *watch);
void mesh_kube_watch_release(struct mesh_kube_watch *watch);

#endif /* MESH_KUBE_WATCH_H */
