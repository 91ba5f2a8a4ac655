// SPDX-License-Identifier: MIT
/*
 * The Kubernetes backend: a reflector each for Nodes and Peers sharing one
 * lock, an eventfd raised on every change once both are listed, and
 * synchronous requests for the own Node's annotations and the CRD check.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <syslog.h>
#include <unistd.h>

#include "mesh/k8s/backend_ops.h"
#include "mesh/k8s/kube_client.h"
#include "mesh/k8s/kube_reflector.h"

#define PATCH_TIMEOUT_MS 10000L
#define NODES_PATH "/api/v1/nodes"
#define PEERS_PATH "/apis/kilo.squat.ai/v1alpha1/peers"
#define CRD_PATH "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/peers.kilo.squat.ai"

struct kube_backend {
	struct mesh_backend base;
	struct mesh_kube_config config;
	pthread_mutex_t lock; /* guards both stores */
	struct mesh_kube_reflector nodes, peers;
	int event_fd;
};

static struct kube_backend *kube_backend(const struct mesh_backend *backend)
{
	return container_of(backend, struct kube_backend, base);
}

static void log_message(void *ctx, int level, const char *message)
{
	struct kube_backend *kb = ctx;

	mesh_backend_log(&kb->base, level, "%s", message);
}

/* A reflector's store changed: wake the caller once both are listed. */
static void notify(void *ctx)
{
	struct kube_backend *kb = ctx;
	uint64_t one = 1;
	bool synced;

	pthread_mutex_lock(&kb->lock);
	synced = kb->nodes.store.synced && kb->peers.store.synced;
	pthread_mutex_unlock(&kb->lock);
	if (synced && write(kb->event_fd, &one, sizeof(one)) < 0)
		mesh_backend_log(&kb->base, LOG_ERR, "kubernetes backend: eventfd: %s",
		                 strerror(errno));
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The store's objects sorted by name, as the API server lists them. */
static json_t *sorted_objects(const struct mesh_kube_store *store)
{
	size_t n = json_object_size(store->objects), i = 0;
	const char **names = calloc(n + 1, sizeof(*names));
	json_t *array = json_array(), *value;
	const char *name;

	if (!names || !array)
		goto fail;
	json_object_foreach (store->objects, name, value)
		names[i++] = name;
	qsort(names, n, sizeof(*names), compare_names);
	for (i = 0; i < n; i++)
		if (json_array_append(array, json_object_get(store->objects, names[i])))
			goto fail;
	free(names);
	return array;
fail:
	free(names);
	json_decref(array);
	return NULL;
}

static int kube_list(struct mesh_backend *backend, struct mesh_cluster *cluster)
{
	struct kube_backend *kb = kube_backend(backend);
	json_t *nodes = NULL, *peers = NULL;
	uint64_t count;
	int ret = -EAGAIN;

	if (kb->event_fd >= 0 && read(kb->event_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		mesh_backend_log(backend, LOG_ERR, "kubernetes backend: eventfd: %s",
		                 strerror(errno));
	pthread_mutex_lock(&kb->lock);
	if (kb->nodes.store.synced && kb->peers.store.synced) {
		nodes = sorted_objects(&kb->nodes.store);
		peers = sorted_objects(&kb->peers.store);
		ret = nodes && peers ? 0 : -ENOMEM;
	}
	pthread_mutex_unlock(&kb->lock);
	if (ret == -ENOMEM)
		mesh_backend_log(backend, LOG_ERR, "kubernetes backend: %s", strerror(ENOMEM));
	if (!ret)
		ret = mesh_backend_decode(backend, nodes, peers, cluster);
	json_decref(nodes);
	json_decref(peers);
	return ret;
}

struct api_call {
	const char *what; /* "annotate node a1", for the log */
	const char *method, *path;
	const char *content_type, *body; /* NULL without a body */
	/* 404 (absent) or 409 (present): an answer the caller explains, not a failure. */
	long expected_status;
};

/* Perform call and judge the reply: 0 for 2xx, -ENOENT for 404, -EEXIST for 409. */
static int request(struct kube_backend *kb, const struct api_call *call)
{
	const struct mesh_kube_request request = {
	    .method = call->method,
	    .path = call->path,
	    .timeout_ms = PATCH_TIMEOUT_MS,
	    .content_type = call->content_type,
	    .body = call->body,
	};
	struct mesh_kube_response response;
	char err[512], message[256];
	int ret = mesh_kube_client_perform(&kb->config, &request, &response, err, sizeof(err));

	if (ret) {
		mesh_backend_log(&kb->base, LOG_ERR, "failed to %s: %s", call->what, err);
		return ret;
	}
	if (response.status == 404)
		ret = -ENOENT;
	else if (response.status == 409)
		ret = -EEXIST;
	else if (response.status < 200 || response.status > 299)
		ret = -EPROTO;
	if (ret && response.status != call->expected_status)
		mesh_backend_log(&kb->base, LOG_ERR, "failed to %s: %s", call->what,
		                 mesh_kube_response_message(&response, message, sizeof(message)));
	mesh_kube_response_release(&response);
	return ret;
}

/* call with path = prefix + escaped name; what is "VERB KIND name". */
static int request_named(struct kube_backend *kb, struct api_call *call, const char *prefix,
                         const char *name)
{
	char *escaped = curl_easy_escape(NULL, name, 0), *path = NULL, what[320];
	int ret = -ENOMEM;

	snprintf(what, sizeof(what), "%s %s", call->what, name);
	call->what = what;
	if (escaped && asprintf(&path, "%s/%s", prefix, escaped) < 0)
		path = NULL;
	call->path = path;
	if (path)
		ret = request(kb, call);
	else
		mesh_backend_log(&kb->base, LOG_ERR, "failed to %s: %s", what, strerror(ENOMEM));
	free(path);
	curl_free(escaped);
	return ret;
}

static int kube_annotate(struct mesh_backend *backend, const json_t *annotations)
{
	json_t *patch = json_pack("{s:{s:O}}", "metadata", "annotations", annotations);
	struct api_call call = {.what = "annotate node",
	                        .method = "PATCH",
	                        .content_type = MESH_KUBE_STRATEGIC_MERGE_PATCH};
	int ret = -ENOMEM;

	call.body = patch ? json_dumps(patch, JSON_COMPACT) : NULL;
	if (call.body)
		ret = request_named(kube_backend(backend), &call, NODES_PATH,
		                    backend->options.hostname);
	else
		mesh_backend_log(backend, LOG_ERR, "failed to annotate node %s: %s",
		                 backend->options.hostname, strerror(ENOMEM));
	free((char *)call.body);
	json_decref(patch);
	return ret;
}

static int kube_create_peer(struct mesh_backend *backend, const json_t *peer)
{
	const char *name =
	    json_string_value(json_object_get(json_object_get(peer, "metadata"), "name"));
	struct api_call call = {.method = "POST",
	                        .path = PEERS_PATH,
	                        .content_type = "application/json",
	                        .body = json_dumps(peer, JSON_COMPACT),
	                        .expected_status = 409};
	char what[320];
	int ret = -ENOMEM;

	snprintf(what, sizeof(what), "create Peer %s", name);
	call.what = what;
	if (call.body)
		ret = request(kube_backend(backend), &call);
	else
		mesh_backend_log(backend, LOG_ERR, "failed to %s: %s", what, strerror(ENOMEM));
	free((char *)call.body);
	return ret;
}

static int kube_delete_peer(struct mesh_backend *backend, const char *name)
{
	struct api_call call = {.what = "delete Peer", .method = "DELETE", .expected_status = 404};

	return request_named(kube_backend(backend), &call, PEERS_PATH, name);
}

static int kube_check_crd(struct mesh_backend *backend)
{
	const struct api_call call = {.what = "check the Peer CRD",
	                              .method = "GET",
	                              .path = CRD_PATH,
	                              .expected_status = 404};
	int ret = request(kube_backend(backend), &call);

	if (ret == -ENOENT)
		mesh_backend_log(backend, LOG_ERR,
		                 "peers.kilo.squat.ai CRD not found: apply manifests/crds.yaml");
	return ret;
}

static int kube_fd(const struct mesh_backend *backend)
{
	return kube_backend(backend)->event_fd;
}

static void kube_close(struct mesh_backend *backend)
{
	struct kube_backend *kb = kube_backend(backend);

	mesh_kube_reflector_stop(&kb->nodes);
	mesh_kube_reflector_stop(&kb->peers);
	mesh_kube_reflector_release(&kb->nodes);
	mesh_kube_reflector_release(&kb->peers);
	pthread_mutex_destroy(&kb->lock);
	if (kb->event_fd >= 0)
		close(kb->event_fd);
	mesh_kube_config_release(&kb->config);
	free(kb);
	curl_global_cleanup();
}

static const struct mesh_backend_ops kube_ops = {
    .fd = kube_fd,
    .list = kube_list,
    .annotate = kube_annotate,
    .create_peer = kube_create_peer,
    .delete_peer = kube_delete_peer,
    .close = kube_close,
};

static void init_reflector(struct kube_backend *kb, struct mesh_kube_reflector *r, const char *name,
                           const char *path)
{
	r->name = name;
	r->path = path;
	r->config = &kb->config;
	r->lock = &kb->lock;
	r->notify = notify;
	r->log = log_message;
	r->ctx = kb;
}

/* Without a watch: one listing now, failing as kgctl should if it cannot. */
static int list_once(struct kube_backend *kb)
{
	int ret = mesh_kube_reflector_list(&kb->nodes);

	if (!ret)
		ret = kube_check_crd(&kb->base);
	if (!ret)
		ret = mesh_kube_reflector_list(&kb->peers);
	return ret;
}

static int start_watches(struct kube_backend *kb)
{
	int ret;

	kb->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (kb->event_fd < 0) {
		ret = -errno;
		mesh_backend_log(&kb->base, LOG_ERR, "kubernetes backend: eventfd: %s",
		                 strerror(-ret));
		return ret;
	}
	/* As Kilo's informers: no watch of a resource the server lacks, so no error but this one.
	 */
	ret = kube_check_crd(&kb->base);
	if (!ret)
		ret = mesh_kube_reflector_start(&kb->nodes);
	if (!ret)
		ret = mesh_kube_reflector_start(&kb->peers);
	return ret;
}

int mesh_kube_backend_open(const struct mesh_backend_options *options,
                           struct mesh_backend **backend)
{
	struct kube_backend *kb;
	char err[512];
	int ret;

	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return -ENOMEM;
	kb = calloc(1, sizeof(*kb));
	if (!kb) {
		curl_global_cleanup();
		return -ENOMEM;
	}
	mesh_backend_init(&kb->base, &kube_ops, options);
	kb->event_fd = -1;
	pthread_mutex_init(&kb->lock, NULL);
	init_reflector(kb, &kb->nodes, "nodes", NODES_PATH);
	init_reflector(kb, &kb->peers, "peers", PEERS_PATH);
	ret = mesh_kube_config_load(options->kubeconfig, options->master, &kb->config, err,
	                            sizeof(err));
	if (ret)
		mesh_backend_log(&kb->base, LOG_ERR, "%s", err);
	else
		ret = options->watch ? start_watches(kb) : list_once(kb);
	if (ret)
		kube_close(&kb->base);
	else
		*backend = &kb->base;
	return ret;
}
