// SPDX-License-Identifier: MIT
/*
 * kg's log: one JSON object per line on stdout, as Kilo's go-kit logger
 * prints it ({"level":"info","msg":"...","ts":"..."}), filtered by
 * --log-level.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "cmd/common/flags.h"
#include "cmd/kg/kg.h"

/* The least important <syslog.h> priority that is printed; -1 prints nothing. */
static int threshold = LOG_INFO;

int kg_log_set_level(const char *name)
{
	return mesh_flags_log_level(name, &threshold);
}

bool kg_log_debug(void)
{
	return threshold >= LOG_DEBUG;
}

static const char *level_name(int level)
{
	if (level <= LOG_ERR)
		return "error";
	if (level == LOG_WARNING)
		return "warn";
	return level == LOG_DEBUG ? "debug" : "info";
}

void kg_log(void *ctx, int level, const char *message)
{
	struct timespec now;
	struct tm tm;
	char ts[40];
	json_t *line;
	char *text;

	(void)ctx;
	if (level > threshold)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + strlen(ts), sizeof(ts) - strlen(ts), ".%06ldZ", now.tv_nsec / 1000);
	line = json_pack("{s:s, s:s, s:s}", "level", level_name(level), "msg", message, "ts", ts);
	text = line ? json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	/* One call per line: stdio's lock keeps lines from engine threads whole. */
	if (text)
		fprintf(stdout, "%s\n", text);
	fflush(stdout);
	free(text);
	json_decref(line);
}
