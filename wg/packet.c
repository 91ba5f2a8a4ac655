// SPDX-License-Identifier: MIT
/* packet.c - padding and inner IP header checks. */

#include "wg/packet.h"

#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <string.h>

#include "wg/messages.h"

enum { IPV4_MIN = sizeof(struct iphdr), IPV6_MIN = sizeof(struct ip6_hdr) };

size_t wg_packet_padded_len(size_t len, unsigned int mtu)
{
	size_t last = len, padded;

	/* Whatever GSO did, pad only the final MTU-sized piece. */
	if (mtu && len > mtu)
		last = len % mtu;
	padded = (last + MESSAGE_PADDING_MULTIPLE - 1) & ~(size_t)(MESSAGE_PADDING_MULTIPLE - 1);
	if (mtu && padded > mtu)
		padded = mtu;
	return len - last + padded;
}

static unsigned int version(const uint8_t *packet, size_t len)
{
	return len ? packet[0] >> 4 : 0;
}

size_t wg_packet_ip_len(const uint8_t *packet, size_t len)
{
	uint16_t field;
	size_t ip_len;

	switch (version(packet, len)) {
	case 4:
		if (len < IPV4_MIN)
			return 0;
		memcpy(&field, packet + offsetof(struct iphdr, tot_len), sizeof(field));
		ip_len = ntohs(field);
		return ip_len >= IPV4_MIN && ip_len <= len ? ip_len : 0;
	case 6:
		if (len < IPV6_MIN)
			return 0;
		memcpy(&field, packet + offsetof(struct ip6_hdr, ip6_plen), sizeof(field));
		ip_len = (size_t)ntohs(field) + IPV6_MIN;
		return ip_len <= len ? ip_len : 0;
	default:
		return 0;
	}
}

int wg_packet_addr(const uint8_t *packet, size_t len, bool source, const uint8_t **addr)
{
	switch (version(packet, len)) {
	case 4:
		if (len < IPV4_MIN)
			return 0;
		*addr = packet +
		        (source ? offsetof(struct iphdr, saddr) : offsetof(struct iphdr, daddr));
		return AF_INET;
	case 6:
		if (len < IPV6_MIN)
			return 0;
		*addr = packet + (source ? offsetof(struct ip6_hdr, ip6_src)
		                         : offsetof(struct ip6_hdr, ip6_dst));
		return AF_INET6;
	default:
		return 0;
	}
}
