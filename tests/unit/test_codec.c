// SPDX-License-Identifier: MIT
/* mesh/codec: Kubernetes Node objects into the model, as Kilo reads them. */
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

static void test_fixture_nodes_carry_every_annotation(void **state)
{
	struct mesh_cluster cluster;
	const struct mesh_node *aws1, *aws2, *aws3, *edge;

	(void)state;
	decode_fixture("cluster.json", &cluster);
	assert_reports(NULL, 0);
	assert_int_equal(cluster.n_nodes, 7);
	aws1 = &cluster.nodes[0], aws2 = &cluster.nodes[1], aws3 = &cluster.nodes[2];
	edge = &cluster.nodes[6];
	assert_string_equal(aws1->name, "aws-1");
	assert_string_equal(aws1->location, "aws");
	assert_string_equal(endpoint_text(&aws1->endpoint), "3.120.246.76:51820");
	assert_string_equal(prefix_text(&aws1->internal_ip), "10.0.0.5/24");
	assert_string_equal(prefix_text(&aws1->subnet), "10.2.0.0/24");
	assert_string_equal(prefix_text(&aws1->wireguard_ip), "10.4.0.1/16");
	assert_string_equal(key_text(aws1->key), KEY_AWS_1);
	assert_int_equal(aws1->last_seen, 1795629600);
	assert_int_equal(aws1->granularity, MESH_GRANULARITY_LOCATION);
	assert_false(aws1->leader);
	assert_int_equal(aws1->n_discovered_endpoints, 1);
	assert_string_equal(key_text(aws1->discovered_endpoints[0].key), KEY_EDGE_1);
	assert_string_equal(endpoint_text(&aws1->discovered_endpoints[0].endpoint),
	                    "203.0.113.7:41000");
	assert_int_equal(aws2->n_allowed_location_ips, 1);
	assert_string_equal(prefix_text(&aws2->allowed_location_ips[0]), "192.168.50.0/24");
	assert_false(mesh_prefix_is_set(&aws2->wireguard_ip));
	/* A node Kilo has not touched yet: known, but not ready. */
	assert_string_equal(aws3->name, "aws-3");
	assert_false(mesh_key_is_set(aws3->key));
	assert_false(mesh_node_is_ready(aws3, 1795629600));
	assert_true(mesh_node_is_ready(aws1, 1795629600));
	assert_false(mesh_node_is_ready(&cluster.nodes[5], 1795629600)); /* last seen 10 min ago */
	assert_string_equal(edge->location, "edge");
	assert_true(edge->no_internal_ip);
	assert_false(mesh_prefix_is_set(&edge->internal_ip));
	assert_int_equal(edge->persistent_keepalive, 25);
	mesh_cluster_release(&cluster);
}

static void test_fixture_peers_are_decoded(void **state)
{
	struct mesh_cluster cluster;
	const struct mesh_peer *laptop, *phone;

	(void)state;
	decode_fixture("cluster.yaml", &cluster);
	assert_int_equal(cluster.n_peers, 2);
	laptop = &cluster.peers[0], phone = &cluster.peers[1];
	assert_string_equal(laptop->name, "laptop");
	assert_int_equal(laptop->n_allowed_ips, 1);
	assert_string_equal(prefix_text(&laptop->allowed_ips[0]), "10.5.0.1/32");
	assert_false(mesh_endpoint_is_set(&laptop->endpoint));
	assert_false(mesh_key_is_set(laptop->preshared_key));
	assert_int_equal(laptop->persistent_keepalive, 10);
	assert_int_equal(phone->n_allowed_ips, 2);
	assert_string_equal(prefix_text(&phone->allowed_ips[1]), "10.5.1.0/24");
	assert_string_equal(endpoint_text(&phone->endpoint), "198.51.100.20:51820");
	assert_string_equal(key_text(phone->public_key), KEY_PHONE);
	assert_string_equal(key_text(phone->preshared_key), PSK_PHONE);
	assert_int_equal(phone->persistent_keepalive, 0);
	mesh_cluster_release(&cluster);
}

static void assert_nodes_equal(const struct mesh_node *a, const struct mesh_node *b)
{
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->location, b->location);
	assert_true(mesh_endpoint_equal(&a->endpoint, &b->endpoint));
	assert_true(mesh_prefix_equal(&a->internal_ip, &b->internal_ip));
	assert_true(mesh_prefix_equal(&a->subnet, &b->subnet));
	assert_true(mesh_prefix_equal(&a->wireguard_ip, &b->wireguard_ip));
	assert_true(mesh_prefix_equal(&a->cni_compatibility_ip, &b->cni_compatibility_ip));
	assert_memory_equal(a->key, b->key, MESH_KEY_LEN);
	assert_int_equal(a->no_internal_ip, b->no_internal_ip);
	assert_int_equal(a->last_seen, b->last_seen);
	assert_int_equal(a->leader, b->leader);
	assert_int_equal(a->persistent_keepalive, b->persistent_keepalive);
	assert_int_equal(a->granularity, b->granularity);
	assert_int_equal(a->n_discovered_endpoints, b->n_discovered_endpoints);
	for (size_t i = 0; i < a->n_discovered_endpoints; i++) {
		assert_memory_equal(a->discovered_endpoints[i].key, b->discovered_endpoints[i].key,
		                    MESH_KEY_LEN);
		assert_true(mesh_endpoint_equal(&a->discovered_endpoints[i].endpoint,
		                                &b->discovered_endpoints[i].endpoint));
	}
	assert_prefixes_equal(a->allowed_location_ips, a->n_allowed_location_ips,
	                      b->allowed_location_ips, b->n_allowed_location_ips);
}

static void test_yaml_and_json_give_the_same_model(void **state)
{
	struct mesh_cluster json, yaml;

	(void)state;
	decode_fixture("cluster.json", &json);
	decode_fixture("cluster.yaml", &yaml);
	assert_int_equal(json.n_nodes, yaml.n_nodes);
	for (size_t i = 0; i < json.n_nodes; i++)
		assert_nodes_equal(&json.nodes[i], &yaml.nodes[i]);
	assert_int_equal(json.n_peers, yaml.n_peers);
	for (size_t i = 0; i < json.n_peers; i++) {
		const struct mesh_peer *a = &json.peers[i], *b = &yaml.peers[i];

		assert_string_equal(a->name, b->name);
		assert_prefixes_equal(a->allowed_ips, a->n_allowed_ips, b->allowed_ips,
		                      b->n_allowed_ips);
		assert_true(mesh_endpoint_equal(&a->endpoint, &b->endpoint));
		assert_memory_equal(a->public_key, b->public_key, MESH_KEY_LEN);
		assert_memory_equal(a->preshared_key, b->preshared_key, MESH_KEY_LEN);
		assert_int_equal(a->persistent_keepalive, b->persistent_keepalive);
	}
	mesh_cluster_release(&json);
	mesh_cluster_release(&yaml);
}

#define ENDPOINT_HELP "not host:port with an IP or DNS-1123 host and a port 1..65535"

static void test_bad_endpoints_fall_back_like_kilo(void **state)
{
	struct mesh_node node;

	(void)state;
	decode_node("{\"kilo.squat.ai/force-endpoint\": \"nope\"}", &node);
	assert_string_equal(endpoint_text(&node.endpoint), "1.2.3.4:51820");
	assert_reports((const char *[]){"node \"n\": kilo.squat.ai/force-endpoint: invalid value "
	                                "\"nope\": " ENDPOINT_HELP "; ignored"},
	               1);
	mesh_node_release(&node);
	decode_node("{\"kilo.squat.ai/force-endpoint\": \"vpn.example.com:4500\"}", &node);
	assert_string_equal(endpoint_text(&node.endpoint), "vpn.example.com:4500");
	mesh_node_release(&node);
	decode_node("{\"kilo.squat.ai/endpoint\": \"[fd00::1]:51820\"}", &node);
	assert_string_equal(endpoint_text(&node.endpoint), "[fd00::1]:51820");
	mesh_node_release(&node);
	decode_node("{\"kilo.squat.ai/endpoint\": \"1.2.3.4:0\"}", &node);
	assert_false(mesh_endpoint_is_set(&node.endpoint));
	assert_false(mesh_node_is_ready(&node, 1795629600));
	assert_reports((const char *[]){"node \"n\": kilo.squat.ai/endpoint: invalid value "
	                                "\"1.2.3.4:0\": " ENDPOINT_HELP "; ignored"},
	               1);
	mesh_node_release(&node);
	assert_reports(NULL, 0);
	decode_node("{\"kilo.squat.ai/endpoint\": \"\"}", &node);
	assert_reports(NULL, 0); /* what the agent writes before it knows */
	mesh_node_release(&node);
}

static void test_internal_ip_can_be_forced_or_forced_off(void **state)
{
	struct mesh_node node;

	(void)state;
	decode_node("{\"kilo.squat.ai/force-internal-ip\": \"192.168.7.2/16\"}", &node);
	assert_string_equal(prefix_text(&node.internal_ip), "192.168.7.2/16");
	mesh_node_release(&node);
	decode_node("{\"kilo.squat.ai/force-internal-ip\": \"10.1.0.300/24\"}", &node);
	assert_string_equal(prefix_text(&node.internal_ip), "10.0.0.1/24");
	assert_reports((const char *[]){"node \"n\": kilo.squat.ai/force-internal-ip: invalid "
	                                "value \"10.1.0.300/24\": not a CIDR; ignored"},
	               1);
	mesh_node_release(&node);
	for (int i = 0; i < 2; i++) {
		decode_node(i ? "{\"kilo.squat.ai/force-internal-ip\": \"-\"}"
		              : "{\"kilo.squat.ai/force-internal-ip\": \"\"}",
		            &node);
		assert_true(node.no_internal_ip);
		assert_false(mesh_prefix_is_set(&node.internal_ip));
		mesh_node_release(&node);
	}
	decode_node("{\"kilo.squat.ai/internal-ip\": \"10.0.0.1\"}", &node);
	assert_false(mesh_prefix_is_set(&node.internal_ip));
	assert_false(node.no_internal_ip);
	assert_reports((const char *[]){"node \"n\": kilo.squat.ai/internal-ip: invalid value "
	                                "\"10.0.0.1\": not a CIDR; ignored"},
	               1);
	mesh_node_release(&node);
}

static void test_bad_annotations_are_reported_and_zeroed(void **state)
{
	static const struct bad_annotation cases[] = {
	    {"{\"kilo.squat.ai/key\": \"abc\"}",
	     "node \"n\": kilo.squat.ai/key: invalid value \"abc\": not a base64-encoded 32-byte "
	     "WireGuard key; ignored"},
	    {"{\"kilo.squat.ai/key\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\"}",
	     "node \"n\": kilo.squat.ai/key: invalid value \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	     "AAAAA==\": not a base64-encoded 32-byte WireGuard key; ignored"},
	    {"{\"kilo.squat.ai/persistent-keepalive\": \"ten\"}",
	     "node \"n\": kilo.squat.ai/persistent-keepalive: invalid value \"ten\": not a number "
	     "of seconds 0..65535; ignored"},
	    {"{\"kilo.squat.ai/persistent-keepalive\": \"-5\"}",
	     "node \"n\": kilo.squat.ai/persistent-keepalive: invalid value \"-5\": not a number "
	     "of seconds 0..65535; ignored"},
	    {"{\"kilo.squat.ai/persistent-keepalive\": \"70000\"}",
	     "node \"n\": kilo.squat.ai/persistent-keepalive: invalid value \"70000\": not a "
	     "number of seconds 0..65535; ignored"},
	    {"{\"kilo.squat.ai/last-seen\": \"soon\"}",
	     "node \"n\": kilo.squat.ai/last-seen: invalid value \"soon\": not a Unix time in "
	     "seconds; ignored"},
	    {"{\"kilo.squat.ai/granularity\": \"auto\"}",
	     "node \"n\": kilo.squat.ai/granularity: invalid value \"auto\": not location, full "
	     "or cross; ignored"},
	    {"{\"kilo.squat.ai/wireguard-ip\": \"10.4.0.1\"}",
	     "node \"n\": kilo.squat.ai/wireguard-ip: invalid value \"10.4.0.1\": not a CIDR; "
	     "ignored"},
	    {"{\"kilo.squat.ai/cni-compatibility-ip\": \"x\"}",
	     "node \"n\": kilo.squat.ai/cni-compatibility-ip: invalid value \"x\": not a CIDR; "
	     "ignored"},
	    {"{\"kilo.squat.ai/location\": 7}",
	     "node \"n\": kilo.squat.ai/location: invalid value 7: not a string; ignored"},
	    {"{\"kilo.squat.ai/discovered-endpoints\": \"{not json\"}",
	     "node \"n\": kilo.squat.ai/discovered-endpoints: invalid value \"{not json\": not a "
	     "JSON object of endpoints; ignored"},
	    {"{\"kilo.squat.ai/discovered-endpoints\": \"{\\\"" KEY_EDGE_1
	     "\\\": {\\\"IP\\\": \\\"1.2.3.4\\\", \\\"Port\\\": \\\"x\\\"}}\"}",
	     "node \"n\": kilo.squat.ai/discovered-endpoints: invalid value {\"IP\":\"1.2.3.4\","
	     "\"Port\":\"x\"}: not a UDP address object; ignored"},
	};
	struct mesh_node node;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		decode_node(cases[i].json, &node);
		assert_reports(&cases[i].report, 1);
		if (strstr(cases[i].json, "/key"))
			assert_false(mesh_key_is_set(node.key));
		assert_int_equal(node.persistent_keepalive, 0);
		assert_int_equal(node.last_seen,
		                 strstr(cases[i].json, "last-seen") ? 0 : 1795629600);
		assert_int_equal(node.granularity, MESH_GRANULARITY_UNSET);
		assert_false(mesh_prefix_is_set(&node.wireguard_ip));
		assert_false(mesh_prefix_is_set(&node.cni_compatibility_ip));
		assert_string_equal(node.location, "label-region");
		assert_int_equal(node.n_discovered_endpoints, 0);
		mesh_node_release(&node);
	}
}

static void test_allowed_location_ips_are_split_but_not_trimmed(void **state)
{
	struct mesh_node node;

	(void)state;
	decode_node("{\"kilo.squat.ai/allowed-location-ips\": \"10.9.0.0/24, "
	            "10.8.0.0/24,bad,,10.7.0.1/16\"}",
	            &node);
	assert_int_equal(node.n_allowed_location_ips, 2);
	assert_string_equal(prefix_text(&node.allowed_location_ips[0]), "10.9.0.0/24");
	assert_string_equal(prefix_text(&node.allowed_location_ips[1]), "10.7.0.1/16");
	assert_reports(
	    (const char *[]){
	        "node \"n\": kilo.squat.ai/allowed-location-ips: invalid value \" 10.8.0.0/24\": "
	        "not a CIDR; entry ignored",
	        "node \"n\": kilo.squat.ai/allowed-location-ips: invalid value \"bad\": not a "
	        "CIDR; entry ignored",
	    },
	    2);
	mesh_node_release(&node);
}

static void test_discovered_endpoints_drop_unusable_entries(void **state)
{
	struct mesh_node node;

	(void)state;
	decode_node("{\"kilo.squat.ai/discovered-endpoints\": \"{\\\"short\\\": {\\\"IP\\\": "
	            "\\\"1.2.3.4\\\","
	            " \\\"Port\\\": 5}, \\\"" KEY_EDGE_1
	            "\\\": {\\\"ip\\\": \\\"fd00::7\\\", \\\"port\\\": 7,"
	            " \\\"Zone\\\": \\\"\\\"}, \\\"" KEY_AWS_1 "\\\": null}\"}",
	            &node);
	assert_int_equal(node.n_discovered_endpoints, 1);
	assert_string_equal(key_text(node.discovered_endpoints[0].key), KEY_EDGE_1);
	assert_string_equal(endpoint_text(&node.discovered_endpoints[0].endpoint), "[fd00::7]:7");
	assert_reports(
	    (const char *[]){"node \"n\": kilo.squat.ai/discovered-endpoints: invalid "
	                     "value {\"IP\":\"1.2.3.4\",\"Port\":5}: entry without a key, "
	                     "IP or port; entry ignored"},
	    1);
	mesh_node_release(&node);
}

static void test_valid_annotations_are_read(void **state)
{
	struct mesh_node node;

	(void)state;
	decode_node("{\"kilo.squat.ai/granularity\": \"full\", \"kilo.squat.ai/leader\": \"\","
	            " \"kilo.squat.ai/persistent-keepalive\": \"0\","
	            " \"kilo.squat.ai/cni-compatibility-ip\": \"10.2.0.77/32\","
	            " \"kilo.squat.ai/wireguard-ip\": \"10.4.0.9/16\","
	            " \"kilo.squat.ai/force-endpoint\": \"[2001:db8::1]:4500\","
	            " \"kilo.squat.ai/allowed-location-ips\": \"192.168.0.0/24,fd00:7::/64\"}",
	            &node);
	assert_int_equal(node.granularity, MESH_GRANULARITY_FULL);
	assert_true(node.leader);
	assert_int_equal(node.persistent_keepalive, 0);
	assert_string_equal(prefix_text(&node.cni_compatibility_ip), "10.2.0.77/32");
	assert_string_equal(prefix_text(&node.wireguard_ip), "10.4.0.9/16");
	assert_string_equal(endpoint_text(&node.endpoint), "[2001:db8::1]:4500");
	assert_int_equal(node.n_allowed_location_ips, 2);
	assert_string_equal(prefix_text(&node.allowed_location_ips[1]), "fd00:7::/64");
	assert_true(mesh_node_is_ready(&node, 1795629600 + 59));
	assert_false(mesh_node_is_ready(&node, 1795629600 + 60));
	mesh_node_release(&node);
	decode_node(
	    "{\"kilo.squat.ai/granularity\": \"cross\", \"kilo.squat.ai/persistent-keepalive\":"
	    " \"+25\", \"kilo.squat.ai/discovered-endpoints\": \"null\"}",
	    &node);
	assert_int_equal(node.granularity, MESH_GRANULARITY_CROSS);
	assert_int_equal(node.persistent_keepalive, 25);
	assert_int_equal(node.n_discovered_endpoints, 0);
	mesh_node_release(&node);
	assert_reports(NULL, 0);
}

/* Present, the node runs our agent whatever it says; absent, it runs Kilo's (ABSENT). */
static void test_tunnel_health_marks_our_agent_and_is_read(void **state)
{
	static const struct {
		const char *json;
		struct mesh_health want;
		const char *report;
	} cases[] = {
	    {"{}", {MESH_HEALTH_ABSENT, 0, 0}, NULL},
	    {"{\"kilo.squat.ai/tunnel-health\": \"\"}", {MESH_HEALTH_UNKNOWN, 0, 0}, NULL},
	    {"{\"kilo.squat.ai/tunnel-health\": \"{\\\"state\\\":\\\"unknown\\\"}\"}",
	     {MESH_HEALTH_UNKNOWN, 0, 0},
	     NULL},
	    {"{\"kilo.squat.ai/tunnel-health\": "
	     "\"{\\\"state\\\":\\\"up\\\",\\\"since\\\":1795629000}\"}",
	     {MESH_HEALTH_UP, 1795629000, 0},
	     NULL},
	    {"{\"kilo.squat.ai/tunnel-health\": \"{\\\"state\\\":\\\"down\\\",\\\"since\\\":"
	     "1795629000,\\\"recovering\\\":1795629100}\"}",
	     {MESH_HEALTH_DOWN, 1795629000, 1795629100},
	     NULL},
	    {"{\"kilo.squat.ai/tunnel-health\": \"{\\\"state\\\":\\\"up\\\"}\"}",
	     {MESH_HEALTH_UNKNOWN, 0, 0},
	     "node \"n\": kilo.squat.ai/tunnel-health: invalid value "
	     "\"{\\\"state\\\":\\\"up\\\"}\": "
	     "not {\"state\": \"up\"|\"down\"|\"unknown\", \"since\": <Unix time>}; read as "
	     "unknown"},
	    {"{\"kilo.squat.ai/tunnel-health\": \"sideways\"}",
	     {MESH_HEALTH_UNKNOWN, 0, 0},
	     "node \"n\": kilo.squat.ai/tunnel-health: invalid value \"sideways\": not {\"state\": "
	     "\"up\"|\"down\"|\"unknown\", \"since\": <Unix time>}; read as unknown"},
	    {"{\"kilo.squat.ai/tunnel-health\": 3}",
	     {MESH_HEALTH_UNKNOWN, 0, 0},
	     "node \"n\": kilo.squat.ai/tunnel-health: invalid value 3: not a string; read as "
	     "unknown"},
	};
	struct mesh_node node;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		decode_node(cases[i].json, &node);
		if (!mesh_health_equal(&node.health, &cases[i].want))
			fail_msg("case %zu: state %d since %lld recovering %lld", i,
			         node.health.state, (long long)node.health.since,
			         (long long)node.health.recovering);
		assert_reports(&cases[i].report, cases[i].report ? 1 : 0);
		mesh_node_release(&node);
	}
}

static void test_location_annotation_wins_over_the_topology_label(void **state)
{
	struct mesh_codec_options custom = {.topology_label = "example.com/zone",
	                                    .report = options.report};
	json_t *object =
	    node_object("{\"kilo.squat.ai/location\": \"\", \"kilo.squat.ai/leader\": \"false\"}");
	struct mesh_node node;

	(void)state;
	assert_int_equal(mesh_codec_node_decode(object, &options, &node), 0);
	assert_string_equal(node.location, "");
	assert_true(node.leader); /* presence is what counts */
	mesh_node_release(&node);
	json_decref(object);
	object = node_object("{}");
	json_object_set_new(json_object_get(json_object_get(object, "metadata"), "labels"),
	                    "example.com/zone", json_string("zone-b"));
	assert_int_equal(mesh_codec_node_decode(object, &custom, &node), 0);
	assert_string_equal(node.location, "zone-b");
	assert_false(node.leader);
	mesh_node_release(&node);
	json_decref(object);
	assert_reports(NULL, 0);
}

static void test_objects_without_a_name_are_rejected(void **state)
{
	json_t *nameless = json_loads("{\"kind\": \"Node\", \"metadata\": {}}", 0, NULL);
	json_t *numbered = json_loads("{\"kind\": \"Peer\", \"metadata\": {\"name\": 3}}", 0, NULL);
	struct mesh_node node;
	struct mesh_peer peer;

	(void)state;
	assert_int_equal(mesh_codec_node_decode(nameless, &options, &node), -EINVAL);
	assert_int_equal(mesh_codec_peer_decode(numbered, &options, &peer), -EINVAL);
	assert_reports(
	    (const char *[]){"node \"\": metadata.name: missing; object ignored",
	                     "peer \"\": metadata.name: invalid value 3: not a Kubernetes "
	                     "object name; object ignored"},
	    2);
	json_decref(nameless);
	json_decref(numbered);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    CODEC_TEST(test_fixture_nodes_carry_every_annotation),
	    CODEC_TEST(test_fixture_peers_are_decoded),
	    CODEC_TEST(test_yaml_and_json_give_the_same_model),
	    CODEC_TEST(test_bad_endpoints_fall_back_like_kilo),
	    CODEC_TEST(test_internal_ip_can_be_forced_or_forced_off),
	    CODEC_TEST(test_bad_annotations_are_reported_and_zeroed),
	    CODEC_TEST(test_allowed_location_ips_are_split_but_not_trimmed),
	    CODEC_TEST(test_discovered_endpoints_drop_unusable_entries),
	    CODEC_TEST(test_valid_annotations_are_read),
	    CODEC_TEST(test_tunnel_health_marks_our_agent_and_is_read),
	    CODEC_TEST(test_location_annotation_wins_over_the_topology_label),
	    CODEC_TEST(test_objects_without_a_name_are_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
