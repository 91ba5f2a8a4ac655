/* SPDX-License-Identifier: MIT */
/*
 * udp.h - the device's UDP "bind": an IPv4 and an IPv6 socket on one port.
 *
 * wg_udp_open() binds both families to the same port (0 = a random one, retried when IPv6 finds
 * it taken), IPv6 with IPV6_V6ONLY, 7 MiB buffers, optional fwmark; a host without IPv6 gets
 * fd6 = -1. Sends block, receives do not. Batches go through sendmmsg/recvmmsg; with offload, runs
 * of equal datagrams to one address leave as single UDP GSO sends (UDP_SEGMENT) and arrive as
 * single UDP GRO receives where the kernel has them. All return 0 (or a count) or -errno.
 */
#ifndef WG_UDP_H
#define WG_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wg/wg.h"

struct wg_udp {
	int fd4;
	int fd6;
	uint16_t port;
	bool gso;
	bool gro;
};

/* One datagram: data/len to send, or a buffer of cap bytes filled with len bytes from addr. */
struct wg_udp_msg {
	uint8_t *data;
	size_t len;
	size_t cap;
	union wg_endpoint addr;
};

int wg_udp_open(struct wg_udp *udp, uint16_t port, uint32_t fwmark, bool offload);
void wg_udp_close(struct wg_udp *udp);
int wg_udp_set_fwmark(const struct wg_udp *udp, uint32_t fwmark);

/* Sends msgs[0..n) each to its addr; returns how many left, or -errno if none did. */
int wg_udp_send(const struct wg_udp *udp, const struct wg_udp_msg *msgs, unsigned int n);
/* Receives up to n datagrams from fd (one of udp's) into msgs, whose entries may trade places;
 * returns the count, 0 when none are pending, or -errno. With GRO, datagrams the kernel joined
 * come apart again without a copy: their entries point into the buffer of the entry that
 * received them all, so the caller gives every entry back its own buffer before reusing msgs;
 * entries past the count keep theirs. Nothing is read while fewer than 64 entries are free. */
int wg_udp_recv(const struct wg_udp *udp, int fd, struct wg_udp_msg *msgs, unsigned int n);

#endif /* WG_UDP_H */
