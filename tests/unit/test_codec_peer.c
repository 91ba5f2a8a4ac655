// SPDX-License-Identifier: MIT
/* mesh/codec: Kubernetes Peer objects into the model and back, and whole clusters. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    CODEC_TEST(test_invalid_peers_are_reported_and_dropped),
	    CODEC_TEST(test_a_bad_preshared_key_is_dropped_without_echoing_it),
	    CODEC_TEST(test_a_dns_endpoint_wins_over_an_ip),
	    CODEC_TEST(test_cluster_decode_skips_rejected_and_repeated_objects),
	    CODEC_TEST(test_reported_values_are_escaped_and_cut_short),
	    CODEC_TEST(test_peers_encode_in_kilos_field_order),
	    CODEC_TEST(test_encoded_peers_decode_to_the_same_peer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
