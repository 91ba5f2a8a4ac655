// SPDX-License-Identifier: MIT
/* cni.c - the pod CIDR in the CNI conflist, rewritten only on change. */

#include "mesh/host/cni.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ranges[i][0].subnet of an ipam section, or NULL. */
static const char *range_subnet(json_t *ipam, size_t i)
{
	json_t *ranges = json_object_get(ipam, "ranges");

	return json_string_value(
	    json_object_get(json_array_get(json_array_get(ranges, i), 0), "subnet"));
}

/* "ranges": [[{"subnet": pod CIDR}], ...], one range set per pod CIDR (per family). */
static int set_ranges(json_t *ipam, char subnets[][MESH_PREFIX_STRLEN], size_t n)
{
	json_t *ranges = json_array();

	for (size_t i = 0; ranges && i < n; i++)
		if (json_array_append_new(ranges, json_pack("[{s:s}]", "subnet", subnets[i]))) {
			json_decref(ranges);
			ranges = NULL;
		}
	if (!ranges || json_object_set_new(ipam, "ranges", ranges) < 0)
		return -ENOMEM;
	return 0;
}

int mesh_cni_update(json_t *conflist, const struct mesh_prefix *pod_cidrs, size_t n, bool *changed,
                    char *err, size_t err_size)
{
	json_t *plugins = json_object_get(conflist, "plugins"), *plugin, *ipam, *first = NULL;
	char subnets[2][MESH_PREFIX_STRLEN];
	bool same = true;
	size_t i;

	*changed = false;
	if (n < 1 || n > 2) {
		snprintf(err, err_size, "%zu pod CIDRs: want one, or one per family", n);
		return -EINVAL;
	}
	if (!json_is_array(plugins)) {
		snprintf(err, err_size, "no \"plugins\" list");
		return -EINVAL;
	}
	json_array_foreach (plugins, i, plugin) {
		ipam = json_object_get(plugin, "ipam");
		if (ipam && !json_is_object(ipam)) {
			snprintf(err, err_size, "plugin %zu: \"ipam\" is not an object", i);
			return -EINVAL;
		}
		first = first ? first : ipam;
	}
	if (!first) {
		snprintf(err, err_size, "no plugin has an \"ipam\" section");
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		struct mesh_prefix network = mesh_prefix_masked(&pod_cidrs[i]);
		const char *current = range_subnet(first, i);

		mesh_prefix_format(&network, subnets[i]);
		same &= current && !strcmp(current, subnets[i]);
	}
	if (same)
		return 0;
	json_array_foreach (plugins, i, plugin) {
		ipam = json_object_get(plugin, "ipam");
		if (ipam && set_ranges(ipam, subnets, n) < 0)
			return -ENOMEM;
	}
	*changed = true;
	return 0;
}

/* Write text next to path and rename it over path, keeping path's permissions. */
static int replace_file(const char *path, const char *text, mode_t mode)
{
	char *tmp = NULL;
	size_t len = strlen(text);
	int fd = -1, ret = 0;

	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	if (fchmod(fd, mode) < 0 || write(fd, text, len) != (ssize_t)len ||
	    write(fd, "\n", 1) != 1 || fsync(fd) < 0 || rename(tmp, path) < 0)
		ret = errno ? -errno : -EIO;
out:
	if (fd >= 0)
		close(fd);
	if (ret < 0 && fd >= 0)
		unlink(tmp);
	free(tmp);
	return ret;
}

/* Say whether the directory is missing too: then the CNI plugin was never installed. */
static void missing_file(const char *path, int ret, char *err, size_t err_size)
{
	char *copy = strdup(path);
	const char *dir = copy ? dirname(copy) : NULL;
	struct stat st;

	if (ret == -ENOENT && dir && stat(dir, &st) < 0)
		snprintf(err, err_size,
		         "CNI config %s: the directory %s does not exist (is --cni-path right?)",
		         path, dir);
	else
		snprintf(err, err_size, "CNI config %s: %s", path, strerror(-ret));
	free(copy);
}

int mesh_cni_set_pod_cidr(const char *path, const struct mesh_prefix *pod_cidrs, size_t n,
                          bool *changed, char *err, size_t err_size)
{
	char reason[256] = "";
	json_error_t error;
	json_t *conflist = NULL;
	char *text = NULL;
	struct stat st;
	bool ignored;
	int ret;

	changed = changed ? changed : &ignored;
	*changed = false;
	if (stat(path, &st) < 0) {
		ret = -errno;
		missing_file(path, ret, err, err_size);
		return ret;
	}
	conflist = json_load_file(path, JSON_REJECT_DUPLICATES, &error);
	if (!conflist) {
		snprintf(err, err_size, "CNI config %s: line %d: %s", path, error.line, error.text);
		return -EINVAL;
	}
	ret = mesh_cni_update(conflist, pod_cidrs, n, changed, reason, sizeof(reason));
	if (ret < 0) {
		snprintf(err, err_size, "CNI config %s: %s", path, reason);
		goto out;
	}
	if (!*changed)
		goto out;
	text = json_dumps(conflist, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	ret = text ? replace_file(path, text, st.st_mode & 07777) : -ENOMEM;
	if (ret < 0) {
		*changed = false;
		snprintf(err, err_size, "CNI config %s: writing: %s", path, strerror(-ret));
	}
out:
	free(text);
	json_decref(conflist);
	return ret;
}
