/* SPDX-License-Identifier: MIT */
/*
 * tun.h - a Linux TUN device carrying bare IP packets (IFF_TUN | IFF_NO_PI).
 *
 * tun_open() creates the interface (with TUN_DEFAULT_MTU, as wireguard-go does) or attaches to an
 * existing one of that name, multi-queue when the interface allows it, with a virtio-net header in
 * front of every packet (IFF_VNET_HDR, see tun/offload.h); the fd is non-blocking and
 * close-on-exec. tun_name() reads the name back from any TUN fd (for an fd handed over by a parent
 * process), tun_has_vnet_hdr() whether it carries the header, and tun_set_offload() asks the kernel
 * for (or stops) TCP super-packets and partial checksums on such an fd; tun_accepts_uso() whether
 * writes may also carry UDP super-packets. Returns 0 or -errno.
 */
#ifndef TUN_TUN_H
#define TUN_TUN_H

#include <net/if.h>
#include <stdbool.h>

/* 1500 minus the 80 bytes WireGuard adds over IPv6 (40 + 8 + 32). */
enum { TUN_DEFAULT_MTU = 1420 };

int tun_open(const char *name, int *fd_out, char name_out[IFNAMSIZ]);
int tun_name(int fd, char name_out[IFNAMSIZ]);
/* Make fd non-blocking and close-on-exec (for an adopted fd). */
int tun_prepare_fd(int fd);
bool tun_has_vnet_hdr(int fd);
int tun_set_offload(int fd, bool on);
/* With TCP offloads on: whether writes to fd may carry UDP super-packets (leaves them on). */
bool tun_accepts_uso(int fd);

#endif /* TUN_TUN_H */
