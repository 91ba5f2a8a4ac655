// SPDX-License-Identifier: MIT
/*
 * What a connected Peer configures: the sync step of Kilo's kgctl connect
 * (cmd/kgctl/connect_linux.go) without the I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/agent/connect.h"

static bool lists_ready_peer(const struct mesh_cluster *cluster, const char *name)
{
	for (size_t i = 0; i < cluster->n_peers; i++)
		if (!strcmp(cluster->peers[i].name, name))
			return mesh_peer_is_ready(&cluster->peers[i]);
	return false;
}

static struct mesh_node *first_ready_node(struct mesh_node *nodes, size_t n, int64_t now)
{
	struct mesh_node *first = NULL;

	for (size_t i = 0; i < n; i++)
		if (mesh_node_is_ready(&nodes[i], now) &&
		    (!first || strcmp(nodes[i].name, first->name) < 0))
			first = &nodes[i];
	return first;
}

/*
 * The extra allowed IPs on the first ready node, in a shallow copy of the
 * listing (*nodes and *ips are the caller's to free) so that the listing
 * itself stays as the backend gave it.
 */
static int add_extra_ips(const struct mesh_cluster *cluster,
                         const struct mesh_connect_plan_options *options, struct mesh_cluster *view,
                         struct mesh_node **nodes, struct mesh_prefix **ips)
{
	struct mesh_node *first;
	size_t n;

	*view = *cluster;
	*ips = NULL;
	*nodes = calloc(cluster->n_nodes + 1, sizeof(**nodes));
	if (!*nodes)
		return -ENOMEM;
	if (cluster->n_nodes)
		memcpy(*nodes, cluster->nodes, cluster->n_nodes * sizeof(**nodes));
	view->nodes = *nodes;
	first = first_ready_node(*nodes, cluster->n_nodes, options->view.now);
	if (!first || !options->n_allowed_ips)
		return 0;
	n = first->n_allowed_location_ips;
	*ips = calloc(n + options->n_allowed_ips, sizeof(**ips));
	if (!*ips)
		return -ENOMEM;
	if (n)
		memcpy(*ips, first->allowed_location_ips, n * sizeof(**ips));
	memcpy(*ips + n, options->allowed_ips, options->n_allowed_ips * sizeof(**ips));
	first->allowed_location_ips = *ips;
	first->n_allowed_location_ips = n + options->n_allowed_ips;
	return 0;
}

static int plan_from(const struct mesh_topology *topology,
                     const struct mesh_connect_plan_options *options,
                     struct mesh_connect_plan *plan)
{
	int ret = mesh_wgconfig_for_peer(topology, options->peer_name, &plan->config);

	if (ret)
		return ret;
	/* Kilo's conf.ListenPort = --port: the Peer listens where the nodes do. */
	plan->config.has_interface = true;
	plan->config.listen_port = options->view.port;
	return mesh_routes_for_peer(topology, options->peer_name, options->allowed_ips,
	                            options->n_allowed_ips, &plan->routes);
}

int mesh_connect_plan(const struct mesh_cluster *cluster,
                      const struct mesh_connect_plan_options *options,
                      struct mesh_connect_plan *plan, char *err, size_t err_size)
{
	struct mesh_prefix *ips = NULL;
	struct mesh_node *nodes = NULL;
	struct mesh_topology topology;
	struct mesh_cluster view;
	int ret;

	memset(plan, 0, sizeof(*plan));
	if (!lists_ready_peer(cluster, options->peer_name)) {
		snprintf(err, err_size, "did not find any peer named \"%s\" in the cluster",
		         options->peer_name);
		return -ENOENT;
	}
	ret = add_extra_ips(cluster, options, &view, &nodes, &ips);
	if (ret)
		snprintf(err, err_size, "%s", strerror(-ret));
	else
		ret = mesh_topology_build(&view, &options->view, &topology, err, err_size);
	if (!ret) {
		ret = plan_from(&topology, options, plan);
		if (ret)
			snprintf(err, err_size, "%s", strerror(-ret));
		mesh_topology_release(&topology);
	}
	free(ips);
	free(nodes);
	if (ret)
		mesh_connect_plan_release(plan);
	return ret;
}

void mesh_connect_plan_release(struct mesh_connect_plan *plan)
{
	mesh_wgconfig_release(&plan->config);
	mesh_routes_release(&plan->routes);
}
