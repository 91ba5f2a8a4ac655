// SPDX-License-Identifier: MIT
#include "mesh/log.h"

#include <stdio.h>
#include <syslog.h>

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

void mesh_log_engine(void *sink, enum wg_log_level level, const char *message)
{
	mesh_log(sink,
	         level == WG_LOG_ERROR  ? LOG_ERR
	         : level == WG_LOG_INFO ? LOG_INFO
	                                : LOG_DEBUG,
	         "wireguard: %s", message);
}
