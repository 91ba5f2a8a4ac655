/* SPDX-License-Identifier: MIT */
/*
 * packet.h - pure rules about the IP packets inside the tunnel.
 *
 * wg_packet_padded_len(): how long a plaintext of len bytes becomes before sealing: rounded up to
 * MESSAGE_PADDING_MULTIPLE but never past the MTU (a packet longer than the MTU is padded as its
 * last MTU-sized piece would be). wg_packet_ip_len(): the true length of a decrypted IPv4/IPv6
 * packet from its header, or 0 when the header is not honest (the receiver then drops it).
 * wg_packet_addr(): the family and source or destination address of a packet already checked by
 * wg_packet_ip_len() (or at least 20/40 bytes long); 0 for anything that is not IP.
 */
#ifndef WG_PACKET_H
#define WG_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

size_t wg_packet_padded_len(size_t len, unsigned int mtu);
size_t wg_packet_ip_len(const uint8_t *packet, size_t len);
int wg_packet_addr(const uint8_t *packet, size_t len, bool source, const uint8_t **addr);

#endif /* WG_PACKET_H */
