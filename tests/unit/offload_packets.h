/* SPDX-License-Identifier: MIT */
/*
 * Packets for the offload tests (test_offload.c, test_gro.c): TCP and UDP over
 * IPv4 or IPv6 with valid checksums, and an independent byte-by-byte checksum
 * to judge what tun/offload.c computes.
 */
#ifndef OFFLOAD_PACKETS_H
#define OFFLOAD_PACKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { MSS = 1000, SEGS = 8, CAP = 2048 };

/* The one's-complement sum of p (big-endian words) added to sum, and folded to 16 bits. */
uint32_t ref_sum(const uint8_t *p, size_t len, uint32_t sum);
uint16_t ref_fold(uint32_t sum);
/* Whether the TCP or UDP checksum of the IP packet p holds. */
bool l4_checksum_ok(const uint8_t *p, size_t len);
/* Set the IPv4 header's and the TCP or UDP checksum of p. */
void set_checksums(uint8_t *p, size_t len);
/* A TCP packet with payload bytes and flags in p (CAP bytes); its length. */
size_t make_tcp(uint8_t *p, bool v4, size_t payload, uint8_t flags);
/* A UDP datagram to port 53 from port, payload bytes of fill; its length. */
size_t make_udp(uint8_t *p, bool v4, size_t payload, uint8_t port, uint8_t fill);

#endif /* OFFLOAD_PACKETS_H */
