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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mesh/k8s/kube_exec.h"
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

/* Without trailing slashes: request paths are appended to it. */
static char *server_dup(const char *server)
{
	char *copy = strdup(server);
	size_t len = copy ? strlen(copy) : 0;

	while (len > 0 && copy[len - 1] == '/')
		copy[--len] = '\0';
	return copy;
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
	config->server = server_dup(server);
	return config->server ? 0 : -ENOMEM;
}

/* obj[field] as a NULL-terminated list of strings; NULL if absent. */
static int string_list(const struct parse *p, const json_t *obj, const char *where,
                       const char *field, char ***list)
{
	const json_t *array = json_object_get(obj, field), *item;
	size_t i;

	*list = NULL;
	if (!array || json_is_null(array))
		return 0;
	if (!json_is_array(array))
		return fail(p, "%s.%s: not a list", where, field);
	*list = calloc(json_array_size(array) + 1, sizeof(**list));
	if (!*list)
		return -ENOMEM;
	json_array_foreach (array, i, item) {
		if (!json_is_string(item))
			return fail(p, "%s.%s[%zu]: not a string", where, field, i);
		if (!((*list)[i] = strdup(json_string_value(item))))
			return -ENOMEM;
	}
	return 0;
}

/* exec.env, name/value pairs, as "NAME=value". */
static int exec_env(const struct parse *p, const json_t *exec, const char *where, char ***env)
{
	const json_t *array = json_object_get(exec, "env"), *item;
	const char *name, *value;
	char item_where[400];
	size_t i;
	int ret;

	*env = NULL;
	if (!array || json_is_null(array))
		return 0;
	if (!json_is_array(array))
		return fail(p, "%s.env: not a list", where);
	*env = calloc(json_array_size(array) + 1, sizeof(**env));
	if (!*env)
		return -ENOMEM;
	json_array_foreach (array, i, item) {
		snprintf(item_where, sizeof(item_where), "%.360s.env[%zu]", where, i);
		if (!json_is_object(item))
			return fail(p, "%s: not a mapping", item_where);
		ret = string_field(p, item, item_where, "name", &name);
		if (!ret)
			ret = string_field(p, item, item_where, "value", &value);
		if (ret)
			return ret;
		if (!name || !*name)
			return fail(p, "%s.name: not set", item_where);
		if (strchr(name, '='))
			return fail(p, "%s.name: holds '='", item_where);
		if (!((*env)[i] = format("%s=%s", name, value ? value : "")))
			return -ENOMEM;
	}
	return 0;
}

static int exec_mode(const struct parse *p, const json_t *exec, const char *where,
                     const char *api_version, enum mesh_kube_exec_mode *mode)
{
	static const char *const modes[] = {"Never", "IfAvailable", "Always"};
	const char *text;
	int ret = string_field(p, exec, where, "interactiveMode", &text);

	if (ret)
		return ret;
	/* client-go's default for v1beta1; v1 must say. */
	if ((!text || !*text) && !strcmp(api_version, MESH_KUBE_EXEC_V1BETA1))
		text = "IfAvailable";
	if (!text || !*text)
		return fail(p, "%s.interactiveMode: not set (Never, IfAvailable or Always)", where);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(text, modes[i])) {
			*mode = (enum mesh_kube_exec_mode)i;
			return 0;
		}
	return fail(p, "%s.interactiveMode: \"%.64s\" is not Never, IfAvailable or Always", where,
	            text);
}

/* What provideClusterInfo tells the plugin, as client-go's exec.Cluster (but the CA). */
static json_t *exec_cluster(const json_t *cluster, const struct mesh_kube_config *config)
{
	static const char *const passed[] = {"tls-server-name", "proxy-url"};
	const json_t *extensions = json_object_get(cluster, "extensions"), *extension;
	json_t *info = json_pack("{s:s}", "server", config->server);
	size_t i;

	for (i = 0; info && i < sizeof(passed) / sizeof(passed[0]); i++) {
		const json_t *value = json_object_get(cluster, passed[i]);

		if (json_is_string(value) && json_string_length(value) &&
		    json_object_set(info, passed[i], (json_t *)value))
			goto fail;
	}
	if (info && config->insecure &&
	    json_object_set_new(info, "insecure-skip-tls-verify", json_true()))
		goto fail;
	if (info && json_is_true(json_object_get(cluster, "disable-compression")) &&
	    json_object_set_new(info, "disable-compression", json_true()))
		goto fail;
	json_array_foreach (extensions, i, extension) {
		const char *name = json_string_value(json_object_get(extension, "name"));

		if (info && name && !strcmp(name, "client.authentication.k8s.io/exec") &&
		    json_object_get(extension, "extension") &&
		    json_object_set(info, "config", json_object_get(extension, "extension")))
			goto fail;
	}
	return info;
fail:
	json_decref(info);
	return NULL;
}

static int exec_cluster_info(const json_t *cluster, const struct mesh_kube_config *config,
                             struct mesh_kube_exec_config *exec)
{
	if (!(exec->cluster = exec_cluster(cluster, config)))
		return -ENOMEM;
	if (config->ca.path && !(exec->ca_path = strdup(config->ca.path)))
		return -ENOMEM;
	if (config->ca.data) {
		if (!(exec->ca_data = malloc(config->ca.len)))
			return -ENOMEM;
		memcpy(exec->ca_data, config->ca.data, config->ca.len);
		exec->ca_len = config->ca.len;
	}
	return 0;
}

/* A hint may span lines; a message does not. */
static char *one_line(const char *text)
{
	char *line = strdup(text);

	for (char *c = line; c && *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	return line;
}

static int exec_command(const struct parse *p, const json_t *exec, const char *where,
                        struct mesh_kube_exec_config *out)
{
	const char *command, *api_version, *hint;
	int ret = string_field(p, exec, where, "command", &command);

	if (!ret)
		ret = string_field(p, exec, where, "apiVersion", &api_version);
	if (!ret)
		ret = string_field(p, exec, where, "installHint", &hint);
	if (ret)
		return ret;
	if (!command || !*command)
		return fail(p, "%s.command: not set", where);
	if (!api_version || !*api_version)
		return fail(p, "%s.apiVersion: not set", where);
	if (strcmp(api_version, MESH_KUBE_EXEC_V1) && strcmp(api_version, MESH_KUBE_EXEC_V1BETA1))
		return fail(p, "%s.apiVersion: \"%.64s\" is not " MESH_KUBE_EXEC_V1 " or v1beta1",
		            where, api_version);
	/* As client-go: a path with a '/' is the kubeconfig's, a bare name is PATH's. */
	out->command = strchr(command, '/') ? resolve_path(p, command) : strdup(command);
	out->api_version = strdup(api_version);
	if (hint && *hint)
		out->install_hint = one_line(hint);
	if (!out->command || !out->api_version || (hint && *hint && !out->install_hint))
		return -ENOMEM;
	return exec_mode(p, exec, where, api_version, &out->mode);
}

/* users[].user.exec into *out (NULL unless wanted); cluster is the context's. */
static int parse_exec(const struct parse *p, const json_t *user, const char *user_where,
                      const json_t *cluster, bool wanted, struct mesh_kube_config *config)
{
	const json_t *exec = json_object_get(user, "exec"), *provide;
	struct mesh_kube_exec_config out = {.timeout_ms = MESH_KUBE_EXEC_TIMEOUT_MS};
	char where[400];
	int ret;

	if (!exec || json_is_null(exec))
		return 0;
	snprintf(where, sizeof(where), "%s.exec", user_where);
	provide = json_object_get(exec, "provideClusterInfo");
	if (!json_is_object(exec))
		ret = fail(p, "%s: not a mapping", where);
	else if (provide && !json_is_boolean(provide) && !json_is_null(provide))
		ret = fail(p, "%s.provideClusterInfo: not a boolean", where);
	else
		ret = exec_command(p, exec, where, &out);
	if (!ret)
		ret = string_list(p, exec, where, "args", &out.args);
	if (!ret)
		ret = exec_env(p, exec, where, &out.env);
	if (!ret && wanted && json_is_true(provide))
		ret = exec_cluster_info(cluster, config, &out);
	if (!ret && wanted && !(config->exec = mesh_kube_exec_new(&out)))
		ret = -ENOMEM;
	mesh_kube_exec_config_release(&out);
	return ret;
}

static int parse_user(const struct parse *p, const json_t *user, const char *name,
                      const json_t *cluster, struct mesh_kube_config *config)
{
	static const char *const unsupported[] = {"auth-provider", "username", "password"};
	const char *token, *token_file;
	char where[320];
	int ret;

	snprintf(where, sizeof(where), "users[\"%s\"].user", name);
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (json_object_get(user, unsupported[i]))
			return fail(p,
			            "%s.%s: not supported; use a token, a client certificate or "
			            "an exec plugin",
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
	return parse_exec(p, user, where, cluster,
	                  !config->token && !config->token_file && !config->cert.path &&
	                      !config->cert.data,
	                  config);
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
			ret = parse_user(p, user, user_name, cluster, config);
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
	int ret;

	memset(config, 0, sizeof(*config));
	if (kubeconfig && *kubeconfig)
		ret = load_file(kubeconfig, master, config, err, errlen);
	else if (master && *master)
		ret = (config->server = server_dup(master)) ? 0 : -ENOMEM;
	else
		ret =
		    mesh_kube_config_in_cluster(MESH_KUBE_SERVICE_ACCOUNT_DIR, config, err, errlen);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "kubeconfig: %s", strerror(ENOMEM));
	if (ret) {
		mesh_kube_config_release(config);
		return ret;
	}
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
	mesh_kube_exec_free(config->exec);
	pem_release(&config->ca);
	pem_release(&config->cert);
	pem_release(&config->key);
	memset(config, 0, sizeof(*config));
}
