// SPDX-License-Identifier: MIT
/*
 * One libcurl easy handle per request: requests are rare (a list, a watch
 * that lasts minutes, a patch every 30 s), so connection reuse is not worth
 * sharing a handle between the backend's threads.
 */
#include "mesh/k8s/kube_client.h"
#include "mesh/model/wipe.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONNECT_TIMEOUT_MS 10000L
/* A list of 10 000 Nodes is some 50 MB; anything far beyond is not an answer. */
#define BODY_MAX (256u << 20)

struct transfer {
	CURL *curl;
	const struct mesh_kube_request *request;
	struct mesh_kube_response *response;
	int error; /* on_data's, when it aborted the transfer */
};

/*
 * The body's block: a power of two from 4 KiB up, so a long reply arriving in
 * small chunks is copied a logarithmic number of times, not once a chunk
 * (each growth copies, to wipe the old block).
 */
static size_t body_capacity(size_t size)
{
	size_t capacity = 4096;

	while (capacity < size)
		capacity *= 2;
	return capacity;
}

static int append_body(struct mesh_kube_response *response, const char *data, size_t len)
{
	size_t need = response->len + len + 1;

	if (response->len + len > BODY_MAX)
		return -EFBIG;
	if (!response->body || need > body_capacity(response->len + 1)) {
		char *body = mesh_wipe_realloc(response->body, response->body ? response->len + 1 : 0,
		                               body_capacity(need));

		if (!body)
			return -ENOMEM;
		response->body = body;
	}
	memcpy(response->body + response->len, data, len);
	response->len += len;
	response->body[response->len] = '\0';
	return 0;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct transfer *t = userdata;
	size_t len = size * nmemb;

	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->response->status);
	if (t->request->on_data && t->response->status == 200)
		t->error = t->request->on_data(t->request->ctx, data, len);
	else
		t->error = append_body(t->response, data, len);
	/* Anything short of len makes libcurl stop with CURLE_WRITE_ERROR. */
	return t->error ? 0 : len;
}

static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
	const struct mesh_kube_request *request = userdata;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return request->stop && request->stop(request->ctx);
}

static void set_pem(CURL *curl, const struct mesh_kube_pem *pem, CURLoption path_option,
                    CURLoption blob_option)
{
	struct curl_blob blob = {.data = pem->data, .len = pem->len, .flags = CURL_BLOB_COPY};

	if (pem->data)
		curl_easy_setopt(curl, blob_option, &blob);
	else if (pem->path)
		curl_easy_setopt(curl, path_option, pem->path);
}

static void set_tls(CURL *curl, const struct mesh_kube_config *config)
{
	set_pem(curl, &config->ca, CURLOPT_CAINFO, CURLOPT_CAINFO_BLOB);
	set_pem(curl, &config->cert, CURLOPT_SSLCERT, CURLOPT_SSLCERT_BLOB);
	set_pem(curl, &config->key, CURLOPT_SSLKEY, CURLOPT_SSLKEY_BLOB);
	if (config->insecure) {
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

static void free_headers(struct curl_slist *headers)
{
	/* One of them carries the token. */
	for (struct curl_slist *h = headers; h; h = h->next)
		sodium_memzero(h->data, strlen(h->data));
	curl_slist_free_all(headers);
}

static int add_header(struct curl_slist **headers, const char *name, const char *value)
{
	size_t len = strlen(name) + strlen(value) + 3;
	char *line = malloc(len);
	struct curl_slist *more;

	if (!line)
		return -ENOMEM;
	snprintf(line, len, "%s: %s", name, value);
	more = curl_slist_append(*headers, line);
	sodium_memzero(line, len);
	free(line);
	if (!more)
		return -ENOMEM;
	*headers = more;
	return 0;
}

static int build_headers(const struct mesh_kube_config *config,
                         const struct mesh_kube_request *request, struct curl_slist **headers,
                         char *err, size_t errlen)
{
	char *token = NULL, *bearer = NULL;
	int ret = add_header(headers, "Accept", "application/json");

	if (!ret && request->content_type)
		ret = add_header(headers, "Content-Type", request->content_type);
	if (!ret)
		ret = mesh_kube_config_token(config, &token, err, errlen);
	if (!ret && token && asprintf(&bearer, "Bearer %s", token) < 0) {
		bearer = NULL;
		ret = -ENOMEM;
	}
	if (!ret && bearer)
		ret = add_header(headers, "Authorization", bearer);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s", strerror(ENOMEM));
	if (token)
		sodium_memzero(token, strlen(token));
	if (bearer)
		sodium_memzero(bearer, strlen(bearer));
	free(token);
	free(bearer);
	return ret;
}

static int curl_errno(CURLcode code, const struct transfer *t)
{
	switch (code) {
	case CURLE_OK:
		return 0;
	case CURLE_WRITE_ERROR:
		return t->error ? t->error : -EIO;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_ABORTED_BY_CALLBACK:
		return -ECANCELED;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	default:
		return -EIO;
	}
}

static void set_request(CURL *curl, const char *url, const struct mesh_kube_request *request,
                        struct transfer *t)
{
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request->method);
	if (request->body)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request->body);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	/* A watch is silent for minutes; keepalives find a peer that vanished. */
	curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(curl, CURLOPT_TCP_KEEPIDLE, 30L);
	curl_easy_setopt(curl, CURLOPT_TCP_KEEPINTVL, 10L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, request->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "kilo-c");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, request);
}

int mesh_kube_client_perform(const struct mesh_kube_config *config,
                             const struct mesh_kube_request *request,
                             struct mesh_kube_response *response, char *err, size_t errlen)
{
	struct transfer t = {.request = request, .response = response};
	char curl_err[CURL_ERROR_SIZE] = "", *url = NULL;
	struct curl_slist *headers = NULL;
	CURLcode code;
	int ret;

	memset(response, 0, sizeof(*response));
	ret = build_headers(config, request, &headers, err, errlen);
	if (ret)
		goto out;
	t.curl = curl_easy_init();
	if (!t.curl || asprintf(&url, "%s%s", config->server, request->path) < 0) {
		url = NULL;
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		ret = -ENOMEM;
		goto out;
	}
	set_request(t.curl, url, request, &t);
	set_tls(t.curl, config);
	curl_easy_setopt(t.curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(t.curl, CURLOPT_ERRORBUFFER, curl_err);
	code = curl_easy_perform(t.curl);
	curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &response->status);
	ret = curl_errno(code, &t);
	if (ret)
		snprintf(err, errlen, "%s %s: %s", request->method, url,
		         t.error     ? strerror(-t.error)
		         : *curl_err ? curl_err
		                     : curl_easy_strerror(code));
out:
	if (ret)
		mesh_kube_response_release(response);
	curl_easy_cleanup(t.curl);
	free_headers(headers);
	free(url);
	return ret;
}

void mesh_kube_response_release(struct mesh_kube_response *response)
{
	mesh_wipe_free(response->body, response->body ? response->len + 1 : 0);
	memset(response, 0, sizeof(*response));
}

const char *mesh_kube_response_message(const struct mesh_kube_response *response, char *buf,
                                       size_t size)
{
	json_t *status = response->body ? json_loads(response->body, 0, NULL) : NULL;
	const char *message = json_string_value(json_object_get(status, "message"));

	if (message)
		snprintf(buf, size, "%s", message);
	else if (response->body && *response->body)
		snprintf(buf, size, "HTTP %ld: %.200s", response->status, response->body);
	else
		snprintf(buf, size, "HTTP %ld", response->status);
	json_decref(status);
	return buf;
}
