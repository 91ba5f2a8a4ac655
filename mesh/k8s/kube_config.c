// SPDX-License-Identifier: MIT
/*
 * Kubeconfig files and the in-cluster service account, reduced to what a
 * libcurl request needs: a server URL, the CA, a client certificate and key,
 * and a bearer token.
 */
#include "mesh/k8s/kube_config.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mesh/k8s/yaml.h"

/* Far more than any kubeconfig or token; a bound on what a typo can load. */
#define FILE_MAX (4 << 20)

struct parse {
	const char *path; /* the kubeconfig, for messages */
	char dir[PATH_MAX];
	char *err;
	size_t errlen;
};

static int fail(const struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(const struct parse *p, const char *fmt, ...)
{
	int n = snprintf(p->err, p->errlen, "kubeconfig %s: ", p->path);
	va_list ap;

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The whole file, NUL-terminated; the caller wipes and frees it. */
static int read_file(const char *path, char **text, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;
	struct stat st;
	ssize_t n = 0;

	*text = NULL;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		goto out;
	}
	if (st.st_size > FILE_MAX) {
		ret = -EFBIG;
		goto out;
	}
	*text = malloc((size_t)st.st_size + 1);
	if (!*text) {
		ret = -ENOMEM;
		goto out;
	}
	n = read(fd, *text, (size_t)st.st_size);
	if (n < 0) {
		ret = -errno;
		free(*text);
		*text = NULL;
		goto out;
	}
	(*text)[n] = '\0';
	*len = (size_t)n;
out:
	close(fd);
	return ret;
}

/* obj[field] as a string: NULL if absent, -EINVAL if of another type. */
static int string_field(const struct parse *p, const json_t *obj, const char *where,
                        const char *field, const char **value)
{
	const json_t *v = json_object_get(obj, field);

	*value = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return fail(p, "%s.%s: not a string", where, field);
	*value = json_string_value(v);
	return 0;
}

/* asprintf() that returns NULL when it fails (its pointer is undefined then). */
static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *format(const char *fmt, ...)
{
	char *text;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : text;
}

static char *resolve_path(const struct parse *p, const char *path)
{
	return path[0] == '/' ? strdup(path) : format("%s/%s", p->dir, path);
}

static int decode_base64(const struct parse *p, const char *where, const char *field,
                         const char *text, struct mesh_kube_pem *pem)
{
	size_t len = strlen(text), max = len / 4 * 3 + 3;
	const char *end;

	pem->data = malloc(max);
	if (!pem->data)
		return -ENOMEM;
	if (!sodium_base642bin(pem->data, max, text, len, " \t\r\n", &pem->len, &end,
	                       sodium_base64_VARIANT_ORIGINAL) &&
	    end == text + len)
		return 0;
	sodium_memzero(pem->data, max);
	free(pem->data);
	pem->data = NULL;
	pem->len = 0;
	return fail(p, "%s.%s: not valid base64", where, field);
}

/* A PEM given as field (a path) or as field-data (base64), not both. */
static int pem_field(const struct parse *p, const json_t *obj, const char *where, const char *field,
                     struct mesh_kube_pem *pem)
{
	char data_field[64];
	const char *path, *data;
	int ret;

	snprintf(data_field, sizeof(data_field), "%s-data", field);
	ret = string_field(p, obj, where, field, &path);
	if (!ret)
		ret = string_field(p, obj, where, data_field, &data);
	if (ret)
		return ret;
	if (path && *path && data && *data)
		return fail(p, "%s: both %s and %s are set", where, field, data_field);
	if (data && *data)
		return decode_base64(p, where, data_field, data, pem);
	if (path && *path && !(pem->path = resolve_path(p, path)))
		return -ENOMEM;
	return 0;
}

/* The entry of list (clusters, contexts, users) called name: its inner object. */
static int find_named(const struct parse *p, const json_t *root, const char *list,
                      const char *inner, const char *name, const json_t **found)
{
	const json_t *entries = json_object_get(root, list), *entry;
	size_t i;

	if (entries && !json_is_array(entries) && !json_is_null(entries))
		return fail(p, "%s: not a list", list);
	json_array_foreach (entries, i, entry) {
		const char *entry_name = json_string_value(json_object_get(entry, "name"));

		if (!entry_name || strcmp(entry_name, name))
			continue;
		*found = json_object_get(entry, inner);
		/* "user:" with nothing under it is an empty user, as in client-go. */
		if (*found && !json_is_null(*found) && !json_is_object(*found))
			return fail(p, "%s[\"%s\"].%s: not a mapping", list, name, inner);
		return 0;
	}
	return fail(p, "%s: no entry named \"%s\"", list, name);
}

static int parse_cluster(const struct parse *p, const json_t *cluster, const char *name,
                         const char *master, struct mesh_kube_config *config)
{
	char where[320];
	const json_t *insecure = json_object_get(cluster, "insecure-skip-tls-verify");
	const char *server;
	int ret;

	snprintf(where, sizeof(where), "clusters[\"%s\"].cluster", name);
	ret = string_field(p, cluster, where, "server", &server);
	if (!ret)
		ret = pem_field(p, cluster, where, "certificate-authority", &config->ca);
	if (ret)
		return ret;
	if (insecure && !json_is_boolean(insecure))
		return fail(p, "%s.insecure-skip-tls-verify: not a boolean", where);
	config->insecure = json_is_true(insecure);
	if (config->insecure && (config->ca.path || config->ca.data))
		return fail(p,
		            "%s: insecure-skip-tls-verify cannot be combined with a "
		            "certificate authority",
		            where);
	if (master && *master)
		server = master;
	if (!server || !*server)
		return fail(p, "%s.server: not set", where);
	config->server = strdup(server);
	return config->server ? 0 : -ENOMEM;
}

static int parse_user(const struct parse *p, const json_t *user, const char *name,
                      struct mesh_kube_config *config)
{
	static const char *const unsupported[] = {"exec", "auth-provider", "username", "password"};
	const char *token, *token_file;
	char where[320];
	int ret;

	snprintf(where, sizeof(where), "users[\"%s\"].user", name);
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (json_object_get(user, unsupported[i]))
			return fail(p, "%s.%s: not supported; use a token or a client certificate",
			            where, unsupported[i]);
	ret = string_field(p, user, where, "token", &token);
	if (!ret)
		ret = string_field(p, user, where, "tokenFile", &token_file);
	if (!ret)
		ret = pem_field(p, user, where, "client-certificate", &config->cert);
	if (!ret)
		ret = pem_field(p, user, where, "client-key", &config->key);
	if (ret)
		return ret;
	if (!(config->cert.path || config->cert.data) != !(config->key.path || config->key.data))
		return fail(p, "%s: client-certificate and client-key must be given together",
		            where);
	if (token && *token && !(config->token = strdup(token)))
		return -ENOMEM;
	if (token_file && *token_file && !(config->token_file = resolve_path(p, token_file)))
		return -ENOMEM;
	return 0;
}

static int parse_root(const struct parse *p, const json_t *root, const char *master,
                      struct mesh_kube_config *config)
{
	const json_t *context, *cluster, *user;
	const char *current, *cluster_name, *user_name;
	char where[320];
	int ret;

	if (!json_is_object(root))
		return fail(p, "not a kubeconfig mapping");
	ret = string_field(p, root, "", "current-context", &current);
	if (ret)
		return ret;
	if (!current || !*current)
		return fail(p, "current-context: not set");
	ret = find_named(p, root, "contexts", "context", current, &context);
	if (ret)
		return ret;
	snprintf(where, sizeof(where), "contexts[\"%s\"].context", current);
	ret = string_field(p, context, where, "cluster", &cluster_name);
	if (!ret)
		ret = string_field(p, context, where, "user", &user_name);
	if (ret)
		return ret;
	if (!cluster_name || !*cluster_name)
		return fail(p, "%s.cluster: not set", where);
	ret = find_named(p, root, "clusters", "cluster", cluster_name, &cluster);
	if (!ret)
		ret = parse_cluster(p, cluster, cluster_name, master, config);
	/* A context without a user is anonymous, as in client-go. */
	if (!ret && user_name && *user_name) {
		ret = find_named(p, root, "users", "user", user_name, &user);
		if (!ret)
			ret = parse_user(p, user, user_name, config);
	}
	return ret;
}

static int load_file(const char *path, const char *master, struct mesh_kube_config *config,
                     char *err, size_t errlen)
{
	struct parse p = {.path = path, .err = err, .errlen = errlen};
	json_t *documents = NULL;
	json_error_t error;
	char *text, *slash;
	size_t len = 0;
	int ret;

	snprintf(p.dir, sizeof(p.dir), "%s", path);
	slash = strrchr(p.dir, '/');
	if (!slash)
		strcpy(p.dir, ".");
	else
		slash[slash == p.dir] = '\0'; /* "/kubeconfig" lives in "/" */
	ret = read_file(path, &text, &len);
	if (ret) {
		snprintf(err, errlen, "kubeconfig %s: %s", path, strerror(-ret));
		return ret;
	}
	documents = mesh_yaml_load(text, len, &error);
	sodium_memzero(text, len);
	free(text);
	if (!documents)
		ret = fail(&p, "line %d column %d: %s", error.line, error.column, error.text);
	else
		ret = parse_root(&p, json_array_get(documents, 0), master, config);
	json_decref(documents);
	return ret;
}

int mesh_kube_config_in_cluster(const char *sa_dir, struct mesh_kube_config *config, char *err,
                                size_t errlen)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	/* An IPv6 service address needs brackets in the URL. */
	bool v6 = host && strchr(host, ':');
	char *token = NULL;
	int ret;

	memset(config, 0, sizeof(*config));
	if (!host || !*host || !port || !*port) {
		snprintf(err, errlen,
		         "in-cluster config: KUBERNETES_SERVICE_HOST and "
		         "KUBERNETES_SERVICE_PORT must be set (outside a pod, pass "
		         "--kubeconfig or --master)");
		return -EINVAL;
	}
	config->server = format("https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port);
	config->token_file = format("%s/token", sa_dir);
	config->ca.path = format("%s/ca.crt", sa_dir);
	if (!config->server || !config->token_file || !config->ca.path)
		return -ENOMEM;
	/* Fail now, not at the first request, when the service account is missing. */
	ret = mesh_kube_config_token(config, &token, err, errlen);
	if (token) {
		sodium_memzero(token, strlen(token));
		free(token);
	}
	return ret;
}

int mesh_kube_config_load(const char *kubeconfig, const char *master,
                          struct mesh_kube_config *config, char *err, size_t errlen)
{
	size_t len;
	int ret;

	memset(config, 0, sizeof(*config));
	if (kubeconfig && *kubeconfig)
		ret = load_file(kubeconfig, master, config, err, errlen);
	else if (master && *master)
		ret = (config->server = strdup(master)) ? 0 : -ENOMEM;
	else
		ret =
		    mesh_kube_config_in_cluster(MESH_KUBE_SERVICE_ACCOUNT_DIR, config, err, errlen);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "kubeconfig: %s", strerror(ENOMEM));
	if (ret) {
		mesh_kube_config_release(config);
		return ret;
	}
	len = strlen(config->server);
	while (len > 0 && config->server[len - 1] == '/')
		config->server[--len] = '\0';
	return 0;
}

int mesh_kube_config_token(const struct mesh_kube_config *config, char **token, char *err,
                           size_t errlen)
{
	size_t len;
	int ret;

	*token = NULL;
	if (!config->token_file) {
		*token = config->token ? strdup(config->token) : NULL;
		return config->token && !*token ? -ENOMEM : 0;
	}
	ret = read_file(config->token_file, token, &len);
	if (ret) {
		snprintf(err, errlen, "token file %s: %s", config->token_file, strerror(-ret));
		return ret;
	}
	while (len > 0 && strchr(" \t\r\n", (*token)[len - 1]))
		(*token)[--len] = '\0';
	if (!len) {
		snprintf(err, errlen, "token file %s: empty", config->token_file);
		free(*token);
		*token = NULL;
		return -EINVAL;
	}
	return 0;
}

static void pem_release(struct mesh_kube_pem *pem)
{
	if (pem->data)
		sodium_memzero(pem->data, pem->len);
	free(pem->data);
	free(pem->path);
}

void mesh_kube_config_release(struct mesh_kube_config *config)
{
	if (config->token)
		sodium_memzero(config->token, strlen(config->token));
	free(config->token);
	free(config->token_file);
	free(config->server);
	pem_release(&config->ca);
	pem_release(&config->cert);
	pem_release(&config->key);
	memset(config, 0, sizeof(*config));
}
