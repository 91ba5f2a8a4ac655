// SPDX-License-Identifier: MIT
/* listener.c - a non-blocking rtnetlink socket in multicast groups, read message by message. */

#include "netlink/listener.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>

struct nl_listener {
	struct mnl_socket *sock;
	bool overran; /* and lost has not been called since */
	/* Messages of up to 32 KiB (a smaller buffer truncates them), read in place. */
	alignas(struct nlmsghdr) char buf[32768];
};

/* By number, not bind()'s mask: newer groups (IPv6 rules among them) have no bit there. */
static int join(struct mnl_socket *sock, const unsigned int *groups, size_t n)
{
	unsigned int group;

	if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		group = groups[i];
		if (mnl_socket_setsockopt(sock, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0)
			return -errno;
	}
	return 0;
}

int nl_listener_open(struct nl_listener **out, const unsigned int *groups, size_t n)
{
	struct nl_listener *listener = calloc(1, sizeof(*listener));
	int ret = -ENOMEM;

	if (!listener)
		goto err;
	listener->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	ret = listener->sock ? join(listener->sock, groups, n) : -errno;
	if (ret < 0)
		goto err;
	*out = listener;
	return 0;
err:
	nl_listener_close(listener);
	return ret;
}

int nl_listener_fd(const struct nl_listener *listener)
{
	return mnl_socket_get_fd(listener->sock);
}

int nl_listener_send(struct nl_listener *listener, const struct nlmsghdr *nlh)
{
	return mnl_socket_sendto(listener->sock, nlh, nlh->nlmsg_len) < 0 ? -errno : 0;
}

/* Hand the messages of one datagram to message, until one asks to stop. */
static int dispatch(const struct nl_listener *listener, int len, nl_listener_message_fn message,
                    void *ctx)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)listener->buf;
	int ret = 0;

	for (; ret == 0 && mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
		ret = message(ctx, nlh);
	return ret;
}

int nl_listener_recv(struct nl_listener *listener, nl_listener_message_fn message,
                     nl_listener_lost_fn lost, void *ctx)
{
	ssize_t len;
	int ret = 0;

	while (ret == 0) {
		len = mnl_socket_recvfrom(listener->sock, listener->buf, sizeof(listener->buf));
		if (len >= 0) {
			ret = dispatch(listener, (int)len, message, ctx);
		} else if (errno == ENOBUFS) {
			listener->overran = true;
		} else if (errno != EAGAIN) {
			ret = -errno;
		} else if (!listener->overran) {
			break;
		} else {
			/*
			 * An overrun socket gets nothing more, answers included, until its queue
			 * is read empty: only now can the owner ask again, and be answered.
			 */
			listener->overran = false;
			ret = lost(ctx);
		}
	}
	return ret;
}

void nl_listener_close(struct nl_listener *listener)
{
	if (!listener)
		return;
	if (listener->sock)
		mnl_socket_close(listener->sock);
	free(listener);
}
