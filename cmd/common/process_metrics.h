/* SPDX-License-Identifier: MIT */
/*
 * The process_* metrics that Kilo's /metrics carries from Prometheus' process collector
 * (client_golang's ProcessCollector), same names, help and types, read from /proc.
 *
 * mesh_process_stat_parse() reads one /proc/PID/stat line (the command name may hold spaces
 * and parentheses); mesh_process_metrics_print() writes the metrics of the calling process:
 * CPU seconds, open and maximum fds, virtual and resident memory, the virtual memory limit
 * and the start time. Returns 0 or -errno (-EINVAL for a line it cannot read).
 */
#ifndef MESH_PROCESS_METRICS_H
#define MESH_PROCESS_METRICS_H

#include <stdint.h>
#include <stdio.h>

/* The fields of /proc/PID/stat the metrics need, in the kernel's units. */
struct mesh_process_stat {
	uint64_t utime, stime; /* clock ticks */
	uint64_t start_time;   /* clock ticks after boot */
	uint64_t vsize;        /* bytes */
	uint64_t rss;          /* pages */
};

int mesh_process_stat_parse(const char *line, struct mesh_process_stat *stat);
int mesh_process_metrics_print(FILE *out);

#endif /* MESH_PROCESS_METRICS_H */
