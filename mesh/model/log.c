// SPDX-License-Identifier: MIT
#include "mesh/model/log.h"

#include <stdio.h>

void mesh_vlog(mesh_log_fn *log, void *ctx, int level, const char *fmt, va_list ap)
{
	char message[MESH_LOG_LINE];

	if (!log)
		return;
	vsnprintf(message, sizeof(message), fmt, ap);
	log(ctx, level, message);
}

void mesh_log(const struct mesh_log_sink *sink, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mesh_vlog(sink->log, sink->ctx, level, fmt, ap);
	va_end(ap);
}
