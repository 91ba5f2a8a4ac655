// SPDX-License-Identifier: MIT
/*
 * fuzz_kube_config.c - the kubeconfig reader of mesh/k8s/kube_config.h on any file content (the
 * file is a memfd, so the target touches no disk; relative paths in it resolve under
 * /proc/self/fd).
 *
 * Promises checked: a rejection says why and never quotes a user's token or client-key-data; an
 * accepted file gives a server without a trailing slash, a client certificate only together
 * with its key, and an exec plugin (never run: loading runs nothing) only for a user without
 * either.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz_json.h"
#include "mesh/k8s/kube_config.h"
#include "mesh/k8s/kube_exec.h"
#include "mesh/k8s/yaml.h"

static const char *const secret_fields[] = {"token", "client-key-data"};

/* No error quotes a token or client key that only the user's own field holds. */
static void check_no_secret(const json_t *document, const json_t *user, const char *err)
{
	const char *secret;

	for (size_t i = 0; i < sizeof(secret_fields) / sizeof(secret_fields[0]); i++) {
		secret = json_string_value(json_object_get(user, secret_fields[i]));
		if (fuzz_json_is_lone_secret(document, secret))
			FUZZ_CHECK(!strstr(err, secret));
	}
}

static void check_error(const uint8_t *data, size_t size, const char *err)
{
	json_t *documents = mesh_yaml_load((const char *)data, size, NULL), *entry;
	size_t i;

	FUZZ_CHECK(err[0] != '\0');
	json_array_foreach (json_object_get(json_array_get(documents, 0), "users"), i, entry)
		check_no_secret(documents, json_object_get(entry, "user"), err);
	json_decref(documents);
}

static void check_config(const struct mesh_kube_config *config)
{
	size_t len = strlen(config->server);

	FUZZ_CHECK(len == 0 || config->server[len - 1] != '/');
	FUZZ_CHECK(!(config->cert.path || config->cert.data) ==
	           !(config->key.path || config->key.data));
	/* An exec plugin only for a user without a token or certificate, and never run yet. */
	if (config->exec) {
		FUZZ_CHECK(!config->token && !config->token_file && !config->cert.path &&
		           !config->cert.data);
		FUZZ_CHECK(config->exec->config.command[0] && config->exec->runs == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mesh_kube_config config;
	char path[64], err[512] = "";
	int fd = memfd_create("kubeconfig", MFD_CLOEXEC);
	int ret;

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size)
		goto out;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ret = mesh_kube_config_load(path, NULL, &config, err, sizeof(err));
	if (ret) {
		FUZZ_CHECK(ret == -EINVAL || ret == -ENOMEM);
		check_error(data, size, err);
	} else {
		check_config(&config);
		mesh_kube_config_release(&config);
	}
out:
	close(fd);
	return 0;
}
