// SPDX-License-Identifier: MIT
#include "cmd/common/http_deadlines.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

struct mesh_http_deadline {
	int fd;       /* -1: a free slot */
	int64_t when; /* CLOCK_MONOTONIC ms; INT64_MAX once shut */
};

struct mesh_http_deadlines {
	pthread_mutex_t lock;
	pthread_cond_t changed; /* a connection came, or stopping was set */
	pthread_t keeper;
	bool stopping;
	unsigned int ms, n_slots;
	struct mesh_http_deadline slots[];
};

static int64_t now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Shuts what is due; the next deadline, INT64_MAX if none. Under the lock. */
static int64_t shut_due(struct mesh_http_deadlines *deadlines)
{
	int64_t now = now_ms(), next = INT64_MAX;

	for (unsigned int i = 0; i < deadlines->n_slots; i++) {
		struct mesh_http_deadline *slot = &deadlines->slots[i];

		if (slot->fd < 0)
			continue;
		if (slot->when <= now) {
			/* libmicrohttpd sees the end, closes it and removes it. */
			shutdown(slot->fd, SHUT_RDWR);
			slot->when = INT64_MAX;
		} else if (slot->when < next) {
			next = slot->when;
		}
	}
	return next;
}

static void *keep(void *arg)
{
	struct mesh_http_deadlines *deadlines = arg;

	pthread_mutex_lock(&deadlines->lock);
	while (!deadlines->stopping) {
		int64_t next = shut_due(deadlines);
		struct timespec at = {.tv_sec = next / 1000, .tv_nsec = next % 1000 * 1000000};

		if (next == INT64_MAX)
			pthread_cond_wait(&deadlines->changed, &deadlines->lock);
		else
			pthread_cond_timedwait(&deadlines->changed, &deadlines->lock, &at);
	}
	pthread_mutex_unlock(&deadlines->lock);
	return NULL;
}

int mesh_http_deadlines_start(unsigned int slots, unsigned int ms, struct mesh_http_deadlines **out)
{
	struct mesh_http_deadlines *deadlines =
	    calloc(1, sizeof(*deadlines) + slots * sizeof(*deadlines->slots));
	pthread_condattr_t monotonic;
	int ret;

	if (!deadlines)
		return -ENOMEM;
	deadlines->ms = ms;
	deadlines->n_slots = slots;
	for (unsigned int i = 0; i < slots; i++)
		deadlines->slots[i].fd = -1;
	pthread_mutex_init(&deadlines->lock, NULL);
	pthread_condattr_init(&monotonic);
	pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
	pthread_cond_init(&deadlines->changed, &monotonic);
	pthread_condattr_destroy(&monotonic);
	ret = -pthread_create(&deadlines->keeper, NULL, keep, deadlines);
	if (ret) {
		pthread_cond_destroy(&deadlines->changed);
		pthread_mutex_destroy(&deadlines->lock);
		free(deadlines);
		return ret;
	}
	*out = deadlines;
	return 0;
}

struct mesh_http_deadline *mesh_http_deadline_add(struct mesh_http_deadlines *deadlines, int fd)
{
	struct mesh_http_deadline *slot = NULL;

	pthread_mutex_lock(&deadlines->lock);
	for (unsigned int i = 0; i < deadlines->n_slots && !slot; i++)
		if (deadlines->slots[i].fd < 0)
			slot = &deadlines->slots[i];
	if (slot) {
		*slot = (struct mesh_http_deadline){.fd = fd, .when = now_ms() + deadlines->ms};
		pthread_cond_signal(&deadlines->changed);
	}
	pthread_mutex_unlock(&deadlines->lock);
	return slot;
}

void mesh_http_deadline_remove(struct mesh_http_deadlines *deadlines,
                               struct mesh_http_deadline *deadline)
{
	if (!deadline)
		return;
	pthread_mutex_lock(&deadlines->lock);
	deadline->fd = -1;
	pthread_mutex_unlock(&deadlines->lock);
}

void mesh_http_deadlines_stop(struct mesh_http_deadlines *deadlines)
{
	if (!deadlines)
		return;
	pthread_mutex_lock(&deadlines->lock);
	deadlines->stopping = true;
	pthread_cond_signal(&deadlines->changed);
	pthread_mutex_unlock(&deadlines->lock);
	pthread_join(deadlines->keeper, NULL);
	pthread_cond_destroy(&deadlines->changed);
	pthread_mutex_destroy(&deadlines->lock);
	free(deadlines);
}
