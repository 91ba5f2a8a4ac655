// SPDX-License-Identifier: MIT
/* offload_packets.c - packets for the offload tests (offload_packets.h). */
#include "offload_packets.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

/* An independent, byte-by-byte reference sum (big-endian words). */
uint32_t ref_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

uint16_t ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The sum of a TCP or UDP packet's pseudo-header and L4 bytes. */
static uint16_t l4_sum(const uint8_t *p, size_t len)
{
	size_t l4 = p[0] >> 4 == 4 ? 20 : 40;
	uint32_t sum = (uint32_t)(l4 == 20 ? p[9] : p[6]) + (uint32_t)(len - l4);

	sum = l4 == 20 ? ref_sum(p + 12, 8, sum) : ref_sum(p + 8, 32, sum);
	return ref_fold(ref_sum(p + l4, len - l4, sum));
}

bool l4_checksum_ok(const uint8_t *p, size_t len)
{
	return l4_sum(p, len) == 0xffff;
}

/* Fills in the IPv4 header checksum and the TCP or UDP checksum, after any edit of a packet. */
void set_checksums(uint8_t *p, size_t len)
{
	bool v4 = p[0] >> 4 == 4;
	size_t l4 = v4 ? 20 : 40, check = l4 + ((v4 ? p[9] : p[6]) == IPPROTO_TCP ? 16 : 6);
	uint16_t v16;

	if (v4) {
		p[10] = p[11] = 0;
		v16 = htons((uint16_t)~ref_fold(ref_sum(p, 20, 0)));
		memcpy(p + 10, &v16, 2);
	}
	p[check] = p[check + 1] = 0;
	v16 = (uint16_t)~l4_sum(p, len);
	/* For UDP a zero checksum means "none"; its all-ones twin is the same sum. */
	if (check == l4 + 6 && v16 == 0)
		v16 = 0xffff;
	v16 = htons(v16);
	memcpy(p + check, &v16, 2);
}

/*
 * A TCP packet with `payload` bytes (pattern by offset), seq 1000, ACK|flags, IPv4 DF set and id 0
 * as a Linux TCP socket sends it, and valid checksums.
 */
size_t make_tcp(uint8_t *p, bool v4, size_t payload, uint8_t flags)
{
	size_t l4 = v4 ? 20 : 40, len = l4 + 20 + payload, i;
	uint16_t v16;
	uint32_t v32;

	memset(p, 0, l4 + 20);
	if (v4) {
		p[0] = 0x45;
		v16 = htons((uint16_t)len);
		memcpy(p + 2, &v16, 2);
		p[6] = 0x40;
		p[8] = 64;
		p[9] = IPPROTO_TCP;
		p[12] = 10, p[15] = 1, p[16] = 10, p[19] = 2;
	} else {
		p[0] = 0x60;
		v16 = htons((uint16_t)(len - 40));
		memcpy(p + 4, &v16, 2);
		p[6] = IPPROTO_TCP;
		p[7] = 64;
		p[8] = 0xfd, p[23] = 1, p[24] = 0xfd, p[39] = 2;
	}
	p[l4 + 1] = 80, p[l4 + 3] = 90;
	v32 = htonl(1000);
	memcpy(p + l4 + 4, &v32, 4);
	p[l4 + 12] = 5 << 4;
	p[l4 + 13] = 0x10 | flags;
	for (i = 0; i < payload; i++)
		p[l4 + 20 + i] = (uint8_t)(i * 7);
	set_checksums(p, len);
	return len;
}

/* A UDP datagram from port 53 to `port` with `payload` bytes of `fill`, its checksums valid. */
size_t make_udp(uint8_t *p, bool v4, size_t payload, uint8_t port, uint8_t fill)
{
	size_t l4 = v4 ? 20 : 40, len = l4 + 8 + payload;
	uint16_t v16;

	/* The IP header of a TCP packet, then the protocol, UDP header and payload replaced. */
	make_tcp(p, v4, 0, 0);
	if (v4) {
		p[9] = IPPROTO_UDP;
		v16 = htons((uint16_t)len);
		memcpy(p + 2, &v16, 2);
	} else {
		p[6] = IPPROTO_UDP;
		v16 = htons((uint16_t)(len - 40));
		memcpy(p + 4, &v16, 2);
	}
	memset(p + l4, 0, 8);
	p[l4 + 1] = 53, p[l4 + 3] = port;
	v16 = htons((uint16_t)(len - l4));
	memcpy(p + l4 + 4, &v16, 2);
	memset(p + l4 + 8, fill, payload);
	set_checksums(p, len);
	return len;
}
