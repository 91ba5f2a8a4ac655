// SPDX-License-Identifier: MIT
/*
 * mesh/backend over a cluster file: the listing, the change fd that inotify
 * and the agent's own annotations raise, and a broken rewrite that keeps the
 * last good listing. (The Kubernetes backend is driven against the test API
 * server by tests/agent/test_kube_backend.sh.)
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "mesh/k8s/backend.h"
#include "mesh/k8s/codec.h"

static char scratch[64];
static char cluster_path[128];
static char log_text[4096];

static void collect(void *ctx, int level, const char *message)
{
	size_t len = strlen(log_text);

	(void)ctx;
	snprintf(log_text + len, sizeof(log_text) - len, "%d %s\n", level, message);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	char command[512];

	(void)state;
	log_text[0] = '\0';
	strcpy(scratch, "/tmp/kilo-backend.XXXXXX");
	if (!mkdtemp(scratch))
		return -1;
	snprintf(cluster_path, sizeof(cluster_path), "%s/cluster.yaml", scratch);
	snprintf(command, sizeof(command), "cp '%s/cluster.yaml' '%s'", KILO_FIXTURES_DIR,
	         cluster_path);
	return system(command);
}

static int teardown(void **state)
{
	char command[128];

	(void)state;
	snprintf(command, sizeof(command), "rm -rf '%s'", scratch);
	return system(command);
}

static struct mesh_backend *open_file(const char *hostname, bool watch)
{
	const struct mesh_backend_options options = {
	    .kind = MESH_BACKEND_FILE,
	    .cluster_file = cluster_path,
	    .hostname = hostname,
	    .watch = watch,
	    .log = collect,
	};
	struct mesh_backend *backend;

	assert_int_equal(mesh_backend_open(&options, &backend), 0);
	return backend;
}

static bool readable(const struct mesh_backend *backend, int timeout_ms)
{
	struct pollfd pfd = {.fd = mesh_backend_fd(backend), .events = POLLIN};

	return poll(&pfd, 1, timeout_ms) == 1;
}

static const struct mesh_node *find_node(const struct mesh_cluster *cluster, const char *name)
{
	for (size_t i = 0; i < cluster->n_nodes; i++)
		if (!strcmp(cluster->nodes[i].name, name))
			return &cluster->nodes[i];
	return NULL;
}

static void test_kind_names(void **state)
{
	enum mesh_backend_kind kind;

	(void)state;
	assert_int_equal(mesh_backend_kind_parse("kubernetes", &kind), 0);
	assert_int_equal(kind, MESH_BACKEND_KUBERNETES);
	assert_int_equal(mesh_backend_kind_parse("file", &kind), 0);
	assert_int_equal(kind, MESH_BACKEND_FILE);
	assert_int_equal(mesh_backend_kind_parse("etcd", &kind), -EINVAL);
}

static void test_one_listing_without_watch(void **state)
{
	struct mesh_backend *backend = open_file(NULL, false);
	struct mesh_cluster cluster;

	(void)state;
	assert_int_equal(mesh_backend_fd(backend), -1);
	assert_int_equal(mesh_backend_list(backend, &cluster), 0);
	assert_int_equal(cluster.n_nodes, 7);
	assert_int_equal(cluster.n_peers, 2);
	assert_string_equal(find_node(&cluster, "aws-1")->location, "aws");
	mesh_cluster_release(&cluster);
	mesh_backend_close(backend);
}

static void test_watch_is_readable_first_then_quiet(void **state)
{
	struct mesh_backend *backend = open_file("aws-1", true);
	struct mesh_cluster cluster;

	(void)state;
	assert_true(readable(backend, 0));
	assert_int_equal(mesh_backend_list(backend, &cluster), 0);
	assert_int_equal(cluster.n_nodes, 7);
	mesh_cluster_release(&cluster);
	assert_false(readable(backend, 50));
	mesh_backend_close(backend);
}

static void test_own_annotations_are_laid_over_the_file(void **state)
{
	struct mesh_backend *backend = open_file("aws-1", true);
	struct mesh_cluster cluster;
	struct mesh_node own;

	(void)state;
	assert_int_equal(mesh_backend_list(backend, &cluster), 0);
	own = *find_node(&cluster, "aws-1");
	own.last_seen = 1795700000;
	assert_int_equal(mesh_prefix_parse("10.4.0.9/16", &own.wireguard_ip), 0);
	assert_int_equal(mesh_backend_set_node(backend, &own), 0);
	mesh_cluster_release(&cluster);

	assert_true(readable(backend, 0));
	assert_int_equal(mesh_backend_list(backend, &cluster), 0);
	assert_int_equal(find_node(&cluster, "aws-1")->last_seen, 1795700000);
	assert_int_equal(find_node(&cluster, "aws-1")->wireguard_ip.addr.bytes[3], 9);
	assert_int_equal(find_node(&cluster, "aws-2")->last_seen, 1795629580);
	mesh_cluster_release(&cluster);

	assert_int_equal(mesh_backend_clean_up(backend), 0);
	assert_true(readable(backend, 0));
	assert_int_equal(mesh_backend_list(backend, &cluster), 0);
	assert_false(mesh_key_is_set(find_node(&cluster, "aws-1")->key));
	assert_int_equal(find_node(&cluster, "aws-1")->last_seen, 0);
	/* The user's annotations stay. */
	assert_string_equal(find_node(&cluster, "aws-1")->location, "aws");
	mesh_cluster_release(&cluster);
	mesh_backend_close(backend);
}

static const char one_node[] =
    "{\"kind\":\"List\",\"apiVersion\":\"v1\",\"items\":[{\"kind\":\"Node\",\"apiVersion\":"
    "\"v1\",\"metadata\":{\"name\":\"aws-1\",\"annotations\":{\"kilo.squat.ai/last-seen\":"
    "\"1795629700\",\"kilo.squat.ai/location\":\"moon\"}},\"spec\":{\"podCIDR\":"
    "\"10.2.0.0/24\"}}]}\n";

static void test_file_renamed_over_is_read_again(void **state)
{
	struct mesh_backend *backend = open_file("aws-1", true);
	struct mesh_cluster cluster;
	char next[160];

	(void)state;
	assert_int_equal(mesh_backend_list(backend, &cluster), 0);
	mesh_cluster_release(&cluster);
	snprintf(next, sizeof(next), "%s/cluster.yaml.new", scratch);
	write_file(next, one_node);
	/* Another file in the directory may wake us, but changes nothing. */
	assert_int_equal(rename(next, cluster_path), 0);
	assert_true(readable(backend, 2000));
	assert_int_equal(mesh_backend_list(backend, &cluster), 0);
	assert_int_equal(cluster.n_nodes, 1);
	assert_int_equal(cluster.n_peers, 0);
	assert_string_equal(cluster.nodes[0].location, "moon");
	mesh_cluster_release(&cluster);
	mesh_backend_close(backend);
}

static void test_broken_rewrite_keeps_the_last_good_listing(void **state)
{
	struct mesh_backend *backend = open_file("aws-1", true);
	struct mesh_cluster cluster;

	(void)state;
	assert_int_equal(mesh_backend_list(backend, &cluster), 0);
	mesh_cluster_release(&cluster);
	write_file(cluster_path, "kind: List\nitems: [\n");
	assert_true(readable(backend, 2000));
	assert_int_equal(mesh_backend_list(backend, &cluster), 0);
	assert_int_equal(cluster.n_nodes, 7);
	assert_non_null(strstr(log_text, "3 failed to read cluster file"));
	assert_non_null(strstr(log_text, cluster_path));
	mesh_cluster_release(&cluster);
	/* Fixed in place: read again. */
	write_file(cluster_path, one_node);
	assert_true(readable(backend, 2000));
	assert_int_equal(mesh_backend_list(backend, &cluster), 0);
	assert_int_equal(cluster.n_nodes, 1);
	mesh_cluster_release(&cluster);
	mesh_backend_close(backend);
}

static void test_annotating_needs_the_own_node(void **state)
{
	struct mesh_backend *stranger = open_file("mars-1", false);
	struct mesh_backend *anonymous = open_file(NULL, false);
	struct mesh_node node = {0};

	(void)state;
	assert_int_equal(mesh_backend_set_node(stranger, &node), -ENOENT);
	assert_non_null(strstr(log_text, "failed to annotate node mars-1: not in"));
	assert_int_equal(mesh_backend_clean_up(anonymous), -EINVAL);
	assert_non_null(strstr(log_text, "no hostname given"));
	mesh_backend_close(stranger);
	mesh_backend_close(anonymous);
}

static void test_file_backend_cannot_write_peers(void **state)
{
	struct mesh_backend *backend = open_file(NULL, false);
	struct mesh_peer peer = {.name = "roamer"};

	(void)state;
	assert_int_equal(mesh_backend_create_peer(backend, &peer), -EOPNOTSUPP);
	assert_non_null(strstr(log_text, "the file backend cannot create Peer roamer: edit the "
	                                 "cluster file"));
	assert_int_equal(mesh_backend_delete_peer(backend, "roamer"), -EOPNOTSUPP);
	assert_non_null(strstr(log_text, "cannot delete Peer roamer"));
	mesh_backend_close(backend);
}

static void test_invalid_objects_are_reported_and_skipped(void **state)
{
	struct mesh_backend *backend;
	struct mesh_cluster cluster;

	(void)state;
	write_file(cluster_path,
	           "kind: List\napiVersion: v1\nitems:\n"
	           "- {kind: Peer, apiVersion: kilo.squat.ai/v1alpha1, metadata: {name: bad},\n"
	           "   spec: {allowedIPs: [10.5.0.1], publicKey: nope}}\n"
	           "- {kind: Node, apiVersion: v1, metadata: {name: n1}}\n");
	backend = open_file(NULL, false);
	assert_int_equal(mesh_backend_list(backend, &cluster), 0);
	assert_int_equal(cluster.n_nodes, 1);
	assert_int_equal(cluster.n_peers, 0);
	assert_non_null(strstr(log_text, "4 peer \"bad\""));
	mesh_cluster_release(&cluster);
	mesh_backend_close(backend);
}

static void test_missing_file_fails_at_open(void **state)
{
	const struct mesh_backend_options options = {
	    .kind = MESH_BACKEND_FILE,
	    .cluster_file = "/nonexistent/cluster.yaml",
	    .watch = true,
	    .log = collect,
	};
	struct mesh_backend *backend;

	(void)state;
	assert_int_equal(mesh_backend_open(&options, &backend), -ENOENT);
	assert_null(backend);
	assert_non_null(strstr(log_text, "/nonexistent/cluster.yaml"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kind_names),
	    cmocka_unit_test_setup_teardown(test_one_listing_without_watch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_watch_is_readable_first_then_quiet, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_own_annotations_are_laid_over_the_file, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_file_renamed_over_is_read_again, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_broken_rewrite_keeps_the_last_good_listing, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_annotating_needs_the_own_node, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_file_backend_cannot_write_peers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invalid_objects_are_reported_and_skipped, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_missing_file_fails_at_open, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
