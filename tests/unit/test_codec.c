// SPDX-License-Identifier: MIT
/* mesh/codec: Kubernetes Node and Peer objects into the model, as Kilo reads them. */
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

#include "mesh/k8s/cluster_file.h"
#include "mesh/k8s/codec.h"
#include "mesh/model/key.h"

#define KEY_AWS_1 "66HI7cRXT21aHM2wb1GjtGkt3WOCupR2o+PV3MmMAUA="
#define KEY_EDGE_1 "y2ICdBTCqbugf0JxwPmtroS1V87d+ZbvP6Mn0aNRTiw="
#define KEY_PHONE "AsnFXk3DAjFnrd1Fv5CXBi4uNnWaC/g2eOryzniNtTM="
#define PSK_PHONE "ju91wSwsgCUl7P71umc4P5seib5Xg5/UDrPkoJBjBfQ="

/* Every report, in order. */
static json_t *reports;

static void collect(void *ctx, const char *message)
{
	(void)ctx;
	json_array_append_new(reports, json_string(message));
}

static const struct mesh_codec_options options = {.report = collect};

static int setup(void **state)
{
	(void)state;
	reports = json_array();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	json_decref(reports);
	return 0;
}

static void assert_reports(const char *const *expected, size_t n)
{
	for (size_t i = 0; i < n || i < json_array_size(reports); i++) {
		const char *got = json_string_value(json_array_get(reports, i));

		if (i >= n || !got || strcmp(got, expected[i]))
			fail_msg("report %zu: got \"%s\", expected \"%s\"", i, got ? got : "(none)",
			         i < n ? expected[i] : "(none)");
	}
	json_array_clear(reports);
}

static const char *prefix_text(const struct mesh_prefix *prefix)
{
	static char buf[4][MESH_PREFIX_STRLEN];
	static unsigned next;

	return mesh_prefix_format(prefix, buf[next++ % 4]);
}

static const char *endpoint_text(const struct mesh_endpoint *endpoint)
{
	static char buf[MESH_ENDPOINT_STRLEN];

	return mesh_endpoint_format(endpoint, buf);
}

static const char *key_text(const uint8_t key[MESH_KEY_LEN])
{
	static char buf[2][45];
	static unsigned next;

	return mesh_key_encode(key, buf[next++ % 2]);
}

static void decode_fixture(const char *name, struct mesh_cluster *cluster)
{
	struct mesh_cluster_objects objects;
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", KILO_FIXTURES_DIR, name);
	assert_int_equal(mesh_cluster_file_load(path, &objects, NULL), 0);
	assert_int_equal(mesh_codec_cluster_decode(objects.nodes, objects.peers, &options, cluster),
	                 0);
	mesh_cluster_objects_release(&objects);
}

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

static void assert_prefixes_equal(const struct mesh_prefix *a, size_t na,
                                  const struct mesh_prefix *b, size_t nb)
{
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++)
		assert_true(mesh_prefix_equal(&a[i], &b[i]));
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

/* Node "n" with a valid base set of annotations plus (or overriding) extra. */
static json_t *node_object(const char *extra_json)
{
	json_t *annotations =
	    json_pack("{s:s, s:s, s:s, s:s}", "kilo.squat.ai/endpoint", "1.2.3.4:51820",
	              "kilo.squat.ai/internal-ip", "10.0.0.1/24", "kilo.squat.ai/key", KEY_AWS_1,
	              "kilo.squat.ai/last-seen", "1795629600");
	json_t *extra = json_loads(extra_json, 0, NULL);

	assert_non_null(extra);
	json_object_update(annotations, extra);
	json_decref(extra);
	return json_pack("{s:s, s:s, s:{s:s, s:o, s:{s:s}}, s:{s:s}}", "apiVersion", "v1", "kind",
	                 "Node", "metadata", "name", "n", "annotations", annotations, "labels",
	                 "topology.kubernetes.io/region", "label-region", "spec", "podCIDR",
	                 "10.2.0.0/24");
}

static void decode_node(const char *extra_json, struct mesh_node *node)
{
	json_t *object = node_object(extra_json);

	assert_int_equal(mesh_codec_node_decode(object, &options, node), 0);
	json_decref(object);
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

/* One annotation, one value, the one report it must give. */
struct bad_annotation {
	const char *json;
	const char *report;
};

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
	                                    .report = collect};
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

/* Node name with the base annotations plus extra, and spec as given (JSON). */
static json_t *node_with_spec(const char *name, const char *spec_json, const char *extra_json)
{
	json_t *object = node_object(extra_json);
	json_t *spec = json_loads(spec_json, 0, NULL);

	assert_non_null(spec);
	json_object_set_new(object, "spec", spec);
	json_object_set_new(json_object_get(object, "metadata"), "name", json_string(name));
	return object;
}

static void decode_with_spec(const char *spec_json, const char *extra_json, struct mesh_node *node)
{
	json_t *object = node_with_spec("n", spec_json, extra_json);

	assert_int_equal(mesh_codec_node_decode(object, &options, node), 0);
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

static json_t *peer_object(const char *spec_json)
{
	json_t *spec = json_loads(spec_json, 0, NULL);

	assert_non_null(spec);
	return json_pack("{s:s, s:s, s:{s:s}, s:o}", "apiVersion", "kilo.squat.ai/v1alpha1", "kind",
	                 "Peer", "metadata", "name", "p", "spec", spec);
}

struct bad_peer {
	const char *spec;
	const char *report;
};

#define VALID_KEY "\"publicKey\": \"" KEY_PHONE "\""

static void test_invalid_peers_are_reported_and_dropped(void **state)
{
	static const struct bad_peer cases[] = {
	    {"{\"allowedIPs\": [\"10.5.0.1\"], " VALID_KEY "}",
	     "peer \"p\": spec.allowedIPs[0]: invalid value \"10.5.0.1\": not a CIDR; peer "
	     "ignored"},
	    {"{\"allowedIPs\": \"10.5.0.1/32\", " VALID_KEY "}",
	     "peer \"p\": spec.allowedIPs: invalid value \"10.5.0.1/32\": not a list; peer "
	     "ignored"},
	    {"{\"allowedIPs\": [\"10.5.0.1/32\", 7], " VALID_KEY "}",
	     "peer \"p\": spec.allowedIPs[1]: invalid value 7: not a CIDR; peer ignored"},
	    {"{\"allowedIPs\": [], \"endpoint\": {\"port\": 51820}, " VALID_KEY "}",
	     "peer \"p\": spec.endpoint.dnsOrIP: invalid value {\"port\":51820}: either an "
	     "endpoint "
	     "DNS name or IP address must be given; peer ignored"},
	    {"{\"allowedIPs\": [], \"endpoint\": {\"dnsOrIP\": {\"dns\": \"Bad_Name\"}, \"port\": "
	     "1}, " VALID_KEY "}",
	     "peer \"p\": spec.endpoint.dnsOrIP.dns: invalid value \"Bad_Name\": not a DNS-1123 "
	     "subdomain; peer ignored"},
	    {"{\"allowedIPs\": [], \"endpoint\": {\"dnsOrIP\": {\"ip\": \"1.2.3\"}, \"port\": "
	     "1}, " VALID_KEY "}",
	     "peer \"p\": spec.endpoint.dnsOrIP.ip: invalid value \"1.2.3\": not an IP address; "
	     "peer ignored"},
	    {"{\"allowedIPs\": [], \"endpoint\": {\"dnsOrIP\": {\"ip\": \"1.2.3.4\"}, \"port\": "
	     "0}, " VALID_KEY "}",
	     "peer \"p\": spec.endpoint.port: invalid value 0: must be a UDP port 1..65535; peer "
	     "ignored"},
	    {"{\"allowedIPs\": [], \"endpoint\": {\"dnsOrIP\": {\"ip\": \"1.2.3.4\"}, \"port\": "
	     "65536}, " VALID_KEY "}",
	     "peer \"p\": spec.endpoint.port: invalid value 65536: must be a UDP port 1..65535; "
	     "peer ignored"},
	    {"{\"allowedIPs\": [], \"endpoint\": {\"dnsOrIP\": {\"ip\": \"1.2.3.4\"}}, " VALID_KEY
	     "}",
	     "peer \"p\": spec.endpoint.port: invalid value null: must be a UDP port 1..65535; "
	     "peer ignored"},
	    {"{\"allowedIPs\": [], \"persistentKeepalive\": -1, " VALID_KEY "}",
	     "peer \"p\": spec.persistentKeepalive: invalid value -1: must be a number of seconds "
	     "0..65535; peer ignored"},
	    {"{\"allowedIPs\": [], \"persistentKeepalive\": 2.5, " VALID_KEY "}",
	     "peer \"p\": spec.persistentKeepalive: invalid value 2.5: must be a number of seconds "
	     "0..65535; peer ignored"},
	    {"{\"allowedIPs\": [\"10.5.0.1/32\"]}",
	     "peer \"p\": spec.publicKey: invalid value null: not a base64-encoded 32-byte "
	     "WireGuard key; peer ignored"},
	    {"{\"allowedIPs\": [\"10.5.0.1/32\"], \"publicKey\": \"abc=\"}",
	     "peer \"p\": spec.publicKey: invalid value \"abc=\": not a base64-encoded 32-byte "
	     "WireGuard key; peer ignored"},
	    {"{\"allowedIPs\": [\"10.5.0.1/32\"], \"presharedKey\": 5, " VALID_KEY "}",
	     "peer \"p\": spec.presharedKey: invalid value 5: not a string; peer ignored"},
	    {"[]", "peer \"p\": spec: invalid value []: not an object; peer ignored"},
	};
	struct mesh_peer peer;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		json_t *object = peer_object(cases[i].spec);

		assert_int_equal(mesh_codec_peer_decode(object, &options, &peer), -EINVAL);
		assert_reports(&cases[i].report, 1);
		assert_null(peer.allowed_ips);
		json_decref(object);
	}
}

static void test_a_bad_preshared_key_is_dropped_without_echoing_it(void **state)
{
	json_t *object = peer_object("{\"allowedIPs\": [\"10.5.0.1/32\"], \"presharedKey\": "
	                             "\"c2VjcmV0\", " VALID_KEY "}");
	struct mesh_peer peer;

	(void)state;
	assert_int_equal(mesh_codec_peer_decode(object, &options, &peer), 0);
	assert_false(mesh_key_is_set(peer.preshared_key));
	assert_true(mesh_peer_is_ready(&peer));
	assert_reports((const char *[]){"peer \"p\": spec.presharedKey: not a base64-encoded "
	                                "32-byte key; treated as absent"},
	               1);
	mesh_peer_release(&peer);
	json_decref(object);
}

static void test_a_dns_endpoint_wins_over_an_ip(void **state)
{
	json_t *object =
	    peer_object("{\"allowedIPs\": [\"10.5.0.9/24\"], \"endpoint\": {\"dnsOrIP\": "
	                "{\"ip\": \"1.2.3.4\", \"dns\": \"vpn.example.com\"}, \"port\": "
	                "4500}, \"persistentKeepalive\": 0, " VALID_KEY "}");
	struct mesh_peer peer;

	(void)state;
	assert_int_equal(mesh_codec_peer_decode(object, &options, &peer), 0);
	assert_string_equal(endpoint_text(&peer.endpoint), "vpn.example.com:4500");
	assert_false(ip_addr_is_set(&peer.endpoint.ip));
	/* Kilo keeps the host bits of a peer's allowed IP. */
	assert_string_equal(prefix_text(&peer.allowed_ips[0]), "10.5.0.9/24");
	mesh_peer_release(&peer);
	json_decref(object);
	assert_reports(NULL, 0);
}

static void test_cluster_decode_skips_rejected_and_repeated_objects(void **state)
{
	json_t *nodes =
	    json_pack("[o, {s:{}}, o]", node_object("{}"), "metadata", node_object("{}"));
	json_t *peers =
	    json_pack("[o, o, o]", peer_object("{\"allowedIPs\": [], " VALID_KEY "}"),
	              peer_object("{}"), peer_object("{\"allowedIPs\": [], " VALID_KEY "}"));
	struct mesh_cluster cluster;

	(void)state;
	assert_int_equal(mesh_codec_cluster_decode(nodes, peers, &options, &cluster), 0);
	assert_int_equal(cluster.n_nodes, 1);
	assert_int_equal(cluster.n_peers, 1);
	assert_reports(
	    (const char *[]){
	        "node \"\": metadata.name: missing; object ignored",
	        "node \"n\": listed more than once; later copy ignored",
	        "peer \"p\": spec.publicKey: invalid value null: not a base64-encoded "
	        "32-byte WireGuard key; peer ignored",
	        "peer \"p\": listed more than once; later copy ignored",
	    },
	    4);
	mesh_cluster_release(&cluster);
	json_decref(nodes);
	json_decref(peers);
}

static void test_reported_values_are_escaped_and_cut_short(void **state)
{
	struct mesh_node node;
	char long_value[300];

	(void)state;
	memset(long_value, 'x', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	decode_node("{\"kilo.squat.ai/key\": \"a\\n\\\"b\\u0007\"}", &node);
	assert_reports(
	    (const char *[]){"node \"n\": kilo.squat.ai/key: invalid value \"a\\x0a\\\"b"
	                     "\\x07\": not a base64-encoded 32-byte WireGuard key; ignored"},
	    1);
	mesh_node_release(&node);
	{
		char json[400];

		snprintf(json, sizeof(json), "{\"kilo.squat.ai/wireguard-ip\": \"%s\"}",
		         long_value);
		decode_node(json, &node);
	}
	assert_int_equal(json_array_size(reports), 1);
	assert_non_null(
	    strstr(json_string_value(json_array_get(reports, 0)), "xxx...\": not a CIDR"));
	assert_true(json_string_length(json_array_get(reports, 0)) < 200);
	json_array_clear(reports);
	mesh_node_release(&node);
}

static void test_peers_encode_in_kilos_field_order(void **state)
{
	struct mesh_cluster cluster;
	json_t *object;
	char *text;

	(void)state;
	decode_fixture("cluster.json", &cluster);
	object = mesh_codec_peer_encode(&cluster.peers[1]);
	text = json_dumps(object, JSON_INDENT(2));
	assert_string_equal(text, "{\n"
	                          "  \"kind\": \"Peer\",\n"
	                          "  \"apiVersion\": \"kilo.squat.ai/v1alpha1\",\n"
	                          "  \"metadata\": {\n"
	                          "    \"name\": \"phone\",\n"
	                          "    \"creationTimestamp\": null\n"
	                          "  },\n"
	                          "  \"spec\": {\n"
	                          "    \"allowedIPs\": [\n"
	                          "      \"10.5.0.2/32\",\n"
	                          "      \"10.5.1.0/24\"\n"
	                          "    ],\n"
	                          "    \"endpoint\": {\n"
	                          "      \"dnsOrIP\": {\n"
	                          "        \"ip\": \"198.51.100.20\"\n"
	                          "      },\n"
	                          "      \"port\": 51820\n"
	                          "    },\n"
	                          "    \"presharedKey\": \"" PSK_PHONE "\",\n"
	                          "    \"publicKey\": \"" KEY_PHONE "\"\n"
	                          "  }\n"
	                          "}");
	free(text);
	json_decref(object);
	mesh_cluster_release(&cluster);
}

static void test_encoded_peers_decode_to_the_same_peer(void **state)
{
	struct mesh_cluster cluster;

	(void)state;
	decode_fixture("cluster.yaml", &cluster);
	strcpy(cluster.peers[0].endpoint.dns, "laptop.example.com");
	cluster.peers[0].endpoint.port = 1;
	for (size_t i = 0; i < cluster.n_peers; i++) {
		json_t *object = mesh_codec_peer_encode(&cluster.peers[i]);
		struct mesh_peer back;

		assert_int_equal(mesh_codec_peer_decode(object, &options, &back), 0);
		assert_string_equal(back.name, cluster.peers[i].name);
		assert_prefixes_equal(back.allowed_ips, back.n_allowed_ips,
		                      cluster.peers[i].allowed_ips, cluster.peers[i].n_allowed_ips);
		assert_true(mesh_endpoint_equal(&back.endpoint, &cluster.peers[i].endpoint));
		assert_memory_equal(back.public_key, cluster.peers[i].public_key, MESH_KEY_LEN);
		assert_memory_equal(back.preshared_key, cluster.peers[i].preshared_key,
		                    MESH_KEY_LEN);
		assert_int_equal(back.persistent_keepalive, cluster.peers[i].persistent_keepalive);
		mesh_peer_release(&back);
		json_decref(object);
	}
	assert_reports(NULL, 0);
	mesh_cluster_release(&cluster);
}

/* Each test starts with no reports, even after another one failed. */
#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_fixture_nodes_carry_every_annotation),
	    TEST(test_fixture_peers_are_decoded),
	    TEST(test_yaml_and_json_give_the_same_model),
	    TEST(test_bad_endpoints_fall_back_like_kilo),
	    TEST(test_internal_ip_can_be_forced_or_forced_off),
	    TEST(test_bad_annotations_are_reported_and_zeroed),
	    TEST(test_allowed_location_ips_are_split_but_not_trimmed),
	    TEST(test_discovered_endpoints_drop_unusable_entries),
	    TEST(test_valid_annotations_are_read),
	    TEST(test_tunnel_health_marks_our_agent_and_is_read),
	    TEST(test_location_annotation_wins_over_the_topology_label),
	    TEST(test_pod_cidr_is_masked_and_checked),
	    TEST(test_dual_stack_pod_cidrs_come_from_the_spec),
	    TEST(test_pod_cidrs_annotation_stands_in_for_an_empty_spec),
	    TEST(test_overlapping_pod_cidrs_annotation_is_dropped_by_name),
	    TEST(test_ipv6_private_and_wireguard_ips_stand_beside_ipv4_ones),
	    TEST(test_wrong_family_and_unbracketed_ipv6_are_reported),
	    TEST(test_objects_without_a_name_are_rejected),
	    TEST(test_invalid_peers_are_reported_and_dropped),
	    TEST(test_a_bad_preshared_key_is_dropped_without_echoing_it),
	    TEST(test_a_dns_endpoint_wins_over_an_ip),
	    TEST(test_cluster_decode_skips_rejected_and_repeated_objects),
	    TEST(test_reported_values_are_escaped_and_cut_short),
	    TEST(test_peers_encode_in_kilos_field_order),
	    TEST(test_encoded_peers_decode_to_the_same_peer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
