// SPDX-License-Identifier: MIT
/*
 * mesh/cni: the node's pod CIDR in Kilo's conflist (the manifests' ConfigMap, as a fixture),
 * written once, atomically, and never again while it stays the same.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mesh/host/cni.h"

#define FIXTURE KILO_FIXTURES_DIR "/cni/10-kilo.conflist"

struct dir {
	char path[64];
	char file[128];
};

static struct mesh_prefix prefix(const char *text)
{
	struct mesh_prefix out;

	assert_int_equal(mesh_prefix_parse(text, &out), 0);
	return out;
}

/* A temporary directory holding a copy of the fixture (or of text). */
static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));
	json_t *fixture = json_load_file(FIXTURE, 0, NULL);

	if (!d || !fixture)
		return -1;
	strcpy(d->path, "/tmp/an-cni-XXXXXX");
	if (!mkdtemp(d->path))
		return -1;
	snprintf(d->file, sizeof(d->file), "%s/10-kilo.conflist", d->path);
	if (json_dump_file(fixture, d->file, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0)
		return -1;
	json_decref(fixture);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;
	char command[128];

	snprintf(command, sizeof(command), "rm -rf %s", d->path);
	free(d);
	return system(command) == 0 ? 0 : -1;
}

static json_t *load(const char *path)
{
	json_t *root = json_load_file(path, 0, NULL);

	assert_non_null(root);
	return root;
}

/* ranges[0][0].subnet of the first plugin. */
static const char *first_subnet(json_t *root)
{
	const char *subnet = NULL;

	assert_int_equal(json_unpack(root, "{s:[{s:{s:[[{s:s}]]}}]}", "plugins", "ipam", "ranges",
	                             "subnet", &subnet),
	                 0);
	return subnet;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void test_pod_cidr_goes_into_every_ipam_section_and_the_rest_is_kept(void **state)
{
	struct dir *d = *state;
	struct mesh_prefix cidr = prefix("10.2.1.0/24");
	char err[256] = "";
	bool changed;
	json_t *root, *bridge, *portmap, *expected;

	assert_int_equal(mesh_cni_set_pod_cidr(d->file, &cidr, 1, &changed, err, sizeof(err)), 0);
	assert_true(changed);
	root = load(d->file);
	bridge = json_array_get(json_object_get(root, "plugins"), 0);
	portmap = json_array_get(json_object_get(root, "plugins"), 1);
	expected =
	    json_pack("{s:s,s:[[{s:s}]]}", "type", "host-local", "ranges", "subnet", "10.2.1.0/24");
	assert_true(json_equal(json_object_get(bridge, "ipam"), expected));
	assert_string_equal(json_string_value(json_object_get(bridge, "bridge")), "kube-bridge");
	assert_int_equal(json_integer_value(json_object_get(bridge, "mtu")), 1420);
	assert_null(json_object_get(portmap, "ipam"));
	assert_true(json_is_true(json_object_get(portmap, "snat")));
	assert_string_equal(json_string_value(json_object_get(root, "name")), "kilo");
	json_decref(expected);
	json_decref(root);
}

static void test_same_pod_cidr_leaves_the_file_untouched(void **state)
{
	struct dir *d = *state;
	struct mesh_prefix cidr = prefix("10.2.1.0/24");
	struct stat before, after;
	char err[256] = "";
	bool changed;

	assert_int_equal(mesh_cni_set_pod_cidr(d->file, &cidr, 1, &changed, err, sizeof(err)), 0);
	assert_int_equal(stat(d->file, &before), 0);
	assert_int_equal(mesh_cni_set_pod_cidr(d->file, &cidr, 1, &changed, err, sizeof(err)), 0);
	assert_false(changed);
	assert_int_equal(stat(d->file, &after), 0);
	/* An atomic rewrite would have renamed a new inode into place. */
	assert_int_equal(before.st_ino, after.st_ino);
}

static void test_new_pod_cidr_replaces_the_file_atomically_and_masks_host_bits(void **state)
{
	struct dir *d = *state;
	struct mesh_prefix old = prefix("10.2.1.0/24"), moved = prefix("10.2.7.9/24");
	struct stat before, after;
	char err[256] = "";
	bool changed;
	json_t *root;

	assert_int_equal(mesh_cni_set_pod_cidr(d->file, &old, 1, NULL, err, sizeof(err)), 0);
	assert_int_equal(chmod(d->file, 0640), 0);
	assert_int_equal(stat(d->file, &before), 0);
	assert_int_equal(mesh_cni_set_pod_cidr(d->file, &moved, 1, &changed, err, sizeof(err)), 0);
	assert_true(changed);
	assert_int_equal(stat(d->file, &after), 0);
	assert_int_not_equal(before.st_ino, after.st_ino);
	assert_int_equal(after.st_mode & 0777, 0640);
	root = load(d->file);
	assert_string_equal(first_subnet(root), "10.2.7.0/24");
	json_decref(root);
}

static void test_every_ipam_section_is_rewritten_when_the_first_differs(void **state)
{
	struct mesh_prefix cidr = prefix("10.2.3.0/24");
	json_t *root = json_loads("{\"plugins\": [{\"ipam\": {\"ranges\": [[{\"subnet\": "
	                          "\"10.2.9.0/24\"}]]}}, {\"type\": \"portmap\"}, "
	                          "{\"ipam\": {\"type\": \"host-local\"}}]}",
	                          0, NULL);
	json_t *expected = json_loads("{\"plugins\": [{\"ipam\": {\"ranges\": [[{\"subnet\": "
	                              "\"10.2.3.0/24\"}]]}}, {\"type\": \"portmap\"}, "
	                              "{\"ipam\": {\"type\": \"host-local\", \"ranges\": "
	                              "[[{\"subnet\": \"10.2.3.0/24\"}]]}}]}",
	                              0, NULL);
	char err[256] = "";
	bool changed;

	(void)state;
	assert_non_null(root);
	assert_int_equal(mesh_cni_update(root, &cidr, 1, &changed, err, sizeof(err)), 0);
	assert_true(changed);
	assert_true(json_equal(root, expected));
	assert_int_equal(mesh_cni_update(root, &cidr, 1, &changed, err, sizeof(err)), 0);
	assert_false(changed);
	json_decref(root);
	json_decref(expected);
}

/* host-local's dual stack: one range set per family, in spec.podCIDRs' order. */
static void test_dual_stack_node_gets_a_range_per_family(void **state)
{
	struct mesh_prefix cidrs[] = {prefix("10.2.3.0/24"), prefix("fd00:2:3::/64")};
	json_t *root = json_loads("{\"plugins\": [{\"ipam\": {\"ranges\": [[{\"subnet\": "
	                          "\"10.2.3.0/24\"}]]}}]}",
	                          0, NULL);
	json_t *expected = json_loads("{\"plugins\": [{\"ipam\": {\"ranges\": [[{\"subnet\": "
	                              "\"10.2.3.0/24\"}], [{\"subnet\": \"fd00:2:3::/64\"}]]}}]}",
	                              0, NULL);
	char err[256] = "";
	bool changed;

	(void)state;
	/* IPv4 alone is there already; the IPv6 range is missing. */
	assert_int_equal(mesh_cni_update(root, cidrs, 2, &changed, err, sizeof(err)), 0);
	assert_true(changed);
	assert_true(json_equal(root, expected));
	assert_int_equal(mesh_cni_update(root, cidrs, 2, &changed, err, sizeof(err)), 0);
	assert_false(changed);
	/* An IPv6-only node: its one range. */
	assert_int_equal(mesh_cni_update(root, &cidrs[1], 1, &changed, err, sizeof(err)), 0);
	assert_true(changed);
	assert_string_equal(first_subnet(root), "fd00:2:3::/64");
	assert_int_equal(
	    json_array_size(json_object_get(
	        json_object_get(json_array_get(json_object_get(root, "plugins"), 0), "ipam"),
	        "ranges")),
	    1);
	assert_int_equal(mesh_cni_update(root, cidrs, 0, &changed, err, sizeof(err)), -EINVAL);
	json_decref(root);
	json_decref(expected);
}

static void test_missing_directory_is_a_clear_error(void **state)
{
	struct mesh_prefix cidr = prefix("10.2.1.0/24");
	char err[256] = "";

	(void)state;
	assert_int_equal(mesh_cni_set_pod_cidr("/nonexistent-an/net.d/10-kilo.conflist", &cidr, 1,
	                                       NULL, err, sizeof(err)),
	                 -ENOENT);
	assert_string_equal(err, "CNI config /nonexistent-an/net.d/10-kilo.conflist: the directory "
	                         "/nonexistent-an/net.d does not exist (is --cni-path right?)");
}

static void test_broken_json_names_the_file_and_line(void **state)
{
	struct dir *d = *state;
	struct mesh_prefix cidr = prefix("10.2.1.0/24");
	char err[256] = "", expected[256];

	write_text(d->file, "{\n  \"plugins\": [\n");
	assert_int_equal(mesh_cni_set_pod_cidr(d->file, &cidr, 1, NULL, err, sizeof(err)), -EINVAL);
	snprintf(expected, sizeof(expected), "CNI config %s: line 3:", d->file);
	assert_memory_equal(err, expected, strlen(expected));
}

static void test_conflist_without_ipam_is_refused_and_kept(void **state)
{
	struct dir *d = *state;
	struct mesh_prefix cidr = prefix("10.2.1.0/24");
	const char *text = "{\"plugins\": [{\"type\": \"portmap\"}]}\n";
	char err[256] = "", expected[256];
	bool changed = true;
	json_t *root;

	write_text(d->file, text);
	assert_int_equal(mesh_cni_set_pod_cidr(d->file, &cidr, 1, &changed, err, sizeof(err)),
	                 -EINVAL);
	assert_false(changed);
	snprintf(expected, sizeof(expected), "CNI config %s: no plugin has an \"ipam\" section",
	         d->file);
	assert_string_equal(err, expected);
	root = json_loads("{\"plugins\": 1}", 0, NULL);
	assert_int_equal(mesh_cni_update(root, &cidr, 1, &changed, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "no \"plugins\" list");
	json_decref(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_pod_cidr_goes_into_every_ipam_section_and_the_rest_is_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_same_pod_cidr_leaves_the_file_untouched, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(
	        test_new_pod_cidr_replaces_the_file_atomically_and_masks_host_bits, setup,
	        teardown),
	    cmocka_unit_test(test_every_ipam_section_is_rewritten_when_the_first_differs),
	    cmocka_unit_test(test_dual_stack_node_gets_a_range_per_family),
	    cmocka_unit_test(test_missing_directory_is_a_clear_error),
	    cmocka_unit_test_setup_teardown(test_broken_json_names_the_file_and_line, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_conflist_without_ipam_is_refused_and_kept, setup,
	                                    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
