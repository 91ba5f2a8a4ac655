// SPDX-License-Identifier: MIT
/*
 * The agent-written Node annotations, formatted as Kilo's nodeBackend.Set
 * formats them, and the overlay a merge patch of them makes.
 */
#include "mesh/k8s/annotations.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "mesh/model/key.h"

#define ANNOTATION(name) "kilo.squat.ai/" name

/* Written on every Set; clean-up removes all but the last, as Kilo's CleanUp does. */
static const char *const agent_annotations[] = {
    ANNOTATION("key"),         ANNOTATION("endpoint"),
    ANNOTATION("internal-ip"), ANNOTATION("wireguard-ip"),
    ANNOTATION("last-seen"),   ANNOTATION("discovered-endpoints"),
    ANNOTATION("granularity"), ANNOTATION("cni-compatibility-ip"),
};

/*
 * Ours, written on every Set beside Kilo's eight, whatever the stack: its
 * absence marks a node that runs Kilo's Go agent (mesh/model/health.h).
 * Clean-up removes it.
 */
static const char *const tunnel_health_annotation = ANNOTATION("tunnel-health");

/*
 * Ours alone, written by a dual-stack node (pod CIDRs of both families) only,
 * so that a single-stack node's annotations stay Kilo's eight; clean-up
 * removes them too.
 */
static const char *const dual_stack_annotations[] = {
    ANNOTATION("internal-ipv6"),
    ANNOTATION("wireguard-ipv6"),
};

#define N_AGENT_ANNOTATIONS (sizeof(agent_annotations) / sizeof(agent_annotations[0]))
#define N_DUAL_STACK_ANNOTATIONS                                                                   \
	(sizeof(dual_stack_annotations) / sizeof(dual_stack_annotations[0]))

static json_t *prefix_string(const struct mesh_prefix *prefix)
{
	char text[MESH_PREFIX_STRLEN] = "";

	if (mesh_prefix_is_set(prefix))
		mesh_prefix_format(prefix, text);
	return json_string(text);
}

/* Go's net.UDPAddr in JSON: {"IP":"1.2.3.4","Port":51820,"Zone":""}. */
static json_t *udp_addr(const struct mesh_endpoint *endpoint)
{
	char addr[IP_ADDR_STRLEN];

	return json_pack("{s:s, s:i, s:s}", "IP", ip_addr_format(&endpoint->ip, addr), "Port",
	                 (json_int_t)endpoint->port, "Zone", "");
}

static json_t *discovered_endpoints(const struct mesh_node *node)
{
	json_t *map = json_object();
	char *text = NULL;
	json_t *value;

	for (size_t i = 0; map && i < node->n_discovered_endpoints; i++) {
		const struct mesh_discovered_endpoint *entry = &node->discovered_endpoints[i];
		char key[45];

		if (json_object_set_new(map, mesh_key_encode(entry->key, key),
		                        udp_addr(&entry->endpoint))) {
			json_decref(map);
			map = NULL;
		}
	}
	/* Go's encoding/json sorts map keys, and so must we to compare annotations. */
	if (map)
		text = json_dumps(map, JSON_COMPACT | JSON_SORT_KEYS);
	value = text ? json_string(text) : NULL;
	free(text);
	json_decref(map);
	return value;
}

/*
 * Ours, not Kilo's: {"state":"up","since":N}, {"state":"down","since":N}
 * with "recovering":N while it is, or {"state":"unknown"} (mesh/model/health.h).
 */
static json_t *tunnel_health(const struct mesh_health *health)
{
	enum mesh_health_state state =
	    health->state == MESH_HEALTH_ABSENT ? MESH_HEALTH_UNKNOWN : health->state;
	json_t *object = json_pack("{s:s}", "state", mesh_health_state_name(state));
	char *text = NULL;
	int err = !object;

	if (!err && state != MESH_HEALTH_UNKNOWN)
		err = json_object_set_new(object, "since", json_integer(health->since));
	if (!err && state == MESH_HEALTH_DOWN && health->recovering)
		err = json_object_set_new(object, "recovering", json_integer(health->recovering));
	if (!err)
		text = json_dumps(object, JSON_COMPACT);
	json_decref(object);
	object = text ? json_string(text) : NULL;
	free(text);
	return object;
}

json_t *mesh_annotations_of_node(const struct mesh_node *node)
{
	char endpoint[MESH_ENDPOINT_STRLEN], key[45], last_seen[24];
	json_t *values[N_AGENT_ANNOTATIONS], *health, *dual[N_DUAL_STACK_ANNOTATIONS];
	json_t *object = json_object();
	bool dual_stack = mesh_prefix_is_set(&node->secondary_subnet);
	int err = !object;

	snprintf(last_seen, sizeof(last_seen), "%" PRId64, node->last_seen);
	values[0] = json_string(mesh_key_encode(node->key, key));
	values[1] = json_string(mesh_endpoint_format(&node->endpoint, endpoint));
	values[2] = prefix_string(&node->internal_ip);
	values[3] = prefix_string(&node->wireguard_ip);
	values[4] = json_string(last_seen);
	values[5] = discovered_endpoints(node);
	values[6] = json_string(mesh_granularity_name(node->granularity));
	values[7] = prefix_string(&node->cni_compatibility_ip);
	health = tunnel_health(&node->health);
	dual[0] = prefix_string(&node->internal_ip6);
	dual[1] = prefix_string(&node->wireguard_ip6);
	/* json_object_set_new() takes the value even when it fails. */
	for (size_t i = 0; i < N_AGENT_ANNOTATIONS; i++) {
		if (object)
			err |= json_object_set_new(object, agent_annotations[i], values[i]);
		else
			json_decref(values[i]);
	}
	if (object)
		err |= json_object_set_new(object, tunnel_health_annotation, health);
	else
		json_decref(health);
	for (size_t i = 0; i < N_DUAL_STACK_ANNOTATIONS; i++) {
		if (object && dual_stack)
			err |= json_object_set_new(object, dual_stack_annotations[i], dual[i]);
		else
			json_decref(dual[i]);
	}
	if (err) {
		json_decref(object);
		object = NULL;
	}
	return object;
}

/* Each of keys to null in object; false when out of memory. */
static bool set_null(json_t *object, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (json_object_set_new(object, keys[i], json_null()))
			return false;
	return true;
}

json_t *mesh_annotations_removal(void)
{
	json_t *object = json_object();

	/* Every agent annotation but cni-compatibility-ip, the last, as Kilo; then ours. */
	if (object && (!set_null(object, agent_annotations, N_AGENT_ANNOTATIONS - 1) ||
	               !set_null(object, &tunnel_health_annotation, 1) ||
	               !set_null(object, dual_stack_annotations, N_DUAL_STACK_ANNOTATIONS))) {
		json_decref(object);
		object = NULL;
	}
	return object;
}

/* metadata.annotations of object, created empty if absent. */
static json_t *annotations_of(json_t *object)
{
	json_t *metadata = json_object_get(object, "metadata"), *annotations;

	if (!json_is_object(metadata))
		return NULL;
	annotations = json_object_get(metadata, "annotations");
	if (json_is_object(annotations))
		return annotations;
	annotations = json_object();
	if (json_object_set_new(metadata, "annotations", annotations))
		return NULL;
	return annotations;
}

int mesh_annotations_apply(json_t *object, const json_t *annotations)
{
	json_t *target = annotations_of(object), *value;
	const char *key;

	if (!target)
		return -EINVAL;
	json_object_foreach ((json_t *)annotations, key, value) {
		if (json_is_null(value))
			json_object_del(target, key);
		else if (json_object_set(target, key, value))
			return -ENOMEM;
	}
	return 0;
}
