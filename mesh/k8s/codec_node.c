// SPDX-License-Identifier: MIT
/*
 * Node objects to struct mesh_node, field by field as Kilo's translateNode
 * reads them. A value Kilo would silently drop is dropped here too, but
 * reported, so that a typo in an annotation does not go unnoticed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "mesh/k8s/codec.h"
#include "mesh/k8s/codec_health.h"
#include "mesh/k8s/codec_subject.h"
#include "mesh/model/key.h"

#define ANNOTATION(name) "kilo.squat.ai/" name

static const char ignored[] = "ignored";

/* The annotation's text, NULL when absent (or not a string, reported). */
static const char *annotation(const struct codec_subject *node, const json_t *annotations,
                              const char *key)
{
	const json_t *value = json_object_get(annotations, key);

	if (value && !json_is_string(value)) {
		codec_report_value(node, key, value, "not a string", ignored);
		return NULL;
	}
	return json_string_value(value);
}

/* Kilo's normalizeIP: a CIDR whose address keeps its host bits. "" is absent. */
static void decode_prefix(const struct codec_subject *node, const char *field, const char *text,
                          struct mesh_prefix *prefix)
{
	if (text && *text && mesh_prefix_parse(text, prefix))
		codec_report_text(node, field, text, "not a CIDR", ignored);
}

/* The same, where only one family fits (a v6 prefix for cilium_host's IPv4, say). */
static void decode_prefix_of(const struct codec_subject *node, const char *field, const char *text,
                             int family, struct mesh_prefix *prefix)
{
	decode_prefix(node, field, text, prefix);
	if (!mesh_prefix_is_set(prefix) || prefix->addr.family == family)
		return;
	codec_report_text(node, field, text,
	                  family == AF_INET ? "not an IPv4 CIDR" : "not an IPv6 CIDR", ignored);
	memset(prefix, 0, sizeof(*prefix));
}

static const char *family_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

/*
 * One entry of a pod CIDR list: into out (masked) unless it is no CIDR or
 * its family already has one (Kubernetes allows one per family).
 */
static void add_pod_cidr(const struct codec_subject *subject, const char *field, const char *text,
                         struct mesh_prefix out[2], size_t *n)
{
	struct mesh_prefix cidr;
	char why[64];

	if (mesh_prefix_parse(text, &cidr)) {
		codec_report_text(subject, field, text, "not a CIDR", "entry ignored");
		return;
	}
	for (size_t i = 0; i < *n; i++) {
		if (out[i].addr.family != cidr.addr.family)
			continue;
		snprintf(why, sizeof(why), "a second %s pod CIDR", family_name(cidr.addr.family));
		codec_report_text(subject, field, text, why, "entry ignored");
		return;
	}
	out[(*n)++] = mesh_prefix_masked(&cidr);
}

static bool same_cidr(const char *text, const struct mesh_prefix *cidr)
{
	struct mesh_prefix parsed;

	if (mesh_prefix_parse(text, &parsed))
		return false;
	parsed = mesh_prefix_masked(&parsed);
	return mesh_prefix_equal(&parsed, cidr);
}

/* spec.podCIDR, then spec.podCIDRs for the other family (Kubernetes keeps [0] = podCIDR). */
static size_t decode_spec_pod_cidrs(const struct codec_subject *subject, const json_t *object,
                                    struct mesh_prefix out[2])
{
	const json_t *spec = json_object_get(object, "spec");
	const json_t *value = json_object_get(spec, "podCIDR"), *list, *entry;
	struct mesh_prefix cidr = {0};
	size_t n = 0, i;

	if (value && !json_is_string(value))
		codec_report_value(subject, "spec.podCIDR", value, "not a string", ignored);
	else
		decode_prefix(subject, "spec.podCIDR", json_string_value(value), &cidr);
	if (mesh_prefix_is_set(&cidr))
		out[n++] = mesh_prefix_masked(&cidr);
	list = json_object_get(spec, "podCIDRs");
	if (list && !json_is_array(list)) {
		codec_report_value(subject, "spec.podCIDRs", list, "not a list", ignored);
		return n;
	}
	json_array_foreach (list, i, entry) {
		char field[40];

		snprintf(field, sizeof(field), "spec.podCIDRs[%zu]", i);
		if (!json_is_string(entry)) {
			codec_report_value(subject, field, entry, "not a string", "entry ignored");
			continue;
		}
		/* [0] repeats podCIDR; any other repeat of a family is an error. */
		if (i == 0 && n && same_cidr(json_string_value(entry), &out[0]))
			continue;
		add_pod_cidr(subject, field, json_string_value(entry), out, &n);
	}
	return n;
}

/* Does the comma-separated text name exactly the n pod CIDRs (in any order)? */
static bool names_the_same(const char *text, const struct mesh_prefix *cidrs, size_t n)
{
	char *copy = strdup(text), *entry, *save = NULL;
	size_t found = 0, entries = 0;

	for (entry = copy ? strtok_r(copy, ",", &save) : NULL; entry;
	     entry = strtok_r(NULL, ",", &save), entries++)
		for (size_t i = 0; i < n; i++)
			found += same_cidr(entry, &cidrs[i]);
	free(copy);
	return copy && entries == n && found == n;
}

/*
 * Kilo #382: with Cilium's cluster-pool IPAM the spec names no pod CIDR, and
 * kilo.squat.ai/pod-cidrs does instead (comma-separated, not trimmed, one per
 * family). The spec wins when it has one: Kilo's Go agents read only the
 * spec, and every agent must agree on a node's pod CIDRs.
 */
static int decode_pod_cidrs(const struct codec_subject *subject, const json_t *object,
                            const json_t *annotations, struct mesh_node *node)
{
	const char *field = ANNOTATION("pod-cidrs");
	const char *text = annotation(subject, annotations, field);
	struct mesh_prefix cidrs[2];
	char *copy, *entry, *save = NULL;
	size_t n;

	memset(cidrs, 0, sizeof(cidrs));
	n = decode_spec_pod_cidrs(subject, object, cidrs);

	if (n && text && *text && !names_the_same(text, cidrs, n))
		codec_report_text(subject, field, text, "the node's spec.podCIDRs are set and win",
		                  ignored);
	if (!n && text && *text) {
		copy = strdup(text);
		if (!copy)
			return -ENOMEM;
		for (entry = strtok_r(copy, ",", &save); entry; entry = strtok_r(NULL, ",", &save))
			add_pod_cidr(subject, field, entry, cidrs, &n);
		free(copy);
		node->subnet_annotated = n > 0;
	}
	node->subnet = cidrs[0];
	node->secondary_subnet = cidrs[1];
	return 0;
}

/* The location annotation, even "", wins over the topology label. */
static void decode_location(const struct codec_subject *subject, const json_t *object,
                            const json_t *annotations, struct mesh_node *node)
{
	const char *label = subject->options && subject->options->topology_label
	                        ? subject->options->topology_label
	                        : MESH_DEFAULT_TOPOLOGY_LABEL;
	const json_t *labels = json_object_get(json_object_get(object, "metadata"), "labels");
	const char *location = annotation(subject, annotations, ANNOTATION("location"));
	const char *field = ANNOTATION("location");

	if (!location) {
		location = json_string_value(json_object_get(labels, label));
		field = label;
	}
	if (!location)
		return;
	if (strlen(location) >= sizeof(node->location)) {
		codec_report_text(subject, field, location, "longer than 253 bytes", ignored);
		return;
	}
	strcpy(node->location, location);
}

/* "fd00::1:51820": colons in the host that no bracket encloses. */
static bool unbracketed_ipv6(const char *text)
{
	const char *first = strchr(text, ':');

	return text[0] != '[' && first && strchr(first + 1, ':');
}

static void decode_endpoint(const struct codec_subject *subject, const json_t *annotations,
                            struct mesh_node *node)
{
	static const char *const keys[] = {ANNOTATION("force-endpoint"), ANNOTATION("endpoint")};

	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		const char *text = annotation(subject, annotations, keys[i]);

		if (!text || !*text)
			continue;
		if (!mesh_endpoint_parse(text, &node->endpoint))
			return;
		codec_report_text(
		    subject, keys[i], text,
		    unbracketed_ipv6(text)
		        ? "an IPv6 endpoint is written [IPv6]:port"
		        : "not host:port with an IP or DNS-1123 host and a port 1..65535",
		    ignored);
	}
}

/* force-<name> wins over <name>, the agent's; "" or "-" there means "none". */
static void decode_forced(const struct codec_subject *subject, const json_t *annotations,
                          const char *forced_key, const char *key, int family,
                          struct mesh_prefix *ip, bool *none)
{
	const char *forced = annotation(subject, annotations, forced_key);

	if (forced && (!*forced || !strcmp(forced, "-"))) {
		*none = true;
		return;
	}
	if (family)
		decode_prefix_of(subject, forced_key, forced, family, ip);
	else
		decode_prefix(subject, forced_key, forced, ip);
	if (mesh_prefix_is_set(ip))
		return;
	if (family)
		decode_prefix_of(subject, key, annotation(subject, annotations, key), family, ip);
	else
		decode_prefix(subject, key, annotation(subject, annotations, key), ip);
}

/*
 * force-internal-ip wins; "" or "-" there means "this node has no private IP".
 * The IPv6 one (force-internal-ipv6, internal-ipv6) stands beside an IPv4
 * internal IP only: where Kilo's annotation already holds an IPv6 one, it is
 * the node's only private IP.
 */
static void decode_internal_ip(const struct codec_subject *subject, const json_t *annotations,
                               struct mesh_node *node)
{
	const char *field = ANNOTATION("internal-ipv6");
	char text[MESH_PREFIX_STRLEN];

	decode_forced(subject, annotations, ANNOTATION("force-internal-ip"),
	              ANNOTATION("internal-ip"), 0, &node->internal_ip, &node->no_internal_ip);
	decode_forced(subject, annotations, ANNOTATION("force-internal-ipv6"), field, AF_INET6,
	              &node->internal_ip6, &node->no_internal_ip6);
	if (mesh_prefix_is_set(&node->internal_ip6) && node->internal_ip.addr.family == AF_INET6) {
		codec_report_text(subject, field, mesh_prefix_format(&node->internal_ip6, text),
		                  "the internal IP is IPv6 already", ignored);
		memset(&node->internal_ip6, 0, sizeof(node->internal_ip6));
	}
}

static void decode_key(const struct codec_subject *subject, const json_t *annotations,
                       struct mesh_node *node)
{
	const char *text = annotation(subject, annotations, ANNOTATION("key"));

	if (text && *text && mesh_key_decode(text, node->key))
		codec_report_text(subject, ANNOTATION("key"), text,
		                  "not a base64-encoded 32-byte WireGuard key", ignored);
}

static void decode_numbers(const struct codec_subject *subject, const json_t *annotations,
                           struct mesh_node *node)
{
	const char *keepalive =
	    annotation(subject, annotations, ANNOTATION("persistent-keepalive"));
	const char *last_seen = annotation(subject, annotations, ANNOTATION("last-seen"));
	int64_t value;

	if (keepalive && (codec_parse_int64(keepalive, &value) || value < 0 || value > 65535))
		codec_report_text(subject, ANNOTATION("persistent-keepalive"), keepalive,
		                  "not a number of seconds 0..65535", ignored);
	else if (keepalive)
		node->persistent_keepalive = (uint32_t)value;
	if (last_seen && codec_parse_int64(last_seen, &node->last_seen))
		codec_report_text(subject, ANNOTATION("last-seen"), last_seen,
		                  "not a Unix time in seconds", ignored);
}

static void decode_granularity(const struct codec_subject *subject, const json_t *annotations,
                               struct mesh_node *node)
{
	const char *text = annotation(subject, annotations, ANNOTATION("granularity"));
	enum mesh_granularity granularity;

	if (!text || !*text)
		return;
	if (mesh_granularity_parse(text, &granularity) || granularity == MESH_GRANULARITY_AUTO)
		codec_report_text(subject, ANNOTATION("granularity"), text,
		                  "not location, full or cross", ignored);
	else
		node->granularity = granularity;
}

/*
 * Entries are split on ',' and not trimmed, exactly as Kilo does: " 10.0.0.0/24"
 * is not a CIDR there either, and every node must agree on the result.
 */
static int decode_allowed_location_ips(const struct codec_subject *subject,
                                       const json_t *annotations, struct mesh_node *node)
{
	const char *field = ANNOTATION("allowed-location-ips");
	const char *text = annotation(subject, annotations, field);
	char *copy, *entry, *save = NULL;

	if (!text)
		return 0;
	copy = strdup(text);
	node->allowed_location_ips = calloc(strlen(text) / 2 + 1, sizeof(struct mesh_prefix));
	if (!copy || !node->allowed_location_ips) {
		free(copy);
		return -ENOMEM;
	}
	for (entry = strtok_r(copy, ",", &save); entry; entry = strtok_r(NULL, ",", &save)) {
		struct mesh_prefix *prefix =
		    &node->allowed_location_ips[node->n_allowed_location_ips];

		if (!mesh_prefix_parse(entry, prefix))
			node->n_allowed_location_ips++;
		else
			codec_report_text(subject, field, entry, "not a CIDR", "entry ignored");
	}
	free(copy);
	return 0;
}

/* Go's encoding/json matches struct field names without regard to case. */
static const json_t *field_nocase(const json_t *object, const char *name)
{
	const char *key;
	json_t *value;

	json_object_foreach ((json_t *)object, key, value) {
		if (!strcasecmp(key, name))
			return value;
	}
	return NULL;
}

/* A Go net.UDPAddr in JSON: {"IP": "1.2.3.4", "Port": 51820, "Zone": ""}. */
static int decode_udp_addr(const json_t *value, struct mesh_endpoint *endpoint)
{
	const json_t *ip = field_nocase(value, "IP"), *port = field_nocase(value, "Port");
	const json_t *zone = field_nocase(value, "Zone");

	if (!json_is_object(value) || (ip && !json_is_string(ip) && !json_is_null(ip)) ||
	    (port && !json_is_integer(port)) ||
	    (zone && !json_is_string(zone) && !json_is_null(zone)))
		return -EINVAL;
	if (json_string_length(ip) && ip_addr_parse(json_string_value(ip), &endpoint->ip))
		return -EINVAL;
	if (json_integer_value(port) > 0 && json_integer_value(port) <= 65535)
		endpoint->port = (uint16_t)json_integer_value(port);
	return 0;
}

/*
 * Like Go's json.Unmarshal into map[string]*net.UDPAddr, one malformed value
 * drops the whole annotation; an entry that parses but cannot be used (its
 * key is no WireGuard key, or it lacks an IP or port) is dropped alone.
 */
static int decode_discovered_map(const struct codec_subject *subject, const json_t *map,
                                 struct mesh_node *node)
{
	const char *field = ANNOTATION("discovered-endpoints"), *key;
	json_t *value;

	node->discovered_endpoints =
	    calloc(json_object_size(map) + 1, sizeof(*node->discovered_endpoints));
	if (!node->discovered_endpoints)
		return -ENOMEM;
	json_object_foreach ((json_t *)map, key, value) {
		struct mesh_discovered_endpoint *entry =
		    &node->discovered_endpoints[node->n_discovered_endpoints];

		if (json_is_null(value))
			continue;
		if (decode_udp_addr(value, &entry->endpoint)) {
			codec_report_value(subject, field, value, "not a UDP address object",
			                   ignored);
			memset(node->discovered_endpoints, 0,
			       json_object_size(map) * sizeof(*entry));
			node->n_discovered_endpoints = 0;
			return 0;
		}
		if (mesh_key_decode(key, entry->key) || !mesh_endpoint_is_set(&entry->endpoint)) {
			codec_report_value(subject, field, value, "entry without a key, IP or port",
			                   "entry ignored");
			memset(entry, 0, sizeof(*entry));
			continue;
		}
		node->n_discovered_endpoints++;
	}
	mesh_discovered_sort(node->discovered_endpoints, node->n_discovered_endpoints);
	return 0;
}

static int decode_discovered_endpoints(const struct codec_subject *subject,
                                       const json_t *annotations, struct mesh_node *node)
{
	const char *field = ANNOTATION("discovered-endpoints");
	const char *text = annotation(subject, annotations, field);
	json_t *map;
	int ret = 0;

	/* The agent writes "" when it has discovered nothing. */
	if (!text || !*text)
		return 0;
	map = json_loads(text, JSON_DECODE_ANY, NULL);
	if (json_is_object(map))
		ret = decode_discovered_map(subject, map, node);
	else if (!json_is_null(map))
		codec_report_text(subject, field, text, "not a JSON object of endpoints", ignored);
	json_decref(map);
	return ret;
}

int mesh_codec_node_decode(const json_t *object, const struct mesh_codec_options *options,
                           struct mesh_node *node)
{
	struct codec_subject subject;
	const json_t *annotations;
	int ret;

	memset(node, 0, sizeof(*node));
	ret = codec_subject_init(&subject, "node", object, options, node->name, sizeof(node->name));
	if (ret)
		return ret;
	annotations = json_object_get(json_object_get(object, "metadata"), "annotations");
	ret = decode_pod_cidrs(&subject, object, annotations, node);
	if (ret)
		goto out;
	decode_location(&subject, object, annotations, node);
	decode_endpoint(&subject, annotations, node);
	decode_internal_ip(&subject, annotations, node);
	decode_key(&subject, annotations, node);
	decode_numbers(&subject, annotations, node);
	decode_granularity(&subject, annotations, node);
	codec_decode_health(&subject, annotations, node);
	node->leader = json_object_get(annotations, ANNOTATION("leader")) != NULL;
	decode_prefix(&subject, ANNOTATION("wireguard-ip"),
	              annotation(&subject, annotations, ANNOTATION("wireguard-ip")),
	              &node->wireguard_ip);
	decode_prefix_of(&subject, ANNOTATION("wireguard-ipv6"),
	                 annotation(&subject, annotations, ANNOTATION("wireguard-ipv6")), AF_INET6,
	                 &node->wireguard_ip6);
	/* cilium_host's IPv4, the outer address of IPIP. */
	decode_prefix_of(&subject, ANNOTATION("cni-compatibility-ip"),
	                 annotation(&subject, annotations, ANNOTATION("cni-compatibility-ip")),
	                 AF_INET, &node->cni_compatibility_ip);
	ret = decode_allowed_location_ips(&subject, annotations, node);
	if (!ret)
		ret = decode_discovered_endpoints(&subject, annotations, node);
out:
	if (ret)
		mesh_node_release(node);
	return ret;
}
