/* SPDX-License-Identifier: MIT */
/*
 * tun.h - a Linux TUN device carrying bare IP packets (IFF_TUN | IFF_NO_PI).
 *
 * tun_open() creates the interface or attaches to an existing one of that name, multi-queue when
 * the interface allows it; the fd is non-blocking and close-on-exec. tun_name() reads the name
 * back from any TUN fd (for an fd handed over by a parent process). Returns 0 or -errno.
 */
#ifndef TUN_TUN_H
#define TUN_TUN_H

#include <net/if.h>

int tun_open(const char *name, int *fd_out, char name_out[IFNAMSIZ]);
int tun_name(int fd, char name_out[IFNAMSIZ]);
/* Make fd non-blocking and close-on-exec (for an adopted fd). */
int tun_prepare_fd(int fd);

#endif /* TUN_TUN_H */
