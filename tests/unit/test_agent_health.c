// SPDX-License-Identifier: MIT
/*
 * The agent's sampler of its own tunnels (mesh/agent/agent_health.h): which
 * peers of a WireGuard snapshot it follows, and when their counters and
 * handshakes prove contact. It reads a snapshot only, so the snapshots here
 * are written by hand, as either device implementation fills them, and
 * once taken from the kernel device over the stand-in for kernel WireGuard
 * (tests/unit/wg_kernel_stand_in.h); test_wg_device checks that both
 * implementations fill rx_bytes and the latest handshake.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mesh/agent/agent_state.h"
#include "mesh/host/apply_wg.h"
#include "mesh_fixture.h"
#include "netlink/wireguard.h"
#include "wg_kernel_stand_in.h"

/* x is led by b, which c stands by for; y by y1, which y2 stands by for; z by z1. */
static const struct node_spec nodes[] = {
    {"b", "x", "8.8.8.8:51820", "10.9.0.2/24", "10.2.2.0/24", false, 0, NULL},
    {"c", "x", "8.8.4.4:51820", "10.9.0.3/24", "10.2.3.0/24", false, 0, NULL},
    {"y1", "y", "9.9.9.9:51820", "10.8.0.1/24", "10.2.6.0/24", false, 0, NULL},
    {"y2", "y", "9.9.9.11:51820", "10.8.0.2/24", "10.2.9.0/24", false, 0, NULL},
    {"z1", "z", "9.9.9.10:51820", "10.7.0.1/24", "10.2.7.0/24", false, 0, NULL},
};

struct sampler_case {
	struct mesh_agent agent;
	struct mesh_cluster cluster;
};

/* Follows the topology as seen from viewer. */
static void follow(struct sampler_case *c, const char *viewer)
{
	struct mesh_topology t;

	fixture_topology(&t, &c->cluster, MESH_GRANULARITY_LOCATION, viewer);
	agent_health_follow(&c->agent, &t);
	mesh_topology_release(&t);
}

static int setup(void **state)
{
	struct sampler_case *c = calloc(1, sizeof(*c));

	fixture_cluster(&c->cluster, nodes, sizeof(nodes) / sizeof(*nodes), NULL, 0, NULL, 0);
	/* All run our agent, not judged yet. */
	for (size_t i = 0; i < c->cluster.n_nodes; i++)
		c->cluster.nodes[i].health.state = MESH_HEALTH_UNKNOWN;
	pthread_mutex_init(&c->agent.lock, NULL);
	agent_health_init(&c->agent);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct sampler_case *c = *state;

	agent_health_release(&c->agent);
	pthread_mutex_destroy(&c->agent.lock);
	mesh_cluster_release(&c->cluster);
	free(c);
	return 0;
}

/* A snapshot peer of node name: rx bytes received, its latest handshake age seconds ago. */
struct sampled {
	const char *name;
	uint64_t rx_bytes;
	int64_t handshake_age; /* -1: never */
};

static bool sample(struct sampler_case *c, const struct sampled *peers, size_t n)
{
	struct wg_peer_snapshot snapshot_peers[4] = {0};
	struct wg_snapshot snap = {.peers = snapshot_peers, .n_peers = n};

	assert_true(n <= 4);
	for (size_t i = 0; i < n; i++) {
		memcpy(snapshot_peers[i].public_key, fixture_key_of(&c->cluster, peers[i].name),
		       WG_KEY_LEN);
		snapshot_peers[i].rx_bytes = peers[i].rx_bytes;
		if (peers[i].handshake_age >= 0)
			snapshot_peers[i].last_handshake.tv_sec =
			    FIXTURE_NOW - peers[i].handshake_age;
	}
	return agent_health_sample(&c->agent.health, &snap, FIXTURE_NOW);
}

/* Bytes from a target over a session at most 180 s old, and nothing else, are contact. */
static void test_a_target_that_sent_over_a_live_session_is_contact(void **state)
{
	struct sampler_case *c = *state;

	follow(c, "b");
	assert_int_equal(c->agent.health.n_targets, 2);
	/* A peer new to the device: whatever it sent counts. */
	assert_true(sample(c, (struct sampled[]){{"y1", 148, 10}}, 1));
	/* Nothing since: no contact, though the session lives. */
	assert_false(sample(c, (struct sampled[]){{"y1", 148, 10}}, 1));
	/* Bytes without a live session are handshake initiations: no contact. */
	assert_false(sample(c, (struct sampled[]){{"y1", 296, 181}}, 1));
	assert_false(sample(c, (struct sampled[]){{"y1", 444, -1}}, 1));
	/* Fewer bytes than before: removed and added again, so all of them are new. */
	assert_true(sample(c, (struct sampled[]){{"y1", 32, 0}}, 1));
	/* Any one target is enough. */
	assert_true(sample(c, (struct sampled[]){{"y1", 32, 0}, {"z1", 92, 5}}, 2));
}

static void test_peers_that_are_no_target_are_ignored(void **state)
{
	struct sampler_case *c = *state;

	/* A leader's session to another location's standby is the standby's evidence, not its. */
	follow(c, "b");
	assert_false(sample(c, (struct sampled[]){{"y2", 1000, 1}}, 1));
	/* A standby's targets are the other locations' leaders too. */
	follow(c, "c");
	assert_int_equal(c->agent.health.n_targets, 2);
	assert_true(sample(c, (struct sampled[]){{"y2", 2000, 1}, {"z1", 92, 5}}, 2));
	/* y1 runs Kilo's Go agent: Kilo's election everywhere, so c is a plain member, which
	 * follows nothing (its tracker has nothing to measure). */
	fixture_find_node(&c->cluster, "y1")->health.state = MESH_HEALTH_ABSENT;
	follow(c, "c");
	assert_int_equal(c->agent.health.n_targets, 0);
	assert_false(sample(c, (struct sampled[]){{"y1", 5000, 1}}, 1));
}

/* A rebuilt topology keeps each target's last sample: what it counted is not counted again. */
static void test_a_rebuild_keeps_the_samples(void **state)
{
	struct sampler_case *c = *state;

	follow(c, "b");
	assert_true(sample(c, (struct sampled[]){{"y1", 148, 10}, {"z1", 92, 10}}, 2));
	follow(c, "b");
	assert_false(sample(c, (struct sampled[]){{"y1", 148, 10}, {"z1", 92, 10}}, 2));
}

/* The kernel device's snapshot, as kg takes it in --wireguard=kernel, feeds the sampler. */
static void test_a_kernel_device_snapshot_is_sampled(void **state)
{
	struct sampler_case *c = *state;
	const struct mesh_log_sink quiet = {0};
	uint8_t private_key[WG_KEY_LEN];
	struct mesh_wg_device *device;
	struct mesh_topology t;
	struct mesh_wg_config config;
	struct wg_stand_in k;
	struct wg_snapshot snap;
	struct nl_wg *wg;

	stand_in_init(&k, "kilo0");
	assert_int_equal(nl_wg_open_stand_in(stand_in_answer, &k, STAND_IN_FAMILY, &wg), 0);
	assert_int_equal(mesh_wg_device_from_kernel(wg, "kilo0", &device), 0);
	fixture_topology(&t, &c->cluster, MESH_GRANULARITY_LOCATION, "b");
	agent_health_follow(&c->agent, &t);
	assert_int_equal(mesh_wgconfig_local(&t, &config), 0);
	memset(private_key, 0x42, sizeof(private_key));
	assert_int_equal(mesh_apply_wg_config(device, &config, private_key, &quiet), 0);
	stand_in_find(&k, fixture_key_of(&c->cluster, "z1"))->peer.rx_bytes = 92;
	stand_in_find(&k, fixture_key_of(&c->cluster, "z1"))->peer.last_handshake =
	    (struct timespec){FIXTURE_NOW - 3, 0};

	assert_int_equal(mesh_wg_device_snapshot(device, &snap), 0);
	assert_true(agent_health_sample(&c->agent.health, &snap, FIXTURE_NOW));
	wg_snapshot_free(&snap);
	assert_int_equal(mesh_wg_device_snapshot(device, &snap), 0);
	assert_false(agent_health_sample(&c->agent.health, &snap, FIXTURE_NOW));
	wg_snapshot_free(&snap);
	mesh_wgconfig_release(&config);
	mesh_topology_release(&t);
	mesh_wg_device_close(device, false);
	stand_in_release(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_a_target_that_sent_over_a_live_session_is_contact,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_peers_that_are_no_target_are_ignored, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_a_rebuild_keeps_the_samples, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_kernel_device_snapshot_is_sampled, setup,
	                                    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
