// SPDX-License-Identifier: MIT
/*
 * fuzz_gro.c - a batch of decrypted packets through the receive coalescer of tun/offload.h, as
 * wg_device_deliver() hands them to it, each packet's checksums judged by
 * tun_gro_checksums_hold() as the worker that decrypted it does. A peer's packets are
 * authenticated but not trusted, and what the coalescer merges the kernel takes without checking
 * its checksums again.
 *
 * Input: one byte (bit 0: the TUN takes UDP super-packets), then records of a control byte, a
 * 16-bit big-endian length and that many bytes. Control bit 0 sets the packet's IP and UDP
 * length fields honestly, bit 1 its IPv4 header and TCP/UDP checksums, bit 2 makes the bytes the
 * payload of a follower of the packet before (its headers, the TCP sequence after it, the next
 * IPv4 id), so that runs the coalescer may merge are easy to reach.
 *
 * Promises checked, for every write: a packet alone is the input packet, where it lay, as it
 * came, with an empty virtio header; in a super-packet, every packet's checksums held (an
 * independent byte-by-byte sum), IPv4 ids counted up (or stayed fixed under DF), and the
 * super-packet (the write's iovec: the run's headers, then every payload where it lies) is
 * those packets: the first one's headers with lengths fixed, a valid IPv4 header
 * checksum and the pseudo-header sum in the L4 checksum field, then their payloads in order,
 * and for TCP tun_offload_split() cuts it back into them (but for ids and checksum fields).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>

#include "fuzz.h"
#include "tun/offload.h"

enum { BATCH = 64, CAP = 2048, LENGTHS = 1, CHECKSUMS = 2, FOLLOWER = 4 };

static uint8_t packets[BATCH][CAP], copies[BATCH][CAP], segs_store[BATCH][CAP];
static uint8_t super_store[TUN_OFFLOAD_MAX];
static size_t lens[BATCH];

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t ref_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The L4 offset and protocol of plain IPv4 (no options) or IPv6 TCP or UDP, or 0. */
static size_t l4_of(const uint8_t *p, size_t len, uint8_t *proto)
{
	size_t l4 = len >= 20 && p[0] == 0x45 ? 20 : len >= 40 && p[0] >> 4 == 6 ? 40 : 0;

	if (!l4)
		return 0;
	*proto = l4 == 20 ? p[9] : p[6];
	return *proto == IPPROTO_TCP || *proto == IPPROTO_UDP ? l4 : 0;
}

/* IP and L4 headers, or 0 if they do not fit. */
static size_t headers_of(const uint8_t *p, size_t len, size_t l4, uint8_t proto)
{
	size_t l4_len = 8;

	if (proto == IPPROTO_TCP)
		l4_len = l4 + 20 <= len ? (size_t)(p[l4 + 12] >> 4) * 4 : 0;
	return l4_len >= 8 && l4 + l4_len <= len ? l4 + l4_len : 0;
}

static uint32_t pseudo(const uint8_t *p, size_t l4, uint8_t proto, size_t l4_len)
{
	uint32_t sum = proto + (uint32_t)l4_len;

	return l4 == 20 ? ref_sum(p + 12, 8, sum) : ref_sum(p + 8, 32, sum);
}

static bool checksums_ok(const uint8_t *p, size_t len, size_t l4, uint8_t proto)
{
	if (l4 == 20 && ref_fold(ref_sum(p, 20, 0)) != 0xffff)
		return false;
	if (proto == IPPROTO_UDP && !get16(p + l4 + 6))
		return l4 == 20;
	return ref_fold(ref_sum(p + l4, len - l4, pseudo(p, l4, proto, len - l4))) == 0xffff;
}

static void set_lengths(uint8_t *p, size_t len)
{
	uint8_t proto;
	size_t l4 = l4_of(p, len, &proto);

	if (len >= 20 && p[0] >> 4 == 4)
		put16(p + 2, (uint16_t)len);
	else if (len >= 40 && p[0] >> 4 == 6)
		put16(p + 4, (uint16_t)(len - 40));
	if (l4 && proto == IPPROTO_UDP && l4 + 8 <= len)
		put16(p + l4 + 4, (uint16_t)(len - l4));
}

static void set_checksums(uint8_t *p, size_t len)
{
	uint8_t proto;
	size_t l4 = l4_of(p, len, &proto), check;
	uint16_t sum;

	if (len >= 20 && p[0] == 0x45) {
		p[10] = p[11] = 0;
		put16(p + 10, (uint16_t)~ref_fold(ref_sum(p, 20, 0)));
	}
	check = l4 + (proto == IPPROTO_TCP ? 16 : 6);
	if (!l4 || check + 2 > len)
		return;
	p[check] = p[check + 1] = 0;
	sum = (uint16_t)~ref_fold(ref_sum(p + l4, len - l4, pseudo(p, l4, proto, len - l4)));
	put16(p + check, proto == IPPROTO_UDP && !sum ? 0xffff : sum);
}

/* The headers of packet `prev` before `payload` bytes, with the sequence and id after prev's. */
static size_t make_follower(uint8_t *p, const uint8_t *prev, size_t prev_len, const uint8_t *data,
                            size_t payload)
{
	uint8_t proto;
	size_t l4 = l4_of(prev, prev_len, &proto), hdr_len;
	uint32_t seq;

	hdr_len = l4 ? headers_of(prev, prev_len, l4, proto) : 0;
	if (!hdr_len || hdr_len + payload > CAP)
		return 0;
	memcpy(p, prev, hdr_len);
	memcpy(p + hdr_len, data, payload);
	if (proto == IPPROTO_TCP) {
		seq = (uint32_t)get16(p + l4 + 4) << 16 | get16(p + l4 + 6);
		seq += (uint32_t)(prev_len - hdr_len);
		put16(p + l4 + 4, (uint16_t)(seq >> 16));
		put16(p + l4 + 6, (uint16_t)seq);
	}
	if (l4 == 20)
		put16(p + 4, (uint16_t)(get16(p + 4) + 1));
	return hdr_len + payload;
}

static unsigned int parse(const uint8_t *data, size_t size)
{
	unsigned int n = 0;
	size_t len;
	uint8_t ctl;

	while (n < BATCH && size >= 3) {
		ctl = data[0];
		len = get16(data + 1);
		data += 3, size -= 3;
		if (len > size)
			len = size;
		if (len > CAP)
			len = CAP;
		lens[n] = 0;
		if ((ctl & FOLLOWER) && n)
			lens[n] = make_follower(packets[n], packets[n - 1], lens[n - 1], data, len);
		if (!lens[n]) {
			memcpy(packets[n], data, len);
			lens[n] = len;
		}
		data += len, size -= len;
		if (ctl & LENGTHS)
			set_lengths(packets[n], lens[n]);
		if (ctl & CHECKSUMS)
			set_checksums(packets[n], lens[n]);
		n++;
	}
	return n;
}

/* p has the headers of its run's first packet, but for the fields that differ between segments. */
static void same_headers(const uint8_t *p, const uint8_t *leader, size_t hdr_len, size_t l4,
                         uint8_t proto)
{
	for (size_t i = 0; i < hdr_len; i++) {
		bool changes =
		    l4 == 20 ? (i >= 2 && i < 6) || i == 10 || i == 11 : i == 4 || i == 5;

		if (proto == IPPROTO_UDP)
			changes |= i >= l4 + 4;
		else
			changes |= i == l4 + 4 || i == l4 + 5 || i == l4 + 6 || i == l4 + 7 ||
			           i == l4 + 13 || i == l4 + 16 || i == l4 + 17;
		FUZZ_CHECK(changes || p[i] == leader[i]);
	}
}

static void check_run(const struct tun_gro *gro, unsigned int first, unsigned int n)
{
	const uint8_t *super = super_store, *p;
	size_t l4 = gro->hdr.csum_start, hdr_len = gro->hdr.hdr_len, off = hdr_len, payload;
	uint8_t *segs[BATCH], proto = 0, gso_type;
	size_t seg_lens[BATCH];
	uint16_t id0 = get16(copies[first] + 4);

	FUZZ_CHECK(gro->hdr.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && gro->len <= TUN_OFFLOAD_MAX);
	/* The write: the virtio header, the run's headers, then each packet's payload in place. */
	FUZZ_CHECK(gro->iov[0].iov_base == &gro->hdr && gro->iovcnt == 2 + n);
	for (unsigned int k = 0, off = 0; k + 1 < gro->iovcnt; k++) {
		FUZZ_CHECK(k == 0 ||
		           gro->iov[1 + k].iov_base == packets[first + k - 1] + gro->hdr.hdr_len);
		FUZZ_CHECK(off + gro->iov[1 + k].iov_len <= gro->len);
		memcpy(super_store + off, gro->iov[1 + k].iov_base, gro->iov[1 + k].iov_len);
		off += (unsigned int)gro->iov[1 + k].iov_len;
		FUZZ_CHECK(k + 2 < gro->iovcnt || off == gro->len);
	}
	FUZZ_CHECK(l4_of(super, gro->len, &proto) == l4);
	FUZZ_CHECK(headers_of(super, gro->len, l4, proto) == hdr_len);
	gso_type = l4 == 20 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
	FUZZ_CHECK(gro->hdr.gso_type == (proto == IPPROTO_UDP ? TUN_VNET_GSO_UDP_L4 : gso_type));
	FUZZ_CHECK(l4 == 40 || ref_fold(ref_sum(super, 20, 0)) == 0xffff);
	FUZZ_CHECK(get16(super + l4 + gro->hdr.csum_offset) ==
	           ref_fold(pseudo(super, l4, proto, gro->len - l4)));
	for (unsigned int k = 0; k < n; k++) {
		p = copies[first + k];
		payload = lens[first + k] - hdr_len;
		FUZZ_CHECK(lens[first + k] > hdr_len);
		FUZZ_CHECK(checksums_ok(p, lens[first + k], l4, proto));
		FUZZ_CHECK(payload <= gro->hdr.gso_size);
		FUZZ_CHECK(k == n - 1 || payload == gro->hdr.gso_size);
		FUZZ_CHECK(!memcmp(super + off, p + hdr_len, payload));
		same_headers(p, copies[first], hdr_len, l4, proto);
		if (l4 == 20)
			FUZZ_CHECK(get16(p + 4) == (uint16_t)(id0 + k) ||
			           ((p[6] & 0x40) && get16(p + 4) == id0));
		off += payload;
	}
	FUZZ_CHECK(off == gro->len);
	if (proto == IPPROTO_UDP)
		return;
	for (unsigned int k = 0; k < n; k++)
		segs[k] = segs_store[k];
	FUZZ_CHECK(tun_offload_split(&gro->hdr, (uint8_t *)super, gro->len, segs, seg_lens, BATCH,
	                             CAP) == (int)n);
	for (unsigned int k = 0; k < n; k++) {
		p = copies[first + k];
		FUZZ_CHECK(seg_lens[k] == lens[first + k]);
		for (size_t i = 0; i < seg_lens[k]; i++)
			FUZZ_CHECK((l4 == 20 && (i == 4 || i == 5 || i == 10 || i == 11)) ||
			           i == l4 + 16 || i == l4 + 17 || segs[k][i] == p[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tun_gro gro;
	unsigned int n, i, j;
	bool udp;

	if (!size)
		return 0;
	udp = data[0] & 1;
	n = parse(data + 1, size - 1);
	for (i = 0; i < n; i++)
		memcpy(copies[i], packets[i], lens[i]);
	for (i = 0; i < n; i = j) {
		j = i + 1;
		tun_gro_start(&gro, packets[i], lens[i],
		              tun_gro_checksums_hold(packets[i], lens[i]), udp);
		while (j < n && tun_gro_append(&gro, packets[j], lens[j],
		                               tun_gro_checksums_hold(packets[j], lens[j])))
			j++;
		tun_gro_finish(&gro);
		FUZZ_CHECK(gro.segments == j - i);
		if (j == i + 1) {
			FUZZ_CHECK(gro.iovcnt == 2 && gro.iov[1].iov_base == packets[i] &&
			           gro.iov[1].iov_len == lens[i] && gro.len == lens[i]);
			FUZZ_CHECK(gro.hdr.gso_type == VIRTIO_NET_HDR_GSO_NONE && !gro.hdr.flags);
		} else {
			check_run(&gro, i, j - i);
		}
	}
	for (i = 0; i < n; i++)
		FUZZ_CHECK(!memcmp(copies[i], packets[i], lens[i]));
	return 0;
}
