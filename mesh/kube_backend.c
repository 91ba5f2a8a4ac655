// SPDX-License-Identifier: MIT
/* The Kubernetes backend (in progress). */
#include <errno.h>
#include <syslog.h>

#include "mesh/backend_ops.h"

int mesh_kube_backend_open(const struct mesh_backend_options *options,
                           struct mesh_backend **backend)
{
	*backend = NULL;
	if (options->log)
		options->log(options->log_ctx, LOG_ERR, "the kubernetes backend is not built yet");
	return -ENOSYS;
}
