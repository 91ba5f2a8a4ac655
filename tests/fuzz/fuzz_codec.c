// SPDX-License-Identifier: MIT
/*
 * fuzz_codec.c - the Node and Peer codecs of mesh/k8s/codec.h on objects built from the input.
 *
 * Random JSON would rarely look like a Node, so the input is lines "path=value" that set fields
 * of one object: the path is dotted ("spec.endpoint.port"), except that after "annotations" or
 * "labels" the rest is one key ("metadata.annotations.kilo.squat.ai/endpoint"); a value that is
 * JSON is that JSON, anything else a string. The object is decoded both as a Node and as a Peer.
 *
 * Promises checked: reports are single lines that never echo the preshared key; a decoded Node
 * or Peer holds only valid prefixes and endpoints, a Node's dual-stack values each of its own
 * family and a tunnel-health that reads back the same once written; a decoded Peer encodes to
 * an object that decodes and encodes to the same object again.
 */
#include <errno.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "fuzz_json.h"
#include "mesh/k8s/annotations.h"
#include "mesh/k8s/codec.h"

/* What the report callback must never print: the preshared key as written. */
struct secrets {
	const char *preshared_key;
};

/* The preshared key, if no report may quote it. */
static const char *preshared_key(const json_t *object)
{
	const char *psk =
	    json_string_value(json_object_get(json_object_get(object, "spec"), "presharedKey"));

	return fuzz_json_is_lone_secret(object, psk) ? psk : NULL;
}

static void check_report(void *ctx, const char *message)
{
	const struct secrets *secrets = ctx;
	const char *psk = secrets->preshared_key;

	FUZZ_CHECK(*message && !strchr(message, '\n'));
	FUZZ_CHECK(!psk || !strstr(message, psk));
}

/* Sets value at path in object, creating (or replacing with) objects on the way. */
static void set_path(json_t *object, char *path, json_t *value)
{
	bool whole_key = false;
	json_t *child;
	char *rest;

	while ((rest = whole_key ? NULL : strchr(path, '.'))) {
		*rest++ = '\0';
		whole_key = !strcmp(path, "annotations") || !strcmp(path, "labels");
		child = json_object_get(object, path);
		if (!json_is_object(child)) {
			child = json_object();
			/* On failure (a key that is not UTF-8) jansson has freed child. */
			if (json_object_set_new(object, path, child)) {
				json_decref(value);
				return;
			}
		}
		object = child;
		path = rest;
	}
	json_object_set_new(object, path, value);
}

static json_t *build_object(char *text)
{
	json_t *object = json_object(), *value;
	char *line, *eq;

	while (object && (line = fuzz_next_line(&text))) {
		eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq++ = '\0';
		value = json_loads(eq, JSON_DECODE_ANY, NULL);
		if (!value)
			value = json_string(eq);
		if (value)
			set_path(object, line, value);
	}
	return object;
}

static void check_prefix(const struct mesh_prefix *prefix)
{
	FUZZ_CHECK(!mesh_prefix_is_set(prefix) || prefix->cidr <= 8 * ip_addr_len(&prefix->addr));
}

static void check_endpoint(const struct mesh_endpoint *endpoint)
{
	FUZZ_CHECK(!endpoint->dns[0] || mesh_dns_name_is_valid(endpoint->dns));
	FUZZ_CHECK(!endpoint->port || endpoint->dns[0] || ip_addr_is_set(&endpoint->ip));
}

/* A state with the timestamps it needs, as annotations.c writes it back. */
static void check_health(const struct mesh_node *node, const struct mesh_codec_options *options)
{
	const struct mesh_health *h = &node->health;
	bool timed = h->state == MESH_HEALTH_UP || h->state == MESH_HEALTH_DOWN;
	json_t *object, *annotations;
	struct mesh_node back;

	FUZZ_CHECK(h->state <= MESH_HEALTH_DOWN);
	FUZZ_CHECK(timed ? h->since > 0 : !h->since);
	FUZZ_CHECK(!h->recovering || (h->state == MESH_HEALTH_DOWN && h->recovering > 0));
	if (!mesh_health_is_published(h))
		return;
	object = json_pack("{s:{s:s}}", "metadata", "name", node->name);
	annotations = mesh_annotations_of_node(node);
	if (object && annotations && !mesh_annotations_apply(object, annotations) &&
	    !mesh_codec_node_decode(object, options, &back)) {
		FUZZ_CHECK(mesh_health_equal(&back.health, h));
		mesh_node_release(&back);
	}
	json_decref(annotations);
	json_decref(object);
}

static void check_node(const json_t *object, const struct mesh_codec_options *options)
{
	struct mesh_node node;
	size_t i;

	if (mesh_codec_node_decode(object, options, &node))
		return;
	FUZZ_CHECK(node.name[0]);
	check_endpoint(&node.endpoint);
	check_prefix(&node.internal_ip);
	check_prefix(&node.subnet);
	check_prefix(&node.wireguard_ip);
	check_prefix(&node.cni_compatibility_ip);
	/* Dual stack: the other family's values are of their family, one per family. */
	check_prefix(&node.internal_ip6);
	check_prefix(&node.secondary_subnet);
	check_prefix(&node.wireguard_ip6);
	FUZZ_CHECK(!mesh_prefix_is_set(&node.internal_ip6) ||
	           node.internal_ip6.addr.family == AF_INET6);
	FUZZ_CHECK(!mesh_prefix_is_set(&node.internal_ip6) ||
	           node.internal_ip.addr.family != AF_INET6);
	FUZZ_CHECK(!mesh_prefix_is_set(&node.wireguard_ip6) ||
	           node.wireguard_ip6.addr.family == AF_INET6);
	FUZZ_CHECK(!mesh_prefix_is_set(&node.cni_compatibility_ip) ||
	           node.cni_compatibility_ip.addr.family == AF_INET);
	FUZZ_CHECK(!mesh_prefix_is_set(&node.secondary_subnet) ||
	           (mesh_prefix_is_set(&node.subnet) &&
	            node.secondary_subnet.addr.family != node.subnet.addr.family));
	for (i = 0; i < node.n_allowed_location_ips; i++)
		check_prefix(&node.allowed_location_ips[i]);
	for (i = 0; i < node.n_discovered_endpoints; i++)
		check_endpoint(&node.discovered_endpoints[i].endpoint);
	check_health(&node, options);
	mesh_node_release(&node);
}

/* encode(decode(encode(peer))) == encode(peer). */
static void check_peer_round_trip(const struct mesh_peer *peer,
                                  const struct mesh_codec_options *options)
{
	json_t *encoded = mesh_codec_peer_encode(peer), *again = NULL;
	struct mesh_peer decoded;

	if (!encoded)
		return;
	FUZZ_CHECK(mesh_codec_peer_decode(encoded, options, &decoded) == 0);
	again = mesh_codec_peer_encode(&decoded);
	FUZZ_CHECK(!again || json_equal(encoded, again));
	json_decref(again);
	json_decref(encoded);
	mesh_peer_release(&decoded);
}

static void check_peer(const json_t *object, const struct mesh_codec_options *options)
{
	struct mesh_peer peer;
	size_t i;
	int ret;

	ret = mesh_codec_peer_decode(object, options, &peer);
	if (ret) {
		FUZZ_CHECK(ret == -EINVAL || ret == -ENOMEM);
		return;
	}
	FUZZ_CHECK(peer.name[0] && mesh_key_is_set(peer.public_key));
	FUZZ_CHECK(peer.persistent_keepalive <= UINT16_MAX);
	check_endpoint(&peer.endpoint);
	for (i = 0; i < peer.n_allowed_ips; i++) {
		FUZZ_CHECK(mesh_prefix_is_set(&peer.allowed_ips[i]));
		check_prefix(&peer.allowed_ips[i]);
	}
	check_peer_round_trip(&peer, options);
	mesh_peer_release(&peer);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct secrets secrets = {0};
	struct mesh_codec_options options = {.report = check_report, .report_ctx = &secrets};
	char *text = fuzz_string(data, size);
	json_t *object;

	if (!text)
		return 0;
	object = build_object(text);
	secrets.preshared_key = preshared_key(object);
	check_node(object, &options);
	check_peer(object, &options);
	json_decref(object);
	free(text);
	return 0;
}
