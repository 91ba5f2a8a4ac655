// SPDX-License-Identifier: MIT
/* queue.c - batches of packet slots and the bounded handshake queue. */

#include "wg/queue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "wg/thread.h"

/* Every batch's mapping of its slots. */
static const size_t memory_size = (size_t)WG_PACKET_SLOT * WG_BATCH_SIZE;

int wg_batch_init(struct wg_batch *batch, enum wg_aead_lib lib)
{
	int ret = wg_aead_ctx_init(&batch->aead, lib);

	if (ret < 0)
		return ret;
	/* 8 MiB of address space, but only the touched part of each slot costs memory, and only
	 * until the ring goes idle (wg_ring_poll). */
	batch->memory =
	    mmap(NULL, memory_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (batch->memory == MAP_FAILED) {
		batch->memory = NULL;
		wg_aead_ctx_free(&batch->aead);
		return -ENOMEM;
	}
	memset(batch->msgs, 0, sizeof(batch->msgs));
	batch->count = 0;
	return 0;
}

void wg_batch_free(struct wg_batch *batch)
{
	if (batch->memory)
		munmap(batch->memory, memory_size);
	batch->memory = NULL;
	wg_aead_ctx_free(&batch->aead);
}

uint8_t *wg_batch_slot(const struct wg_batch *batch, unsigned int i)
{
	return batch->memory + (size_t)i * WG_PACKET_SLOT;
}

void wg_batch_hold(struct wg_batch *batch, unsigned int n)
{
	atomic_fetch_add(&batch->holds, n);
}

void wg_batch_unhold(struct wg_batch *batch)
{
	struct wg_ring *ring = batch->ring;

	if (atomic_fetch_sub(&batch->holds, 1) != 1)
		return;
	pthread_mutex_lock(&ring->lock);
	pthread_cond_broadcast(&ring->freed);
	pthread_mutex_unlock(&ring->lock);
}

int wg_handshake_queue_init(struct wg_handshake_queue *q)
{
	memset(q, 0, sizeof(*q));
	q->jobs = calloc(MAX_QUEUED_INCOMING_HANDSHAKES, sizeof(*q->jobs));
	if (!q->jobs)
		return -ENOMEM;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	pthread_cond_init(&q->idle, NULL);
	return 0;
}

void wg_handshake_queue_free(struct wg_handshake_queue *q)
{
	if (!q->jobs)
		return;
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	pthread_cond_destroy(&q->idle);
	free(q->jobs);
	q->jobs = NULL;
}

bool wg_handshake_queue_push(struct wg_handshake_queue *q, const void *msg, size_t len,
                             const union wg_endpoint *src, unsigned int limit, unsigned int *length)
{
	struct wg_handshake_job *job;
	bool pushed = false;

	if (len > sizeof(job->msg))
		return false;
	pthread_mutex_lock(&q->lock);
	if (q->closed || q->count >= limit || q->count == MAX_QUEUED_INCOMING_HANDSHAKES)
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

static void pop_job(struct wg_handshake_queue *q, struct wg_handshake_job *job)
{
	*job = q->jobs[q->head];
	q->head = (q->head + 1) % MAX_QUEUED_INCOMING_HANDSHAKES;
	q->count--;
}

bool wg_handshake_queue_request(struct wg_handshake_queue *q, struct wg_handshake_request *req)
{
	bool queued = false;

	pthread_mutex_lock(&q->lock);
	if (q->closed || req->queued)
		goto out;
	req->next = NULL;
	req->queued = queued = true;
	if (q->requests_tail)
		q->requests_tail->next = req;
	else
		q->requests = req;
	q->requests_tail = req;
	pthread_cond_signal(&q->cond);
out:
	pthread_mutex_unlock(&q->lock);
	return queued;
}

static struct wg_handshake_request *take_request(struct wg_handshake_queue *q)
{
	struct wg_handshake_request *req = q->requests;

	q->requests = req->next;
	if (!q->requests)
		q->requests_tail = NULL;
	req->next = NULL;
	req->queued = false;
	return req;
}

bool wg_handshake_queue_pop(struct wg_handshake_queue *q, struct wg_handshake_job *job,
                            unsigned int *length, struct wg_handshake_request **request)
{
	bool popped = false;

	pthread_mutex_lock(&q->lock);
	q->busy = false;
	pthread_cond_broadcast(&q->idle);
	while (!q->requests && !q->count && !q->closed)
		pthread_cond_wait(&q->cond, &q->lock);
	*request = NULL;
	if (q->requests)
		*request = take_request(q);
	else if (q->closed)
		goto out;
	else
		pop_job(q, job);
	*length = q->count;
	q->busy = popped = true;
out:
	pthread_mutex_unlock(&q->lock);
	return popped;
}

void wg_handshake_queue_drain(struct wg_handshake_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->count = 0;
	while (q->busy)
		pthread_cond_wait(&q->idle, &q->lock);
	pthread_mutex_unlock(&q->lock);
}

void wg_handshake_queue_close(struct wg_handshake_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

static void free_batches(struct wg_ring *ring)
{
	unsigned int i;

	for (i = 0; i < WG_RING_SIZE && ring->batches[i]; i++) {
		wg_batch_free(ring->batches[i]);
		free(ring->batches[i]);
		ring->batches[i] = NULL;
	}
}

int wg_ring_init(struct wg_ring *ring, enum wg_aead_lib lib, size_t container_size,
                 void (*setup)(struct wg_batch *batch, void *ctx), void *ctx, wg_batch_fn crypt,
                 wg_batch_fn finish)
{
	struct wg_batch *batch;
	unsigned int i;
	int ret;

	memset(ring, 0, sizeof(*ring));
	for (i = 0; i < WG_RING_SIZE; i++) {
		batch = calloc(1, container_size);
		ret = batch ? wg_batch_init(batch, lib) : -ENOMEM;
		if (ret < 0) {
			free(batch);
			free_batches(ring);
			return ret;
		}
		batch->ring = ring;
		atomic_init(&batch->crypted, false);
		atomic_init(&batch->holds, 0);
		setup(batch, ctx);
		ring->batches[i] = batch;
	}
	pthread_mutex_init(&ring->lock, NULL);
	pthread_cond_init(&ring->freed, NULL);
	pthread_mutex_init(&ring->finish_lock, NULL);
	ring->crypt = crypt;
	ring->finish = finish;
	return 0;
}

void wg_ring_destroy(struct wg_ring *ring)
{
	free_batches(ring);
	pthread_mutex_destroy(&ring->lock);
	pthread_cond_destroy(&ring->freed);
	pthread_mutex_destroy(&ring->finish_lock);
}

struct wg_batch *wg_ring_acquire(struct wg_ring *ring)
{
	struct wg_batch *batch;

	pthread_mutex_lock(&ring->lock);
	for (;;) {
		batch = ring->batches[(ring->head + ring->count) % WG_RING_SIZE];
		if (ring->count < WG_RING_SIZE && !atomic_load(&batch->holds))
			break;
		pthread_cond_wait(&ring->freed, &ring->lock);
	}
	ring->count++;
	pthread_mutex_unlock(&ring->lock);
	batch->count = 0;
	return batch;
}

static bool held(const struct wg_ring *ring)
{
	unsigned int i;

	for (i = 0; i < WG_RING_SIZE; i++)
		if (atomic_load(&ring->batches[i]->holds))
			return true;
	return false;
}

void wg_ring_flush(struct wg_ring *ring)
{
	pthread_mutex_lock(&ring->lock);
	while (ring->count || held(ring))
		pthread_cond_wait(&ring->freed, &ring->lock);
	pthread_mutex_unlock(&ring->lock);
}

/* Only the producer acquires a batch, and only a finish step (in flight) holds one, so a batch
 * seen out of flight and unheld here stays untouched while its pages go. */
static void trim(struct wg_ring *ring)
{
	struct wg_batch *idle[WG_RING_SIZE];
	unsigned int i, n = 0;

	pthread_mutex_lock(&ring->lock);
	/* The newest batch in flight is the producer's own, acquired and empty. */
	for (i = ring->count - 1; i < WG_RING_SIZE; i++) {
		idle[n] = ring->batches[(ring->head + i) % WG_RING_SIZE];
		n += !atomic_load(&idle[n]->holds);
	}
	pthread_mutex_unlock(&ring->lock);
	for (i = 0; i < n; i++)
		madvise(idle[i]->memory, memory_size, MADV_DONTNEED);
}

int wg_ring_poll(struct wg_ring *ring, struct pollfd *fds, nfds_t nfds)
{
	int n = poll(fds, nfds, WG_RING_IDLE_MS);

	if (n != 0)
		return n;
	trim(ring);
	return poll(fds, nfds, -1);
}

static struct wg_batch *oldest(struct wg_ring *ring)
{
	struct wg_batch *batch = NULL;

	pthread_mutex_lock(&ring->lock);
	if (ring->count)
		batch = ring->batches[ring->head];
	pthread_mutex_unlock(&ring->lock);
	return batch && atomic_load(&batch->crypted) ? batch : NULL;
}

/*
 * Whoever holds the lock finishes every batch crypted in order, so a worker that finds the lock
 * taken leaves its batch to the holder rather than sleep on the lock. A worker sets its batch
 * crypted before it tries the lock, and the holder looks again after it lets go: either the
 * holder sees that batch, or the worker gets the lock.
 */
static void finish_in_order(struct wg_ring *ring)
{
	struct wg_batch *batch;

	atomic_thread_fence(memory_order_seq_cst);
	while (oldest(ring) && pthread_mutex_trylock(&ring->finish_lock) == 0) {
		while ((batch = oldest(ring))) {
			ring->finish(batch);
			atomic_store(&batch->crypted, false);
			pthread_mutex_lock(&ring->lock);
			ring->head = (ring->head + 1) % WG_RING_SIZE;
			ring->count--;
			pthread_cond_broadcast(&ring->freed);
			pthread_mutex_unlock(&ring->lock);
		}
		pthread_mutex_unlock(&ring->finish_lock);
		atomic_thread_fence(memory_order_seq_cst);
	}
}

static struct wg_batch *pool_pop(struct wg_pool *pool)
{
	struct wg_batch *batch;

	pthread_mutex_lock(&pool->lock);
	while (!pool->head && !pool->closed)
		pthread_cond_wait(&pool->cond, &pool->lock);
	batch = pool->head;
	if (batch) {
		pool->head = batch->next;
		if (!pool->head)
			pool->tail = NULL;
	}
	pthread_mutex_unlock(&pool->lock);
	return batch;
}

static void run(struct wg_batch *batch)
{
	batch->ring->crypt(batch);
	atomic_store(&batch->crypted, true);
	finish_in_order(batch->ring);
}

static void *worker(void *arg)
{
	struct wg_pool *pool = arg;
	struct wg_batch *batch;

	while ((batch = pool_pop(pool)))
		run(batch);
	return NULL;
}

/* Nothing older is in flight on the batch's ring, so finishing it now keeps the order. */
static bool alone_in_ring(const struct wg_batch *batch)
{
	struct wg_ring *ring = batch->ring;
	bool alone;

	pthread_mutex_lock(&ring->lock);
	alone = ring->count == 1;
	pthread_mutex_unlock(&ring->lock);
	return alone;
}

int wg_pool_start(struct wg_pool *pool, unsigned int n_threads)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	char name[32];
	int ret = 0;

	memset(pool, 0, sizeof(*pool));
	if (!n_threads)
		n_threads = cpus > 0 ? (unsigned int)cpus : 1;
	pool->threads = calloc(n_threads, sizeof(*pool->threads));
	if (!pool->threads)
		return -ENOMEM;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->cond, NULL);
	for (; pool->n_threads < n_threads; pool->n_threads++) {
		snprintf(name, sizeof(name), "wg-crypt/%u", pool->n_threads);
		ret = wg_thread_start(&pool->threads[pool->n_threads], name, worker, pool);
		if (ret < 0)
			break;
	}
	if (ret < 0)
		wg_pool_stop(pool);
	return ret;
}

void wg_pool_submit(struct wg_pool *pool, struct wg_batch *batch)
{
	/* A few packets cost less here than waking a worker, and wait for nobody (ping). */
	if (batch->count <= WG_POOL_INLINE_MAX && alone_in_ring(batch)) {
		run(batch);
		return;
	}
	batch->next = NULL;
	pthread_mutex_lock(&pool->lock);
	if (pool->tail)
		pool->tail->next = batch;
	else
		pool->head = batch;
	pool->tail = batch;
	pthread_cond_signal(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
}

void wg_pool_stop(struct wg_pool *pool)
{
	unsigned int i;

	if (!pool->threads)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->closed = true;
	pthread_cond_broadcast(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
	for (i = 0; i < pool->n_threads; i++)
		pthread_join(pool->threads[i], NULL);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->cond);
	free(pool->threads);
	pool->threads = NULL;
}
