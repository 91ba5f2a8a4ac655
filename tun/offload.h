/* SPDX-License-Identifier: MIT */
/*
 * offload.h - the TUN's virtio-net header: TCP segmentation on read, TCP coalescing on write.
 *
 * A TUN opened with IFF_VNET_HDR and TSO offloads hands us up to 64 KiB TCP "super-packets"
 * (one read instead of dozens) and takes them back the same way (one write). Pure functions:
 * - tun_offload_split(): the IP packets a read stands for, each finished (lengths, IPv4 id and
 *   header checksum, TCP sequence, flags and checksum), copied into the caller's buffers. A
 *   packet without GSO is copied whole, its checksum completed if the kernel left it partial.
 * - tun_gro_*: appends in-order TCP segments of one flow to the first one, which becomes a
 *   super-packet described by its virtio header; so do consecutive UDP datagrams of one flow
 *   (all as long as the first, the last maybe shorter) when the TUN takes UDP super-packets
 *   (USO, Linux 6.2). Only what the kernel's own GRO would merge is merged: header fields that
 *   must match, IPv4 ids in step, and checksums (IPv4 header, TCP or UDP) that hold, since the
 *   kernel takes a super-packet's checksum as ours to vouch for. Anything else travels alone,
 *   as it came, with an empty header.
 * Returns a count or -EINVAL for a packet whose header does not describe it honestly.
 */
#ifndef TUN_OFFLOAD_H
#define TUN_OFFLOAD_H

#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { TUN_VNET_HDR_LEN = sizeof(struct virtio_net_hdr), TUN_OFFLOAD_MAX = 65535 };

/* VIRTIO_NET_HDR_GSO_UDP_L4, which the headers of kernels before 6.2 lack. */
enum { TUN_VNET_GSO_UDP_L4 = 5 };

/* Splits packet (len bytes after its header) into at most max_segs buffers of cap bytes;
 * segs[0] may be packet itself, whose first segment is then finished in place. */
int tun_offload_split(const struct virtio_net_hdr *hdr, uint8_t *packet, size_t len,
                      uint8_t *const *segs, size_t *seg_lens, unsigned int max_segs, size_t cap);

/* A super-packet being built. */
struct tun_gro {
	struct virtio_net_hdr hdr;
	uint8_t *packet; /* the first segment where it lies, or buffer once a second joined */
	uint8_t *buffer; /* TUN_OFFLOAD_MAX bytes */
	size_t len;
	size_t l4;      /* offset of the TCP header, 0 when the packet cannot grow */
	size_t hdr_len; /* IP + TCP headers */
	uint32_t next_seq;
	uint16_t gso_size; /* the payload of the first segment, which all but the last share */
	unsigned int segments;
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	bool udp;      /* UDP datagrams may be coalesced */
	bool closed;   /* a short or PSH segment ended it */
	bool fixed_id; /* IPv4 with DF, and the second segment repeated the first one's id */
};

/* Starts from one packet, which stays where it is unless a follower joins: then the two are
 * copied together into buffer (TUN_OFFLOAD_MAX bytes), where the rest are appended. UDP
 * datagrams join only with udp set (the TUN accepted USO). */
void tun_gro_start(struct tun_gro *gro, uint8_t *packet, size_t len, uint8_t *buffer, bool udp);
/* Appends next's payload if next continues the flow in order and its checksums hold (the first
 * time, the first packet's too); false leaves both packets untouched. */
bool tun_gro_append(struct tun_gro *gro, const uint8_t *next, size_t len);
/* Fixes the headers and fills gro->hdr for the write. */
void tun_gro_finish(struct tun_gro *gro);

#endif /* TUN_OFFLOAD_H */
