// SPDX-License-Identifier: MIT
/*
 * Deletions behind the agent's back, handled as they happen rather than at
 * the next resync. A route or rule of the last apply comes back at once
 * through the route applier alone, as Kilo's route controller does on an
 * RTM_DELROUTE; nothing else is re-applied. A deleted WireGuard interface
 * (Kilo would lose it for good) is recreated with a new engine on it, and
 * the whole topology applied to it.
 */
#include <errno.h>
#include <string.h>
#include <syslog.h>

#include "mesh/agent/agent_apply.h"
#include "mesh/agent/agent_device.h"
#include "mesh/agent/agent_metrics.h"
#include "mesh/agent/agent_state.h"
#include "mesh/agent/agent_watch.h"
#include "netlink/netlink.h"
#include "netlink/route_watch.h"

/* What one read of the watch calls for. */
struct deleted {
	const struct mesh_agent *agent;
	bool routes, interface, lost;
};

static void on_deleted(void *ctx, const struct nl_route_watch_event *event)
{
	struct deleted *d = ctx;
	const struct mesh_route_state *routes = &d->agent->routes;

	switch (event->kind) {
	case NL_ROUTE_WATCH_LOST:
		d->lost = true;
		break;
	case NL_ROUTE_WATCH_ROUTE:
		d->routes = d->routes || mesh_apply_routes_wants_route(routes, &event->route);
		break;
	case NL_ROUTE_WATCH_RULE:
		d->routes = d->routes || mesh_apply_routes_wants_rule(routes, &event->rule);
		break;
	case NL_ROUTE_WATCH_LINK:
		d->interface =
		    d->interface || !strcmp(event->link.name, d->agent->options.interface);
		break;
	}
}

void agent_watch_open(struct mesh_agent *agent)
{
	int ret = nl_route_watch_open(&agent->watch);

	if (ret)
		mesh_log(&agent->log, LOG_WARNING,
		         "cannot watch for deleted routes (they come back at the next resync): %s",
		         strerror(-ret));
}

static void restore_routes(struct mesh_agent *agent)
{
	struct mesh_route_changes changes;
	char err[256] = "";

	if (mesh_apply_routes(agent->nl, &agent->routes, &changes, err, sizeof(err))) {
		mesh_log(&agent->log, LOG_ERR, "failed to restore deleted routes: %s", err);
		agent_count_error(agent, MESH_AGENT_EVENT_RUN);
		return;
	}
	if (changes.routes_replaced || changes.rules_added)
		mesh_log(&agent->log, LOG_INFO, "restored deleted routes: %zu routes, %zu rules",
		         changes.routes_replaced, changes.rules_added);
}

void agent_watch_read(struct mesh_agent *agent)
{
	struct deleted d = {.agent = agent};
	struct nl_link link;
	int ret = nl_route_watch_recv(agent->watch, on_deleted, &d);

	if (ret) {
		mesh_log(&agent->log, LOG_ERR, "failed to read route notifications: %s",
		         strerror(-ret));
		agent_count_error(agent, MESH_AGENT_EVENT_RUN);
	}
	/* Notices were dropped: look at what they could have told. */
	if (d.lost) {
		d.interface = d.interface ||
		              nl_link_get(agent->nl, agent->options.interface, &link) == -ENODEV;
		d.routes = true;
	}
	if (d.interface && agent->device) {
		mesh_log(&agent->log, LOG_WARNING, "interface %s was deleted; recreating it",
		         agent->options.interface);
		agent_close_device(agent, false);
		/* The apply opens a new device, then re-applies everything on it. */
		if (agent->listed)
			agent_apply(agent);
	} else if (d.routes && agent->has_routes) {
		restore_routes(agent);
	}
}
