/* SPDX-License-Identifier: MIT */
/*
 * Log lines of the mesh layer: one formatted message at a <syslog.h> level
 * (LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG) to the program's callback.
 * A NULL callback drops the line. Lines longer than MESH_LOG_LINE are cut.
 */
#ifndef MESH_LOG_H
#define MESH_LOG_H

#include <stdarg.h>

enum { MESH_LOG_LINE = 1024 };

typedef void mesh_log_fn(void *ctx, int level, const char *message);

/* Where lines go: the engine's log_ctx, so it must outlive the device. */
struct mesh_log_sink {
	mesh_log_fn *log;
	void *ctx;
};

void mesh_vlog(mesh_log_fn *log, void *ctx, int level, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
void mesh_log(const struct mesh_log_sink *sink, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* MESH_LOG_H */
