// SPDX-License-Identifier: MIT
/*
 * kgctl showconf node NAME / peer NAME: the WireGuard configuration a node
 * or Peer needs, or with --as-peer how to reach it from elsewhere, as INI or
 * as a Peer object for another cluster's `kubectl apply`.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/kgctl/kgctl.h"
#include "mesh/k8s/codec.h"
#include "mesh/k8s/yaml.h"
#include "mesh/view/ini.h"
#include "mesh/view/wgconfig.h"

static struct {
	bool as_peer;
	const char *output;
	struct mesh_flag_list allowed_ips;
} flags = {.output = "wireguard"};

const struct mesh_flag kgctl_showconf_flags[] = {
    {"allowed-ips", 0, MESH_FLAG_LIST, &flags.allowed_ips,
     "Add the given IPs to the allowed IPs of the configuration. Only valid when combined "
     "with 'as-peer'.",
     "strings", "[]"},
    {"as-peer", 0, MESH_FLAG_BOOL, &flags.as_peer,
     "Should the resource be shown as a peer? Useful to configure this resource as a peer of "
     "another WireGuard interface.",
     NULL, NULL},
    {"output", 'o', MESH_FLAG_STRING, &flags.output,
     "The output format of the resource. Only valid when combined with 'as-peer'. Possible "
     "values: json, wireguard, yaml",
     "string", "\"wireguard\""},
    {0},
};

/* Prints and then wipes text, which may hold a preshared key. */
static int print_text(char *text)
{
	if (!text) {
		kgctl_error("failed to generate configuration: out of memory");
		return 1;
	}
	fputs(text, stdout);
	sodium_memzero(text, strlen(text));
	free(text);
	return 0;
}

/* As INI, or as a Peer object printed the way Kilo's serializers print it. */
static int print_peer(const char *name, struct mesh_wg_peer *wg)
{
	struct mesh_wg_config config = {.peers = wg, .n_peers = 1};
	struct mesh_peer peer = {
	    .allowed_ips = wg->allowed_ips,
	    .n_allowed_ips = wg->n_allowed_ips,
	    .endpoint = wg->endpoint,
	    .persistent_keepalive = wg->persistent_keepalive,
	};
	json_t *object;
	char *text;

	if (!strcmp(flags.output, "wireguard"))
		return print_text(mesh_ini_render(&config));
	snprintf(peer.name, sizeof(peer.name), "%s", name);
	memcpy(peer.public_key, wg->public_key, MESH_KEY_LEN);
	memcpy(peer.preshared_key, wg->preshared_key, MESH_KEY_LEN);
	object = mesh_codec_peer_encode(&peer);
	sodium_memzero(peer.preshared_key, MESH_KEY_LEN);
	/* Kilo's pretty JSON ends without a newline; its YAML with one. */
	text = !strcmp(flags.output, "json") ? json_dumps(object, JSON_INDENT(2))
	                                     : mesh_yaml_dump(object);
	json_decref(object);
	return print_text(text);
}

/* config as INI if building it succeeded (built == 0); released either way. */
static int print_config(int built, struct mesh_wg_config *config)
{
	int ret = print_text(built ? NULL : mesh_ini_render(config));

	mesh_wgconfig_release(config);
	return ret;
}

/* peer as --output says if building it succeeded (built == 0); released either way. */
static int print_as_peer(int built, const char *name, struct mesh_wg_peer *peer)
{
	int ret = built ? print_text(NULL) : print_peer(name, peer);

	mesh_wg_peer_release(peer);
	return ret;
}

static int show_node(const struct kgctl_cluster *kc, const char *name,
                     const struct mesh_prefix *extra, size_t n_extra)
{
	struct mesh_topology topology;
	struct mesh_wg_config config;
	struct mesh_wg_peer peer;
	int ret;

	if (!kgctl_ready_node(kc, name)) {
		kgctl_error("did not find any node named \"%s\" in the cluster", name);
		return 1;
	}
	if (kgctl_topology(kc, name, &topology))
		return 1;
	if (!topology.leader) {
		/* Not an error in Kilo either: only leaders hold a configuration. */
		fprintf(stderr, "Node \"%s\" is not a leader node\n", name);
		ret = 0;
	} else if (!flags.as_peer) {
		ret = print_config(mesh_wgconfig_local(&topology, &config), &config);
	} else {
		ret = print_as_peer(mesh_wgconfig_as_peer(&topology, extra, n_extra, &peer), name,
		                    &peer);
	}
	mesh_topology_release(&topology);
	return ret;
}

static int show_peer(const struct kgctl_cluster *kc, const char *name,
                     const struct mesh_prefix *extra, size_t n_extra)
{
	const struct mesh_peer *source = kgctl_ready_peer(kc, name);
	struct mesh_topology topology;
	struct mesh_wg_config config;
	struct mesh_wg_peer peer;
	int ret;

	if (!source) {
		kgctl_error("did not find any peer named \"%s\" in the cluster", name);
		return 1;
	}
	if (kgctl_topology(kc, kc->last_ready, &topology))
		return 1;
	if (!flags.as_peer) {
		ret = print_config(mesh_wgconfig_for_peer(&topology, name, &config), &config);
	} else {
		ret = print_as_peer(mesh_wgconfig_from_peer(source, extra, n_extra, &peer), name,
		                    &peer);
	}
	mesh_topology_release(&topology);
	return ret;
}

static int check_arguments(int argc, char **argv)
{
	if (!argc) {
		kgctl_error("showconf needs \"node NAME\" or \"peer NAME\"");
		return -1;
	}
	if (strcmp(argv[0], "node") && strcmp(argv[0], "peer")) {
		kgctl_error("unknown command \"%s\" for \"kgctl showconf\"", argv[0]);
		return -1;
	}
	if (argc != 2) {
		kgctl_error("showconf %s accepts 1 arg(s), received %d", argv[0], argc - 1);
		return -1;
	}
	if (strcmp(flags.output, "json") && strcmp(flags.output, "wireguard") &&
	    strcmp(flags.output, "yaml")) {
		kgctl_error("output format %s unknown; possible values are: json, wireguard, yaml",
		            flags.output);
		return -1;
	}
	return 0;
}

int kgctl_showconf(int argc, char **argv, const struct kgctl_options *options)
{
	struct mesh_prefix *extra = NULL;
	struct kgctl_cluster kc;
	size_t n_extra = 0;
	int ret = 1;

	if (mesh_flags_take("kgctl", kgctl_showconf_flags, &argc, argv, false) ||
	    check_arguments(argc, argv) || kgctl_allowed_ips(&flags.allowed_ips, &extra, &n_extra))
		goto out;
	if (kgctl_cluster_load(options, &kc))
		goto out;
	if (!strcmp(argv[0], "node"))
		ret = show_node(&kc, argv[1], extra, n_extra);
	else
		ret = show_peer(&kc, argv[1], extra, n_extra);
	kgctl_cluster_release(&kc);
out:
	free(extra);
	free(flags.allowed_ips.items);
	return ret;
}
