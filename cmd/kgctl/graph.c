// SPDX-License-Identifier: MIT
/* kgctl graph: the mesh as Graphviz DOT, e.g. for `kgctl graph | circo -Tsvg`. */
#include <stdio.h>
#include <stdlib.h>

#include "cmd/kgctl/kgctl.h"
#include "mesh/view/graph.h"

static const struct mesh_flag graph_flags[] = {{0}};

int kgctl_graph(int argc, char **argv, const struct kgctl_options *options)
{
	struct mesh_topology topology;
	struct kgctl_cluster kc;
	char *dot = NULL;

	if (mesh_flags_take("kgctl", graph_flags, &argc, argv, false))
		return 1;
	if (argc) {
		kgctl_error("graph takes no arguments, got \"%s\"", argv[0]);
		return 1;
	}
	if (kgctl_cluster_load(options, &kc))
		return 1;
	/* The graph is the same from every node; Kilo draws it from the last. */
	if (!kgctl_topology(&kc, kc.last_ready, &topology)) {
		dot = mesh_graph_dot(&topology);
		if (dot)
			printf("%s\n", dot);
		else
			kgctl_error("failed to generate graph: out of memory");
		mesh_topology_release(&topology);
	}
	kgctl_cluster_release(&kc);
	free(dot);
	return dot ? 0 : 1;
}
