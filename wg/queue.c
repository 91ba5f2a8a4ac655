// SPDX-License-Identifier: MIT
/* queue.c - batches of packet slots and the bounded handshake queue. */

#include "wg/queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int wg_batch_init(struct wg_batch *batch)
{
	const size_t size = (size_t)WG_PACKET_SLOT * WG_BATCH_SIZE;

	/* 8 MiB of address space, but only the touched part of each slot costs memory. */
	batch->memory = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (batch->memory == MAP_FAILED) {
		batch->memory = NULL;
		return -ENOMEM;
	}
	memset(batch->msgs, 0, sizeof(batch->msgs));
	batch->count = 0;
	return 0;
}

void wg_batch_free(struct wg_batch *batch)
{
	if (batch->memory)
		munmap(batch->memory, (size_t)WG_PACKET_SLOT * WG_BATCH_SIZE);
	batch->memory = NULL;
}

uint8_t *wg_batch_slot(const struct wg_batch *batch, unsigned int i)
{
	return batch->memory + (size_t)i * WG_PACKET_SLOT;
}

int wg_handshake_queue_init(struct wg_handshake_queue *q)
{
	memset(q, 0, sizeof(*q));
	q->jobs = calloc(MAX_QUEUED_INCOMING_HANDSHAKES, sizeof(*q->jobs));
	if (!q->jobs)
		return -ENOMEM;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	return 0;
}

void wg_handshake_queue_free(struct wg_handshake_queue *q)
{
	if (!q->jobs)
		return;
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	free(q->jobs);
	q->jobs = NULL;
}

bool wg_handshake_queue_push(struct wg_handshake_queue *q, const void *msg, size_t len,
			     const union wg_endpoint *src, unsigned int *length)
{
	struct wg_handshake_job *job;
	bool pushed = false;

	if (len > sizeof(job->msg))
		return false;
	pthread_mutex_lock(&q->lock);
	if (q->closed || q->count == MAX_QUEUED_INCOMING_HANDSHAKES)
		goto out;
	job = &q->jobs[(q->head + q->count) % MAX_QUEUED_INCOMING_HANDSHAKES];
	memcpy(job->msg, msg, len);
	job->len = len;
	job->src = *src;
	q->count++;
	pushed = true;
	pthread_cond_signal(&q->cond);
out:
	*length = q->count;
	pthread_mutex_unlock(&q->lock);
	return pushed;
}

bool wg_handshake_queue_pop(struct wg_handshake_queue *q, struct wg_handshake_job *job,
			    unsigned int *length)
{
	bool popped = false;

	pthread_mutex_lock(&q->lock);
	while (!q->count && !q->closed)
		pthread_cond_wait(&q->cond, &q->lock);
	if (q->closed)
		goto out;
	*job = q->jobs[q->head];
	q->head = (q->head + 1) % MAX_QUEUED_INCOMING_HANDSHAKES;
	q->count--;
	*length = q->count;
	popped = true;
out:
	pthread_mutex_unlock(&q->lock);
	return popped;
}

void wg_handshake_queue_close(struct wg_handshake_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}
