// SPDX-License-Identifier: MIT
/* mesh/view/ini: Kilo's WireGuard INI text, and reading it back as wg(8) would (ini_parse.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mesh/k8s/cluster_file.h"
#include "mesh/k8s/codec.h"
#include "mesh/model/key.h"
#include "mesh/view/ini.h"

#include "ini_parse.h"

#define KEY_GCP_1 "RVmPLoHvsjQDuKy4I/qgWhSs16MsQZ+pkXqpfkArbhI="
#define KEY_PHONE "AsnFXk3DAjFnrd1Fv5CXBi4uNnWaC/g2eOryzniNtTM="
#define PSK_PHONE "ju91wSwsgCUl7P71umc4P5seib5Xg5/UDrPkoJBjBfQ="

static struct mesh_prefix cidr(const char *text)
{
	struct mesh_prefix prefix;

	assert_int_equal(mesh_prefix_parse(text, &prefix), 0);
	return prefix;
}

/* A peer owning its allowed IPs, as wgconfig.h hands them out. */
static void make_peer(struct mesh_wg_peer *peer, const char *key, const char *psk,
                      const char *endpoint, uint32_t keepalive, const char *const *ips, size_t n)
{
	memset(peer, 0, sizeof(*peer));
	if (key)
		assert_int_equal(mesh_key_decode(key, peer->public_key), 0);
	if (psk)
		assert_int_equal(mesh_key_decode(psk, peer->preshared_key), 0);
	if (endpoint)
		assert_int_equal(mesh_endpoint_parse(endpoint, &peer->endpoint), 0);
	peer->persistent_keepalive = keepalive;
	peer->allowed_ips = calloc(n + 1, sizeof(*peer->allowed_ips));
	for (size_t i = 0; i < n; i++)
		peer->allowed_ips[peer->n_allowed_ips++] = cidr(ips[i]);
}

static void make_config(struct mesh_wg_config *config, bool has_interface)
{
	static const char *const gcp[] = {"10.2.2.0/24", "10.1.96.6/32", "10.2.3.0/24",
	                                  "10.1.96.8/32", "10.4.0.2/32"};
	static const char *const phone[] = {"10.5.0.2/32", "fd00:5::/64"};

	memset(config, 0, sizeof(*config));
	config->has_interface = has_interface;
	config->listen_port = 51820;
	config->peers = calloc(3, sizeof(*config->peers));
	config->n_peers = 3;
	make_peer(&config->peers[0], KEY_GCP_1, NULL, "34.1.2.3:51820", 0, gcp, 5);
	make_peer(&config->peers[1], KEY_PHONE, PSK_PHONE, "[2001:db8::7]:4500", 25, phone, 2);
	make_peer(&config->peers[2], NULL, NULL, NULL, 0, NULL, 0);
}

static void test_render_matches_kilos_conf_bytes(void **state)
{
	struct mesh_wg_config config;
	char *text;

	(void)state;
	make_config(&config, true);
	text = mesh_ini_render(&config);
	assert_string_equal(text,
	                    "[Interface]\n"
	                    "ListenPort = 51820\n"
	                    "\n"
	                    "[Peer]\n"
	                    "AllowedIPs = 10.2.2.0/24, 10.1.96.6/32, 10.2.3.0/24, 10.1.96.8/32, "
	                    "10.4.0.2/32\n"
	                    "Endpoint = 34.1.2.3:51820\n"
	                    "PersistentKeepalive = 0\n"
	                    "PublicKey = " KEY_GCP_1 "\n"
	                    "\n"
	                    "[Peer]\n"
	                    "AllowedIPs = 10.5.0.2/32, fd00:5::/64\n"
	                    "Endpoint = [2001:db8::7]:4500\n"
	                    "PersistentKeepalive = 25\n"
	                    "PresharedKey = " PSK_PHONE "\n"
	                    "PublicKey = " KEY_PHONE "\n"
	                    "\n"
	                    "[Peer]\n"
	                    "PersistentKeepalive = 0\n");
	free(text);
	mesh_wgconfig_release(&config);
}

static void test_a_peer_view_starts_with_its_first_peer(void **state)
{
	struct mesh_wg_config config;
	char *text;

	(void)state;
	make_config(&config, false);
	config.n_peers = 1;
	text = mesh_ini_render(&config);
	assert_string_equal(text,
	                    "[Peer]\n"
	                    "AllowedIPs = 10.2.2.0/24, 10.1.96.6/32, 10.2.3.0/24, 10.1.96.8/32, "
	                    "10.4.0.2/32\n"
	                    "Endpoint = 34.1.2.3:51820\n"
	                    "PersistentKeepalive = 0\n"
	                    "PublicKey = " KEY_GCP_1 "\n");
	free(text);
	config.n_peers = 3;
	mesh_wgconfig_release(&config);
	config.has_interface = true;
	text = mesh_ini_render(&config);
	assert_string_equal(text, "[Interface]\nListenPort = 0\n");
	free(text);
}

static void assert_configs_equal(const struct mesh_wg_config *a, const struct mesh_wg_config *b)
{
	assert_int_equal(a->has_interface, b->has_interface);
	if (a->has_interface)
		assert_int_equal(a->listen_port, b->listen_port);
	assert_int_equal(a->n_peers, b->n_peers);
	for (size_t i = 0; i < a->n_peers; i++) {
		const struct mesh_wg_peer *x = &a->peers[i], *y = &b->peers[i];

		assert_memory_equal(x->public_key, y->public_key, MESH_KEY_LEN);
		assert_memory_equal(x->preshared_key, y->preshared_key, MESH_KEY_LEN);
		assert_true(mesh_endpoint_equal(&x->endpoint, &y->endpoint));
		assert_int_equal(x->persistent_keepalive, y->persistent_keepalive);
		assert_int_equal(x->n_allowed_ips, y->n_allowed_ips);
		for (size_t j = 0; j < x->n_allowed_ips; j++)
			assert_true(mesh_prefix_equal(&x->allowed_ips[j], &y->allowed_ips[j]));
	}
}

static void assert_round_trip(const struct mesh_wg_config *config)
{
	struct mesh_wg_config back;
	char *text = mesh_ini_render(config);
	char err[128];

	assert_non_null(text);
	if (ini_parse(text, &back, err, sizeof(err)))
		fail_msg("%s\n%s", err, text);
	assert_configs_equal(config, &back);
	mesh_wgconfig_release(&back);
	free(text);
}

static void test_rendered_text_parses_back_to_the_same_config(void **state)
{
	struct mesh_wg_config config;

	(void)state;
	make_config(&config, true);
	config.peers[2].public_key[0] = 1; /* wg(8) insists on a key per peer */
	assert_round_trip(&config);
	config.has_interface = false;
	assert_round_trip(&config);
	mesh_wgconfig_release(&config);
}

/* Every view kgctl prints of the fixture cluster survives the trip. */
static void test_every_fixture_view_round_trips(void **state)
{
	static const char *const nodes[] = {"aws-1", "aws-2", "gcp-1", "gcp-2", "edge-1"};
	static const char *const peers[] = {"laptop", "phone"};
	struct mesh_cluster_objects objects;
	struct mesh_cluster cluster;
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/cluster.yaml", KILO_FIXTURES_DIR);
	assert_int_equal(mesh_cluster_file_load(path, &objects, NULL), 0);
	assert_int_equal(mesh_codec_cluster_decode(objects.nodes, objects.peers, NULL, &cluster),
	                 0);
	for (int granularity = MESH_GRANULARITY_LOCATION; granularity <= MESH_GRANULARITY_CROSS;
	     granularity++) {
		for (size_t n = 0; n < sizeof(nodes) / sizeof(*nodes); n++) {
			struct mesh_topology_options options = {
			    .granularity = (enum mesh_granularity)granularity,
			    .hostname = nodes[n],
			    .port = 51820,
			    .subnet = cidr("10.4.0.0/16"),
			    .now = 1795629600,
			};
			struct mesh_topology topology;
			struct mesh_wg_config config;

			assert_int_equal(
			    mesh_topology_build(&cluster, &options, &topology, NULL, 0), 0);
			assert_int_equal(mesh_wgconfig_local(&topology, &config), 0);
			assert_round_trip(&config);
			mesh_wgconfig_release(&config);
			for (size_t p = 0; p < sizeof(peers) / sizeof(*peers); p++) {
				assert_int_equal(
				    mesh_wgconfig_for_peer(&topology, peers[p], &config), 0);
				assert_round_trip(&config);
				mesh_wgconfig_release(&config);
			}
			mesh_topology_release(&topology);
		}
	}
	mesh_cluster_release(&cluster);
	mesh_cluster_objects_release(&objects);
}

static void test_parse_reads_wg_syntax(void **state)
{
	static const char text[] = "# kilo\n"
	                           "[interface]\n"
	                           "  listenport=4500 # comment\n"
	                           "\n"
	                           "[PEER]\n"
	                           "PublicKey = " KEY_PHONE "\n"
	                           "AllowedIPs = 10.0.0.1, fd00::/8\n"
	                           "AllowedIPs = 10.9.0.0/16\n"
	                           "Endpoint = vpn.example.com:51820\n"
	                           "PersistentKeepalive = off\n";
	struct mesh_wg_config config;
	char err[128], buf[MESH_PREFIX_STRLEN];

	(void)state;
	assert_int_equal(ini_parse(text, &config, err, sizeof(err)), 0);
	assert_true(config.has_interface);
	assert_int_equal(config.listen_port, 4500);
	assert_int_equal(config.n_peers, 1);
	assert_int_equal(config.peers[0].n_allowed_ips, 3);
	assert_string_equal(mesh_prefix_format(&config.peers[0].allowed_ips[0], buf),
	                    "10.0.0.1/32");
	assert_string_equal(mesh_prefix_format(&config.peers[0].allowed_ips[2], buf),
	                    "10.9.0.0/16");
	assert_string_equal(config.peers[0].endpoint.dns, "vpn.example.com");
	assert_int_equal(config.peers[0].persistent_keepalive, 0);
	mesh_wgconfig_release(&config);
}

static void test_parse_errors_name_the_line(void **state)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
	    {"[Interface]\nListenPort = 70000\n", "line 2: ListenPort: invalid value \"70000\""},
	    {"[Interface]\nPrivateKey = " PSK_PHONE "\n",
	     "line 2: PrivateKey: not kept by this parser"},
	    {"[Interface]\nMTU = 1420\n", "line 2: [Interface] has no key \"MTU\""},
	    {"ListenPort = 1\n", "line 1: \"ListenPort\" outside of any section"},
	    {"[Tunnel]\n", "line 1: unknown section \"[Tunnel]\""},
	    {"[Peer]\nAllowedIPs = 10.0.0.0/8\n\n[Peer]\n",
	     "line 4: a [Peer] section has no PublicKey"},
	    {"[Peer]\nPublicKey = " KEY_PHONE "\nAllowedIPs = 10.0.0.0/33\n",
	     "line 3: AllowedIPs: invalid value \"10.0.0.0/33\": not a CIDR"},
	    {"[Peer]\nPublicKey = nope\n", "line 2: PublicKey: invalid value \"nope\""},
	    {"[Peer]\nPresharedKey = secret\n",
	     "line 2: PresharedKey: not a base64-encoded 32-byte key"},
	    {"[Peer]\nEndpoint = 1.2.3.4\n", "line 2: Endpoint: invalid value \"1.2.3.4\""},
	    {"[Peer]\nPersistentKeepalive = -1\n",
	     "line 2: PersistentKeepalive: invalid value \"-1\""},
	    {"[Peer]\nFwMark = 1\n", "line 2: [Peer] has no key \"FwMark\""},
	    {"[Peer]\nPublicKey\n", "line 2: expected Key = Value"},
	};
	struct mesh_wg_config config;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		assert_int_equal(ini_parse(cases[i].text, &config, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, cases[i].err);
		assert_null(config.peers);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_render_matches_kilos_conf_bytes),
	    cmocka_unit_test(test_a_peer_view_starts_with_its_first_peer),
	    cmocka_unit_test(test_rendered_text_parses_back_to_the_same_config),
	    cmocka_unit_test(test_every_fixture_view_round_trips),
	    cmocka_unit_test(test_parse_reads_wg_syntax),
	    cmocka_unit_test(test_parse_errors_name_the_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
