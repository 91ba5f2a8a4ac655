// SPDX-License-Identifier: MIT
/*
 * mesh/kube_config: kubeconfig files and the in-cluster service account, as
 * client-go reads them, and errors that name the field at fault.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mesh/k8s/kube_config.h"
#include "mesh/k8s/kube_exec.h"

#define KUBE_DIR KILO_FIXTURES_DIR "/kube"

static char scratch[] = "/tmp/kilo-kube-config.XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(scratch) ? 0 : -1;
}

static int teardown(void **state)
{
	char command[128];

	(void)state;
	snprintf(command, sizeof(command), "rm -rf '%s'", scratch);
	return system(command);
}

static const char *write_scratch(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static char *token_of(const struct mesh_kube_config *config)
{
	char err[256] = "", *token;

	assert_int_equal(mesh_kube_config_token(config, &token, err, sizeof(err)), 0);
	return token;
}

static void test_token_user_of_the_current_context(void **state)
{
	struct mesh_kube_config config;
	char err[256] = "", *token;

	(void)state;
	assert_int_equal(
	    mesh_kube_config_load(KUBE_DIR "/token.yaml", NULL, &config, err, sizeof(err)), 0);
	/* The trailing slash goes: paths are appended to the server. */
	assert_string_equal(config.server, "https://127.0.0.1:6443");
	assert_string_equal(config.ca.path, KUBE_DIR "/ca.crt");
	assert_null(config.ca.data);
	assert_false(config.insecure);
	token = token_of(&config);
	assert_string_equal(token, "s3cr3t-token");
	free(token);
	mesh_kube_config_release(&config);
}

static void test_inline_data_is_base64_decoded(void **state)
{
	struct mesh_kube_config config;
	char err[256] = "", *token;

	(void)state;
	assert_int_equal(
	    mesh_kube_config_load(KUBE_DIR "/data.yaml", NULL, &config, err, sizeof(err)), 0);
	assert_string_equal(config.server, "https://[::1]:36443");
	assert_memory_equal(config.ca.data, "-----BEGIN CERTIFICATE-----\nca\n", config.ca.len);
	assert_memory_equal(config.cert.data, "-----BEGIN CERTIFICATE-----\ncert\n",
	                    config.cert.len);
	assert_memory_equal(config.key.data, "-----BEGIN PRIVATE KEY-----\nkey\n", config.key.len);
	assert_null(config.ca.path);
	token = token_of(&config);
	assert_null(token);
	mesh_kube_config_release(&config);
}

static void test_json_kubeconfig_with_files_and_token_file(void **state)
{
	struct mesh_kube_config config;
	char err[256] = "", *token;

	(void)state;
	assert_int_equal(
	    mesh_kube_config_load(KUBE_DIR "/files.yaml", NULL, &config, err, sizeof(err)), 0);
	assert_string_equal(config.server, "http://127.0.0.1:8080");
	assert_true(config.insecure);
	assert_string_equal(config.cert.path, "/etc/kilo/client.crt");
	assert_string_equal(config.key.path, KUBE_DIR "/keys/client.key");
	token = token_of(&config);
	assert_string_equal(token, "file-token");
	free(token);
	mesh_kube_config_release(&config);
}

static void test_kubeadm_kube_proxy_kubeconfig_of_kilos_manifest(void **state)
{
	struct mesh_kube_config config;
	char err[256] = "";

	(void)state;
	assert_int_equal(
	    mesh_kube_config_load(KUBE_DIR "/kube-proxy.yaml", NULL, &config, err, sizeof(err)), 0);
	assert_string_equal(config.server, "https://172.18.0.2:6443");
	assert_string_equal(config.ca.path, MESH_KUBE_SERVICE_ACCOUNT_DIR "/ca.crt");
	assert_string_equal(config.token_file, MESH_KUBE_SERVICE_ACCOUNT_DIR "/token");
	assert_null(config.token);
	mesh_kube_config_release(&config);
}

static void test_master_overrides_the_server(void **state)
{
	struct mesh_kube_config config;
	char err[256] = "", *token;

	(void)state;
	assert_int_equal(mesh_kube_config_load(KUBE_DIR "/token.yaml", "http://127.0.0.1:9/",
	                                       &config, err, sizeof(err)),
	                 0);
	assert_string_equal(config.server, "http://127.0.0.1:9");
	token = token_of(&config);
	assert_string_equal(token, "s3cr3t-token");
	free(token);
	mesh_kube_config_release(&config);
}

static void test_master_alone_has_no_credentials(void **state)
{
	struct mesh_kube_config config;
	char err[256] = "", *token;

	(void)state;
	assert_int_equal(
	    mesh_kube_config_load("", "http://127.0.0.1:8080", &config, err, sizeof(err)), 0);
	assert_string_equal(config.server, "http://127.0.0.1:8080");
	assert_null(config.ca.path);
	assert_null(config.cert.path);
	token = token_of(&config);
	assert_null(token);
	mesh_kube_config_release(&config);
}

static const char head[] = "apiVersion: v1\nkind: Config\n";

/* A kubeconfig whose user is an exec plugin. */
#define EXEC_USER(exec)                                                                            \
	"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"             \
	"clusters:\n- name: c\n  cluster: {server: 'https://h'}\n"                                 \
	"users:\n- name: u\n  user:\n    exec: " exec "\n"

/* Each broken kubeconfig fails with -EINVAL and an error naming the field. */
static const struct {
	const char *body, *error;
} broken[] = {
    {"clusters: []\n", "current-context: not set"},
    {"current-context: 7\n", "current-context: not a string"},
    {"current-context: x\ncontexts:\n- name: y\n  context: {cluster: c}\n",
     "contexts: no entry named \"x\""},
    {"current-context: x\ncontexts: {x: 1}\n", "contexts: not a list"},
    {"current-context: x\ncontexts:\n- name: x\n  context: {user: u}\n",
     "contexts[\"x\"].context.cluster: not set"},
    {"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\n",
     "clusters: no entry named \"c\""},
    {"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\n"
     "clusters:\n- name: c\n  cluster: {}\n",
     "clusters[\"c\"].cluster.server: not set"},
    {"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\n"
     "clusters:\n- name: c\n  cluster: {server: [a]}\n",
     "clusters[\"c\"].cluster.server: not a string"},
    {"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\n"
     "clusters:\n- name: c\n  cluster: {server: 'https://h', certificate-authority-data: "
     "'@@@'}\n",
     "clusters[\"c\"].cluster.certificate-authority-data: not valid base64"},
    {"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\n"
     "clusters:\n- name: c\n  cluster: {server: 'https://h', certificate-authority: a.crt, "
     "certificate-authority-data: YQ==}\n",
     "clusters[\"c\"].cluster: both certificate-authority and certificate-authority-data are "
     "set"},
    {"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\n"
     "clusters:\n- name: c\n  cluster: {server: 'https://h', insecure-skip-tls-verify: 'yes'}\n",
     "clusters[\"c\"].cluster.insecure-skip-tls-verify: not a boolean"},
    {"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\n"
     "clusters:\n- name: c\n  cluster: {server: 'https://h', insecure-skip-tls-verify: true, "
     "certificate-authority: a.crt}\n",
     "insecure-skip-tls-verify cannot be combined with a certificate authority"},
    {"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
     "clusters:\n- name: c\n  cluster: {server: 'https://h'}\n",
     "users: no entry named \"u\""},
    {EXEC_USER("{command: aws, interactiveMode: Never}") "    token: hush-hush\n",
     "users[\"u\"].user.exec.apiVersion: not set"},
    {EXEC_USER("[aws]"), "users[\"u\"].user.exec: not a mapping"},
    {EXEC_USER("{apiVersion: client.authentication.k8s.io/v1, interactiveMode: Never}"),
     "users[\"u\"].user.exec.command: not set"},
    {EXEC_USER("{apiVersion: client.authentication.k8s.io/v1alpha1, command: aws}"),
     "exec.apiVersion: \"client.authentication.k8s.io/v1alpha1\" is not "
     "client.authentication.k8s.io/v1 or v1beta1"},
    {EXEC_USER("{apiVersion: client.authentication.k8s.io/v1, command: aws}"),
     "exec.interactiveMode: not set (Never, IfAvailable or Always)"},
    {EXEC_USER("{apiVersion: client.authentication.k8s.io/v1, command: aws, "
               "interactiveMode: Sometimes}"),
     "exec.interactiveMode: \"Sometimes\" is not Never, IfAvailable or Always"},
    {EXEC_USER("{apiVersion: client.authentication.k8s.io/v1beta1, command: aws, args: x}"),
     "exec.args: not a list"},
    {EXEC_USER("{apiVersion: client.authentication.k8s.io/v1beta1, command: aws, "
               "args: [eks, [get-token]]}"),
     "exec.args[1]: not a string"},
    {EXEC_USER("{apiVersion: client.authentication.k8s.io/v1beta1, command: aws, env: [A=b]}"),
     "exec.env[0]: not a mapping"},
    {EXEC_USER("{apiVersion: client.authentication.k8s.io/v1beta1, command: aws, "
               "env: [{value: hush-hush}]}"),
     "exec.env[0].name: not set"},
    {EXEC_USER("{apiVersion: client.authentication.k8s.io/v1beta1, command: aws, "
               "env: [{name: A=B, value: hush-hush}]}"),
     "exec.env[0].name: holds '='"},
    {EXEC_USER("{apiVersion: client.authentication.k8s.io/v1beta1, command: aws, "
               "provideClusterInfo: 'yes'}"),
     "exec.provideClusterInfo: not a boolean"},
    {"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
     "clusters:\n- name: c\n  cluster: {server: 'https://h'}\n"
     "users:\n- name: u\n  user: {auth-provider: {name: gcp}}\n",
     "users[\"u\"].user.auth-provider: not supported; use a token, a client certificate or an "
     "exec plugin"},
    {"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
     "clusters:\n- name: c\n  cluster: {server: 'https://h'}\n"
     "users:\n- name: u\n  user: {client-certificate: c.crt}\n",
     "users[\"u\"].user: client-certificate and client-key must be given together"},
    {"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
     "clusters:\n- name: c\n  cluster: {server: 'https://h'}\n"
     "users:\n- name: u\n  user: {client-certificate: c.crt, client-key-data: 'hush-hush!'}\n",
     "users[\"u\"].user.client-key-data: not valid base64"},
    {"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
     "clusters:\n- name: c\n  cluster: {server: 'https://h'}\n"
     "users:\n- name: u\n  user: {token: [hush-hush]}\n",
     "users[\"u\"].user.token: not a string"},
    {"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
     "clusters:\n- name: c\n  cluster: {server: 'https://h'}\n"
     "users:\n- name: u\n  user: [hush-hush]\n",
     "users[\"u\"].user: not a mapping"},
    {"current-context: x\n  bad: indent\n", "mapping values are not allowed"},
};

static void test_broken_kubeconfigs_name_the_field(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		char text[1024], err[256] = "";
		struct mesh_kube_config config;
		const char *path;

		snprintf(text, sizeof(text), "%s%s", head, broken[i].body);
		path = write_scratch("broken.yaml", text);
		assert_int_equal(mesh_kube_config_load(path, NULL, &config, err, sizeof(err)),
		                 -EINVAL);
		if (!strstr(err, broken[i].error) || strncmp(err, "kubeconfig ", 11) ||
		    !strstr(err, path))
			fail_msg("case %zu: error \"%s\" does not name %s: %s", i, err, path,
			         broken[i].error);
		/* Secrets never reach a message. */
		assert_null(strstr(err, "hush-hush"));
		assert_null(config.server);
	}
}

static void test_exec_user_as_eks_writes_it(void **state)
{
	struct mesh_kube_config config;
	const struct mesh_kube_exec_config *exec;
	char err[256] = "", *token;
	const char *path;

	(void)state;
	path = write_scratch(
	    "eks.yaml",
	    "apiVersion: v1\nkind: Config\ncurrent-context: arn\n"
	    "clusters:\n- name: arn\n  cluster:\n    server: https://x.eks.amazonaws.com\n"
	    "contexts:\n- name: arn\n  context: {cluster: arn, user: arn}\n"
	    "users:\n- name: arn\n  user:\n    exec:\n"
	    "      apiVersion: client.authentication.k8s.io/v1beta1\n"
	    "      command: aws\n"
	    "      args: [--region, eu-west-1, eks, get-token, --cluster-name, c]\n"
	    "      env:\n      - {name: AWS_PROFILE, value: prod}\n"
	    "      - {name: EMPTY}\n"
	    "      installHint: |\n        Install the AWS CLI:\n        apt install awscli\n");
	assert_int_equal(mesh_kube_config_load(path, NULL, &config, err, sizeof(err)), 0);
	assert_non_null(config.exec);
	exec = &config.exec->config;
	assert_string_equal(exec->command, "aws");
	assert_string_equal(exec->api_version, MESH_KUBE_EXEC_V1BETA1);
	/* v1beta1's default. */
	assert_int_equal(exec->mode, MESH_KUBE_EXEC_IF_AVAILABLE);
	assert_string_equal(exec->args[0], "--region");
	assert_string_equal(exec->args[5], "c");
	assert_null(exec->args[6]);
	assert_string_equal(exec->env[0], "AWS_PROFILE=prod");
	assert_string_equal(exec->env[1], "EMPTY=");
	assert_null(exec->env[2]);
	assert_string_equal(exec->install_hint, "Install the AWS CLI: apt install awscli ");
	assert_null(exec->cluster);
	assert_int_equal(exec->timeout_ms, MESH_KUBE_EXEC_TIMEOUT_MS);
	/* Nothing ran: a plugin runs at the first request. */
	assert_int_equal(config.exec->runs, 0);
	token = token_of(&config);
	assert_null(token);
	mesh_kube_config_release(&config);
}

static void test_exec_with_cluster_info_and_a_relative_command(void **state)
{
	struct mesh_kube_config config;
	const struct mesh_kube_exec_config *exec;
	char err[256] = "", expected[512], *cluster;
	const char *path;

	(void)state;
	path = write_scratch(
	    "gke.yaml",
	    "apiVersion: v1\nkind: Config\ncurrent-context: gke\n"
	    "clusters:\n- name: gke\n  cluster:\n    server: https://10.0.0.1/\n"
	    "    certificate-authority: ca.crt\n    tls-server-name: kubernetes\n"
	    "    extensions:\n    - name: other\n      extension: {a: 1}\n"
	    "    - name: client.authentication.k8s.io/exec\n      extension: {audience: kilo}\n"
	    "contexts:\n- name: gke\n  context: {cluster: gke, user: gke}\n"
	    "users:\n- name: gke\n  user:\n    exec:\n"
	    "      apiVersion: client.authentication.k8s.io/v1\n"
	    "      command: ./bin/gke-gcloud-auth-plugin\n"
	    "      interactiveMode: Never\n      provideClusterInfo: true\n");
	assert_int_equal(
	    mesh_kube_config_load(path, "https://10.0.0.2:443/", &config, err, sizeof(err)), 0);
	exec = &config.exec->config;
	snprintf(expected, sizeof(expected), "%s/./bin/gke-gcloud-auth-plugin", scratch);
	assert_string_equal(exec->command, expected);
	assert_int_equal(exec->mode, MESH_KUBE_EXEC_NEVER);
	assert_null(exec->args);
	assert_null(exec->env);
	snprintf(expected, sizeof(expected), "%s/ca.crt", scratch);
	assert_string_equal(exec->ca_path, expected);
	cluster = json_dumps(exec->cluster, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(cluster, "{\"config\":{\"audience\":\"kilo\"},"
	                             "\"server\":\"https://10.0.0.2:443\","
	                             "\"tls-server-name\":\"kubernetes\"}");
	free(cluster);
	mesh_kube_config_release(&config);
}

/* As client-go: a token or client certificate wins, and the plugin never runs. */
static void test_token_wins_over_exec(void **state)
{
	struct mesh_kube_config config;
	char err[256] = "", *token;
	const char *path;

	(void)state;
	path = write_scratch(
	    "both.yaml", EXEC_USER("{apiVersion: client.authentication.k8s.io/v1, command: aws, "
	                           "interactiveMode: Never}") "    token: static\n");
	assert_int_equal(mesh_kube_config_load(path, NULL, &config, err, sizeof(err)), 0);
	assert_null(config.exec);
	token = token_of(&config);
	assert_string_equal(token, "static");
	free(token);
	mesh_kube_config_release(&config);
}

static void test_user_without_fields_is_anonymous(void **state)
{
	struct mesh_kube_config config;
	char err[256] = "", *token;
	const char *path;

	(void)state;
	path = write_scratch("anonymous.yaml",
	                     "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, "
	                     "user: u}\nclusters:\n- name: c\n  cluster: {server: 'https://h'}\n"
	                     "users:\n- name: u\n  user:\n");
	assert_int_equal(mesh_kube_config_load(path, NULL, &config, err, sizeof(err)), 0);
	assert_null(config.cert.path);
	assert_null(config.cert.data);
	token = token_of(&config);
	assert_null(token);
	mesh_kube_config_release(&config);
}

static void test_missing_kubeconfig_names_the_file(void **state)
{
	struct mesh_kube_config config;
	char err[256] = "";

	(void)state;
	assert_int_equal(
	    mesh_kube_config_load("/nonexistent/kubeconfig", NULL, &config, err, sizeof(err)),
	    -ENOENT);
	assert_string_equal(err, "kubeconfig /nonexistent/kubeconfig: No such file or directory");
}

static void test_in_cluster_reads_the_service_account(void **state)
{
	struct mesh_kube_config config;
	char err[256] = "", *token;

	(void)state;
	write_scratch("token", "first\n");
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(mesh_kube_config_in_cluster(scratch, &config, err, sizeof(err)), 0);
	assert_string_equal(config.server, "https://10.96.0.1:443");
	assert_non_null(strstr(config.ca.path, "/ca.crt"));
	token = token_of(&config);
	assert_string_equal(token, "first");
	free(token);
	/* The kubelet rotates the token by rewriting the file. */
	write_scratch("token", "second");
	token = token_of(&config);
	assert_string_equal(token, "second");
	free(token);
	mesh_kube_config_release(&config);
}

static void test_in_cluster_ipv6_service_gets_brackets(void **state)
{
	struct mesh_kube_config config;
	char err[256] = "";

	(void)state;
	write_scratch("token", "t");
	setenv("KUBERNETES_SERVICE_HOST", "fd00:10:96::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(mesh_kube_config_in_cluster(scratch, &config, err, sizeof(err)), 0);
	assert_string_equal(config.server, "https://[fd00:10:96::1]:443");
	mesh_kube_config_release(&config);
}

static void test_in_cluster_outside_a_pod_says_what_to_pass(void **state)
{
	struct mesh_kube_config config = {0};
	char err[256] = "";

	(void)state;
	unsetenv("KUBERNETES_SERVICE_HOST");
	assert_int_equal(mesh_kube_config_in_cluster(scratch, &config, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "KUBERNETES_SERVICE_HOST"));
	assert_non_null(strstr(err, "--kubeconfig"));
	mesh_kube_config_release(&config);
}

static void test_in_cluster_without_token_fails_at_once(void **state)
{
	struct mesh_kube_config config = {0};
	char err[256] = "", path[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/token", scratch);
	unlink(path);
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(mesh_kube_config_in_cluster(scratch, &config, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, path));
	mesh_kube_config_release(&config);
	write_scratch("token", " \n");
	assert_int_equal(mesh_kube_config_in_cluster(scratch, &config, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "empty"));
	mesh_kube_config_release(&config);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_token_user_of_the_current_context),
	    cmocka_unit_test(test_inline_data_is_base64_decoded),
	    cmocka_unit_test(test_json_kubeconfig_with_files_and_token_file),
	    cmocka_unit_test(test_kubeadm_kube_proxy_kubeconfig_of_kilos_manifest),
	    cmocka_unit_test(test_master_overrides_the_server),
	    cmocka_unit_test(test_master_alone_has_no_credentials),
	    cmocka_unit_test(test_broken_kubeconfigs_name_the_field),
	    cmocka_unit_test(test_exec_user_as_eks_writes_it),
	    cmocka_unit_test(test_exec_with_cluster_info_and_a_relative_command),
	    cmocka_unit_test(test_token_wins_over_exec),
	    cmocka_unit_test(test_user_without_fields_is_anonymous),
	    cmocka_unit_test(test_missing_kubeconfig_names_the_file),
	    cmocka_unit_test(test_in_cluster_reads_the_service_account),
	    cmocka_unit_test(test_in_cluster_ipv6_service_gets_brackets),
	    cmocka_unit_test(test_in_cluster_outside_a_pod_says_what_to_pass),
	    cmocka_unit_test(test_in_cluster_without_token_fails_at_once),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
