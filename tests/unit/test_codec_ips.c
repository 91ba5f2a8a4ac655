// SPDX-License-Identifier: MIT
/* mesh/codec: a Node's pod CIDRs and its IPv6 addresses beside the IPv4 ones (dual stack). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "codec_fixture.h"

static void test_pod_cidr_is_masked_and_checked(void **state)
{
	json_t *object = node_object("{}");
	json_t *spec = json_object_get(object, "spec");
	struct mesh_node node;

	(void)state;
	json_object_set_new(spec, "podCIDR", json_string("10.2.0.7/24"));
	assert_int_equal(mesh_codec_node_decode(object, &options, &node), 0);
	assert_string_equal(prefix_text(&node.subnet), "10.2.0.0/24");
	mesh_node_release(&node);
	json_object_set_new(spec, "podCIDR", json_string("10.2.0.0/33"));
	assert_int_equal(mesh_codec_node_decode(object, &options, &node), 0);
	assert_false(mesh_prefix_is_set(&node.subnet));
	assert_false(mesh_node_is_ready(&node, 1795629600));
	assert_reports((const char *[]){"node \"n\": spec.podCIDR: invalid value \"10.2.0.0/33\": "
	                                "not a CIDR; ignored"},
	               1);
	mesh_node_release(&node);
	json_decref(object);
}

static void test_dual_stack_pod_cidrs_come_from_the_spec(void **state)
{
	struct mesh_node node;

	(void)state;
	decode_with_spec("{\"podCIDR\": \"10.2.0.0/24\", \"podCIDRs\": [\"10.2.0.0/24\", "
	                 "\"fd00:2:0:1::7/64\"]}",
	                 "{}", &node);
	assert_string_equal(prefix_text(&node.subnet), "10.2.0.0/24");
	assert_string_equal(prefix_text(&node.secondary_subnet), "fd00:2:0:1::/64");
	assert_string_equal(prefix_text(mesh_node_subnet_of(&node, AF_INET6)), "fd00:2:0:1::/64");
	assert_false(node.subnet_annotated);
	mesh_node_release(&node);
	/* An IPv6-primary cluster: spec.podCIDR, Kilo's, is the IPv6 one. */
	decode_with_spec("{\"podCIDR\": \"fd00:2::/64\", \"podCIDRs\": [\"fd00:2::/64\", "
	                 "\"10.2.0.0/24\"]}",
	                 "{}", &node);
	assert_string_equal(prefix_text(&node.subnet), "fd00:2::/64");
	assert_string_equal(prefix_text(mesh_node_subnet_of(&node, AF_INET)), "10.2.0.0/24");
	mesh_node_release(&node);
	assert_reports(NULL, 0);
	decode_with_spec("{\"podCIDR\": \"10.2.0.0/24\", \"podCIDRs\": [\"10.2.0.0/24\", "
	                 "\"10.3.0.0/24\", \"fd00:2::/129\"]}",
	                 "{}", &node);
	assert_false(mesh_prefix_is_set(&node.secondary_subnet));
	assert_reports(
	    (const char *[]){
	        "node \"n\": spec.podCIDRs[1]: invalid value \"10.3.0.0/24\": a second IPv4 pod "
	        "CIDR; entry ignored",
	        "node \"n\": spec.podCIDRs[2]: invalid value \"fd00:2::/129\": not a CIDR; entry "
	        "ignored",
	    },
	    2);
	mesh_node_release(&node);
}

/* Kilo #382: Cilium's cluster-pool IPAM leaves the spec empty. */
static void test_pod_cidrs_annotation_stands_in_for_an_empty_spec(void **state)
{
	struct mesh_node node;

	(void)state;
	decode_with_spec("{}", "{\"kilo.squat.ai/pod-cidrs\": \"10.2.9.1/24,fd00:2:9::/64\"}",
	                 &node);
	assert_string_equal(prefix_text(&node.subnet), "10.2.9.0/24");
	assert_string_equal(prefix_text(&node.secondary_subnet), "fd00:2:9::/64");
	assert_true(node.subnet_annotated);
	assert_true(mesh_node_is_ready(&node, 1795629600));
	mesh_node_release(&node);
	assert_reports(NULL, 0);
	/* The spec wins: Kilo's agents read only the spec. */
	decode_with_spec("{\"podCIDR\": \"10.2.0.0/24\"}",
	                 "{\"kilo.squat.ai/pod-cidrs\": \"10.2.9.0/24\"}", &node);
	assert_string_equal(prefix_text(&node.subnet), "10.2.0.0/24");
	assert_false(node.subnet_annotated);
	assert_reports(
	    (const char *[]){"node \"n\": kilo.squat.ai/pod-cidrs: invalid value "
	                     "\"10.2.9.0/24\": the node's spec.podCIDRs are set and win; "
	                     "ignored"},
	    1);
	mesh_node_release(&node);
	/* One that says what the spec says is no conflict. */
	decode_with_spec("{\"podCIDR\": \"10.2.0.0/24\", \"podCIDRs\": [\"10.2.0.0/24\", "
	                 "\"fd00:2::/64\"]}",
	                 "{\"kilo.squat.ai/pod-cidrs\": \"fd00:2::/64,10.2.0.0/24\"}", &node);
	assert_reports(NULL, 0);
	mesh_node_release(&node);
	decode_with_spec(
	    "{}", "{\"kilo.squat.ai/pod-cidrs\": \"fd00:2::/64,fd00:3::/64, 10.2.9.0/24\"}", &node);
	assert_string_equal(prefix_text(&node.subnet), "fd00:2::/64");
	assert_false(mesh_prefix_is_set(&node.secondary_subnet));
	assert_reports(
	    (const char *[]){
	        "node \"n\": kilo.squat.ai/pod-cidrs: invalid value \"fd00:3::/64\": a second "
	        "IPv6 pod CIDR; entry ignored",
	        "node \"n\": kilo.squat.ai/pod-cidrs: invalid value \" 10.2.9.0/24\": not a CIDR; "
	        "entry ignored",
	    },
	    2);
	mesh_node_release(&node);
	decode_with_spec("{}", "{\"kilo.squat.ai/pod-cidrs\": \"\"}", &node);
	assert_false(mesh_node_is_ready(&node, 1795629600));
	mesh_node_release(&node);
	assert_reports(NULL, 0);
}

/* An annotated pod CIDR over another node's is dropped; the rest of the cluster stands. */
static void test_overlapping_pod_cidrs_annotation_is_dropped_by_name(void **state)
{
	json_t *nodes = json_pack(
	    "[o, o, o, o]",
	    node_with_spec("d", "{}", "{\"kilo.squat.ai/pod-cidrs\": \"10.2.1.128/25\"}"),
	    node_with_spec("b", "{\"podCIDR\": \"10.2.1.0/24\"}", "{}"),
	    node_with_spec("c", "{}", "{\"kilo.squat.ai/pod-cidrs\": \"10.2.3.0/24,fd00:3::/64\"}"),
	    node_with_spec("a", "{}",
	                   "{\"kilo.squat.ai/pod-cidrs\": \"10.2.7.0/24,fd00:3::/80\"}"));
	json_t *peers = json_array();
	struct mesh_cluster cluster;

	(void)state;
	assert_int_equal(mesh_codec_cluster_decode(nodes, peers, &options, &cluster), 0);
	assert_int_equal(cluster.n_nodes, 4);
	assert_reports(
	    (const char *[]){
	        "node \"d\": kilo.squat.ai/pod-cidrs: invalid value \"10.2.1.128/25\": overlaps "
	        "the pod CIDR 10.2.1.0/24 of node \"b\"; ignored",
	        "node \"c\": kilo.squat.ai/pod-cidrs: invalid value \"10.2.3.0/24,fd00:3::/64\": "
	        "overlaps the pod CIDR fd00:3::/80 of node \"a\"; ignored",
	    },
	    2);
	assert_false(mesh_prefix_is_set(&cluster.nodes[0].subnet));
	assert_string_equal(prefix_text(&cluster.nodes[1].subnet), "10.2.1.0/24");
	assert_false(mesh_prefix_is_set(&cluster.nodes[2].subnet));
	assert_false(mesh_prefix_is_set(&cluster.nodes[2].secondary_subnet));
	assert_string_equal(prefix_text(&cluster.nodes[3].secondary_subnet), "fd00:3::/80");
	mesh_cluster_release(&cluster);
	json_decref(nodes);
	json_decref(peers);
}

static void test_ipv6_private_and_wireguard_ips_stand_beside_ipv4_ones(void **state)
{
	struct mesh_node node;

	(void)state;
	decode_node("{\"kilo.squat.ai/internal-ipv6\": \"fd00:1::5/64\", "
	            "\"kilo.squat.ai/wireguard-ipv6\": \"fd00:4::2/64\"}",
	            &node);
	assert_string_equal(prefix_text(&node.internal_ip), "10.0.0.1/24");
	assert_string_equal(prefix_text(&node.internal_ip6), "fd00:1::5/64");
	assert_string_equal(prefix_text(&node.wireguard_ip6), "fd00:4::2/64");
	mesh_node_release(&node);
	decode_node("{\"kilo.squat.ai/internal-ipv6\": \"fd00:1::5/64\", "
	            "\"kilo.squat.ai/force-internal-ipv6\": \"fd00:9::5/64\"}",
	            &node);
	assert_string_equal(prefix_text(&node.internal_ip6), "fd00:9::5/64");
	mesh_node_release(&node);
	decode_node("{\"kilo.squat.ai/internal-ipv6\": \"fd00:1::5/64\", "
	            "\"kilo.squat.ai/force-internal-ipv6\": \"-\"}",
	            &node);
	assert_false(mesh_prefix_is_set(&node.internal_ip6));
	assert_true(node.no_internal_ip6);
	assert_false(node.no_internal_ip);
	mesh_node_release(&node);
	/* An IPv6-only node: Kilo's annotation holds its IPv6 private IP already. */
	decode_node("{\"kilo.squat.ai/force-internal-ip\": \"fd00:1::7/64\", "
	            "\"kilo.squat.ai/internal-ipv6\": \"fd00:1::5/64\"}",
	            &node);
	assert_string_equal(prefix_text(&node.internal_ip), "fd00:1::7/64");
	assert_false(mesh_prefix_is_set(&node.internal_ip6));
	assert_reports((const char *[]){"node \"n\": kilo.squat.ai/internal-ipv6: invalid value "
	                                "\"fd00:1::5/64\": the internal IP is IPv6 already; "
	                                "ignored"},
	               1);
	mesh_node_release(&node);
}

/* A prefix of the wrong family, and an IPv6 endpoint without brackets. */
static void test_wrong_family_and_unbracketed_ipv6_are_reported(void **state)
{
	static const struct bad_annotation cases[] = {
	    {"{\"kilo.squat.ai/cni-compatibility-ip\": \"fd00::77/128\"}",
	     "node \"n\": kilo.squat.ai/cni-compatibility-ip: invalid value \"fd00::77/128\": not "
	     "an IPv4 CIDR; ignored"},
	    {"{\"kilo.squat.ai/internal-ipv6\": \"10.0.0.9/24\"}",
	     "node \"n\": kilo.squat.ai/internal-ipv6: invalid value \"10.0.0.9/24\": not an IPv6 "
	     "CIDR; ignored"},
	    {"{\"kilo.squat.ai/force-internal-ipv6\": \"10.0.0.9/24\"}",
	     "node \"n\": kilo.squat.ai/force-internal-ipv6: invalid value \"10.0.0.9/24\": not "
	     "an IPv6 CIDR; ignored"},
	    {"{\"kilo.squat.ai/wireguard-ipv6\": \"10.4.0.1/16\"}",
	     "node \"n\": kilo.squat.ai/wireguard-ipv6: invalid value \"10.4.0.1/16\": not an "
	     "IPv6 CIDR; ignored"},
	    {"{\"kilo.squat.ai/force-endpoint\": \"fd00::1:51820\"}",
	     "node \"n\": kilo.squat.ai/force-endpoint: invalid value \"fd00::1:51820\": an IPv6 "
	     "endpoint is written [IPv6]:port; ignored"},
	};
	struct mesh_node node;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		decode_node(cases[i].json, &node);
		assert_reports(&cases[i].report, 1);
		assert_false(mesh_prefix_is_set(&node.cni_compatibility_ip));
		assert_false(mesh_prefix_is_set(&node.internal_ip6));
		assert_false(mesh_prefix_is_set(&node.wireguard_ip6));
		/* The forced endpoint falls back to the agent's. */
		assert_string_equal(endpoint_text(&node.endpoint), "1.2.3.4:51820");
		mesh_node_release(&node);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    CODEC_TEST(test_pod_cidr_is_masked_and_checked),
	    CODEC_TEST(test_dual_stack_pod_cidrs_come_from_the_spec),
	    CODEC_TEST(test_pod_cidrs_annotation_stands_in_for_an_empty_spec),
	    CODEC_TEST(test_overlapping_pod_cidrs_annotation_is_dropped_by_name),
	    CODEC_TEST(test_ipv6_private_and_wireguard_ips_stand_beside_ipv4_ones),
	    CODEC_TEST(test_wrong_family_and_unbracketed_ipv6_are_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
