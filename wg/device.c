// SPDX-License-Identifier: MIT
/*
 * device.c - device lifetime: TUN or packet pair, threads, up/down with the link, sockets.
 */

#include "wg/device.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <sodium.h>

#include "netlink/link_watch.h"
#include "tun/offload.h"
#include "tun/tun.h"
#include "wg/peer.h"
#include "wg/thread.h"

enum { DEFAULT_MTU = 1420, DEBUG_LINES_PER_SECOND = 50 };

uint64_t wg_device_now(const struct wg_device *dev)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec +
	       atomic_load_explicit(&dev->clock_offset, memory_order_relaxed);
}

uint64_t wg_device_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void wg_device_advance_clock(struct wg_device *dev, uint64_t ns)
{
	atomic_fetch_add(&dev->clock_offset, ns);
	wg_timer_thread_kick(dev, 0);
}

/* Debug lines mostly report dropped packets: a flood of those must not become a flood of logs. */
static bool debug_line_allowed(struct wg_device *dev)
{
	uint64_t second = wg_device_wall() / 1000000000ULL;
	uint64_t window = atomic_load(&dev->log_second);

	if (window != second && atomic_compare_exchange_strong(&dev->log_second, &window, second))
		atomic_store(&dev->log_lines, 0);
	return atomic_fetch_add(&dev->log_lines, 1) < DEBUG_LINES_PER_SECOND;
}

void wg_device_log(struct wg_device *dev, enum wg_log_level level, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!dev->log || level > dev->log_level)
		return;
	if (level == WG_LOG_DEBUG && !debug_line_allowed(dev))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dev->log(dev->log_ctx, level, msg);
}

static void signal_fd(int fd)
{
	uint64_t one = 1;

	/* An eventfd write only fails when the counter would overflow: it is set either way. */
	if (write(fd, &one, sizeof(one)) < 0)
		return;
}

void wg_device_stop_for(struct wg_device *dev, enum wg_stop_reason reason)
{
	int none = 0;

	atomic_compare_exchange_strong(&dev->stop_reason, &none, (int)reason);
	signal_fd(dev->stop_fd);
}

void wg_device_stop(struct wg_device *dev)
{
	wg_device_stop_for(dev, WG_STOP_REQUESTED);
}

enum wg_stop_reason wg_device_wait(struct wg_device *dev)
{
	struct pollfd fd = {.fd = dev->stop_fd, .events = POLLIN};

	while (poll(&fd, 1, -1) < 0 && errno == EINTR)
		;
	return (enum wg_stop_reason)atomic_load(&dev->stop_reason);
}

void wg_device_stats(struct wg_device *dev, struct wg_device_stats *stats)
{
	const struct wg_device_counters *c = &dev->counters;

	*stats = (struct wg_device_stats){
	    .handshake_dh = atomic_load(&c->handshake_dh),
	    .handshake_queue_full = atomic_load(&c->handshake_queue_full),
	    .handshake_bad_mac = atomic_load(&c->handshake_bad_mac),
	    .handshake_ratelimited = atomic_load(&c->handshake_ratelimited),
	    .cookie_replies_sent = atomic_load(&c->cookie_replies_sent),
	    .cookie_replies_taken = atomic_load(&c->cookie_replies_taken),
	    .data_unknown_index = atomic_load(&c->data_unknown_index),
	    .data_unauthenticated = atomic_load(&c->data_unauthenticated),
	    .data_replayed = atomic_load(&c->data_replayed),
	    .under_load = wg_handshake_under_load(dev, wg_device_now(dev)),
	};
}

int wg_device_send(struct wg_device *dev, const struct wg_udp_msg *msgs, unsigned int n)
{
	int ret = -ENETDOWN;

	pthread_rwlock_rdlock(&dev->udp_lock);
	if (dev->up)
		ret = wg_udp_send(&dev->udp, msgs, n);
	pthread_rwlock_unlock(&dev->udp_lock);
	if (ret < 0)
		wg_device_log(dev, WG_LOG_DEBUG, "send failed: %s", strerror(-ret));
	return ret;
}

static void write_tun(struct wg_device *dev, const struct iovec *iov, int iovcnt)
{
	/* A full TUN queue drops the packet, as a full NIC ring would. */
	if (writev(dev->tun_fd, iov, iovcnt) < 0)
		wg_device_log(dev, WG_LOG_DEBUG, "TUN write failed: %s", strerror(errno));
}

void wg_device_deliver(struct wg_device *dev, const struct wg_delivery *out)
{
	struct iovec iov;
	struct tun_gro gro;
	unsigned int i, j;

	for (i = 0; i < out->n; i = j) {
		j = i + 1;
		if (!dev->vnet_hdr) {
			iov = (struct iovec){.iov_base = out->packets[i], .iov_len = out->lens[i]};
			write_tun(dev, &iov, 1);
			continue;
		}
		tun_gro_start(&gro, out->packets[i], out->lens[i], out->holds[i], dev->udp_gro);
		while (dev->gro && j < out->n &&
		       tun_gro_append(&gro, out->packets[j], out->lens[j], out->holds[j]))
			j++;
		tun_gro_finish(&gro);
		write_tun(dev, gro.iov, (int)gro.iovcnt);
	}
}

static int start_receiver(struct wg_device *dev)
{
	uint64_t count;
	int ret;

	/* Reset a stop left from the last receiver. */
	while (read(dev->rx_stop_fd, &count, sizeof(count)) > 0)
		;
	ret = wg_thread_start(&dev->rx_thread, "wg-rx", wg_receive_udp_thread, dev);
	dev->rx_running = ret == 0;
	return ret;
}

static void stop_receiver(struct wg_device *dev)
{
	if (!dev->rx_running)
		return;
	signal_fd(dev->rx_stop_fd);
	pthread_join(dev->rx_thread, NULL);
	dev->rx_running = false;
}

static void close_sockets(struct wg_device *dev)
{
	pthread_rwlock_wrlock(&dev->udp_lock);
	dev->up = false;
	wg_udp_close(&dev->udp);
	pthread_rwlock_unlock(&dev->udp_lock);
}

static int open_sockets(struct wg_device *dev, uint16_t port, uint32_t fwmark)
{
	struct wg_udp udp;
	int ret = wg_udp_open(&udp, port, fwmark, dev->offload);

	if (ret < 0)
		return ret;
	pthread_rwlock_wrlock(&dev->udp_lock);
	dev->udp = udp;
	dev->up = true;
	pthread_rwlock_unlock(&dev->udp_lock);
	return start_receiver(dev);
}

static void for_each_peer_start(struct wg_device *dev)
{
	struct wg_peer *peer;
	bool speak;

	pthread_rwlock_rdlock(&dev->lock);
	for (peer = dev->peers; peer; peer = peer->next) {
		pthread_mutex_lock(&peer->lock);
		wg_timers_start(&peer->timers);
		/* Packets the kernel sent before we saw the link come up wait for a handshake, and
		 * a peer behind NAT must hear from us as soon as we can talk. */
		speak = peer->staged_count || wg_timers_persistent_keepalive(&peer->timers) > 0;
		pthread_mutex_unlock(&peer->lock);
		if (speak)
			wg_send_keepalive(peer);
	}
	pthread_rwlock_unlock(&dev->lock);
}

int wg_device_up(struct wg_device *dev)
{
	int ret;

	if (dev->up)
		return 0;
	ret = open_sockets(dev, dev->listen_port, dev->fwmark);
	if (ret < 0) {
		wg_device_log(dev, WG_LOG_ERROR, "cannot open UDP port %u: %s", dev->listen_port,
		              strerror(-ret));
		close_sockets(dev);
		return ret;
	}
	wg_device_log(dev, WG_LOG_INFO, "device up, listening on port %u", dev->udp.port);
	for_each_peer_start(dev);
	return 0;
}

void wg_device_down(struct wg_device *dev)
{
	struct wg_peer *peer;

	if (!dev->up)
		return;
	stop_receiver(dev);
	close_sockets(dev);
	/* A handshake received before down must not derive a session after it, with the timers
	 * stopped (no zero-key deadline): with the receiver gone nothing joins the queue, so what
	 * waits is dropped and the one being handled finishes before the keys are cleared. */
	wg_handshake_queue_drain(&dev->handshakes);
	/* Down means no session survives: keys and staged packets go too. */
	pthread_rwlock_rdlock(&dev->lock);
	for (peer = dev->peers; peer; peer = peer->next)
		wg_peer_stop(peer);
	pthread_rwlock_unlock(&dev->lock);
	wg_device_log(dev, WG_LOG_INFO, "device down");
}

int wg_device_rebind(struct wg_device *dev, uint16_t port, uint32_t fwmark)
{
	struct wg_udp udp;
	int ret;

	/* Open the new sockets first, so a taken port leaves the old ones in place. */
	stop_receiver(dev);
	ret = wg_udp_open(&udp, port, fwmark, dev->offload);
	if (ret == 0) {
		pthread_rwlock_wrlock(&dev->udp_lock);
		wg_udp_close(&dev->udp);
		dev->udp = udp;
		pthread_rwlock_unlock(&dev->udp_lock);
	}
	if (start_receiver(dev) < 0)
		wg_device_log(dev, WG_LOG_ERROR, "cannot restart the UDP receiver");
	return ret;
}

static void link_changed(void *ctx, const struct nl_link_event *event)
{
	struct wg_device *dev = ctx;

	if (event->deleted) {
		wg_device_stop_for(dev, WG_STOP_LINK_DELETED);
		return;
	}
	if (event->mtu)
		atomic_store(&dev->mtu, event->mtu);
	pthread_mutex_lock(&dev->config_lock);
	dev->want_up = event->running;
	if (event->running)
		wg_device_up(dev);
	else
		wg_device_down(dev);
	pthread_mutex_unlock(&dev->config_lock);
}

static void *link_thread(void *arg)
{
	struct wg_device *dev = arg;
	struct pollfd fds[2] = {{.fd = nl_link_watch_fd(dev->link), .events = POLLIN},
	                        {.fd = dev->quit_fd, .events = POLLIN}};
	int ret;

	for (;;) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			break;
		ret = nl_link_watch_recv(dev->link, link_changed, dev);
		if (ret < 0) {
			wg_device_log(dev, WG_LOG_ERROR, "link watch failed: %s", strerror(-ret));
			break;
		}
	}
	return NULL;
}

static int open_tun(struct wg_device *dev, const struct wg_device_options *opts)
{
	int ret;

	dev->has_tun = true;
	if (opts->tun_fd >= 0) {
		dev->tun_fd = opts->tun_fd;
		ret = tun_prepare_fd(dev->tun_fd);
		if (ret == 0)
			ret = tun_name(dev->tun_fd, dev->name);
	} else {
		ret = tun_open(opts->ifname, &dev->tun_fd, dev->name);
	}
	if (ret < 0)
		return ret;
	dev->vnet_hdr = tun_has_vnet_hdr(dev->tun_fd);
	if (dev->vnet_hdr && dev->offload) {
		ret = tun_set_offload(dev->tun_fd, true);
		dev->gro = ret == 0;
		dev->udp_gro = dev->gro && tun_accepts_uso(dev->tun_fd);
		if (ret < 0)
			wg_device_log(dev, WG_LOG_INFO, "TUN offloads refused (%s), going without",
			              strerror(-ret));
	}
	if (dev->vnet_hdr && !dev->gro)
		tun_set_offload(dev->tun_fd, false);
	return nl_link_watch_open(&dev->link, (int)if_nametoindex(dev->name));
}

static int open_packet_pair(struct wg_device *dev, const struct wg_device_options *opts)
{
	int fds[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
		return -errno;
	dev->tun_fd = fds[0];
	dev->packet_fd = fds[1];
	atomic_store(&dev->mtu, opts->mtu ? opts->mtu : DEFAULT_MTU);
	/* Our end is read like a TUN, in non-blocking batches; the caller's end blocks. */
	return tun_prepare_fd(dev->tun_fd);
}

static int init_state(struct wg_device *dev, const struct wg_device_options *opts)
{
	pthread_rwlockattr_t attr;

	/* Writers (configure) must not starve behind a data path that always reads. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&dev->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	pthread_rwlock_init(&dev->udp_lock, NULL);
	pthread_mutex_init(&dev->config_lock, NULL);
	wg_noise_static_identity_init(&dev->identity);
	wg_cookie_checker_init(&dev->cookie_checker, NULL);
	wg_index_table_init(&dev->index);
	wg_pubkey_table_init(&dev->pubkeys);
	dev->max_peers = MAX_PEERS_PER_DEVICE;
	dev->udp.fd4 = dev->udp.fd6 = -1;
	dev->tun_fd = dev->packet_fd = -1;
	atomic_init(&dev->mtu, DEFAULT_MTU);
	dev->log = opts->log;
	dev->log_ctx = opts->log_ctx;
	dev->log_level = opts->log_level;
	dev->offload = !opts->no_offload;
	dev->quit_fd = eventfd(0, EFD_CLOEXEC);
	dev->rx_stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	dev->stop_fd = eventfd(0, EFD_CLOEXEC);
	dev->ratelimiter = wg_ratelimiter_new(0);
	dev->allowedips = wg_allowedips_new();
	if (dev->quit_fd < 0 || dev->rx_stop_fd < 0 || dev->stop_fd < 0)
		return -errno;
	if (!dev->ratelimiter || !dev->allowedips)
		return -ENOMEM;
	return wg_handshake_queue_init(&dev->handshakes);
}

static int init_rings(struct wg_device *dev)
{
	int ret = wg_send_ring_init(dev);

	if (ret < 0)
		return ret;
	ret = wg_receive_ring_init(dev);
	if (ret < 0) {
		wg_ring_destroy(&dev->tx_ring);
		return ret;
	}
	dev->has_rings = true;
	return 0;
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

static void free_state(struct wg_device *dev)
{
	struct wg_peer *peer;

	pthread_rwlock_wrlock(&dev->lock);
	while ((peer = dev->peers))
		wg_peer_remove(peer);
	pthread_rwlock_unlock(&dev->lock);
	wg_handshake_queue_free(&dev->handshakes);
	if (dev->has_rings) {
		wg_ring_destroy(&dev->tx_ring);
		wg_ring_destroy(&dev->rx_ring);
	}
	if (dev->allowedips)
		wg_allowedips_free(dev->allowedips);
	if (dev->ratelimiter)
		wg_ratelimiter_free(dev->ratelimiter);
	wg_index_table_destroy(&dev->index);
	nl_link_watch_close(dev->link);
	close_fd(dev->tun_fd);
	close_fd(dev->packet_fd);
	close_fd(dev->quit_fd);
	close_fd(dev->rx_stop_fd);
	close_fd(dev->stop_fd);
	pthread_rwlock_destroy(&dev->lock);
	pthread_rwlock_destroy(&dev->udp_lock);
	pthread_mutex_destroy(&dev->config_lock);
	sodium_memzero(dev, sizeof(*dev));
	free(dev);
}

enum thread_bits {
	TIMER_THREAD = 1U << 0,
	HANDSHAKE_THREAD = 1U << 1,
	TUN_THREAD = 1U << 2,
	LINK_THREAD = 1U << 3,
	CRYPTO_POOL = 1U << 4,
};

/* The link watcher starts last: its first event may bring the device up at once. */
static int start_threads(struct wg_device *dev, unsigned int workers)
{
	int ret;

	ret = wg_pool_start(&dev->pool, workers);
	if (ret < 0)
		return ret;
	dev->threads |= CRYPTO_POOL;
	ret = wg_timer_thread_start(dev);
	if (ret < 0)
		return ret;
	dev->threads |= TIMER_THREAD;
	ret = wg_thread_start(&dev->handshake_thread, "wg-handshake", wg_handshake_thread, dev);
	if (ret < 0)
		return ret;
	dev->threads |= HANDSHAKE_THREAD;
	ret = wg_thread_start(&dev->tun_thread, "wg-tx", wg_send_tun_thread, dev);
	if (ret < 0)
		return ret;
	dev->threads |= TUN_THREAD;
	if (!dev->link)
		return 0;
	ret = wg_thread_start(&dev->link_thread, "wg-link", link_thread, dev);
	if (ret == 0)
		dev->threads |= LINK_THREAD;
	return ret;
}

static void stop_threads(struct wg_device *dev)
{
	signal_fd(dev->quit_fd);
	if (dev->threads & LINK_THREAD)
		pthread_join(dev->link_thread, NULL);
	if (dev->threads & TUN_THREAD)
		pthread_join(dev->tun_thread, NULL);
	pthread_mutex_lock(&dev->config_lock);
	wg_device_down(dev);
	pthread_mutex_unlock(&dev->config_lock);
	/* The readers are gone; what they submitted still finishes. */
	if (dev->threads & CRYPTO_POOL) {
		wg_ring_flush(&dev->tx_ring);
		wg_ring_flush(&dev->rx_ring);
		wg_pool_stop(&dev->pool);
	}
	if (dev->threads & HANDSHAKE_THREAD) {
		wg_handshake_queue_close(&dev->handshakes);
		pthread_join(dev->handshake_thread, NULL);
	}
	if (dev->threads & TIMER_THREAD)
		wg_timer_thread_stop(dev);
	dev->threads = 0;
}

/* Once per device, and said once: where the data path's ChaCha20-Poly1305 comes from. */
static int choose_aead(struct wg_device *dev)
{
	const char *forced = getenv("KWG_CRYPTO");
	int ret = wg_aead_lib_choose(&dev->aead_lib, forced);

	if (ret == -EINVAL)
		wg_device_log(dev, WG_LOG_ERROR, "KWG_CRYPTO=%s: expected sodium or openssl",
		              forced);
	else if (ret < 0)
		wg_device_log(dev, WG_LOG_ERROR,
		              "KWG_CRYPTO=%s: OpenSSL's ChaCha20-Poly1305 does not work here",
		              forced);
	else
		wg_device_log(dev, WG_LOG_INFO, "crypto: ChaCha20-Poly1305 from %s %s%s",
		              wg_aead_lib_name(dev->aead_lib), wg_aead_lib_version(dev->aead_lib),
		              forced && *forced ? " (forced by KWG_CRYPTO)" : "");
	return ret;
}

int wg_device_create(struct wg_device **out, const struct wg_device_options *opts)
{
	struct wg_device *dev;
	int ret;

	if (wg_crypto_init() < 0)
		return -EIO;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	ret = init_state(dev, opts);
	if (ret == 0)
		ret = choose_aead(dev);
	if (ret == 0)
		ret = init_rings(dev);
	if (ret == 0)
		ret = opts->ifname || opts->tun_fd >= 0 ? open_tun(dev, opts)
		                                        : open_packet_pair(dev, opts);
	if (ret == 0)
		ret = start_threads(dev, opts->workers);
	if (ret < 0) {
		stop_threads(dev);
		free_state(dev);
		return ret;
	}
	*out = dev;
	return 0;
}

void wg_device_destroy(struct wg_device *dev)
{
	if (!dev)
		return;
	stop_threads(dev);
	free_state(dev);
}

const char *wg_device_name(const struct wg_device *dev)
{
	return dev->name;
}

int wg_device_packet_fd(const struct wg_device *dev)
{
	return dev->packet_fd;
}

int wg_device_set_up(struct wg_device *dev, bool up)
{
	int ret = 0;

	if (dev->has_tun)
		return -ENOTSUP;
	pthread_mutex_lock(&dev->config_lock);
	dev->want_up = up;
	if (up)
		ret = wg_device_up(dev);
	else
		wg_device_down(dev);
	pthread_mutex_unlock(&dev->config_lock);
	return ret;
}
