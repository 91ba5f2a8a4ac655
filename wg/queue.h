/* SPDX-License-Identifier: MIT */
/*
 * queue.h - packet memory and the handshake queue of the engine.
 *
 * wg_batch: up to WG_BATCH_SIZE packet slots, allocated once, so the data path never allocates
 * per packet. Each slot has WG_PACKET_HEADROOM bytes in front of the packet for the transport
 * header (encryption and decryption work in place) and room for padding and the tag behind it.
 * Its AEAD context is used by whichever thread crypts the batch, which owns it meanwhile, so a
 * context needs no lock and the submitter's inline runs need no context of their own.
 *
 * wg_ring + wg_pool: the parallel crypto pipeline. A producer (the TUN or the UDP reader) takes
 * the next batch of its ring, fills it and submits it to the pool, which every ring shares; any
 * worker runs the ring's crypt step on it, and then whichever worker finds the oldest batches of
 * the ring crypted runs their finish step, one at a time and in submission order (a worker that
 * finds another finishing leaves its batch to it). So crypto runs on every worker while each
 * ring's packets leave (and arrive) in the order they were read. A finish step may leave sends
 * that still read the batch (wg_batch_hold()): the ring hands it out again once they are done.
 * A producer that outruns the workers waits for a free batch; a small batch on an idle ring is
 * run by its producer right away.
 *
 * wg_handshake_queue: a bounded FIFO of received handshake messages for the handshake thread;
 * full (for a message: as long as the limit it is pushed with) means dropped, and its length is
 * the "under load" signal. One consumer; a drain drops what waits and returns once the consumer
 * is done with the message it holds, so nothing received before the drain is handled after it.
 * The same consumer also takes requests (a peer that wants an initiation sent): at most one per
 * requester, never dropped for a full queue, and handed out before messages.
 */
#ifndef WG_QUEUE_H
#define WG_QUEUE_H

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wg/crypto.h"
#include "wg/messages.h"
#include "wg/udp.h"

enum {
	WG_BATCH_SIZE = 128,
	WG_PACKET_HEADROOM = MESSAGE_DATA_HEADER_LEN,
	/* Largest IP packet, plus padding and the tag of its sealed form. */
	WG_PACKET_MAX = 65535,
	WG_PACKET_SLOT =
	    WG_PACKET_HEADROOM + WG_PACKET_MAX + MESSAGE_PADDING_MULTIPLE + NOISE_AUTHTAG_LEN,
};

struct wg_ring;

struct wg_batch {
	uint8_t *memory;
	struct wg_udp_msg msgs[WG_BATCH_SIZE];
	unsigned int count;
	struct wg_ring *ring;
	struct wg_batch *next; /* in the pool's queue */
	atomic_bool crypted;
	/* Finished, but its packets still wait for this many sends (wg_batch_hold()): the ring
	 * hands the batch out again only once they are done. */
	atomic_uint holds;
	struct wg_aead_ctx aead;
};

/* 0, or -ENOMEM (or -ENOTSUP for an AEAD library that cannot be had). */
int wg_batch_init(struct wg_batch *batch, enum wg_aead_lib lib);
void wg_batch_free(struct wg_batch *batch);
/* The start of slot i (the headroom). */
uint8_t *wg_batch_slot(const struct wg_batch *batch, unsigned int i);
/* From its finish step: n sends still read the batch's memory after finish returns. Each calls
 * wg_batch_unhold() when done, from any thread. */
void wg_batch_hold(struct wg_batch *batch, unsigned int n);
void wg_batch_unhold(struct wg_batch *batch);

typedef void (*wg_batch_fn)(struct wg_batch *batch);

enum { WG_RING_SIZE = 8 };

struct wg_ring {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	pthread_mutex_t finish_lock; /* one finisher at a time, in order */
	struct wg_batch *batches[WG_RING_SIZE];
	unsigned int head;  /* oldest batch in flight */
	unsigned int count; /* batches in flight, the one being filled included */
	wg_batch_fn crypt;
	wg_batch_fn finish;
};

struct wg_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct wg_batch *head;
	struct wg_batch *tail;
	bool closed;
	pthread_t *threads;
	unsigned int n_threads;
};

/* Each batch is the start of a zeroed struct of container_size bytes, which setup(batch, ctx)
 * prepares; wg_ring_destroy() frees them. 0 or an error of wg_batch_init(). */
int wg_ring_init(struct wg_ring *ring, enum wg_aead_lib lib, size_t container_size,
                 void (*setup)(struct wg_batch *batch, void *ctx), void *ctx, wg_batch_fn crypt,
                 wg_batch_fn finish);
void wg_ring_destroy(struct wg_ring *ring);
/* The next batch to fill, emptied; blocks while every batch is in flight or held. */
struct wg_batch *wg_ring_acquire(struct wg_ring *ring);
/* Blocks until every submitted batch is finished and no longer held. */
void wg_ring_flush(struct wg_ring *ring);

/* A ring quiet this long gives its packet memory back: a burst leaves every slot it touched
 * resident (up to 64 MiB a ring) otherwise, for as long as the device lives. */
enum { WG_RING_IDLE_MS = 1000 };

/* The producer's poll(), with the batch it acquired still empty: after WG_RING_IDLE_MS of
 * nothing it hands the kernel the pages of every batch neither in flight nor held (they read
 * as zeros next time), then waits on for good. poll()'s result, never 0. */
int wg_ring_poll(struct wg_ring *ring, struct pollfd *fds, nfds_t nfds);

/* n_threads 0 = one per online CPU. */
int wg_pool_start(struct wg_pool *pool, unsigned int n_threads);
enum { WG_POOL_INLINE_MAX = 4 };

/* Every acquired batch must be submitted, even empty, or its ring stalls. A batch of at most
 * WG_POOL_INLINE_MAX packets with nothing older in flight is run by the caller at once. */
void wg_pool_submit(struct wg_pool *pool, struct wg_batch *batch);
/* Runs what is queued, then joins the workers. */
void wg_pool_stop(struct wg_pool *pool);

struct wg_handshake_job {
	uint8_t msg[MESSAGE_INITIATION_LEN];
	size_t len;
	union wg_endpoint src;
};

/* Embedded in what asks the consumer for something; queued at most once however often it asks. */
struct wg_handshake_request {
	struct wg_handshake_request *next;
	bool queued;
};

struct wg_handshake_queue {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct wg_handshake_job *jobs;
	pthread_cond_t idle;
	unsigned int head;
	unsigned int count;
	struct wg_handshake_request *requests; /* oldest first */
	struct wg_handshake_request *requests_tail;
	bool busy; /* the consumer holds what it popped */
	bool closed;
};

int wg_handshake_queue_init(struct wg_handshake_queue *q);
void wg_handshake_queue_free(struct wg_handshake_queue *q);
/* Copies the message in; false (dropped) when the queue already holds limit messages, or
 * MAX_QUEUED_INCOMING_HANDSHAKES. */
bool wg_handshake_queue_push(struct wg_handshake_queue *q, const void *msg, size_t len,
                             const union wg_endpoint *src, unsigned int limit,
                             unsigned int *length);
/* Queues req unless it waits already or the queue is closed: false then, and whatever the
 * request would have carried stays the caller's. */
bool wg_handshake_queue_request(struct wg_handshake_queue *q, struct wg_handshake_request *req);
/* The consumer: blocks for the next request (*request set) or else job (*request NULL), which
 * also says it is done with the last one. Once the queue is closed, the requests still waiting
 * are handed out, so that their owners can release what they carry, and then it is false.
 * *length is how many jobs were left behind. */
bool wg_handshake_queue_pop(struct wg_handshake_queue *q, struct wg_handshake_job *job,
                            unsigned int *length, struct wg_handshake_request **request);
/* Not from the consumer: drops every waiting job, then waits until the consumer is done with
 * what it popped. Requests stay: they are the requesters' to judge when they are handled. */
void wg_handshake_queue_drain(struct wg_handshake_queue *q);
/* Wakes the consumer for good. */
void wg_handshake_queue_close(struct wg_handshake_queue *q);

#endif /* WG_QUEUE_H */
