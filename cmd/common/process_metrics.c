// SPDX-License-Identifier: MIT
/* process_* metrics from /proc/self, as client_golang's process collector reads them. */

#include "cmd/common/process_metrics.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int mesh_process_stat_parse(const char *line, struct mesh_process_stat *stat)
{
	/* The command name before the last ')' may hold anything, spaces and ')' too. */
	const char *rest = strrchr(line, ')');
	unsigned long long utime, stime, start_time, vsize, rss;

	/* Fields 3 to 24 of proc(5): state, 5 ids, 5 fault counts, utime, stime, 6 others,
	 * starttime, vsize, rss.
	 */
	if (!rest ||
	    sscanf(rest + 1,
	           " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d "
	           "%*d %*d %llu %llu %llu",
	           &utime, &stime, &start_time, &vsize, &rss) != 5)
		return -EINVAL;
	*stat = (struct mesh_process_stat){
	    .utime = utime, .stime = stime, .start_time = start_time, .vsize = vsize, .rss = rss};
	return 0;
}

/* The whole of a small /proc file, NUL-terminated, in buf. */
static int read_proc(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t len;

	if (!f)
		return -errno;
	len = fread(buf, 1, size - 1, f);
	buf[len] = '\0';
	fclose(f);
	return 0;
}

/* Line by line: /proc/stat grows with the number of CPUs. */
static int boot_time(uint64_t *seconds)
{
	FILE *f = fopen("/proc/stat", "re");
	char line[256];
	int ret = -EINVAL;

	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %" SCNu64, seconds) == 1)
			ret = 0;
	fclose(f);
	return ret;
}

static int open_fds(uint64_t *n)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *entry;

	if (!dir)
		return -errno;
	*n = 0;
	while ((entry = readdir(dir)))
		*n += entry->d_name[0] != '.';
	closedir(dir);
	/* Less the one opendir() holds. */
	*n -= *n > 0;
	return 0;
}

/* As Go prints a float64: the fewest digits that read back as the same value. */
static void print_metric(FILE *out, const char *name, const char *help, const char *type,
                         double value)
{
	char text[32];

	for (int digits = 15; digits <= 17; digits++) {
		snprintf(text, sizeof(text), "%.*g", digits, value);
		if (strtod(text, NULL) == value)
			break;
	}
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n%s %s\n", name, help, name, type, name, text);
}

int mesh_process_metrics_print(FILE *out)
{
	const double ticks = (double)sysconf(_SC_CLK_TCK), page = (double)sysconf(_SC_PAGESIZE);
	struct mesh_process_stat stat;
	struct rlimit files, memory;
	uint64_t boot = 0, fds = 0;
	char line[1024];
	int ret = read_proc("/proc/self/stat", line, sizeof(line));

	if (!ret)
		ret = mesh_process_stat_parse(line, &stat);
	if (!ret)
		ret = boot_time(&boot);
	if (!ret)
		ret = open_fds(&fds);
	if (!ret && (getrlimit(RLIMIT_NOFILE, &files) || getrlimit(RLIMIT_AS, &memory)))
		ret = -errno;
	if (ret)
		return ret;
	print_metric(out, "process_cpu_seconds_total",
	             "Total user and system CPU time spent in seconds.", "counter",
	             (double)(stat.utime + stat.stime) / ticks);
	print_metric(out, "process_max_fds", "Maximum number of open file descriptors.", "gauge",
	             (double)files.rlim_cur);
	print_metric(out, "process_open_fds", "Number of open file descriptors.", "gauge",
	             (double)fds);
	print_metric(out, "process_resident_memory_bytes", "Resident memory size in bytes.",
	             "gauge", (double)stat.rss * page);
	print_metric(out, "process_start_time_seconds",
	             "Start time of the process since unix epoch in seconds.", "gauge",
	             (double)boot + (double)stat.start_time / ticks);
	print_metric(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge",
	             (double)stat.vsize);
	print_metric(out, "process_virtual_memory_max_bytes",
	             "Maximum amount of virtual memory available in bytes.", "gauge",
	             (double)memory.rlim_cur);
	return 0;
}
