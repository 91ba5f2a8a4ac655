// SPDX-License-Identifier: MIT
/*
 * The agent's change detection (Kilo's nodesAreEqual/peersAreEqual): which
 * listings make it apply the topology again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mesh/agent/agent_local.h"
#include "mesh/agent/agent_state.h"
#include "mesh_fixture.h"

static const struct node_spec nodes[] = {
    {"a", "east", "10.0.0.1:51820", "10.0.0.1/24", "10.2.1.0/24", true, 0, NULL},
    {"b", "east", "10.0.0.2:51820", "10.0.0.2/24", "10.2.2.0/24", false, 0, NULL},
    {"c", "west", "10.1.0.3:51820", "10.1.0.3/24", "10.2.3.0/24", false, 25, "192.168.5.0/24"},
};
static const struct peer_spec peers[] = {
    {"laptop", "10.5.0.1/32", NULL, 10, true},
};

static int setup(void **state)
{
	struct mesh_agent *agent = calloc(1, sizeof(*agent));

	fixture_cluster(&agent->cluster, nodes, 3, peers, 1, NULL, 0);
	agent_remember_applied(agent, FIXTURE_NOW);
	*state = agent;
	return 0;
}

static int teardown(void **state)
{
	struct mesh_agent *agent = *state;

	mesh_cluster_release(&agent->cluster);
	free(agent);
	return 0;
}

static void test_nothing_applied_yet_is_a_change(void **state)
{
	struct mesh_agent *agent = *state;

	agent->has_applied = false;
	assert_true(agent_cluster_changed(agent, FIXTURE_NOW));
}

static void test_same_listing_is_no_change(void **state)
{
	assert_false(agent_cluster_changed(*state, FIXTURE_NOW));
}

static void test_heartbeat_alone_is_no_change(void **state)
{
	struct mesh_agent *agent = *state;

	for (size_t i = 0; i < agent->cluster.n_nodes; i++)
		agent->cluster.nodes[i].last_seen += 30;
	assert_false(agent_cluster_changed(agent, FIXTURE_NOW + 30));
}

static void test_listing_order_is_no_change(void **state)
{
	struct mesh_agent *agent = *state;
	struct mesh_node first = agent->cluster.nodes[0];

	agent->cluster.nodes[0] = agent->cluster.nodes[2];
	agent->cluster.nodes[2] = first;
	assert_false(agent_cluster_changed(agent, FIXTURE_NOW));
}

static void test_node_going_stale_is_a_change(void **state)
{
	struct mesh_agent *agent = *state;

	assert_true(agent_cluster_changed(agent, FIXTURE_NOW + MESH_READY_WINDOW));
}

static void test_moved_node_is_a_change(void **state)
{
	struct mesh_agent *agent = *state;

	snprintf(agent->cluster.nodes[1].location, sizeof(agent->cluster.nodes[1].location),
	         "west");
	assert_true(agent_cluster_changed(agent, FIXTURE_NOW));
}

static void test_every_field_the_topology_reads_is_a_change(void **state)
{
	struct mesh_agent *agent = *state;
	struct mesh_node *c = &agent->cluster.nodes[2];
	struct mesh_node saved = *c;

	c->persistent_keepalive = 5;
	assert_true(agent_cluster_changed(agent, FIXTURE_NOW));
	*c = saved;
	c->leader = true;
	assert_true(agent_cluster_changed(agent, FIXTURE_NOW));
	*c = saved;
	c->endpoint.port = 51821;
	assert_true(agent_cluster_changed(agent, FIXTURE_NOW));
	*c = saved;
	c->allowed_location_ips[0].cidr = 25;
	assert_true(agent_cluster_changed(agent, FIXTURE_NOW));
	c->allowed_location_ips[0].cidr = 24;
	c->key[5] ^= 1;
	assert_true(agent_cluster_changed(agent, FIXTURE_NOW));
	*c = saved;
	assert_false(agent_cluster_changed(agent, FIXTURE_NOW));
}

static void test_changed_peer_is_a_change(void **state)
{
	struct mesh_agent *agent = *state;

	agent->cluster.peers[0].preshared_key[0] ^= 1;
	assert_true(agent_cluster_changed(agent, FIXTURE_NOW));
	agent->cluster.peers[0].preshared_key[0] ^= 1;
	agent->cluster.peers[0].allowed_ips[0].cidr = 31;
	assert_true(agent_cluster_changed(agent, FIXTURE_NOW));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_nothing_applied_yet_is_a_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_same_listing_is_no_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_heartbeat_alone_is_no_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_listing_order_is_no_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_node_going_stale_is_a_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_moved_node_is_a_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_every_field_the_topology_reads_is_a_change, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_changed_peer_is_a_change, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
