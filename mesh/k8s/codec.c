// SPDX-License-Identifier: MIT
/* The loop that decodes a whole cluster listing, Node and Peer objects alike. */
#include "mesh/k8s/codec.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/k8s/codec_subject.h"

/* Adds name to seen; false (and a report) if it was there already. */
static bool first_of_name(json_t *seen, const char *kind, const char *name,
                          const struct mesh_codec_options *options)
{
	struct codec_subject subject = {.options = options, .kind = kind, .name = name};

	if (json_object_get(seen, name)) {
		codec_report(&subject, "listed more than once; later copy ignored");
		return false;
	}
	return json_object_set_new(seen, name, json_true()) == 0;
}

/* Nodes and Peers are listed alike; this is what differs. */
struct kind {
	const char *name;
	size_t size, name_offset;
	int (*decode)(const json_t *object, const struct mesh_codec_options *options, void *item);
	void (*release)(void *item);
};

static int decode_node(const json_t *object, const struct mesh_codec_options *options, void *item)
{
	return mesh_codec_node_decode(object, options, item);
}

static void release_node(void *item)
{
	mesh_node_release(item);
}

static int decode_peer(const json_t *object, const struct mesh_codec_options *options, void *item)
{
	return mesh_codec_peer_decode(object, options, item);
}

static void release_peer(void *item)
{
	mesh_peer_release(item);
}

static const struct kind node_kind = {"node", sizeof(struct mesh_node),
                                      offsetof(struct mesh_node, name), decode_node, release_node};
static const struct kind peer_kind = {"peer", sizeof(struct mesh_peer),
                                      offsetof(struct mesh_peer, name), decode_peer, release_peer};

/* Decodes every object into a new array at *items; the first of a name wins. */
static int decode_all(const json_t *objects, const struct kind *kind,
                      const struct mesh_codec_options *options, void **items, size_t *n)
{
	char *array = calloc(json_array_size(objects) + 1, kind->size);
	json_t *seen = json_object();
	const json_t *object;
	int ret = -ENOMEM;
	size_t i;

	*items = array;
	if (!array || !seen)
		goto out;
	json_array_foreach (objects, i, object) {
		char *item = array + *n * kind->size;

		ret = kind->decode(object, options, item);
		if (ret == -ENOMEM)
			goto out;
		if (ret)
			continue;
		if (first_of_name(seen, kind->name, item + kind->name_offset, options))
			++*n;
		else
			kind->release(item);
	}
	ret = 0;
out:
	json_decref(seen);
	return ret;
}

static bool overlap(const struct mesh_node *a, const struct mesh_node *b,
                    const struct mesh_prefix **which)
{
	const struct mesh_prefix *mine[2], *theirs[2];
	size_t n_mine = mesh_node_subnets(a, mine), n_theirs = mesh_node_subnets(b, theirs);

	for (size_t i = 0; i < n_mine; i++)
		for (size_t j = 0; j < n_theirs; j++)
			if (mesh_prefix_overlaps(mine[i], theirs[j])) {
				*which = theirs[j];
				return true;
			}
	return false;
}

/* Does annotated node a lose its pod CIDRs to b (the spec's always win, then name order)? */
static bool loses_to(const struct mesh_node *a, const struct mesh_node *b,
                     const struct mesh_prefix **which)
{
	return a != b && (!b->subnet_annotated || strcmp(b->name, a->name) < 0) &&
	       overlap(a, b, which);
}

static void report_overlap(const struct mesh_node *node, const struct mesh_node *winner,
                           const struct mesh_prefix *cidr, const struct mesh_codec_options *options)
{
	struct codec_subject subject = {.options = options, .kind = "node", .name = node->name};
	char text[2 * MESH_PREFIX_STRLEN + 1], theirs[MESH_PREFIX_STRLEN], why[MESH_NAME_MAX + 96];
	size_t len = strlen(mesh_prefix_format(&node->subnet, text));

	if (mesh_prefix_is_set(&node->secondary_subnet)) {
		text[len++] = ',';
		mesh_prefix_format(&node->secondary_subnet, text + len);
	}
	snprintf(why, sizeof(why), "overlaps the pod CIDR %s of node \"%s\"",
	         mesh_prefix_format(cidr, theirs), winner->name);
	codec_report_text(&subject, "kilo.squat.ai/pod-cidrs", text, why, "ignored");
}

/*
 * Pod CIDRs that only the pod-cidrs annotation names must not overlap another
 * node's: one that does is dropped (and its node is not ready), judged
 * against every claim as listed, so the outcome does not depend on the order.
 */
static int drop_overlapping_pod_cidrs(struct mesh_cluster *cluster,
                                      const struct mesh_codec_options *options)
{
	bool *loses = calloc(cluster->n_nodes + 1, sizeof(*loses));

	if (!loses)
		return -ENOMEM;
	for (size_t i = 0; i < cluster->n_nodes; i++) {
		const struct mesh_node *node = &cluster->nodes[i];
		const struct mesh_prefix *cidr;

		for (size_t j = 0; node->subnet_annotated && j < cluster->n_nodes && !loses[i]; j++)
			if (loses_to(node, &cluster->nodes[j], &cidr)) {
				report_overlap(node, &cluster->nodes[j], cidr, options);
				loses[i] = true;
			}
	}
	for (size_t i = 0; i < cluster->n_nodes; i++) {
		if (!loses[i])
			continue;
		memset(&cluster->nodes[i].subnet, 0, sizeof(struct mesh_prefix));
		memset(&cluster->nodes[i].secondary_subnet, 0, sizeof(struct mesh_prefix));
		cluster->nodes[i].subnet_annotated = false;
	}
	free(loses);
	return 0;
}

int mesh_codec_cluster_decode(const json_t *nodes, const json_t *peers,
                              const struct mesh_codec_options *options,
                              struct mesh_cluster *cluster)
{
	void *items;
	int ret;

	memset(cluster, 0, sizeof(*cluster));
	ret = decode_all(nodes, &node_kind, options, &items, &cluster->n_nodes);
	cluster->nodes = items;
	if (!ret)
		ret = drop_overlapping_pod_cidrs(cluster, options);
	if (!ret) {
		ret = decode_all(peers, &peer_kind, options, &items, &cluster->n_peers);
		cluster->peers = items;
	}
	if (ret)
		mesh_cluster_release(cluster);
	return ret;
}
