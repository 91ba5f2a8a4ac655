// SPDX-License-Identifier: MIT
/*
 * The route and rule applier: desired state from the topology's routes, a pure diff against
 * the kernel's dump (both sides sorted once, so a full-mesh node with tens of thousands of
 * routes diffs in milliseconds), and the changes sent one by one.
 */
#include "mesh/host/apply_routes.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/model/array.h"

/* A growing route state with a sticky error, like the builders of mesh/view/routes.c. */
struct builder {
	struct mesh_route_state *out;
	size_t route_cap, rule_cap;
	int error;
};

static void push_route(struct builder *b, const struct nl_route *route)
{
	struct mesh_route_state *o = b->out;

	if (!b->error && !mesh_array_push((void **)&o->routes, &o->n_routes, &b->route_cap, route,
	                                  sizeof(*route)))
		b->error = -ENOMEM;
}

static void push_rule(struct builder *b, const struct nl_rule *rule)
{
	struct mesh_route_state *o = b->out;

	if (!b->error &&
	    !mesh_array_push((void **)&o->rules, &o->n_rules, &b->rule_cap, rule, sizeof(*rule)))
		b->error = -ENOMEM;
}

static int role_ifindex(const struct mesh_route_links *links, enum mesh_route_device device)
{
	switch (device) {
	case MESH_DEVICE_KILO:
		return links->kilo;
	case MESH_DEVICE_PRIVATE:
		return links->private_iface;
	case MESH_DEVICE_TUNNEL:
		return links->tunnel;
	}
	return 0;
}

static const char *role_name(enum mesh_route_device device)
{
	switch (device) {
	case MESH_DEVICE_KILO:
		return "the WireGuard interface";
	case MESH_DEVICE_PRIVATE:
		return "the interface holding the private IP";
	case MESH_DEVICE_TUNNEL:
		return "the tunnel interface";
	}
	return "?";
}

/* Role names for messages about routes and rules that could not be converted. */
static const struct mesh_route_devices role_names = {"kilo", "private", "tunnel"};

static int convert_route(const struct mesh_route *route, const struct mesh_route_links *links,
                         struct nl_route *out, char *err, size_t err_size)
{
	struct mesh_prefix dst = mesh_prefix_masked(&route->destination);
	char text[MESH_ROUTE_STRLEN];

	*out = (struct nl_route){.dst = dst.addr,
	                         .dst_len = dst.cidr,
	                         .gw = route->gateway,
	                         .src = route->source,
	                         .ifindex = role_ifindex(links, route->device),
	                         .table = route->table ? route->table : RT_TABLE_MAIN,
	                         .protocol = MESH_APPLY_ROUTES_PROTOCOL,
	                         .onlink = route->onlink};
	if (out->ifindex > 0)
		return 0;
	snprintf(err, err_size, "route \"%s\": %s does not exist",
	         mesh_route_format(route, &role_names, text), role_name(route->device));
	return -ENODEV;
}

static int convert_rule(const struct mesh_rule *rule, const struct mesh_route_links *links,
                        struct nl_rule *out, char *err, size_t err_size)
{
	struct mesh_prefix src = mesh_prefix_masked(&rule->source);
	struct mesh_prefix dst = mesh_prefix_masked(&rule->destination);
	char text[MESH_ROUTE_STRLEN];

	*out = (struct nl_rule){.family = src.addr.family ? src.addr.family : dst.addr.family,
	                        .src = src.addr,
	                        .src_len = src.cidr,
	                        .dst = dst.addr,
	                        .dst_len = dst.cidr,
	                        .table = rule->table ? rule->table : RT_TABLE_MAIN};
	if (rule->from_kilo)
		memcpy(out->iif, links->kilo_name, IFNAMSIZ - 1);
	if (out->family && (!rule->from_kilo || out->iif[0]))
		return 0;
	snprintf(err, err_size, "rule \"%s\": %s", mesh_rule_format(rule, &role_names, text),
	         out->family ? "the WireGuard interface has no name" : "no source or destination");
	return -EINVAL;
}

int mesh_apply_routes_desired(const struct mesh_routes *routes,
                              const struct mesh_route_links *links,
                              struct mesh_route_state *desired, char *err, size_t err_size)
{
	struct builder b = {.out = desired};
	struct nl_route route;
	struct nl_rule rule;
	int missing = 0, ret;

	memset(desired, 0, sizeof(*desired));
	for (size_t i = 0; !b.error && i < routes->n_routes; i++) {
		/* Only the first missing link is told; the routes that have theirs still go in. */
		ret = convert_route(&routes->routes[i], links, &route, missing ? NULL : err,
		                    missing ? 0 : err_size);
		if (ret == 0)
			push_route(&b, &route);
		missing = missing ? missing : ret;
	}
	for (size_t i = 0; !b.error && i < routes->n_rules; i++) {
		b.error = convert_rule(&routes->rules[i], links, &rule, err, err_size);
		push_rule(&b, &rule);
	}
	if (b.error)
		mesh_route_state_release(desired);
	return b.error ? b.error : missing;
}

bool mesh_apply_routes_owns(const struct nl_route *route)
{
	return route->table == MESH_ROUTE_TABLE || route->protocol == MESH_APPLY_ROUTES_PROTOCOL;
}

static bool owned_rule(const struct nl_rule *rule)
{
	return rule->table == MESH_ROUTE_TABLE;
}

static int order(uint32_t a, uint32_t b)
{
	return (a > b) - (a < b);
}

/* The kernel keeps one route per table and destination (we set no metric). */
static int destination_order(const struct nl_route *a, const struct nl_route *b)
{
	int d = order(nl_route_family(a), nl_route_family(b));

	d = d ? d : order(a->table, b->table);
	d = d ? d : order(a->dst_len, b->dst_len);
	return d ? d : ip_addr_compare(&a->dst, &b->dst);
}

/* Zero exactly when nl_route_equal(). */
static int route_order(const struct nl_route *a, const struct nl_route *b)
{
	int d = destination_order(a, b);

	d = d ? d : ip_addr_compare(&a->gw, &b->gw);
	d = d ? d : ip_addr_compare(&a->src, &b->src);
	d = d ? d : order((uint32_t)a->ifindex, (uint32_t)b->ifindex);
	d = d ? d : order(a->protocol, b->protocol);
	return d ? d : order(a->onlink, b->onlink);
}

/* Rules are the same rule whatever priority the kernel gave them (we set none). */
static int rule_order(const struct nl_rule *a, const struct nl_rule *b)
{
	int d = order(a->family, b->family);

	d = d ? d : ip_addr_compare(&a->src, &b->src);
	d = d ? d : order(a->src_len, b->src_len);
	d = d ? d : ip_addr_compare(&a->dst, &b->dst);
	d = d ? d : order(a->dst_len, b->dst_len);
	d = d ? d : strcmp(a->iif, b->iif);
	return d ? d : order(a->table, b->table);
}

/*
 * Linear scans: a deletion notice names one route, and the caller stops asking once one
 * called for a restore.
 */
bool mesh_apply_routes_wants_route(const struct mesh_route_state *desired,
                                   const struct nl_route *deleted)
{
	if (!mesh_apply_routes_owns(deleted))
		return false;
	for (size_t i = 0; i < desired->n_routes; i++)
		if (!destination_order(&desired->routes[i], deleted))
			return true;
	return false;
}

bool mesh_apply_routes_wants_rule(const struct mesh_route_state *desired,
                                  const struct nl_rule *deleted)
{
	for (size_t i = 0; i < desired->n_rules; i++)
		if (!rule_order(&desired->rules[i], deleted))
			return true;
	return false;
}

/* qsort and bsearch comparators over arrays of pointers into a state. */
#define ROUTE(p) (*(const struct nl_route *const *)(p))
#define RULE(p) (*(const struct nl_rule *const *)(p))

static int by_route(const void *a, const void *b)
{
	return route_order(ROUTE(a), ROUTE(b));
}

static int by_destination(const void *a, const void *b)
{
	return destination_order(ROUTE(a), ROUTE(b));
}

/* Equal destinations in list order, so that the last of them is found last. */
static int by_destination_then_place(const void *a, const void *b)
{
	int d = destination_order(ROUTE(a), ROUTE(b));

	return d ? d : (ROUTE(a) > ROUTE(b)) - (ROUTE(a) < ROUTE(b));
}

static int by_rule(const void *a, const void *b)
{
	return rule_order(RULE(a), RULE(b));
}

static int by_rule_then_place(const void *a, const void *b)
{
	int d = rule_order(RULE(a), RULE(b));

	return d ? d : (RULE(a) > RULE(b)) - (RULE(a) < RULE(b));
}

/* Pointers to the n items of size bytes at items, sorted; NULL when out of memory. */
static const void **sorted(const void *items, size_t n, size_t size,
                           int (*compare)(const void *, const void *))
{
	const void **view = malloc((n ? n : 1) * sizeof(*view));

	if (!view)
		return NULL;
	for (size_t i = 0; i < n; i++)
		view[i] = (const char *)items + i * size;
	qsort(view, n, sizeof(*view), compare);
	return view;
}

/* Where item is in view (sorted by compare), or n when nothing there compares equal. */
static size_t find(const void **view, size_t n, const void *item,
                   int (*compare)(const void *, const void *))
{
	const void **found = n ? bsearch(&item, view, n, sizeof(*view), compare) : NULL;

	return found ? (size_t)(found - view) : n;
}

static int diff_routes(const struct mesh_route_state *desired,
                       const struct mesh_route_state *current, struct builder *add,
                       struct builder *remove)
{
	size_t n_want = desired->n_routes, n_have = current->n_routes, at;
	const void **want =
	    sorted(desired->routes, n_want, sizeof(struct nl_route), by_destination_then_place);
	const void **have = sorted(current->routes, n_have, sizeof(struct nl_route), by_route);
	int ret = want && have ? 0 : -ENOMEM;

	for (size_t i = 0; ret == 0 && i < n_want; i++) {
		const struct nl_route *route = &desired->routes[i];

		/* A later route to the same destination replaces this one anyway. */
		at = find(want, n_want, route, by_destination_then_place);
		if (at + 1 < n_want && !destination_order(ROUTE(&want[at + 1]), route))
			continue;
		if (find(have, n_have, route, by_route) == n_have)
			push_route(add, route);
	}
	for (size_t i = 0; ret == 0 && i < n_have; i++) {
		const struct nl_route *route = &current->routes[i];

		if (mesh_apply_routes_owns(route) &&
		    find(want, n_want, route, by_destination) == n_want)
			push_route(remove, route);
	}
	free(want);
	free(have);
	return ret;
}

static int diff_rules(const struct mesh_route_state *desired,
                      const struct mesh_route_state *current, struct builder *add,
                      struct builder *remove)
{
	size_t n_want = desired->n_rules, n_have = current->n_rules, at;
	const void **want =
	    sorted(desired->rules, n_want, sizeof(struct nl_rule), by_rule_then_place);
	const void **have = sorted(current->rules, n_have, sizeof(struct nl_rule), by_rule);
	int ret = want && have ? 0 : -ENOMEM;

	for (size_t i = 0; ret == 0 && i < n_want; i++) {
		const struct nl_rule *rule = &desired->rules[i];

		/* Only the first of equal rules is added: the kernel refuses a second. */
		at = find(want, n_want, rule, by_rule_then_place);
		if (at > 0 && !rule_order(RULE(&want[at - 1]), rule))
			continue;
		if (find(have, n_have, rule, by_rule) == n_have)
			push_rule(add, rule);
	}
	for (size_t i = 0; ret == 0 && i < n_have; i++) {
		const struct nl_rule *rule = &current->rules[i];

		if (owned_rule(rule) && find(want, n_want, rule, by_rule) == n_want)
			push_rule(remove, rule);
	}
	free(want);
	free(have);
	return ret;
}

int mesh_apply_routes_diff(const struct mesh_route_state *desired,
                           const struct mesh_route_state *current, struct mesh_route_plan *plan)
{
	struct builder add, remove;

	memset(plan, 0, sizeof(*plan));
	add = (struct builder){.out = &plan->add};
	remove = (struct builder){.out = &plan->remove};
	if (diff_routes(desired, current, &add, &remove) ||
	    diff_rules(desired, current, &add, &remove) || add.error || remove.error) {
		mesh_route_plan_release(plan);
		return -ENOMEM;
	}
	return 0;
}

void mesh_route_state_release(struct mesh_route_state *state)
{
	free(state->routes);
	free(state->rules);
	memset(state, 0, sizeof(*state));
}

void mesh_route_plan_release(struct mesh_route_plan *plan)
{
	mesh_route_state_release(&plan->add);
	mesh_route_state_release(&plan->remove);
}

int mesh_apply_routes_dump(struct nl_socket *nl, struct mesh_route_state *current)
{
	struct nl_route *v6 = NULL, *all;
	size_t n_v6 = 0;
	int ret;

	memset(current, 0, sizeof(*current));
	ret = nl_route_dump(nl, AF_INET, &current->routes, &current->n_routes);
	if (ret == 0)
		ret = nl_route_dump(nl, AF_INET6, &v6, &n_v6);
	if (ret == 0 && n_v6) {
		all = realloc(current->routes, (current->n_routes + n_v6) * sizeof(*all));
		if (!all) {
			ret = -ENOMEM;
			goto out;
		}
		memcpy(all + current->n_routes, v6, n_v6 * sizeof(*all));
		current->routes = all;
		current->n_routes += n_v6;
	}
	if (ret == 0)
		ret = nl_rule_dump(nl, AF_UNSPEC, &current->rules, &current->n_rules);
out:
	free(v6);
	if (ret < 0)
		mesh_route_state_release(current);
	return ret;
}

static char *describe_route(const struct nl_route *route, char *buf, size_t size)
{
	char dst[INET6_ADDRSTRLEN] = "default", gw[INET6_ADDRSTRLEN] = "";
	uint8_t family = nl_route_family(route);

	if (route->dst.family)
		inet_ntop(family, route->dst.bytes, dst, sizeof(dst));
	if (route->gw.family)
		inet_ntop(family, route->gw.bytes, gw, sizeof(gw));
	snprintf(buf, size, "%s/%u%s%s ifindex %d table %u", dst, route->dst_len,
	         gw[0] ? " via " : "", gw, route->ifindex, route->table);
	return buf;
}

static char *describe_rule(const struct nl_rule *rule, char *buf, size_t size)
{
	char src[INET6_ADDRSTRLEN] = "all", dst[INET6_ADDRSTRLEN] = "all";

	if (rule->src.family)
		inet_ntop(rule->family, rule->src.bytes, src, sizeof(src));
	if (rule->dst.family)
		inet_ntop(rule->family, rule->dst.bytes, dst, sizeof(dst));
	snprintf(buf, size, "from %s/%u to %s/%u%s%s lookup %u", src, rule->src_len, dst,
	         rule->dst_len, rule->iif[0] ? " iif " : "", rule->iif, rule->table);
	return buf;
}

/* The first failure of an apply, kept for the caller; later ones are only not counted. */
struct outcome {
	int first;
	char *err;
	size_t err_size;
};

typedef int (*route_op)(struct nl_socket *, const struct nl_route *);
typedef int (*rule_op)(struct nl_socket *, const struct nl_rule *);

static void failed(struct outcome *o, int ret, const char *what, const char *item)
{
	if (o->first)
		return;
	o->first = ret;
	snprintf(o->err, o->err_size, "%s %s: %s", what, item, strerror(-ret));
}

/* op on each route; gone is the error meaning "already done". Returns how many succeeded. */
static size_t each_route(struct nl_socket *nl, const struct mesh_route_state *state, route_op op,
                         int gone, const char *what, struct outcome *o)
{
	char text[256];
	size_t done = 0;

	for (size_t i = 0; i < state->n_routes; i++) {
		int ret = op(nl, &state->routes[i]);

		if (ret < 0 && ret != gone)
			failed(o, ret, what, describe_route(&state->routes[i], text, sizeof(text)));
		done += ret == 0;
	}
	return done;
}

static size_t each_rule(struct nl_socket *nl, const struct mesh_route_state *state, rule_op op,
                        int gone, const char *what, struct outcome *o)
{
	char text[256];
	size_t done = 0;

	for (size_t i = 0; i < state->n_rules; i++) {
		int ret = op(nl, &state->rules[i]);

		if (ret < 0 && ret != gone)
			failed(o, ret, what, describe_rule(&state->rules[i], text, sizeof(text)));
		done += ret == 0;
	}
	return done;
}

static int apply_plan(struct nl_socket *nl, const struct mesh_route_plan *plan,
                      struct mesh_route_changes *changes, char *err, size_t err_size)
{
	struct outcome o = {.err = err, .err_size = err_size};

	changes->routes_replaced =
	    each_route(nl, &plan->add, nl_route_replace, 0, "replacing route", &o);
	changes->rules_added = each_rule(nl, &plan->add, nl_rule_add, 0, "adding rule", &o);
	changes->rules_removed =
	    each_rule(nl, &plan->remove, nl_rule_del, -ENOENT, "deleting rule", &o);
	/* Routes go last: rules that still point at them are gone by now. */
	changes->routes_removed =
	    each_route(nl, &plan->remove, nl_route_del, -ESRCH, "deleting route", &o);
	return o.first;
}

int mesh_apply_routes(struct nl_socket *nl, const struct mesh_route_state *desired,
                      struct mesh_route_changes *changes, char *err, size_t err_size)
{
	struct mesh_route_state current;
	struct mesh_route_plan plan;
	struct mesh_route_changes ignored;
	int ret;

	if (!changes)
		changes = &ignored;
	memset(changes, 0, sizeof(*changes));
	ret = mesh_apply_routes_dump(nl, &current);
	if (ret < 0) {
		snprintf(err, err_size, "reading routes and rules: %s", strerror(-ret));
		return ret;
	}
	ret = mesh_apply_routes_diff(desired, &current, &plan);
	if (ret < 0) {
		snprintf(err, err_size, "comparing routes: %s", strerror(-ret));
		goto out;
	}
	ret = apply_plan(nl, &plan, changes, err, err_size);
	mesh_route_plan_release(&plan);
out:
	mesh_route_state_release(&current);
	return ret;
}
