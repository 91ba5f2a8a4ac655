// SPDX-License-Identifier: MIT
/* test_queue.c - the bounded handshake queue and packet batches (wg/queue.h). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/timerfd.h>

#include "resident_pages.h"
#include "wg/queue.h"

/* A push that may fill the queue to the end. */
enum { WHOLE = MAX_QUEUED_INCOMING_HANDSHAKES };

static void message(uint8_t *msg, uint32_t seq)
{
	memset(msg, 0, MESSAGE_INITIATION_LEN);
	memcpy(msg, &seq, sizeof(seq));
}

static void test_handshakes_come_out_in_order(void **state)
{
	struct wg_handshake_queue q;
	union wg_endpoint src = {.in = {.sin_family = AF_INET, .sin_port = 7}};
	struct wg_handshake_request *request;
	struct wg_handshake_job job;
	uint8_t msg[MESSAGE_INITIATION_LEN];
	unsigned int length;
	uint32_t seq;

	(void)state;
	assert_int_equal(wg_handshake_queue_init(&q), 0);
	for (seq = 0; seq < 100; seq++) {
		message(msg, seq);
		assert_true(wg_handshake_queue_push(&q, msg, sizeof(msg), &src, WHOLE, &length));
		assert_int_equal(length, seq + 1);
	}
	for (seq = 0; seq < 100; seq++) {
		assert_true(wg_handshake_queue_pop(&q, &job, &length, &request));
		assert_int_equal(length, 99 - seq);
		assert_int_equal(job.len, sizeof(msg));
		assert_memory_equal(job.msg, &seq, sizeof(seq));
		assert_int_equal(job.src.in.sin_port, 7);
	}
	wg_handshake_queue_free(&q);
}

/* Pushes messages numbered from the queue's length on, with limit, until one is refused;
 * that must happen exactly at the limit, or at the queue's end if that comes first. */
static void fill_to(struct wg_handshake_queue *q, unsigned int limit)
{
	union wg_endpoint src = {.in = {.sin_family = AF_INET}};
	uint8_t msg[MESSAGE_INITIATION_LEN];
	unsigned int length = q->count;

	do
		message(msg, length);
	while (wg_handshake_queue_push(q, msg, sizeof(msg), &src, limit, &length));
	assert_int_equal(length, limit < WHOLE ? limit : WHOLE);
}

static void test_full_queue_drops_new_handshakes(void **state)
{
	struct wg_handshake_queue q;
	struct wg_handshake_request *request;
	struct wg_handshake_job job;
	unsigned int length;

	(void)state;
	assert_int_equal(wg_handshake_queue_init(&q), 0);
	fill_to(&q, WHOLE);
	/* No limit reaches past the queue's end. */
	fill_to(&q, WHOLE + 1);
	assert_true(wg_handshake_queue_pop(&q, &job, &length, &request));
	assert_memory_equal(job.msg, &(uint32_t){0}, sizeof(uint32_t));
	wg_handshake_queue_free(&q);
}

static void test_push_stops_at_its_limit_but_leaves_room_above_it(void **state)
{
	struct wg_handshake_queue q;

	(void)state;
	assert_int_equal(wg_handshake_queue_init(&q), 0);
	fill_to(&q, WHOLE - 8);
	fill_to(&q, WHOLE);
	wg_handshake_queue_free(&q);
}

static void test_oversized_message_is_refused(void **state)
{
	struct wg_handshake_queue q;
	union wg_endpoint src = {.in = {.sin_family = AF_INET}};
	uint8_t msg[MESSAGE_INITIATION_LEN + 1] = {0};
	unsigned int length;

	(void)state;
	assert_int_equal(wg_handshake_queue_init(&q), 0);
	assert_false(wg_handshake_queue_push(&q, msg, sizeof(msg), &src, WHOLE, &length));
	wg_handshake_queue_free(&q);
}

static void *close_later(void *arg)
{
	usleep(50000);
	wg_handshake_queue_close(arg);
	return NULL;
}

static void test_close_wakes_a_waiting_consumer(void **state)
{
	struct wg_handshake_queue q;
	struct wg_handshake_request *request;
	struct wg_handshake_job job;
	unsigned int length;
	pthread_t thread;

	(void)state;
	assert_int_equal(wg_handshake_queue_init(&q), 0);
	assert_int_equal(pthread_create(&thread, NULL, close_later, &q), 0);
	assert_false(wg_handshake_queue_pop(&q, &job, &length, &request));
	pthread_join(thread, NULL);
	wg_handshake_queue_free(&q);
}

/* A consumer that holds its first message for a while before it asks for the next. */
static void *slow_consumer(void *arg)
{
	struct wg_handshake_queue *q = arg;
	struct wg_handshake_request *request;
	struct wg_handshake_job job;
	unsigned int length;

	if (wg_handshake_queue_pop(q, &job, &length, &request)) {
		usleep(100000);
		wg_handshake_queue_pop(q, &job, &length, &request);
	}
	return NULL;
}

static unsigned int waiting(struct wg_handshake_queue *q)
{
	unsigned int count;

	pthread_mutex_lock(&q->lock);
	count = q->count;
	pthread_mutex_unlock(&q->lock);
	return count;
}

static void test_drain_drops_what_waits_and_outwaits_the_one_in_hand(void **state)
{
	struct wg_handshake_queue q;
	struct timespec start, end;
	pthread_t thread;

	(void)state;
	assert_int_equal(wg_handshake_queue_init(&q), 0);
	fill_to(&q, 3);
	assert_int_equal(pthread_create(&thread, NULL, slow_consumer, &q), 0);
	while (waiting(&q) == 3)
		usleep(1000);
	clock_gettime(CLOCK_MONOTONIC, &start);
	wg_handshake_queue_drain(&q);
	clock_gettime(CLOCK_MONOTONIC, &end);
	/* It returned only when the consumer asked for its next message, of which none is left. */
	assert_true((end.tv_sec - start.tv_sec) * 1000000000L + end.tv_nsec - start.tv_nsec >
	            50000000L);
	assert_int_equal(waiting(&q), 0);
	wg_handshake_queue_close(&q);
	pthread_join(thread, NULL);
	wg_handshake_queue_free(&q);
}

static void test_requests_come_first_and_once_each(void **state)
{
	union wg_endpoint src = {.in = {.sin_family = AF_INET}};
	struct wg_handshake_request first = {0}, second = {0}, *request;
	uint8_t msg[MESSAGE_INITIATION_LEN] = {0};
	struct wg_handshake_queue q;
	struct wg_handshake_job job;
	unsigned int length;

	(void)state;
	assert_int_equal(wg_handshake_queue_init(&q), 0);
	fill_to(&q, WHOLE);
	/* A full queue of messages leaves requests their room, and asking twice queues once. */
	assert_true(wg_handshake_queue_request(&q, &first));
	assert_true(wg_handshake_queue_request(&q, &second));
	assert_false(wg_handshake_queue_request(&q, &first));
	assert_true(wg_handshake_queue_pop(&q, &job, &length, &request));
	assert_ptr_equal(request, &first);
	assert_true(wg_handshake_queue_request(&q, &first));
	assert_true(wg_handshake_queue_pop(&q, &job, &length, &request));
	assert_ptr_equal(request, &second);
	assert_true(wg_handshake_queue_pop(&q, &job, &length, &request));
	assert_ptr_equal(request, &first);
	assert_true(wg_handshake_queue_pop(&q, &job, &length, &request));
	assert_null(request);
	assert_int_equal(length, WHOLE - 1);
	/* Once closed: what waits is handed out, nothing more is taken, and then it is over. */
	assert_true(wg_handshake_queue_request(&q, &first));
	wg_handshake_queue_close(&q);
	assert_false(wg_handshake_queue_request(&q, &second));
	assert_false(wg_handshake_queue_push(&q, msg, sizeof(msg), &src, WHOLE, &length));
	assert_true(wg_handshake_queue_pop(&q, &job, &length, &request));
	assert_ptr_equal(request, &first);
	assert_false(wg_handshake_queue_pop(&q, &job, &length, &request));
	wg_handshake_queue_free(&q);
}

static void test_batch_slots_do_not_overlap(void **state)
{
	struct wg_batch batch;

	(void)state;
	assert_int_equal(wg_batch_init(&batch, WG_AEAD_SODIUM), 0);
	assert_int_equal(wg_batch_slot(&batch, 1) - wg_batch_slot(&batch, 0), WG_PACKET_SLOT);
	/* Every slot takes a maximal packet with its header in front and padding and tag behind. */
	memset(wg_batch_slot(&batch, WG_BATCH_SIZE - 1), 0xaa, WG_PACKET_SLOT);
	assert_true(WG_PACKET_SLOT >= WG_PACKET_HEADROOM + 65535 + 15 + 16);
	wg_batch_free(&batch);
}

/* Ring batches whose crypt step takes a random time, numbered as submitted. */
struct numbered {
	struct wg_batch batch;
	unsigned int number;
};

static unsigned int finished[64], n_finished;

static void slow_crypt(struct wg_batch *batch)
{
	usleep(randombytes_uniform(3000));
	(void)batch;
}

static void record_finish(struct wg_batch *batch)
{
	finished[n_finished++] = ((struct numbered *)batch)->number;
}

static void no_setup(struct wg_batch *batch, void *ctx)
{
	(void)batch;
	(void)ctx;
}

static void test_ring_finishes_in_submission_order_despite_parallel_crypto(void **state)
{
	struct wg_ring ring;
	struct wg_pool pool;
	struct wg_batch *batch;
	unsigned int i;

	(void)state;
	assert_int_equal(wg_ring_init(&ring, WG_AEAD_SODIUM, sizeof(struct numbered), no_setup,
	                              NULL, slow_crypt, record_finish),
	                 0);
	assert_int_equal(wg_pool_start(&pool, 4), 0);
	n_finished = 0;
	for (i = 0; i < 64; i++) {
		batch = wg_ring_acquire(&ring);
		((struct numbered *)batch)->number = i;
		/* Big enough for the pool, not for the submitter. */
		batch->count = WG_POOL_INLINE_MAX + 1;
		wg_pool_submit(&pool, batch);
	}
	wg_ring_flush(&ring);
	wg_pool_stop(&pool);
	wg_ring_destroy(&ring);
	assert_int_equal(n_finished, 64);
	for (i = 0; i < 64; i++)
		assert_int_equal(finished[i], i);
}

static void test_small_batch_on_idle_ring_is_run_by_its_submitter(void **state)
{
	struct wg_ring ring;
	struct wg_pool pool;
	struct wg_batch *batch;

	(void)state;
	assert_int_equal(wg_ring_init(&ring, WG_AEAD_SODIUM, sizeof(struct numbered), no_setup,
	                              NULL, slow_crypt, record_finish),
	                 0);
	assert_int_equal(wg_pool_start(&pool, 1), 0);
	n_finished = 0;
	batch = wg_ring_acquire(&ring);
	((struct numbered *)batch)->number = 7;
	batch->count = 1;
	wg_pool_submit(&pool, batch);
	assert_int_equal(n_finished, 1);
	assert_int_equal(finished[0], 7);
	wg_pool_stop(&pool);
	wg_ring_destroy(&ring);
}

static void no_crypt(struct wg_batch *batch)
{
	(void)batch;
}

static void no_finish(struct wg_batch *batch)
{
	(void)batch;
}

/* A ring whose every batch has a few pages touched, all finished, one still held. */
static struct wg_batch *touched_ring(struct wg_ring *ring, struct wg_pool *pool)
{
	struct wg_batch *batch = NULL;
	unsigned int i;

	for (i = 0; i < WG_RING_SIZE; i++) {
		batch = wg_ring_acquire(ring);
		memset(wg_batch_slot(batch, 0), 0xaa, 3 * WG_PACKET_SLOT);
		batch->count = 1;
		wg_pool_submit(pool, batch);
	}
	wg_ring_flush(ring);
	wg_batch_hold(batch, 1);
	return batch;
}

static void test_idle_ring_gives_back_all_but_held_batches(void **state)
{
	struct itimerspec later = {.it_value = {.tv_sec = WG_RING_IDLE_MS / 1000 + 1}};
	struct wg_batch *held, *own;
	struct wg_ring ring;
	struct wg_pool pool;
	struct pollfd pfd = {.events = POLLIN};
	unsigned int i;

	(void)state;
	assert_int_equal(wg_ring_init(&ring, WG_AEAD_SODIUM, sizeof(struct wg_batch), no_setup,
	                              NULL, no_crypt, no_finish),
	                 0);
	assert_int_equal(wg_pool_start(&pool, 1), 0);
	held = touched_ring(&ring, &pool);
	for (i = 0; i < WG_RING_SIZE; i++)
		assert_true(batch_resident_pages(ring.batches[i]) > 0);
	/* The producer's own batch, empty, goes too; the poll outlasts the idle time. */
	own = wg_ring_acquire(&ring);
	pfd.fd = timerfd_create(CLOCK_MONOTONIC, 0);
	assert_true(pfd.fd >= 0);
	assert_int_equal(timerfd_settime(pfd.fd, 0, &later, NULL), 0);
	assert_int_equal(wg_ring_poll(&ring, &pfd, 1), 1);
	for (i = 0; i < WG_RING_SIZE; i++)
		if (ring.batches[i] == held)
			assert_true(batch_resident_pages(held) > 0);
		else
			assert_int_equal(batch_resident_pages(ring.batches[i]), 0);
	close(pfd.fd);
	wg_pool_submit(&pool, own);
	wg_batch_unhold(held);
	wg_ring_flush(&ring);
	wg_pool_stop(&pool);
	wg_ring_destroy(&ring);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_handshakes_come_out_in_order),
	    cmocka_unit_test(test_full_queue_drops_new_handshakes),
	    cmocka_unit_test(test_push_stops_at_its_limit_but_leaves_room_above_it),
	    cmocka_unit_test(test_oversized_message_is_refused),
	    cmocka_unit_test(test_close_wakes_a_waiting_consumer),
	    cmocka_unit_test(test_drain_drops_what_waits_and_outwaits_the_one_in_hand),
	    cmocka_unit_test(test_requests_come_first_and_once_each),
	    cmocka_unit_test(test_batch_slots_do_not_overlap),
	    cmocka_unit_test(test_ring_finishes_in_submission_order_despite_parallel_crypto),
	    cmocka_unit_test(test_small_batch_on_idle_ring_is_run_by_its_submitter),
	    cmocka_unit_test(test_idle_ring_gives_back_all_but_held_batches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
