/* SPDX-License-Identifier: MIT */
/*
 * queue.h - packet memory and the handshake queue of the engine.
 *
 * wg_batch: one thread's packet slots, allocated once, so the data path never allocates per
 * packet. Each slot has WG_PACKET_HEADROOM bytes in front of the packet for the transport header
 * (encryption and decryption work in place) and room for padding and the tag behind it.
 *
 * wg_handshake_queue: a bounded FIFO of received handshake messages for the handshake thread;
 * full means dropped, and its length is the "under load" signal.
 */
#ifndef WG_QUEUE_H
#define WG_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wg/messages.h"
#include "wg/udp.h"

enum {
	WG_BATCH_SIZE = 128,
	WG_PACKET_HEADROOM = MESSAGE_DATA_HEADER_LEN,
	/* Largest IP packet, plus padding and the tag of its sealed form. */
	WG_PACKET_MAX = 65535,
	WG_PACKET_SLOT = WG_PACKET_HEADROOM + WG_PACKET_MAX + MESSAGE_PADDING_MULTIPLE + NOISE_AUTHTAG_LEN,
};

struct wg_batch {
	uint8_t *memory;
	struct wg_udp_msg msgs[WG_BATCH_SIZE];
	unsigned int count;
};

int wg_batch_init(struct wg_batch *batch);
void wg_batch_free(struct wg_batch *batch);
/* The start of slot i (the headroom). */
uint8_t *wg_batch_slot(const struct wg_batch *batch, unsigned int i);

struct wg_handshake_job {
	uint8_t msg[MESSAGE_INITIATION_LEN];
	size_t len;
	union wg_endpoint src;
};

struct wg_handshake_queue {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct wg_handshake_job *jobs;
	unsigned int head;
	unsigned int count;
	bool closed;
};

int wg_handshake_queue_init(struct wg_handshake_queue *q);
void wg_handshake_queue_free(struct wg_handshake_queue *q);
/* Copies the message in; false (dropped) when the queue is full. */
bool wg_handshake_queue_push(struct wg_handshake_queue *q, const void *msg, size_t len,
			     const union wg_endpoint *src, unsigned int *length);
/* Blocks for the next job; false once the queue is closed. *length is what was left behind. */
bool wg_handshake_queue_pop(struct wg_handshake_queue *q, struct wg_handshake_job *job,
			    unsigned int *length);
/* Wakes the consumer for good. */
void wg_handshake_queue_close(struct wg_handshake_queue *q);

#endif /* WG_QUEUE_H */
