// SPDX-License-Identifier: MIT
/*
 * The file backend: a cluster file (mesh/k8s/cluster_file.h) read at open and
 * again whenever inotify sees it rewritten in place or renamed over. The
 * file is never written: the own node's agent annotations live in memory
 * and are laid over the file's node on every listing. A file that fails to
 * read on a change is reported and the previous listing kept, as the
 * Kubernetes backend keeps its cache when the API server fails.
 *
 * The fd is an epoll set of the inotify fd and an eventfd that set_node,
 * clean_up and the first listing raise.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <syslog.h>
#include <unistd.h>

#include "mesh/k8s/annotations.h"
#include "mesh/k8s/backend_ops.h"
#include "mesh/k8s/cluster_file.h"

struct file_backend {
	struct mesh_backend base;
	struct mesh_cluster_objects objects;
	json_t *overlay; /* the own node's annotations as last set, nulls = removed */
	char *name;      /* the file's name in its directory, for inotify */
	int epoll_fd, inotify_fd, event_fd;
};

static struct file_backend *file_backend(const struct mesh_backend *backend)
{
	return container_of(backend, struct file_backend, base);
}

static int load(struct file_backend *fb)
{
	const char *path = fb->base.options.cluster_file;
	struct mesh_cluster_objects objects;
	json_error_t error;
	int ret = mesh_cluster_file_load(path, &objects, &error);

	if (ret && error.line > 0)
		mesh_backend_log(&fb->base, LOG_ERR, "failed to read cluster file %s:%d:%d: %s",
		                 path, error.line, error.column, error.text);
	else if (ret)
		mesh_backend_log(&fb->base, LOG_ERR, "failed to read cluster file %s: %s", path,
		                 error.text);
	if (ret)
		return ret;
	mesh_cluster_objects_release(&fb->objects);
	fb->objects = objects;
	return 0;
}

static void raise_event(struct file_backend *fb)
{
	uint64_t one = 1;

	if (fb->event_fd >= 0 && write(fb->event_fd, &one, sizeof(one)) < 0)
		mesh_backend_log(&fb->base, LOG_ERR, "cluster file: eventfd: %s", strerror(errno));
}

/* Drains both fds; true if the cluster file itself changed. */
static bool drain(struct file_backend *fb)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;
	uint64_t count;
	ssize_t len;

	if (fb->event_fd >= 0 && read(fb->event_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		mesh_backend_log(&fb->base, LOG_ERR, "cluster file: eventfd: %s", strerror(errno));
	while (fb->inotify_fd >= 0 && (len = read(fb->inotify_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *event = (const struct inotify_event *)p;

			if (event->len && !strcmp(event->name, fb->name))
				changed = true;
			p += sizeof(*event) + event->len;
		}
	}
	return changed;
}

static bool is_own_node(const struct file_backend *fb, const json_t *node)
{
	const char *name =
	    json_string_value(json_object_get(json_object_get(node, "metadata"), "name"));

	return name && !strcmp(name, fb->base.options.hostname);
}

/* The node array with the overlay laid over the own node, in a copy. */
static json_t *overlaid_nodes(const struct file_backend *fb)
{
	json_t *nodes = json_array(), *node;
	size_t i;

	json_array_foreach (fb->objects.nodes, i, node) {
		if (fb->overlay && is_own_node(fb, node)) {
			node = json_deep_copy(node);
			if (node && mesh_annotations_apply(node, fb->overlay)) {
				json_decref(node);
				node = NULL;
			}
		} else {
			json_incref(node);
		}
		if (!nodes || json_array_append_new(nodes, node)) {
			json_decref(nodes);
			return NULL;
		}
	}
	return nodes;
}

static int file_list(struct mesh_backend *backend, struct mesh_cluster *cluster)
{
	struct file_backend *fb = file_backend(backend);
	json_t *nodes;
	int ret;

	if (drain(fb))
		load(fb);
	nodes = overlaid_nodes(fb);
	if (!nodes) {
		mesh_backend_log(backend, LOG_ERR, "cluster file: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	ret = mesh_backend_decode(backend, nodes, fb->objects.peers, cluster);
	json_decref(nodes);
	return ret;
}

static bool lists_own_node(const struct file_backend *fb)
{
	json_t *node;
	size_t i;

	json_array_foreach (fb->objects.nodes, i, node)
		if (is_own_node(fb, node))
			return true;
	return false;
}

static int file_annotate(struct mesh_backend *backend, const json_t *annotations)
{
	struct file_backend *fb = file_backend(backend);

	if (!lists_own_node(fb)) {
		mesh_backend_log(backend, LOG_ERR, "failed to annotate node %s: not in %s",
		                 backend->options.hostname, backend->options.cluster_file);
		return -ENOENT;
	}
	if (!fb->overlay)
		fb->overlay = json_object();
	if (!fb->overlay || json_object_update(fb->overlay, (json_t *)annotations)) {
		mesh_backend_log(backend, LOG_ERR, "failed to annotate node %s: %s",
		                 backend->options.hostname, strerror(ENOMEM));
		return -ENOMEM;
	}
	raise_event(fb);
	return 0;
}

static int file_fd(const struct mesh_backend *backend)
{
	return file_backend(backend)->epoll_fd;
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

static void file_close(struct mesh_backend *backend)
{
	struct file_backend *fb = file_backend(backend);

	close_fd(fb->epoll_fd);
	close_fd(fb->inotify_fd);
	close_fd(fb->event_fd);
	mesh_cluster_objects_release(&fb->objects);
	json_decref(fb->overlay);
	free(fb->name);
	free(fb);
}

static const struct mesh_backend_ops file_ops = {
    .fd = file_fd,
    .list = file_list,
    .annotate = file_annotate,
    .close = file_close,
};

static int add_to_epoll(int epoll_fd, int fd)
{
	struct epoll_event event = {.events = EPOLLIN, .data.fd = fd};

	return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
}

/* Watch the directory, so that a file renamed over ours is seen too. */
static int watch_file(struct file_backend *fb)
{
	char *dir = strdup(fb->base.options.cluster_file);
	char *base = strdup(fb->base.options.cluster_file);
	int ret = -ENOMEM;

	if (!dir || !base || !(fb->name = strdup(basename(base))))
		goto out;
	fb->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fb->inotify_fd < 0 ||
	    inotify_add_watch(fb->inotify_fd, dirname(dir), IN_CLOSE_WRITE | IN_MOVED_TO) < 0 ||
	    add_to_epoll(fb->epoll_fd, fb->inotify_fd))
		ret = -errno;
	else
		ret = 0;
out:
	free(dir);
	free(base);
	return ret;
}

static int start_watch(struct file_backend *fb)
{
	int ret;

	fb->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	/* Starting at 1: the first listing is there to be taken. */
	fb->event_fd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fb->epoll_fd < 0 || fb->event_fd < 0 || add_to_epoll(fb->epoll_fd, fb->event_fd))
		ret = -errno;
	else if (strcmp(fb->base.options.cluster_file, "-"))
		ret = watch_file(fb);
	else
		ret = 0;
	if (ret)
		mesh_backend_log(&fb->base, LOG_ERR, "failed to watch cluster file %s: %s",
		                 fb->base.options.cluster_file, strerror(-ret));
	return ret;
}

int mesh_file_backend_open(const struct mesh_backend_options *options,
                           struct mesh_backend **backend)
{
	struct file_backend *fb = calloc(1, sizeof(*fb));
	int ret;

	if (!fb)
		return -ENOMEM;
	mesh_backend_init(&fb->base, &file_ops, options);
	fb->epoll_fd = fb->inotify_fd = fb->event_fd = -1;
	if (!options->cluster_file || !*options->cluster_file) {
		mesh_backend_log(&fb->base, LOG_ERR, "the file backend needs a cluster file");
		ret = -EINVAL;
	} else {
		ret = options->watch ? start_watch(fb) : 0;
	}
	/* Read after the watch starts, so that no change slips in between. */
	if (!ret)
		ret = load(fb);
	if (ret)
		file_close(&fb->base);
	else
		*backend = &fb->base;
	return ret;
}
