/* SPDX-License-Identifier: MIT */
/*
 * Converge the host's routes and policy rules on the desired ones (mesh/view/routes.h) by diff.
 *
 * Ours are every route and rule in table 1107 and the main-table routes marked with
 * MESH_APPLY_ROUTES_PROTOCOL: a main-table route of anyone else (even "proto static") is never
 * touched. A resync dumps the kernel's tables and changes only what differs: a missing or
 * changed route is replaced (so one someone deleted comes back), a route or rule of ours that
 * is no longer desired is deleted, and nothing is sent when nothing differs. Applying an empty
 * state removes everything of ours (the clean-up). The diff is a pure function; errors name
 * the route or rule that failed and the first one is returned after trying the rest.
 */
#ifndef MESH_APPLY_ROUTES_H
#define MESH_APPLY_ROUTES_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "mesh/view/routes.h"
#include "netlink/netlink.h"

/*
 * Our mark on main-table routes. Kilo uses "proto static" and remembers its routes in memory;
 * a mark of our own lets a restarted agent adopt its routes without ever mistaking an
 * administrator's static route for one of them. Kilo's leftovers are replaced, not duplicated.
 */
#define MESH_APPLY_ROUTES_PROTOCOL 107

/* Interfaces of the device roles; ifindex 0 = the link does not exist. */
struct mesh_route_links {
	int kilo, private_iface, tunnel;
	char kilo_name[IFNAMSIZ]; /* "iif" of the rules for traffic from WireGuard */
};

/* Routes and rules in netlink terms: the desired ones, or what the kernel holds. */
struct mesh_route_state {
	struct nl_route *routes;
	size_t n_routes;
	struct nl_rule *rules;
	size_t n_rules;
};

struct mesh_route_plan {
	struct mesh_route_state add;    /* routes to replace, rules to add */
	struct mesh_route_state remove; /* routes and rules to delete */
};

/* What one apply changed, for the log. */
struct mesh_route_changes {
	size_t routes_replaced, routes_removed, rules_added, rules_removed;
};

/*
 * Desired state from the topology's routes: devices resolved, destinations masked, table 0
 * as the main table. -ENODEV when a route needs a role whose link does not exist (the tunnel
 * on a kernel without ipip): err names the first such route and desired holds all the others,
 * to be applied all the same and released. Any other error leaves desired empty.
 */
int mesh_apply_routes_desired(const struct mesh_routes *routes,
                              const struct mesh_route_links *links,
                              struct mesh_route_state *desired, char *err, size_t err_size);

/*
 * The changes that take current (a full dump, ours and others') to desired. Duplicate desired
 * entries count once; of two desired routes for one destination the last wins, as with
 * Kilo's RouteReplace. A changed route is replaced in place, never deleted first.
 */
int mesh_apply_routes_diff(const struct mesh_route_state *desired,
                           const struct mesh_route_state *current, struct mesh_route_plan *plan);

/* Is this route one of ours (table 1107, or our protocol in another table)? */
bool mesh_apply_routes_owns(const struct nl_route *route);

/*
 * Must a route or rule that someone deleted (see netlink/route_watch.h) come back, being one of
 * desired? A route is matched by table and destination (the kernel keeps one per pair), and
 * only if it was ours; a rule by its selectors and table, whatever its priority.
 */
bool mesh_apply_routes_wants_route(const struct mesh_route_state *desired,
                                   const struct nl_route *deleted);
bool mesh_apply_routes_wants_rule(const struct mesh_route_state *desired,
                                  const struct nl_rule *deleted);

/* Dump, diff, apply. changes may be NULL. */
int mesh_apply_routes(struct nl_socket *nl, const struct mesh_route_state *desired,
                      struct mesh_route_changes *changes, char *err, size_t err_size);

/* Read the kernel's routes (IPv4 and IPv6, every table) and rules. */
int mesh_apply_routes_dump(struct nl_socket *nl, struct mesh_route_state *current);

void mesh_route_state_release(struct mesh_route_state *state);
void mesh_route_plan_release(struct mesh_route_plan *plan);

#endif /* MESH_APPLY_ROUTES_H */
