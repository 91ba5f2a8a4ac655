// SPDX-License-Identifier: MIT
/*
 * fuzz_cluster_file.c - the file backend's whole read path on any file content: the cluster-file
 * reader of mesh/k8s/cluster_file.h (JSON or YAML, lists and streams), then the codec into the
 * model.
 *
 * Promises checked: a rejected file says why; an accepted one yields arrays of objects, and the
 * cluster decoded from them has named nodes and peers, no name twice, peers with a key.
 */
#include <errno.h>

#include "fuzz.h"
#include "mesh/k8s/cluster_file.h"
#include "mesh/k8s/codec.h"

static void check_cluster(const struct mesh_cluster *cluster)
{
	size_t i, j;

	for (i = 0; i < cluster->n_nodes; i++) {
		FUZZ_CHECK(cluster->nodes[i].name[0]);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(cluster->nodes[i].name, cluster->nodes[j].name));
	}
	for (i = 0; i < cluster->n_peers; i++) {
		FUZZ_CHECK(cluster->peers[i].name[0]);
		FUZZ_CHECK(mesh_key_is_set(cluster->peers[i].public_key));
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(cluster->peers[i].name, cluster->peers[j].name));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mesh_cluster_objects objects = {0};
	struct mesh_cluster cluster = {0};
	json_error_t error;
	int ret;

	ret = mesh_cluster_file_parse((const char *)data, size, &objects, &error);
	if (ret) {
		FUZZ_CHECK(ret == -EINVAL || ret == -ENOMEM);
		FUZZ_CHECK(ret == -ENOMEM || error.text[0] != '\0');
		return 0;
	}
	FUZZ_CHECK(json_is_array(objects.nodes) && json_is_array(objects.peers));
	ret = mesh_codec_cluster_decode(objects.nodes, objects.peers, NULL, &cluster);
	FUZZ_CHECK(ret == 0 || ret == -ENOMEM);
	if (!ret)
		check_cluster(&cluster);
	mesh_cluster_release(&cluster);
	mesh_cluster_objects_release(&objects);
	return 0;
}
