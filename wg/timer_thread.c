// SPDX-License-Identifier: MIT
/*
 * timer_thread.c - one thread runs every peer's timer state machine.
 *
 * It sleeps until the earliest deadline of all peers. Whoever moves a peer's deadline closer
 * kicks it; kicks that do not move the earliest deadline cost one atomic load, so the data path
 * can report timer events per packet.
 */

#include <time.h>

#include "wg/device.h"
#include "wg/peer.h"
#include "wg/thread.h"

static uint64_t run_peer(struct wg_peer *peer, uint64_t now)
{
	unsigned int actions;
	uint64_t next;

	pthread_mutex_lock(&peer->lock);
	actions = wg_timers_expire(&peer->timers, now);
	if (actions & WG_TIMERS_PURGE_STAGED)
		wg_peer_purge_staged(peer);
	if (actions & WG_TIMERS_ZERO_KEYS)
		wg_peer_clear_keys(peer);
	pthread_mutex_unlock(&peer->lock);

	/* No sticky source address is kept, so WG_TIMERS_CLEAR_ENDPOINT_SRC has nothing to do. */
	if (actions & WG_TIMERS_SEND_INITIATION)
		wg_send_queued_initiation(peer, false);
	if (actions & WG_TIMERS_RETRY_INITIATION)
		wg_send_queued_initiation(peer, true);
	if (actions & WG_TIMERS_SEND_KEEPALIVE)
		wg_send_keepalive(peer);

	pthread_mutex_lock(&peer->lock);
	if (actions & WG_TIMERS_SEND_KEEPALIVE)
		wg_timers_keepalive_sent(&peer->timers, now);
	next = wg_timers_next_deadline(&peer->timers);
	pthread_mutex_unlock(&peer->lock);
	return next;
}

static uint64_t run_all(struct wg_device *dev)
{
	uint64_t now = wg_device_now(dev), next = WG_TIMERS_NEVER, deadline;
	struct wg_peer *peer;

	pthread_rwlock_rdlock(&dev->lock);
	for (peer = dev->peers; peer; peer = peer->next) {
		deadline = run_peer(peer, now);
		if (deadline < next)
			next = deadline;
	}
	pthread_rwlock_unlock(&dev->lock);
	return next;
}

/* timer_lock held: sleep until the protocol clock reaches timer_next or someone kicks. */
static void sleep_until_next(struct wg_device *dev)
{
	uint64_t deadline = atomic_load(&dev->timer_next), offset = atomic_load(&dev->clock_offset);
	struct timespec ts;

	if (deadline == WG_TIMERS_NEVER) {
		pthread_cond_wait(&dev->timer_cond, &dev->timer_lock);
		return;
	}
	deadline = deadline > offset ? deadline - offset : 0;
	ts.tv_sec = (time_t)(deadline / 1000000000ULL);
	ts.tv_nsec = (long)(deadline % 1000000000ULL);
	pthread_cond_timedwait(&dev->timer_cond, &dev->timer_lock, &ts);
}

static void *timer_thread(void *arg)
{
	struct wg_device *dev = arg;
	uint64_t next;

	pthread_mutex_lock(&dev->timer_lock);
	while (!dev->timer_quit) {
		/* From here on, kicks record only what moves while we run. */
		atomic_store(&dev->timer_next, WG_TIMERS_NEVER);
		pthread_mutex_unlock(&dev->timer_lock);
		next = run_all(dev);
		pthread_mutex_lock(&dev->timer_lock);
		if (next < atomic_load(&dev->timer_next))
			atomic_store(&dev->timer_next, next);
		if (!dev->timer_quit)
			sleep_until_next(dev);
	}
	pthread_mutex_unlock(&dev->timer_lock);
	return NULL;
}

int wg_timer_thread_start(struct wg_device *dev)
{
	pthread_condattr_t attr;
	int ret;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&dev->timer_cond, &attr);
	pthread_condattr_destroy(&attr);
	pthread_mutex_init(&dev->timer_lock, NULL);
	atomic_init(&dev->timer_next, WG_TIMERS_NEVER);
	dev->timer_quit = false;
	ret = wg_thread_start(&dev->timer_thread, "wg-timer", timer_thread, dev);
	if (ret < 0) {
		pthread_cond_destroy(&dev->timer_cond);
		pthread_mutex_destroy(&dev->timer_lock);
	}
	return ret;
}

void wg_timer_thread_stop(struct wg_device *dev)
{
	pthread_mutex_lock(&dev->timer_lock);
	dev->timer_quit = true;
	pthread_cond_signal(&dev->timer_cond);
	pthread_mutex_unlock(&dev->timer_lock);
	pthread_join(dev->timer_thread, NULL);
	pthread_cond_destroy(&dev->timer_cond);
	pthread_mutex_destroy(&dev->timer_lock);
}

void wg_timer_thread_kick(struct wg_device *dev, uint64_t deadline)
{
	if (deadline >= atomic_load_explicit(&dev->timer_next, memory_order_relaxed))
		return;
	pthread_mutex_lock(&dev->timer_lock);
	if (deadline < atomic_load(&dev->timer_next)) {
		atomic_store(&dev->timer_next, deadline);
		pthread_cond_signal(&dev->timer_cond);
	}
	pthread_mutex_unlock(&dev->timer_lock);
}
