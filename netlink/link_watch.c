// SPDX-License-Identifier: MIT
/* link.c - rtnetlink link watch on libmnl. */

#include "netlink/link_watch.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <time.h>

struct nl_link_watch {
	struct mnl_socket *nl;
	int ifindex;
};

struct parse_ctx {
	const struct nl_link_watch *link;
	nl_link_event_fn fn;
	void *ctx;
};

static int parse_attr(const struct nlattr *attr, void *data)
{
	unsigned int *mtu = data;

	if (mnl_attr_get_type(attr) == IFLA_MTU && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
		*mtu = mnl_attr_get_u32(attr);
	return MNL_CB_OK;
}

static int parse_msg(const struct nlmsghdr *nlh, void *data)
{
	const struct parse_ctx *p = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct nl_link_event event = { 0 };

	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return MNL_CB_OK;
	if (ifi->ifi_index != p->link->ifindex)
		return MNL_CB_OK;
	event.deleted = nlh->nlmsg_type == RTM_DELLINK;
	event.running = (ifi->ifi_flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING);
	mnl_attr_parse(nlh, sizeof(*ifi), parse_attr, &event.mtu);
	p->fn(p->ctx, &event);
	return MNL_CB_OK;
}

static int request_state(struct nl_link_watch *link)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = (unsigned int)time(NULL);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = link->ifindex;
	if (mnl_socket_sendto(link->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

int nl_link_watch_open(struct nl_link_watch **out, int ifindex)
{
	struct nl_link_watch *link = calloc(1, sizeof(*link));
	int ret = -ENOMEM;

	if (!link)
		goto err;
	link->ifindex = ifindex;
	link->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!link->nl || mnl_socket_bind(link->nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto err;
	}
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
	return mnl_socket_get_fd(link->nl);
}

int nl_link_watch_recv(struct nl_link_watch *link, nl_link_event_fn fn, void *ctx)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct parse_ctx p = { .link = link, .fn = fn, .ctx = ctx };
	ssize_t len;
	int ret;

	for (;;) {
		len = mnl_socket_recvfrom(link->nl, buf, sizeof(buf));
		/* Notifications were lost while we were busy: ask where the link stands now. */
		if (len < 0 && errno == ENOBUFS) {
			ret = request_state(link);
			if (ret < 0)
				return ret;
			continue;
		}
		if (len < 0)
			return errno == EAGAIN ? 0 : -errno;
		/* Sequence and port checks off: notifications carry neither. */
		if (mnl_cb_run(buf, (size_t)len, 0, 0, parse_msg, &p) < 0 && errno != ENODEV)
			return -errno;
	}
}

void nl_link_watch_close(struct nl_link_watch *link)
{
	if (!link)
		return;
	if (link->nl)
		mnl_socket_close(link->nl);
	free(link);
}
