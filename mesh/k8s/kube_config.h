/* SPDX-License-Identifier: MIT */
/*
 * How to reach and authenticate to the Kubernetes API, as client-go's
 * clientcmd.BuildConfigFromFlags(master, kubeconfig) decides it:
 *
 * - a kubeconfig file: its current-context names a context, whose cluster
 *   gives server, certificate-authority(-data) and insecure-skip-tls-verify,
 *   and whose user gives token, tokenFile, client-certificate(-data) and
 *   client-key(-data), or an exec plugin (mesh/k8s/kube_exec.h: apiVersion,
 *   command, args, env, interactiveMode, provideClusterInfo, installHint).
 *   File paths, and a command with a '/', are relative to the kubeconfig's
 *   directory; -data fields are base64. master, when given, replaces server.
 *   As in client-go, a user's token or client certificate wins over its exec
 *   plugin, which is then checked but never run; interactiveMode may be left
 *   out only with v1beta1 (it means IfAvailable).
 * - master alone: that server, no credentials, the system's CAs.
 * - neither: in-cluster, https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT
 *   with the service account's ca.crt and token.
 *
 * Loading never runs a plugin: the first request does. A token file is read
 * again on every request, so that a rotated service-account token is used as
 * soon as the kubelet writes it. A field
 * that is missing or malformed fails with -EINVAL and a message naming the
 * file and the field in err. Token and client key are secrets: they are
 * never put in a message and are wiped on release.
 */
#ifndef MESH_KUBE_CONFIG_H
#define MESH_KUBE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define MESH_KUBE_SERVICE_ACCOUNT_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* A PEM file given by path, or inline (already base64-decoded). */
struct mesh_kube_pem {
	char *path;
	unsigned char *data;
	size_t len;
};

struct mesh_kube_exec;

struct mesh_kube_config {
	char *server; /* "https://host:port" without a trailing slash */
	struct mesh_kube_pem ca, cert, key;
	char *token;      /* static bearer token */
	char *token_file; /* or a file holding it */
	bool insecure;    /* insecure-skip-tls-verify */
	/* The exec plugin and its cached credential, or NULL; shared by threads. */
	struct mesh_kube_exec *exec;
};

/* kubeconfig/master as kg's and kgctl's flags give them; "" counts as absent. */
int mesh_kube_config_load(const char *kubeconfig, const char *master,
                          struct mesh_kube_config *config, char *err, size_t errlen);
/* The in-cluster configuration, with the service account in sa_dir. */
int mesh_kube_config_in_cluster(const char *sa_dir, struct mesh_kube_config *config, char *err,
                                size_t errlen);
/* The current bearer token (malloc'd, to be wiped and freed), or NULL if none. */
int mesh_kube_config_token(const struct mesh_kube_config *config, char **token, char *err,
                           size_t errlen);
void mesh_kube_config_release(struct mesh_kube_config *config);

#endif /* MESH_KUBE_CONFIG_H */
