// SPDX-License-Identifier: MIT
/*
 * One libcurl easy handle per request: requests are rare (a list, a watch
 * that lasts minutes, a patch every 30 s), so connection reuse is not worth
 * sharing a handle between the backend's threads.
 */
#include "mesh/k8s/kube_client.h"
#include "mesh/k8s/kube_exec.h"
#include "mesh/model/wipe.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
		char *body = mesh_wipe_realloc(
		    response->body, response->body ? response->len + 1 : 0, body_capacity(need));

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

/*
 * libcurl frees its copy of a blob unwiped, so keys are lent instead
 * (CURL_BLOB_NOCOPY): they outlive the handle and are wiped by their owner.
 */
static void set_blob(CURL *curl, CURLoption option, void *data, size_t len, unsigned int flags)
{
	struct curl_blob blob = {.data = data, .len = len, .flags = flags};

	curl_easy_setopt(curl, option, &blob);
}

static void set_pem(CURL *curl, const struct mesh_kube_pem *pem, CURLoption path_option,
                    CURLoption blob_option, unsigned int flags)
{
	if (pem->data)
		set_blob(curl, blob_option, pem->data, pem->len, flags);
	else if (pem->path)
		curl_easy_setopt(curl, path_option, pem->path);
}

/* The exec plugin's client certificate, if it gave one, else the kubeconfig's. */
static void set_tls(CURL *curl, const struct mesh_kube_config *config,
                    const struct mesh_kube_credential *credential)
{
	set_pem(curl, &config->ca, CURLOPT_CAINFO, CURLOPT_CAINFO_BLOB, CURL_BLOB_COPY);
	if (credential->cert) {
		set_blob(curl, CURLOPT_SSLCERT_BLOB, credential->cert, credential->cert_len,
		         CURL_BLOB_COPY);
		set_blob(curl, CURLOPT_SSLKEY_BLOB, credential->key, credential->key_len,
		         CURL_BLOB_NOCOPY);
	} else {
		set_pem(curl, &config->cert, CURLOPT_SSLCERT, CURLOPT_SSLCERT_BLOB, CURL_BLOB_COPY);
		set_pem(curl, &config->key, CURLOPT_SSLKEY, CURLOPT_SSLKEY_BLOB, CURL_BLOB_NOCOPY);
	}
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

/* The exec plugin's credential, or the token (of the file) as one. */
static int get_credential(const struct mesh_kube_config *config,
                          struct mesh_kube_credential *credential, char *err, size_t errlen)
{
	memset(credential, 0, sizeof(*credential));
	if (config->exec)
		return mesh_kube_exec_get(config->exec, time(NULL), credential, err, errlen);
	return mesh_kube_config_token(config, &credential->token, err, errlen);
}

static int build_headers(const struct mesh_kube_request *request, const char *token,
                         struct curl_slist **headers, char *err, size_t errlen)
{
	char *bearer = NULL;
	int ret = add_header(headers, "Accept", "application/json");

	if (!ret && request->content_type)
		ret = add_header(headers, "Content-Type", request->content_type);
	if (!ret && token && asprintf(&bearer, "Bearer %s", token) < 0) {
		bearer = NULL;
		ret = -ENOMEM;
	}
	if (!ret && bearer)
		ret = add_header(headers, "Authorization", bearer);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s", strerror(ENOMEM));
	if (bearer)
		sodium_memzero(bearer, strlen(bearer));
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

/* One request; *run says which run of the exec plugin gave its credential (0: none). */
static int perform(const struct mesh_kube_config *config, const struct mesh_kube_request *request,
                   struct mesh_kube_response *response, unsigned long *run, char *err,
                   size_t errlen)
{
	struct transfer t = {.request = request, .response = response};
	char curl_err[CURL_ERROR_SIZE] = "", *url = NULL;
	struct mesh_kube_credential credential;
	struct curl_slist *headers = NULL;
	CURLcode code;
	int ret;

	memset(response, 0, sizeof(*response));
	/* No credential, or a whole one: a plugin that fails sends no request. */
	ret = get_credential(config, &credential, err, errlen);
	*run = credential.run;
	if (!ret)
		ret = build_headers(request, credential.token, &headers, err, errlen);
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
	set_tls(t.curl, config, &credential);
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
	mesh_kube_credential_release(&credential);
	free(url);
	return ret;
}

int mesh_kube_client_perform(const struct mesh_kube_config *config,
                             const struct mesh_kube_request *request,
                             struct mesh_kube_response *response, char *err, size_t errlen)
{
	unsigned long run;
	int ret = perform(config, request, response, &run, err, errlen);

	/*
	 * The plugin's credential was refused (revoked, or expired early): drop
	 * it and ask the plugin once more, as client-go does (which then leaves
	 * the retry to its caller).
	 */
	if (!ret && response->status == 401 && run) {
		mesh_kube_exec_refused(config->exec, run);
		mesh_kube_response_release(response);
		ret = perform(config, request, response, &run, err, errlen);
	}
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
