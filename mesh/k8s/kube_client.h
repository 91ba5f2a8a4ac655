/* SPDX-License-Identifier: MIT */
/*
 * HTTP requests to the Kubernetes API over libcurl, configured by
 * mesh/k8s/kube_config.h: whole replies (list, get, patch) and streams (watch).
 *
 * A request returns 0 once the server answered, whatever the status (the
 * caller judges response.status), and a negative errno when no answer came:
 * -ETIMEDOUT, -ECONNREFUSED, -ECANCELED (stop said so), -EIO (other transport
 * errors), or the stream callback's own error; err then says what failed,
 * naming the method and URL and never the token. A stream hands the body of
 * a 200 reply to on_data in whatever pieces it arrives; the body of any
 * other status is collected into response for its Status message.
 *
 * With an exec plugin, the credential comes from mesh/k8s/kube_exec.h; a
 * plugin that fails fails the request before anything is sent, and a 401
 * drops the plugin's credential and sends the request once more with a
 * new one (a 401 before the body, so a stream has delivered nothing yet).
 *
 * Call curl_global_init() before the first request (the backend does).
 */
#ifndef MESH_KUBE_CLIENT_H
#define MESH_KUBE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "mesh/k8s/kube_config.h"

#define MESH_KUBE_MERGE_PATCH "application/merge-patch+json"
#define MESH_KUBE_STRATEGIC_MERGE_PATCH "application/strategic-merge-patch+json"

struct mesh_kube_response {
	long status; /* HTTP status */
	char *body;  /* NUL-terminated; NULL if empty */
	size_t len;
};

struct mesh_kube_request {
	const char *method;       /* "GET", "PATCH", ... */
	const char *path;         /* "/api/v1/nodes?watch=true" */
	const char *content_type; /* of body, or NULL */
	const char *body;         /* or NULL */
	long timeout_ms;          /* whole request; 0 = none */
	/* Streams only: the 200 body as it arrives; non-zero aborts with it. */
	int (*on_data)(void *ctx, const char *data, size_t len);
	/* Polled about once a second; true cancels the request. */
	bool (*stop)(void *ctx);
	void *ctx;
};

int mesh_kube_client_perform(const struct mesh_kube_config *config,
                             const struct mesh_kube_request *request,
                             struct mesh_kube_response *response, char *err, size_t errlen);
void mesh_kube_response_release(struct mesh_kube_response *response);

/*
 * What a failed reply says: the Status's message, else the body's start,
 * else the status line; written to buf, which is returned.
 */
const char *mesh_kube_response_message(const struct mesh_kube_response *response, char *buf,
                                       size_t size);

#endif /* MESH_KUBE_CLIENT_H */
