/* SPDX-License-Identifier: MIT */
/*
 * link.h - watch one network interface over rtnetlink: up/running, MTU, deletion.
 *
 * tun_link_open() subscribes to link notifications and asks for the current state once, so the
 * first tun_link_recv() also reports where the link stands now. tun_link_recv() reads what is
 * pending on the (non-blocking) fd and calls back once per message about the watched ifindex;
 * it returns 0, or -errno when the socket failed. Messages about other links are ignored.
 */
#ifndef TUN_LINK_H
#define TUN_LINK_H

#include <stdbool.h>

struct tun_link;

struct tun_link_event {
	bool deleted;
	bool running; /* IFF_UP and IFF_RUNNING */
	unsigned int mtu;
};

typedef void (*tun_link_fn)(void *ctx, const struct tun_link_event *event);

int tun_link_open(struct tun_link **out, int ifindex);
int tun_link_fd(const struct tun_link *link);
int tun_link_recv(struct tun_link *link, tun_link_fn fn, void *ctx);
void tun_link_close(struct tun_link *link);

#endif /* TUN_LINK_H */
