// SPDX-License-Identifier: MIT
/* The loop that decodes a whole cluster listing, Node and Peer objects alike. */
#include "mesh/k8s/codec.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
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

int mesh_codec_cluster_decode(const json_t *nodes, const json_t *peers,
                              const struct mesh_codec_options *options,
                              struct mesh_cluster *cluster)
{
	void *items;
	int ret;

	memset(cluster, 0, sizeof(*cluster));
	ret = decode_all(nodes, &node_kind, options, &items, &cluster->n_nodes);
	cluster->nodes = items;
	if (!ret) {
		ret = decode_all(peers, &peer_kind, options, &items, &cluster->n_peers);
		cluster->peers = items;
	}
	if (ret)
		mesh_cluster_release(cluster);
	return ret;
}
