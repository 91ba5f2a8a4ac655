// SPDX-License-Identifier: MIT
/* link_watch.c - one link's notices on a listener, and its state asked for when they are lost. */

#include "netlink/link_watch.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>

#include "netlink/listener.h"
#include "netlink/message.h"
#include "netlink/netlink.h"

struct nl_link_watch {
	struct nl_listener *listener;
	int ifindex;
};

struct delivery {
	struct nl_link_watch *link;
	nl_link_event_fn fn;
	void *ctx;
};

/* Ask where the link stands; the answer comes in among the notices, as one of them. */
static int request_state(struct nl_link_watch *link)
{
	char buf[NL_BUFSIZE];
	struct nlmsghdr *nlh;

	nl_put_link(buf, RTM_GETLINK, 0, link->ifindex, &nlh);
	return nl_listener_send(link->listener, nlh);
}

/* A refused state request: -ENODEV (the link is already gone) is no failure of the watch. */
static int refused(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err))
		return -EBADMSG;
	return err->error == -ENODEV ? 0 : err->error;
}

static int deliver(void *ctx, const struct nlmsghdr *nlh)
{
	const struct delivery *d = ctx;
	struct nl_link_event event;
	struct nl_link link;

	if (nlh->nlmsg_type == NLMSG_ERROR)
		return refused(nlh);
	if (nl_parse_link(nlh, &link) < 0 || link.ifindex != d->link->ifindex)
		return 0;
	event = (struct nl_link_event){
	    .deleted = nlh->nlmsg_type == RTM_DELLINK,
	    .running = link.up && link.running,
	    .mtu = link.mtu,
	};
	d->fn(d->ctx, &event);
	return 0;
}

/* Notices were lost while we were busy: ask where the link stands now. */
static int ask_again(void *ctx)
{
	const struct delivery *d = ctx;

	return request_state(d->link);
}

int nl_link_watch_open(struct nl_link_watch **out, int ifindex)
{
	const unsigned int groups[] = {RTNLGRP_LINK};
	struct nl_link_watch *link = calloc(1, sizeof(*link));
	int ret = -ENOMEM;

	if (!link)
		goto err;
	link->ifindex = ifindex;
	ret = nl_listener_open(&link->listener, groups, 1);
	if (ret == 0)
		ret = request_state(link);
	if (ret < 0)
		goto err;
	*out = link;
	return 0;
err:
	nl_link_watch_close(link);
	return ret;
}

int nl_link_watch_fd(const struct nl_link_watch *link)
{
	return nl_listener_fd(link->listener);
}

int nl_link_watch_recv(struct nl_link_watch *link, nl_link_event_fn fn, void *ctx)
{
	struct delivery d = {.link = link, .fn = fn, .ctx = ctx};

	return nl_listener_recv(link->listener, deliver, ask_again, &d);
}

void nl_link_watch_close(struct nl_link_watch *link)
{
	if (!link)
		return;
	nl_listener_close(link->listener);
	free(link);
}
