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
 *   as it came, with an empty header. Nothing is copied but the headers: the super-packet is
 *   written from an iovec of them and every packet's payload where it lies, and the packets are
 *   left as they were. Whether a packet's checksums hold is tun_gro_checksums_hold()'s answer,
 *   asked where the packet is decrypted (in parallel, while it is in the cache) and handed in.
 * Returns a count or -EINVAL for a packet whose header does not describe it honestly.
 */
#ifndef TUN_OFFLOAD_H
#define TUN_OFFLOAD_H

#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

enum { TUN_VNET_HDR_LEN = sizeof(struct virtio_net_hdr), TUN_OFFLOAD_MAX = 65535 };

/* VIRTIO_NET_HDR_GSO_UDP_L4, which the headers of kernels before 6.2 lack. */
enum { TUN_VNET_GSO_UDP_L4 = 5 };

/* How many IP packets of at most cap bytes packet (len bytes after its header) stands for, or
 * -EINVAL for a header that misdescribes it; tun_offload_split() of what this counts cannot
 * fail. Cheap: the count is in the header, so a reader can leave the splitting to others. */
int tun_offload_segments(const struct virtio_net_hdr *hdr, const uint8_t *packet, size_t len,
                         size_t cap);
/* Splits packet (len bytes after its header) into at most max_segs buffers of cap bytes;
 * segs[0] may be packet itself, whose first segment is then finished in place. -ENOSPC for
 * more than max_segs. */
int tun_offload_split(const struct virtio_net_hdr *hdr, uint8_t *packet, size_t len,
                      uint8_t *const *segs, size_t *seg_lens, unsigned int max_segs, size_t cap);

enum {
	TUN_GRO_HEAD_MAX = 40 + 60, /* IPv6 and the longest TCP header */
	TUN_GRO_MAX_SEGMENTS = 128,
};

/* A super-packet being built. */
struct tun_gro {
	struct virtio_net_hdr hdr;
	uint8_t head[TUN_GRO_HEAD_MAX]; /* its headers, once a second packet joined the first */
	const uint8_t *packet;          /* the first packet */
	/* What to write, once finished: hdr, then the packet alone, or head and the payloads. */
	struct iovec iov[2 + TUN_GRO_MAX_SEGMENTS];
	unsigned int iovcnt;
	size_t len;     /* of the (super-)packet */
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

/* Whether the packet is TCP or UDP whose checksums hold (IPv4 header, TCP or UDP): the only
 * kind that may be coalesced. */
bool tun_gro_checksums_hold(const uint8_t *packet, size_t len);
/* Starts from one packet; holds is tun_gro_checksums_hold() of it, and without it the packet
 * goes alone. UDP datagrams join only with udp set (the TUN accepted USO). The packets must
 * stay where they are until the write. */
void tun_gro_start(struct tun_gro *gro, const uint8_t *packet, size_t len, bool holds, bool udp);
/* Appends next's payload if next continues the flow in order and its checksums hold (holds:
 * as for the first); false leaves the run as it was. */
bool tun_gro_append(struct tun_gro *gro, const uint8_t *next, size_t len, bool holds);
/* Fixes the headers and fills hdr and iov[0..iovcnt) for the write. */
void tun_gro_finish(struct tun_gro *gro);

#endif /* TUN_OFFLOAD_H */
