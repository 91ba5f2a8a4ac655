/* SPDX-License-Identifier: MIT */
/*
 * link_watch.h - watch one network interface over rtnetlink: up/running, MTU, deletion.
 *
 * nl_link_watch_open() subscribes to link notifications and asks for the current state once,
 * so the first nl_link_watch_recv() also reports where the link stands now.
 * nl_link_watch_recv() reads what is pending on the (non-blocking) fd and calls back once per
 * message about the watched ifindex; it returns 0, or -errno when the socket failed. Messages
 * about other links are ignored.
 */
#ifndef NETLINK_LINK_WATCH_H
#define NETLINK_LINK_WATCH_H

#include <stdbool.h>

struct nl_link_watch;

struct nl_link_event {
	bool deleted;
	bool running; /* IFF_UP and IFF_RUNNING */
	unsigned int mtu;
};

typedef void (*nl_link_event_fn)(void *ctx, const struct nl_link_event *event);

int nl_link_watch_open(struct nl_link_watch **out, int ifindex);
int nl_link_watch_fd(const struct nl_link_watch *link);
int nl_link_watch_recv(struct nl_link_watch *link, nl_link_event_fn fn, void *ctx);
void nl_link_watch_close(struct nl_link_watch *link);

#endif /* NETLINK_LINK_WATCH_H */
