// SPDX-License-Identifier: MIT
/* route_watch.c - RTM_DELROUTE, RTM_DELRULE and RTM_DELLINK notices on a listener. */

#include "netlink/route_watch.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>

#include "netlink/listener.h"

struct nl_route_watch {
	struct nl_listener *listener;
};

struct delivery {
	nl_route_watch_fn fn;
	void *ctx;
};

static int deliver_deleted(void *ctx, const struct nlmsghdr *nlh)
{
	const struct delivery *d = ctx;
	struct nl_route_watch_event event;
	int ret = -ENOMSG;

	switch (nlh->nlmsg_type) {
	case RTM_DELROUTE:
		event.kind = NL_ROUTE_WATCH_ROUTE;
		ret = nl_parse_route(nlh, &event.route);
		break;
	case RTM_DELRULE:
		event.kind = NL_ROUTE_WATCH_RULE;
		ret = nl_parse_rule(nlh, &event.rule);
		break;
	case RTM_DELLINK:
		event.kind = NL_ROUTE_WATCH_LINK;
		ret = nl_parse_link(nlh, &event.link);
		break;
	}
	if (ret == 0)
		d->fn(d->ctx, &event);
	return 0;
}

static int deliver_lost(void *ctx)
{
	const struct delivery *d = ctx;
	const struct nl_route_watch_event lost = {.kind = NL_ROUTE_WATCH_LOST};

	d->fn(d->ctx, &lost);
	return 0;
}

int nl_route_watch_open(struct nl_route_watch **out)
{
	const unsigned int groups[] = {RTNLGRP_LINK, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE,
	                               RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE};
	struct nl_route_watch *watch = calloc(1, sizeof(*watch));
	int ret = -ENOMEM;

	if (!watch)
		goto err;
	ret = nl_listener_open(&watch->listener, groups, sizeof(groups) / sizeof(*groups));
	if (ret < 0)
		goto err;
	*out = watch;
	return 0;
err:
	nl_route_watch_close(watch);
	return ret;
}

int nl_route_watch_fd(const struct nl_route_watch *watch)
{
	return nl_listener_fd(watch->listener);
}

int nl_route_watch_recv(struct nl_route_watch *watch, nl_route_watch_fn fn, void *ctx)
{
	struct delivery d = {.fn = fn, .ctx = ctx};

	return nl_listener_recv(watch->listener, deliver_deleted, deliver_lost, &d);
}

void nl_route_watch_close(struct nl_route_watch *watch)
{
	if (!watch)
		return;
	nl_listener_close(watch->listener);
	free(watch);
}
