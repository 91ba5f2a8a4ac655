/* SPDX-License-Identifier: MIT */
/*
 * route_watch.h - notice routes, policy rules and links deleted behind the agent's back
 * (Kilo's route controller re-adds an owned route as soon as an RTM_DELROUTE names it, not
 * only at the next resync; a deleted WireGuard link must be recreated as soon as it goes).
 *
 * nl_route_watch_open() subscribes to IPv4 and IPv6 route and rule notifications and to
 * link notifications on a non-blocking socket whose fd the caller polls.
 * nl_route_watch_recv() reads what is pending and calls fn once per deleted unicast route,
 * deleted rule and deleted link; when the kernel dropped notifications (the socket overran)
 * it calls fn with an event of kind NL_ROUTE_WATCH_LOST: the caller cannot know what was lost and
 * should resync. Returns 0 or -errno.
 */
#ifndef NETLINK_ROUTE_WATCH_H
#define NETLINK_ROUTE_WATCH_H

#include "netlink/netlink.h"

struct nl_route_watch;

enum nl_route_watch_kind {
	NL_ROUTE_WATCH_LOST,
	NL_ROUTE_WATCH_ROUTE,
	NL_ROUTE_WATCH_RULE,
	NL_ROUTE_WATCH_LINK,
};

/* What was deleted: the member named by kind (none for NL_ROUTE_WATCH_LOST). */
struct nl_route_watch_event {
	enum nl_route_watch_kind kind;
	union {
		struct nl_route route;
		struct nl_rule rule;
		struct nl_link link;
	};
};

typedef void (*nl_route_watch_fn)(void *ctx, const struct nl_route_watch_event *deleted);

int nl_route_watch_open(struct nl_route_watch **out);
int nl_route_watch_fd(const struct nl_route_watch *watch);
int nl_route_watch_recv(struct nl_route_watch *watch, nl_route_watch_fn fn, void *ctx);
void nl_route_watch_close(struct nl_route_watch *watch);

#endif /* NETLINK_ROUTE_WATCH_H */
