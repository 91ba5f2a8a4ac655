// SPDX-License-Identifier: MIT
/*
 * Choosing the backend: the kind's name and the factory. Kept out of
 * backend.c because the implementations call backend.c's helpers: were the
 * factory there, backend.c and the implementations would call each other.
 */
#include "mesh/k8s/backend.h"

#include <errno.h>
#include <string.h>

#include "mesh/k8s/backend_ops.h"

int mesh_backend_kind_parse(const char *text, enum mesh_backend_kind *kind)
{
	if (!strcmp(text, "kubernetes"))
		*kind = MESH_BACKEND_KUBERNETES;
	else if (!strcmp(text, "file"))
		*kind = MESH_BACKEND_FILE;
	else
		return -EINVAL;
	return 0;
}

int mesh_backend_open(const struct mesh_backend_options *options, struct mesh_backend **backend)
{
	*backend = NULL;
	if (options->kind == MESH_BACKEND_FILE)
		return mesh_file_backend_open(options, backend);
	return mesh_kube_backend_open(options, backend);
}
