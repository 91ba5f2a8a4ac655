/* SPDX-License-Identifier: MIT */
/*
 * device.h - the engine's device: its tables, sockets, TUN and threads (private to wg/).
 *
 * Threads: the TUN reader (send path), the UDP receiver (receive path, only while up), the
 * crypto workers both readers feed, the handshake worker (every Diffie-Hellman: received
 * handshakes, and the initiations the others ask for), the timer thread and, with a TUN, the
 * link watcher. Locks, outermost first:
 * config_lock (configure, up/down) > lock (rwlock: peers, tables, identity; write = change them)
 * > peer->lock > index.lock, peer->turn_lock last, and udp_lock (rwlock: sockets) only around
 * socket use.
 */
#ifndef WG_DEVICE_H
#define WG_DEVICE_H

#include <net/if.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "wg/allowedips.h"
#include "wg/cookie.h"
#include "wg/index.h"
#include "wg/noise.h"
#include "wg/queue.h"
#include "wg/ratelimiter.h"
#include "wg/udp.h"
#include "wg/wg.h"

struct wg_peer;
struct nl_link_watch;

/* The live counters behind struct wg_device_stats (wg.h), bumped with wg_device_count(). */
struct wg_device_counters {
	_Atomic uint64_t handshake_dh;
	_Atomic uint64_t handshake_queue_full;
	_Atomic uint64_t handshake_bad_mac;
	_Atomic uint64_t handshake_ratelimited;
	_Atomic uint64_t cookie_replies_sent;
	_Atomic uint64_t cookie_replies_taken;
	_Atomic uint64_t data_unknown_index;
	_Atomic uint64_t data_unauthenticated;
	_Atomic uint64_t data_replayed;
};

#define wg_device_count(dev, counter)                                                              \
	atomic_fetch_add_explicit(&(dev)->counters.counter, 1, memory_order_relaxed)

struct wg_device {
	pthread_mutex_t config_lock;
	pthread_rwlock_t lock;
	struct wg_noise_static_identity identity;
	struct wg_cookie_checker cookie_checker; /* handshake thread only, or write lock */
	struct wg_ratelimiter *ratelimiter;      /* handshake thread only */
	struct wg_allowedips *allowedips;
	struct wg_index_table index;
	struct wg_pubkey_table pubkeys;
	struct wg_peer *peers; /* head of the creation-ordered list */
	struct wg_peer *peers_tail;
	size_t n_peers;
	size_t max_peers;     /* MAX_PEERS_PER_DEVICE; a test may lower it */
	uint16_t listen_port; /* configured; the bound one is udp.port */
	uint32_t fwmark;

	pthread_rwlock_t udp_lock;
	struct wg_udp udp;
	bool up;
	bool want_up; /* the link is up (or set_up), whether or not the sockets could open */

	atomic_uint mtu;
	int tun_fd;
	int packet_fd; /* TUN-less: the caller's end of the packet pair */
	bool has_tun;
	bool vnet_hdr; /* every TUN read and write starts with a virtio-net header */
	bool gro;      /* coalesce TCP segments into super-packets on TUN writes */
	bool udp_gro;  /* and UDP datagrams too */
	bool offload;  /* TUN super-packets and UDP GSO wherever the kernel has them */
	char name[IFNAMSIZ];
	struct nl_link_watch *link;

	int quit_fd;    /* eventfd: threads exit (destroy) */
	int rx_stop_fd; /* eventfd: the receiver exits (down, rebind) */
	int stop_fd;    /* eventfd: wg_device_wait() returns */
	atomic_int stop_reason;
	pthread_t tun_thread, rx_thread, handshake_thread, timer_thread, link_thread;
	bool rx_running;
	unsigned int threads; /* which of them run */

	struct wg_pool pool;
	enum wg_aead_lib aead_lib; /* the data path's, chosen at creation */
	struct wg_ring tx_ring;
	struct wg_ring rx_ring;
	bool has_rings;

	struct wg_handshake_queue handshakes;
	_Atomic uint64_t last_under_load;
	struct wg_device_counters counters;

	pthread_mutex_t timer_lock;
	pthread_cond_t timer_cond;
	_Atomic uint64_t timer_next; /* written under timer_lock */
	bool timer_quit;

	_Atomic uint64_t clock_offset; /* tests move time forward */
	wg_log_fn log;
	void *log_ctx;
	enum wg_log_level log_level;
	_Atomic uint64_t log_second; /* the wall-clock second debug lines are counted in */
	atomic_uint log_lines;
};

/* Monotonic nanoseconds as the protocol sees them. */
uint64_t wg_device_now(const struct wg_device *dev);
/* Wall-clock nanoseconds since the epoch. */
uint64_t wg_device_wall(void);
/* Debug lines are rate limited. */
void wg_device_log(struct wg_device *dev, enum wg_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Async-signal-safe: make wg_device_wait() return with this reason (the first one wins). */
void wg_device_stop_for(struct wg_device *dev, enum wg_stop_reason reason);
/* Tests: move the protocol clock forward and let the timers look at it. */
void wg_device_advance_clock(struct wg_device *dev, uint64_t ns);

/* config_lock held. */
int wg_device_up(struct wg_device *dev);
void wg_device_down(struct wg_device *dev);
/* config_lock held, device up: move the sockets to another port or fwmark. */
int wg_device_rebind(struct wg_device *dev, uint16_t port, uint32_t fwmark);

/* Sends datagrams under the socket lock; returns the count sent or -errno. */
int wg_device_send(struct wg_device *dev, const struct wg_udp_msg *msgs, unsigned int n);
/* Decrypted packets for the TUN, in order; holds: tun_gro_checksums_hold() of each. */
struct wg_delivery {
	uint8_t *packets[WG_BATCH_SIZE];
	size_t lens[WG_BATCH_SIZE];
	bool holds[WG_BATCH_SIZE];
	unsigned int n;
};

/* Writes them to the TUN (or packet pair), in order, runs of one flow as super-packets. */
void wg_device_deliver(struct wg_device *dev, const struct wg_delivery *out);

/* Timer thread (timer_thread.c). */
int wg_timer_thread_start(struct wg_device *dev);
void wg_timer_thread_stop(struct wg_device *dev);
/* A peer's deadline is now `deadline`: wake the thread if that is sooner than it planned. */
void wg_timer_thread_kick(struct wg_device *dev, uint64_t deadline);

/* Send path (send.c). Device read lock held for all but the thread and the ring. */
int wg_send_ring_init(struct wg_device *dev);
void *wg_send_tun_thread(void *arg);
/* Any thread: asks the handshake thread for an initiation, if one may go out now. */
void wg_send_queued_initiation(struct wg_peer *peer, bool is_retry);
/* Handshake thread: creates and sends the initiation asked for, if one still may go out. */
void wg_send_initiation(struct wg_peer *peer);
void wg_send_keepalive(struct wg_peer *peer);
void wg_send_staged(struct wg_peer *peer);
void wg_send_handshake(struct wg_peer *peer, void *msg, size_t len,
                       const union wg_endpoint *endpoint);

/* Receive path (receive.c, handshake.c). */
int wg_receive_ring_init(struct wg_device *dev);
void *wg_receive_udp_thread(void *arg);
void *wg_handshake_thread(void *arg);
/* Whether handshakes are answered with cookie replies at `now`. */
bool wg_handshake_under_load(struct wg_device *dev, uint64_t now);

#endif /* WG_DEVICE_H */
