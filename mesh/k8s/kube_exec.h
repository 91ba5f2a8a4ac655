/* SPDX-License-Identifier: MIT */
/*
 * Credentials from a kubeconfig exec plugin (users[].user.exec), as client-go's
 * plugin/pkg/client/auth/exec gets them (EKS, GKE and AKS hand out such kubeconfigs).
 *
 * The plugin is spawned (posix_spawnp: PATH, never a shell) with args, the
 * process's environment plus env, and KUBERNETES_EXEC_INFO holding an
 * ExecCredential of the asked apiVersion (v1 or v1beta1) with spec.interactive
 * and, with provideClusterInfo, spec.cluster. It prints an ExecCredential on
 * stdout (read up to MESH_KUBE_EXEC_STDOUT_MAX) whose status gives a bearer
 * token, a PEM client certificate and key, or both, and may give an
 * expirationTimestamp (RFC 3339). Stdin is /dev/null: kg and kgctl lend
 * their terminal only to a plugin that insists (interactiveMode Always), and
 * without one that is an error. A plugin that is not found, fails (its
 * stderr, bounded, ends the message), prints anything but such a credential,
 * or is not done within timeout_ms (it and its process group are killed)
 * gives no credential and an error naming the command and what was wrong.
 *
 * struct mesh_kube_exec keeps the last credential for every request until it
 * expires (then the plugin runs again), or until the server refuses it (401):
 * mesh_kube_exec_refused() drops it, once however many requests were refused
 * with it. Runs are serialised: threads that need a credential at the same time
 * share one run. Tokens and keys are never put in a message and are wiped when
 * dropped; the plugin's stdout too.
 */
#ifndef MESH_KUBE_EXEC_H
#define MESH_KUBE_EXEC_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define MESH_KUBE_EXEC_V1 "client.authentication.k8s.io/v1"
#define MESH_KUBE_EXEC_V1BETA1 "client.authentication.k8s.io/v1beta1"
/* client-go waits for ever; a daemon must not hang on a plugin that does. */
#define MESH_KUBE_EXEC_TIMEOUT_MS 30000L
/* An ExecCredential with a certificate chain is a few KiB. */
#define MESH_KUBE_EXEC_STDOUT_MAX (1u << 20)

enum mesh_kube_exec_mode {
	MESH_KUBE_EXEC_NEVER,
	MESH_KUBE_EXEC_IF_AVAILABLE,
	MESH_KUBE_EXEC_ALWAYS,
};

struct mesh_kube_exec_config {
	char *command;      /* looked up in PATH unless it holds a '/' */
	char **args;        /* argv[1..], NULL-terminated; NULL for none */
	char **env;         /* "NAME=value", NULL-terminated; NULL for none */
	char *api_version;  /* MESH_KUBE_EXEC_V1 or MESH_KUBE_EXEC_V1BETA1 */
	char *install_hint; /* told when the command is not found; or NULL */
	enum mesh_kube_exec_mode mode;
	/* provideClusterInfo: spec.cluster but its certificate-authority-data, else NULL. */
	json_t *cluster;
	/* The CA for spec.cluster: a file read at each run, or the bytes. */
	char *ca_path;
	unsigned char *ca_data;
	size_t ca_len;
	long timeout_ms;
};

struct mesh_kube_credential {
	char *token;      /* bearer token, or NULL */
	char *cert, *key; /* PEM, both or neither */
	size_t cert_len, key_len;
	time_t expiry;     /* 0: none */
	unsigned long run; /* which run of the plugin gave it (from 1) */
};

/* Whether to run interactively: -ENOTTY for Always without a terminal. */
int mesh_kube_exec_interactive(enum mesh_kube_exec_mode mode, bool terminal, bool *interactive);

/* KUBERNETES_EXEC_INFO's value (malloc'd), with ca as certificate-authority-data; NULL: ENOMEM. */
char *mesh_kube_exec_input(const struct mesh_kube_exec_config *config, bool interactive,
                           const unsigned char *ca, size_t ca_len);

/*
 * The plugin's stdout, len bytes, as a credential of api_version. -EBADMSG
 * (err says what was wrong, quoting no secret) or -ENOMEM.
 */
int mesh_kube_exec_parse(const char *api_version, const char *out, size_t len,
                         struct mesh_kube_credential *credential, char *err, size_t errlen);

/* Usable at now: no expiry, or now before the expiry's second. */
bool mesh_kube_credential_fresh(const struct mesh_kube_credential *credential, time_t now);

/* A deep copy (wiped and freed by mesh_kube_credential_release()); -ENOMEM. */
int mesh_kube_credential_copy(const struct mesh_kube_credential *from,
                              struct mesh_kube_credential *to);
void mesh_kube_credential_release(struct mesh_kube_credential *credential);

/* Runs the plugin once: a credential, or an error naming the command. */
int mesh_kube_exec_run(const struct mesh_kube_exec_config *config,
                       struct mesh_kube_credential *credential, char *err, size_t errlen);

typedef int mesh_kube_exec_run_fn(const struct mesh_kube_exec_config *config,
                                  struct mesh_kube_credential *credential, char *err,
                                  size_t errlen);

struct mesh_kube_exec {
	struct mesh_kube_exec_config config;
	mesh_kube_exec_run_fn *run;         /* mesh_kube_exec_run(), or a script in tests */
	pthread_mutex_t lock;               /* serialises runs; guards cached and runs */
	struct mesh_kube_credential cached; /* run 0: none */
	unsigned long runs;
};

/* Takes config over (also when it fails); NULL: ENOMEM. */
struct mesh_kube_exec *mesh_kube_exec_new(struct mesh_kube_exec_config *config);
/* A copy of the credential for a request at now (wall clock, seconds). */
int mesh_kube_exec_get(struct mesh_kube_exec *exec, time_t now,
                       struct mesh_kube_credential *credential, char *err, size_t errlen);
/* The server refused the credential of that run (401): do not hand it out again. */
void mesh_kube_exec_refused(struct mesh_kube_exec *exec, unsigned long run);
void mesh_kube_exec_free(struct mesh_kube_exec *exec);
void mesh_kube_exec_config_release(struct mesh_kube_exec_config *config);

#endif /* MESH_KUBE_EXEC_H */
