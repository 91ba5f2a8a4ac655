// SPDX-License-Identifier: MIT
/* route_watch.c - RTM_DELROUTE, RTM_DELRULE and RTM_DELLINK notifications on libmnl. */

#include "netlink/route_watch.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>

struct nl_route_watch {
	struct mnl_socket *nl;
	char buf[32768];
};

struct deliver {
	nl_route_watch_fn fn;
	void *ctx;
};

static int deliver_deleted(const struct nlmsghdr *nlh, void *data)
{
	const struct deliver *d = data;
	struct tun_watch_event event;
	int ret = -ENOMSG;

	switch (nlh->nlmsg_type) {
	case RTM_DELROUTE:
		event.kind = TUN_WATCH_ROUTE;
		ret = nl_parse_route(nlh, &event.route);
		break;
	case RTM_DELRULE:
		event.kind = TUN_WATCH_RULE;
		ret = nl_parse_rule(nlh, &event.rule);
		break;
	case RTM_DELLINK:
		event.kind = TUN_WATCH_LINK;
		ret = nl_parse_link(nlh, &event.link);
		break;
	}
	if (ret == 0)
		d->fn(d->ctx, &event);
	return MNL_CB_OK;
}

int nl_route_watch_open(struct nl_route_watch **out)
{
	/* IPv6 rules have no legacy group bit: they are joined by number. */
	int ipv6_rules = RTNLGRP_IPV6_RULE;
	struct nl_route_watch *watch = calloc(1, sizeof(*watch));
	int ret = -ENOMEM;

	if (!watch)
		goto err;
	watch->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!watch->nl ||
	    mnl_socket_bind(watch->nl,
	                    RTMGRP_LINK | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE | RTMGRP_IPV4_RULE,
	                    MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(watch->nl, NETLINK_ADD_MEMBERSHIP, &ipv6_rules,
	                          sizeof(ipv6_rules)) < 0) {
		ret = -errno;
		goto err;
	}
	*out = watch;
	return 0;
err:
	nl_route_watch_close(watch);
	return ret;
}

int nl_route_watch_fd(const struct nl_route_watch *watch)
{
	return mnl_socket_get_fd(watch->nl);
}

int nl_route_watch_recv(struct nl_route_watch *watch, nl_route_watch_fn fn, void *ctx)
{
	const struct tun_watch_event lost = {.kind = TUN_WATCH_LOST};
	struct deliver d = {.fn = fn, .ctx = ctx};
	ssize_t len;

	for (;;) {
		len = mnl_socket_recvfrom(watch->nl, watch->buf, sizeof(watch->buf));
		if (len < 0 && errno == ENOBUFS) {
			fn(ctx, &lost);
			continue;
		}
		if (len < 0)
			return errno == EAGAIN ? 0 : -errno;
		/* Sequence and port checks off: notifications carry neither. */
		if (mnl_cb_run(watch->buf, (size_t)len, 0, 0, deliver_deleted, &d) < 0)
			return -errno;
	}
}

void nl_route_watch_close(struct nl_route_watch *watch)
{
	if (!watch)
		return;
	if (watch->nl)
		mnl_socket_close(watch->nl);
	free(watch);
}
