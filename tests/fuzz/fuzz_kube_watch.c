// SPDX-License-Identifier: MIT
/*
 * fuzz_kube_watch.c - what the agent does with the API server's bytes: the watch-stream decoder
 * of mesh/k8s/kube_watch.h feeding the store of mesh/k8s/kube_reflector.h event by event, as the
 * reflector does, and a body that is one JSON value taken as a List reply.
 *
 * The watch body is fed twice: whole, and one byte at a time, as the network may cut it
 * anywhere. Promises checked: both feedings hand over the same events (each with an object),
 * leave the same store and end with the same result; a rejected line says why; a store only
 * holds objects under their own metadata.name.
 */
#include <errno.h>

#include "fuzz.h"
#include "mesh/k8s/kube_reflector.h"
#include "mesh/k8s/kube_watch.h"

/* One feeding: every event as [type, object] in order, and the store they built. */
struct feeding {
	json_t *events;
	struct mesh_kube_store store;
};

static int apply(void *ctx, const struct mesh_kube_event *event)
{
	struct feeding *f = ctx;
	bool changed;
	int ret;

	FUZZ_CHECK(json_is_object(event->object));
	FUZZ_CHECK(event->type >= MESH_KUBE_ADDED && event->type <= MESH_KUBE_ERROR);
	if (json_array_append_new(f->events, json_pack("[iO]", (int)event->type, event->object)))
		return -ENOMEM;
	ret = mesh_kube_store_apply(&f->store, event, &changed);
	FUZZ_CHECK(ret == 0 || ret == -ESTALE || ret == -EPROTO || ret == -EBADMSG ||
	           ret == -ENOMEM);
	return ret;
}

static void check_store(const struct mesh_kube_store *store)
{
	const char *name;
	json_t *object;

	FUZZ_CHECK(memchr(store->resource_version, '\0', sizeof(store->resource_version)));
	json_object_foreach (store->objects, name, object)
		FUZZ_CHECK(!strcmp(name, json_string_value(json_object_get(
		                             json_object_get(object, "metadata"), "name"))));
}

/* Feeds data in pieces of at most piece bytes; returns the first error or finish()'s result. */
static int feed(const uint8_t *data, size_t size, size_t piece, struct feeding *f)
{
	struct mesh_kube_watch watch;
	size_t at, n;
	int ret = 0;

	mesh_kube_watch_init(&watch, apply, f);
	for (at = 0; !ret && at < size; at += n) {
		n = size - at < piece ? size - at : piece;
		ret = mesh_kube_watch_feed(&watch, (const char *)data + at, n);
	}
	if (ret == -EBADMSG && !watch.error[0])
		FUZZ_CHECK(json_array_size(f->events) > 0); /* the store's own -EBADMSG */
	else if (ret == -EMSGSIZE)
		FUZZ_CHECK(watch.error[0] != '\0');
	else if (!ret)
		ret = mesh_kube_watch_finish(&watch);
	mesh_kube_watch_release(&watch);
	check_store(&f->store);
	return ret;
}

static void check_watch(const uint8_t *data, size_t size)
{
	struct feeding whole = {.events = json_array()}, bytewise = {.events = json_array()};
	int ret_whole, ret_bytewise;

	if (!whole.events || !bytewise.events)
		goto out;
	ret_whole = feed(data, size, size ? size : 1, &whole);
	ret_bytewise = feed(data, size, 1, &bytewise);
	if (ret_whole == -ENOMEM || ret_bytewise == -ENOMEM)
		goto out;
	FUZZ_CHECK(ret_whole == ret_bytewise);
	FUZZ_CHECK(json_equal(whole.events, bytewise.events));
	FUZZ_CHECK(!strcmp(whole.store.resource_version, bytewise.store.resource_version));
	FUZZ_CHECK(json_equal(whole.store.objects, bytewise.store.objects) ||
	           (!whole.store.objects && !bytewise.store.objects));
out:
	json_decref(whole.events);
	json_decref(bytewise.events);
	mesh_kube_store_release(&whole.store);
	mesh_kube_store_release(&bytewise.store);
}

static void check_list(const uint8_t *data, size_t size)
{
	struct mesh_kube_store store = {0};
	json_t *list = json_loadb((const char *)data, size, 0, NULL);
	int ret;

	if (!list)
		return;
	ret = mesh_kube_store_replace(&store, list);
	FUZZ_CHECK(ret == 0 || ret == -EBADMSG || ret == -ENOMEM);
	if (!ret)
		FUZZ_CHECK(store.synced && store.resource_version[0]);
	check_store(&store);
	mesh_kube_store_release(&store);
	json_decref(list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_watch(data, size);
	check_list(data, size);
	return 0;
}
