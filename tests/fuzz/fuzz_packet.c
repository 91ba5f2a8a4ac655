// SPDX-License-Identifier: MIT
/*
 * fuzz_packet.c - the inner-packet rules of wg/packet.h on any decrypted bytes. A peer's packets
 * are authenticated but not trusted: the receive path judges their IP header with these before
 * the allowed-IPs check, and fuzz_datagram reaches that only through its few sealed seeds.
 *
 * Promises checked: the honest length never exceeds what arrived; the addresses of an honest
 * packet lie inside it; padding adds less than one multiple and keeps a packet that fits the MTU
 * (the first two input bytes, or 1280) within it.
 */
#include <sys/socket.h>

#include "fuzz.h"
#include "wg/messages.h"
#include "wg/packet.h"

static void check_addr(const uint8_t *packet, size_t len, bool source)
{
	const uint8_t *addr = NULL;
	int family = wg_packet_addr(packet, len, source, &addr);

	if (!family)
		return;
	FUZZ_CHECK(family == AF_INET || family == AF_INET6);
	FUZZ_CHECK(addr >= packet && addr + (family == AF_INET ? 4 : 16) <= packet + len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int mtu = 1280;
	size_t ip_len, padded;

	ip_len = wg_packet_ip_len(data, size);
	FUZZ_CHECK(ip_len <= size);
	if (ip_len) {
		check_addr(data, ip_len, true);
		check_addr(data, ip_len, false);
	}
	if (size >= 2)
		mtu = (unsigned int)data[0] << 8 | data[1];
	padded = wg_packet_padded_len(size, mtu);
	FUZZ_CHECK(padded >= size && padded - size < MESSAGE_PADDING_MULTIPLE);
	FUZZ_CHECK(!mtu || size > mtu || padded <= mtu);
	return 0;
}
