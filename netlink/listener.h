/* SPDX-License-Identifier: MIT */
/*
 * listener.h - an rtnetlink socket that listens to multicast groups: the notices the kernel
 * sends when links, addresses, routes or rules change.
 *
 * nl_listener_open() joins the given RTNLGRP_* groups on a non-blocking socket whose fd the
 * owner polls. nl_listener_recv() reads all that is pending and calls message once per
 * message (the kernel's answers to what was sent with nl_listener_send() included, errors
 * too). When the kernel dropped notices because the socket overran, it calls lost once what
 * was pending is read: what was lost is unknown, so the owner starts over or asks again, and
 * the answers to what lost sent are read in the same call (they must fit in the socket's
 * buffer, or they overrun it again). Each callback returns 0 to go on or -errno to stop
 * reading; nl_listener_recv() returns that error, -errno when the socket failed, or 0 once
 * nothing is pending.
 *
 * The watches (link_watch.h, route_watch.h) are built on it; the rest of the program listens
 * through them.
 */
#ifndef NETLINK_LISTENER_H
#define NETLINK_LISTENER_H

#include <stddef.h>

struct nlmsghdr;
struct nl_listener;

typedef int (*nl_listener_message_fn)(void *ctx, const struct nlmsghdr *nlh);
typedef int (*nl_listener_lost_fn)(void *ctx);

int nl_listener_open(struct nl_listener **out, const unsigned int *groups, size_t n);
int nl_listener_fd(const struct nl_listener *listener);
int nl_listener_send(struct nl_listener *listener, const struct nlmsghdr *nlh);
int nl_listener_recv(struct nl_listener *listener, nl_listener_message_fn message,
                     nl_listener_lost_fn lost, void *ctx);
void nl_listener_close(struct nl_listener *listener);

#endif /* NETLINK_LISTENER_H */
