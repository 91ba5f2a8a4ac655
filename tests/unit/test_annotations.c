// SPDX-License-Identifier: MIT
/*
 * mesh/annotations: the annotations kg writes on its Node, byte for byte as
 * Kilo's nodeBackend.Set writes them, and read back the same by the codec.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mesh/k8s/annotations.h"
#include "mesh/k8s/codec.h"
#include "mesh/model/key.h"

#define KEY_AWS_1 "66HI7cRXT21aHM2wb1GjtGkt3WOCupR2o+PV3MmMAUA="
#define KEY_EDGE_1 "y2ICdBTCqbugf0JxwPmtroS1V87d+ZbvP6Mn0aNRTiw="
#define KEY_PHONE "AsnFXk3DAjFnrd1Fv5CXBi4uNnWaC/g2eOryzniNtTM="
/* First by its bytes (0xf8) after KEY_EDGE_1 (0xcb), first by its text ('+' < 'y'). */
#define KEY_PLUS "+AECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

static void leader(struct mesh_node *node)
{
	memset(node, 0, sizeof(*node));
	strcpy(node->name, "aws-1");
	assert_int_equal(mesh_key_decode(KEY_AWS_1, node->key), 0);
	assert_int_equal(mesh_endpoint_parse("3.120.246.76:51820", &node->endpoint), 0);
	assert_int_equal(mesh_prefix_parse("10.0.0.5/24", &node->internal_ip), 0);
	assert_int_equal(mesh_prefix_parse("10.4.0.1/16", &node->wireguard_ip), 0);
	node->last_seen = 1795629600;
	node->granularity = MESH_GRANULARITY_LOCATION;
}

static const char *annotation(const json_t *annotations, const char *name)
{
	char key[96];

	snprintf(key, sizeof(key), "kilo.squat.ai/%s", name);
	return json_string_value(json_object_get(annotations, key));
}

static void test_leader_annotations_as_kilo_writes_them(void **state)
{
	struct mesh_node node;
	json_t *annotations;

	(void)state;
	leader(&node);
	annotations = mesh_annotations_of_node(&node);
	assert_non_null(annotations);
	assert_int_equal(json_object_size(annotations), 9);
	assert_string_equal(annotation(annotations, "key"), KEY_AWS_1);
	assert_string_equal(annotation(annotations, "endpoint"), "3.120.246.76:51820");
	assert_string_equal(annotation(annotations, "internal-ip"), "10.0.0.5/24");
	assert_string_equal(annotation(annotations, "wireguard-ip"), "10.4.0.1/16");
	assert_string_equal(annotation(annotations, "last-seen"), "1795629600");
	assert_string_equal(annotation(annotations, "discovered-endpoints"), "{}");
	assert_string_equal(annotation(annotations, "granularity"), "location");
	assert_string_equal(annotation(annotations, "tunnel-health"), "{\"state\":\"unknown\"}");
	assert_string_equal(annotation(annotations, "cni-compatibility-ip"), "");
	json_decref(annotations);
}

/* Ours, not Kilo's: the state and since when, "recovering" only while a down node is. */
static void test_tunnel_health_is_compact_json(void **state)
{
	static const struct {
		struct mesh_health health;
		const char *text;
	} cases[] = {
	    {{MESH_HEALTH_ABSENT, 0, 0}, "{\"state\":\"unknown\"}"},
	    {{MESH_HEALTH_UNKNOWN, 5, 6}, "{\"state\":\"unknown\"}"},
	    {{MESH_HEALTH_UP, 1795629000, 0}, "{\"state\":\"up\",\"since\":1795629000}"},
	    {{MESH_HEALTH_DOWN, 1795629000, 0}, "{\"state\":\"down\",\"since\":1795629000}"},
	    {{MESH_HEALTH_DOWN, 1795629000, 1795629100},
	     "{\"state\":\"down\",\"since\":1795629000,\"recovering\":1795629100}"},
	};
	struct mesh_node node;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		json_t *annotations;

		leader(&node);
		node.health = cases[i].health;
		annotations = mesh_annotations_of_node(&node);
		assert_string_equal(annotation(annotations, "tunnel-health"), cases[i].text);
		json_decref(annotations);
	}
}

/* --compatibility=cilium: the IPv4 of cilium_host, which other nodes tunnel to. */
static void test_cilium_host_ip_is_written_as_a_host_prefix(void **state)
{
	struct mesh_node node;
	json_t *annotations;

	(void)state;
	leader(&node);
	assert_int_equal(mesh_prefix_parse("10.2.0.77/32", &node.cni_compatibility_ip), 0);
	annotations = mesh_annotations_of_node(&node);
	assert_string_equal(annotation(annotations, "cni-compatibility-ip"), "10.2.0.77/32");
	json_decref(annotations);
}

static void test_absent_ips_are_empty_strings(void **state)
{
	struct mesh_node node;
	json_t *annotations;

	(void)state;
	leader(&node);
	memset(&node.internal_ip, 0, sizeof(node.internal_ip));
	memset(&node.wireguard_ip, 0, sizeof(node.wireguard_ip));
	annotations = mesh_annotations_of_node(&node);
	assert_string_equal(annotation(annotations, "internal-ip"), "");
	assert_string_equal(annotation(annotations, "wireguard-ip"), "");
	json_decref(annotations);
}

static void test_discovered_endpoints_are_go_udp_addrs_sorted_by_key(void **state)
{
	struct mesh_discovered_endpoint found[2] = {0};
	struct mesh_node node;
	json_t *annotations;

	(void)state;
	leader(&node);
	assert_int_equal(mesh_key_decode(KEY_EDGE_1, found[0].key), 0);
	assert_int_equal(mesh_endpoint_parse("203.0.113.7:41000", &found[0].endpoint), 0);
	assert_int_equal(mesh_key_decode(KEY_PHONE, found[1].key), 0);
	assert_int_equal(mesh_endpoint_parse("[2001:db8::7]:5000", &found[1].endpoint), 0);
	node.discovered_endpoints = found;
	node.n_discovered_endpoints = 2;
	annotations = mesh_annotations_of_node(&node);
	assert_string_equal(annotation(annotations, "discovered-endpoints"),
	                    "{\"" KEY_PHONE
	                    "\":{\"IP\":\"2001:db8::7\",\"Port\":5000,\"Zone\":\"\"},"
	                    "\"" KEY_EDGE_1 "\":{\"IP\":\"203.0.113.7\",\"Port\":41000,"
	                    "\"Zone\":\"\"}}");
	json_decref(annotations);
}

/* What kg writes, the codec reads back as the same node. */
static void test_written_annotations_read_back_the_same(void **state)
{
	struct mesh_discovered_endpoint found = {0};
	struct mesh_node node, back = {0};
	json_t *object, *annotations;

	(void)state;
	leader(&node);
	assert_int_equal(mesh_key_decode(KEY_EDGE_1, found.key), 0);
	assert_int_equal(mesh_endpoint_parse("203.0.113.7:41000", &found.endpoint), 0);
	node.discovered_endpoints = &found;
	node.n_discovered_endpoints = 1;
	node.health = (struct mesh_health){MESH_HEALTH_DOWN, 1795629000, 1795629100};
	assert_int_equal(mesh_prefix_parse("10.2.0.77/32", &node.cni_compatibility_ip), 0);
	object = json_pack("{s:s, s:s, s:{s:s}, s:{s:s}}", "apiVersion", "v1", "kind", "Node",
	                   "metadata", "name", "aws-1", "spec", "podCIDR", "10.2.0.0/24");
	annotations = mesh_annotations_of_node(&node);
	assert_int_equal(mesh_annotations_apply(object, annotations), 0);
	assert_int_equal(mesh_codec_node_decode(object, NULL, &back), 0);
	assert_memory_equal(back.key, node.key, MESH_KEY_LEN);
	assert_true(mesh_endpoint_equal(&back.endpoint, &node.endpoint));
	assert_true(mesh_prefix_equal(&back.internal_ip, &node.internal_ip));
	assert_true(mesh_prefix_equal(&back.wireguard_ip, &node.wireguard_ip));
	assert_true(mesh_prefix_equal(&back.cni_compatibility_ip, &node.cni_compatibility_ip));
	assert_int_equal(back.last_seen, node.last_seen);
	assert_int_equal(back.granularity, node.granularity);
	assert_true(mesh_health_equal(&back.health, &node.health));
	assert_int_equal(back.n_discovered_endpoints, 1);
	assert_true(mesh_endpoint_equal(&back.discovered_endpoints[0].endpoint, &found.endpoint));
	mesh_node_release(&back);
	json_decref(annotations);
	json_decref(object);
}

/*
 * The agent keeps its discovered endpoints in key byte order and the
 * annotation's JSON in key text order; read back, its own annotation must
 * equal what it has, or it would rewrite its Node on every listing.
 */
static void test_discovered_endpoints_read_back_in_key_order(void **state)
{
	struct mesh_discovered_endpoint found[2] = {0};
	struct mesh_node node, back = {0};
	json_t *object, *annotations;

	(void)state;
	leader(&node);
	assert_int_equal(mesh_key_decode(KEY_EDGE_1, found[0].key), 0);
	assert_int_equal(mesh_endpoint_parse("203.0.113.7:41000", &found[0].endpoint), 0);
	assert_int_equal(mesh_key_decode(KEY_PLUS, found[1].key), 0);
	assert_int_equal(mesh_endpoint_parse("198.51.100.9:5000", &found[1].endpoint), 0);
	node.discovered_endpoints = found;
	node.n_discovered_endpoints = 2;
	object = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Node", "metadata",
	                   "name", "aws-1");
	annotations = mesh_annotations_of_node(&node);
	assert_int_equal(mesh_annotations_apply(object, annotations), 0);
	assert_int_equal(mesh_codec_node_decode(object, NULL, &back), 0);
	assert_true(mesh_discovered_equal(back.discovered_endpoints, back.n_discovered_endpoints,
	                                  found, 2));
	assert_false(mesh_discovered_equal(back.discovered_endpoints, back.n_discovered_endpoints,
	                                   found, 1));
	mesh_node_release(&back);
	json_decref(annotations);
	json_decref(object);
}

/* Kilo's CleanUp leaves cni-compatibility-ip behind, and so do we. */
static void test_removal_takes_only_the_agent_annotations(void **state)
{
	json_t *object = json_loads("{\"metadata\":{\"name\":\"a\",\"annotations\":{"
	                            "\"kilo.squat.ai/key\":\"k\",\"kilo.squat.ai/last-seen\":\"1\","
	                            "\"kilo.squat.ai/cni-compatibility-ip\":\"10.2.0.77/32\","
	                            "\"kilo.squat.ai/location\":\"aws\","
	                            "\"kilo.squat.ai/force-endpoint\":\"1.2.3.4:5\","
	                            "\"node.alpha.kubernetes.io/ttl\":\"0\"}}}",
	                            0, NULL);
	json_t *removal = mesh_annotations_removal();
	const json_t *left;

	(void)state;
	/* Kilo's seven, our tunnel-health, and our two of a dual-stack node (nothing to remove on
	 * others). */
	assert_int_equal(json_object_size(removal), 10);
	assert_true(json_is_null(json_object_get(removal, "kilo.squat.ai/tunnel-health")));
	assert_true(json_is_null(json_object_get(removal, "kilo.squat.ai/granularity")));
	assert_true(json_is_null(json_object_get(removal, "kilo.squat.ai/internal-ipv6")));
	assert_true(json_is_null(json_object_get(removal, "kilo.squat.ai/wireguard-ipv6")));
	assert_int_equal(mesh_annotations_apply(object, removal), 0);
	left = json_object_get(json_object_get(object, "metadata"), "annotations");
	assert_int_equal(json_object_size(left), 4);
	assert_non_null(json_object_get(left, "kilo.squat.ai/cni-compatibility-ip"));
	assert_non_null(json_object_get(left, "kilo.squat.ai/location"));
	assert_non_null(json_object_get(left, "kilo.squat.ai/force-endpoint"));
	assert_non_null(json_object_get(left, "node.alpha.kubernetes.io/ttl"));
	json_decref(removal);
	json_decref(object);
}

/* A dual-stack node adds its IPv6 private and WireGuard IPs beside Kilo's eight and ours. */
static void test_dual_stack_node_writes_its_ipv6_annotations(void **state)
{
	struct mesh_node node, back = {0};
	json_t *object, *annotations;

	(void)state;
	leader(&node);
	assert_int_equal(mesh_prefix_parse("10.2.0.0/24", &node.subnet), 0);
	assert_int_equal(mesh_prefix_parse("fd00:2::/64", &node.secondary_subnet), 0);
	assert_int_equal(mesh_prefix_parse("fd00:1::5/64", &node.internal_ip6), 0);
	annotations = mesh_annotations_of_node(&node);
	assert_int_equal(json_object_size(annotations), 11);
	assert_string_equal(annotation(annotations, "internal-ip"), "10.0.0.5/24");
	assert_string_equal(annotation(annotations, "internal-ipv6"), "fd00:1::5/64");
	/* No IPv6 WireGuard subnet: written empty, so that a stale one goes. */
	assert_string_equal(annotation(annotations, "wireguard-ipv6"), "");
	json_decref(annotations);
	assert_int_equal(mesh_prefix_parse("fd00:4::1/64", &node.wireguard_ip6), 0);
	annotations = mesh_annotations_of_node(&node);
	assert_string_equal(annotation(annotations, "wireguard-ipv6"), "fd00:4::1/64");
	object = json_pack("{s:s, s:s, s:{s:s}, s:{s:s, s:[s, s]}}", "apiVersion", "v1", "kind",
	                   "Node", "metadata", "name", "aws-1", "spec", "podCIDR", "10.2.0.0/24",
	                   "podCIDRs", "10.2.0.0/24", "fd00:2::/64");
	assert_int_equal(mesh_annotations_apply(object, annotations), 0);
	assert_int_equal(mesh_codec_node_decode(object, NULL, &back), 0);
	assert_true(mesh_prefix_equal(&back.internal_ip6, &node.internal_ip6));
	assert_true(mesh_prefix_equal(&back.wireguard_ip6, &node.wireguard_ip6));
	assert_true(mesh_prefix_equal(&back.secondary_subnet, &node.secondary_subnet));
	mesh_node_release(&back);
	json_decref(annotations);
	json_decref(object);
	/* A single-stack node, even with an IPv6 private IP known, writes Kilo's eight and ours. */
	memset(&node.secondary_subnet, 0, sizeof(node.secondary_subnet));
	annotations = mesh_annotations_of_node(&node);
	assert_int_equal(json_object_size(annotations), 9);
	json_decref(annotations);
}

static void test_apply_creates_annotations_and_needs_metadata(void **state)
{
	json_t *bare = json_loads("{\"metadata\":{\"name\":\"a\"}}", 0, NULL);
	json_t *no_metadata = json_loads("{\"kind\":\"Node\"}", 0, NULL);
	json_t *set = json_pack("{s:s}", "kilo.squat.ai/key", "k");

	(void)state;
	assert_int_equal(mesh_annotations_apply(bare, set), 0);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(json_object_get(bare, "metadata"), "annotations"),
	                        "kilo.squat.ai/key")),
	                    "k");
	assert_int_equal(mesh_annotations_apply(no_metadata, set), -EINVAL);
	json_decref(bare);
	json_decref(no_metadata);
	json_decref(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_leader_annotations_as_kilo_writes_them),
	    cmocka_unit_test(test_tunnel_health_is_compact_json),
	    cmocka_unit_test(test_cilium_host_ip_is_written_as_a_host_prefix),
	    cmocka_unit_test(test_absent_ips_are_empty_strings),
	    cmocka_unit_test(test_discovered_endpoints_are_go_udp_addrs_sorted_by_key),
	    cmocka_unit_test(test_written_annotations_read_back_the_same),
	    cmocka_unit_test(test_discovered_endpoints_read_back_in_key_order),
	    cmocka_unit_test(test_removal_takes_only_the_agent_annotations),
	    cmocka_unit_test(test_dual_stack_node_writes_its_ipv6_annotations),
	    cmocka_unit_test(test_apply_creates_annotations_and_needs_metadata),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
