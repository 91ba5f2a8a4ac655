// SPDX-License-Identifier: MIT
/*
 * fuzz_kube_exec.c - the ExecCredential reader of mesh/k8s/kube_exec.h on any stdout an exec
 * plugin may print, read as both apiVersions.
 *
 * Promises checked: a refusal says why and never quotes the token or client key the output holds;
 * an accepted credential has a token (one line of text) or a client certificate with its key, and
 * a refusal leaves no credential behind.
 */
#include <errno.h>

#include "fuzz.h"
#include "fuzz_json.h"
#include "mesh/k8s/kube_exec.h"

static const char *const secret_fields[] = {"token", "clientKeyData"};

static void check_error(const uint8_t *data, size_t size, const char *version, const char *err,
                        const struct mesh_kube_credential *c)
{
	json_t *document = json_loadb((const char *)data, size, 0, NULL);
	const json_t *status = json_object_get(document, "status");
	const char *secret;

	FUZZ_CHECK(err[0] != '\0');
	FUZZ_CHECK(!c->token && !c->cert && !c->key && !c->expiry);
	for (size_t i = 0; i < sizeof(secret_fields) / sizeof(secret_fields[0]); i++) {
		secret = json_string_value(json_object_get(status, secret_fields[i]));
		/* A message names the apiVersion asked for, whatever the token. */
		if (fuzz_json_is_lone_secret(document, secret) && !strstr(version, secret))
			FUZZ_CHECK(!strstr(err, secret));
	}
	json_decref(document);
}

static void check_credential(const struct mesh_kube_credential *c)
{
	FUZZ_CHECK(c->token || c->cert);
	FUZZ_CHECK(!c->cert == !c->key);
	FUZZ_CHECK(!c->cert || (strlen(c->cert) <= c->cert_len && strlen(c->key) <= c->key_len));
	for (const char *t = c->token; t && *t; t++)
		FUZZ_CHECK((unsigned char)*t >= 0x20 && *t != 0x7f);
	FUZZ_CHECK(c->expiry >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const versions[] = {MESH_KUBE_EXEC_V1, MESH_KUBE_EXEC_V1BETA1};

	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		struct mesh_kube_credential c;
		char err[256] = "";
		int ret = mesh_kube_exec_parse(versions[i], (const char *)data, size, &c, err,
		                               sizeof(err));

		if (ret) {
			FUZZ_CHECK(ret == -EBADMSG || ret == -ENOMEM);
			check_error(data, size, versions[i], err, &c);
		} else {
			check_credential(&c);
			mesh_kube_credential_release(&c);
		}
	}
	return 0;
}
