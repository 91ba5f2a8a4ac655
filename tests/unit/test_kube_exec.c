// SPDX-License-Identifier: MIT
/*
 * mesh/kube_exec: the ExecCredential a plugin prints (what is taken, what is
 * refused and how the refusal reads, never quoting a secret), the one it is
 * given, the cache with a fixed clock and a scripted plugin, and real plugins
 * (bash scripts) that succeed, fail, print junk, print too much, or hang.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mesh/k8s/kube_exec.h"

#define V1 MESH_KUBE_EXEC_V1
#define V1BETA1 MESH_KUBE_EXEC_V1BETA1
#define SECRET "hush-hush-7e1f0a9c"
#define CERT "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n"
#define KEY "-----BEGIN PRIVATE KEY-----\\n" SECRET "\\n-----END PRIVATE KEY-----\\n"
/* 2030-01-02T03:04:05Z */
#define EXPIRY 1893553445

static char scratch[] = "/tmp/kilo-kube-exec.XXXXXX";

static int setup(void **state)
{
	int null = open("/dev/null", O_RDONLY);

	(void)state;
	/* No terminal, as in CI, whoever runs the test. */
	if (null < 0 || dup2(null, STDIN_FILENO) < 0)
		return -1;
	close(null);
	return mkdtemp(scratch) ? 0 : -1;
}

static int teardown(void **state)
{
	char command[128];

	(void)state;
	snprintf(command, sizeof(command), "rm -rf '%s'", scratch);
	return system(command);
}

static int parse(const char *api_version, const char *out, struct mesh_kube_credential *c,
                 char *err, size_t errlen)
{
	return mesh_kube_exec_parse(api_version, out, strlen(out), c, err, errlen);
}

static void test_token_with_expiry_is_taken(void **state)
{
	struct mesh_kube_credential c;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse(V1,
	                       "{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1 "\","
	                       "\"spec\":{\"interactive\":false},\"status\":{\"token\":\"" SECRET
	                       "\",\"expirationTimestamp\":\"2030-01-02T03:04:05Z\"}}\n",
	                       &c, err, sizeof(err)),
	                 0);
	assert_string_equal(c.token, SECRET);
	assert_null(c.cert);
	assert_null(c.key);
	assert_int_equal(c.expiry, EXPIRY);
	mesh_kube_credential_release(&c);
	assert_null(c.token);
}

static void test_client_certificate_of_v1beta1_is_taken(void **state)
{
	struct mesh_kube_credential c;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse(V1BETA1,
	                       "{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1BETA1 "\","
	                       "\"status\":{\"clientCertificateData\":\"" CERT
	                       "\",\"clientKeyData\":\"" KEY "\"}}",
	                       &c, err, sizeof(err)),
	                 0);
	assert_null(c.token);
	assert_int_equal(c.cert_len, strlen(c.cert));
	assert_non_null(strstr(c.cert, "BEGIN CERTIFICATE-----\nMIIB\n"));
	assert_non_null(strstr(c.key, SECRET));
	assert_int_equal(c.expiry, 0);
	mesh_kube_credential_release(&c);
}

static void test_expiry_in_any_zone_and_with_fractions(void **state)
{
	static const struct {
		const char *text;
		time_t expiry;
	} times[] = {
	    {"2030-01-02T05:04:05+02:00", EXPIRY},
	    {"2030-01-01T22:34:05.999999999-04:30", EXPIRY},
	    {"2030-01-02t03:04:05.5z", EXPIRY},
	    {"2024-02-29T00:00:00Z", 1709164800},
	    /* Long gone is expired, not "no expiry". */
	    {"1970-01-01T00:00:00Z", 1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		struct mesh_kube_credential c;
		char out[512], err[256] = "";

		snprintf(out, sizeof(out),
		         "{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1 "\",\"status\":"
		         "{\"token\":\"t\",\"expirationTimestamp\":\"%s\"}}",
		         times[i].text);
		assert_int_equal(parse(V1, out, &c, err, sizeof(err)), 0);
		if (c.expiry != times[i].expiry)
			fail_msg("%s: %ld, not %ld", times[i].text, (long)c.expiry,
			         (long)times[i].expiry);
		mesh_kube_credential_release(&c);
	}
}

#define HEAD "{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1 "\","

/* Each refused output says what was wrong, and never quotes the secret. */
static const struct {
	const char *out, *error;
} refused[] = {
    {"", "printed nothing on stdout"},
    {" \n", "printed nothing on stdout"},
    {"token: " SECRET "\n", "stdout is not JSON (line 1, column "},
    {HEAD "\"status\":{\"token\":\"" SECRET, "stdout is not JSON"},
    {HEAD "\"status\":{\"token\":\"" SECRET "\"}} trailing", "stdout is not JSON"},
    {"[\"" SECRET "\"]", "stdout is not a JSON object"},
    {"{\"apiVersion\":\"" V1 "\",\"status\":{\"token\":\"" SECRET "\"}}",
     "stdout has no kind (ExecCredential)"},
    {"{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"status\":{\"token\":\"" SECRET "\"}}",
     "kind is \"Secret\", not ExecCredential"},
    {"{\"kind\":\"ExecCredential\",\"status\":{\"token\":\"" SECRET "\"}}",
     "stdout has no apiVersion (" V1 " asked for)"},
    {"{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1BETA1 "\",\"status\":{\"token\":"
     "\"" SECRET "\"}}",
     "apiVersion is \"" V1BETA1 "\", not the " V1 " asked for"},
    {HEAD "\"spec\":{}}", "stdout has no status"},
    {HEAD "\"status\":\"" SECRET "\"}", "status: not an object"},
    {HEAD "\"status\":{}}", "status has no token and no clientCertificateData and clientKeyData"},
    {HEAD "\"status\":{\"token\":\"\"}}", "status has no token"},
    {HEAD "\"status\":{\"token\":[\"" SECRET "\"]}}", "status.token: not a string"},
    {HEAD "\"status\":{\"token\":\"" SECRET "\\r\\nX-Evil: 1\"}}",
     "status.token: holds control characters"},
    {HEAD "\"status\":{\"clientCertificateData\":\"" CERT "\"}}",
     "status.clientCertificateData without status.clientKeyData"},
    {HEAD "\"status\":{\"token\":\"t\",\"clientKeyData\":\"" KEY "\"}}",
     "status.clientKeyData without status.clientCertificateData"},
    {HEAD "\"status\":{\"clientCertificateData\":\"" CERT "\",\"clientKeyData\":\"" SECRET "\"}}",
     "status.clientKeyData: not PEM"},
    {HEAD "\"status\":{\"clientCertificateData\":\"MIIB\",\"clientKeyData\":\"" KEY "\"}}",
     "status.clientCertificateData: not PEM"},
    {HEAD "\"status\":{\"token\":\"" SECRET "\",\"expirationTimestamp\":\"tomorrow\"}}",
     "status.expirationTimestamp \"tomorrow\": not RFC 3339"},
    {HEAD "\"status\":{\"token\":\"t\",\"expirationTimestamp\":\"2023-02-29T00:00:00Z\"}}",
     "not RFC 3339"},
    {HEAD "\"status\":{\"token\":\"t\",\"expirationTimestamp\":\"2030-01-02T03:04:05\"}}",
     "not RFC 3339"},
    {HEAD "\"status\":{\"token\":\"t\",\"expirationTimestamp\":\"2030-01-02T24:00:00Z\"}}",
     "not RFC 3339"},
    {HEAD "\"status\":{\"token\":\"t\",\"expirationTimestamp\":1893553445}}",
     "status.expirationTimestamp: not a string"},
};

static void test_refused_outputs_say_why_without_the_secret(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct mesh_kube_credential c;
		char err[256] = "";

		assert_int_equal(parse(V1, refused[i].out, &c, err, sizeof(err)), -EBADMSG);
		if (!strstr(err, refused[i].error))
			fail_msg("case %zu: \"%s\", not \"%s\"", i, err, refused[i].error);
		assert_null(strstr(err, "hush"));
		assert_null(c.token);
		assert_null(c.key);
	}
}

static void test_input_tells_interactive_and_cluster(void **state)
{
	struct mesh_kube_exec_config config = {.api_version = V1};
	char *input;

	(void)state;
	input = mesh_kube_exec_input(&config, false, NULL, 0);
	assert_string_equal(input, "{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1 "\","
	                           "\"spec\":{\"interactive\":false}}");
	free(input);
	config.api_version = V1BETA1;
	config.cluster = json_pack("{s:s,s:b}", "server", "https://127.0.0.1:6443",
	                           "insecure-skip-tls-verify", true);
	input = mesh_kube_exec_input(&config, true, (const unsigned char *)"ca", 2);
	assert_string_equal(input, "{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1BETA1 "\","
	                           "\"spec\":{\"interactive\":true,\"cluster\":{"
	                           "\"server\":\"https://127.0.0.1:6443\","
	                           "\"insecure-skip-tls-verify\":true,"
	                           "\"certificate-authority-data\":\"Y2E=\"}}}");
	free(input);
	json_decref(config.cluster);
}

static void test_interactive_only_with_a_terminal(void **state)
{
	bool interactive;

	(void)state;
	assert_int_equal(mesh_kube_exec_interactive(MESH_KUBE_EXEC_NEVER, true, &interactive), 0);
	assert_false(interactive);
	assert_int_equal(
	    mesh_kube_exec_interactive(MESH_KUBE_EXEC_IF_AVAILABLE, false, &interactive), 0);
	assert_false(interactive);
	assert_int_equal(
	    mesh_kube_exec_interactive(MESH_KUBE_EXEC_IF_AVAILABLE, true, &interactive), 0);
	assert_true(interactive);
	assert_int_equal(mesh_kube_exec_interactive(MESH_KUBE_EXEC_ALWAYS, true, &interactive), 0);
	assert_true(interactive);
	assert_int_equal(mesh_kube_exec_interactive(MESH_KUBE_EXEC_ALWAYS, false, &interactive),
	                 -ENOTTY);
}

static void test_credential_expires_at_its_second(void **state)
{
	struct mesh_kube_credential forever = {.token = "t"}, until = {.token = "t", .expiry = 100};

	(void)state;
	assert_true(mesh_kube_credential_fresh(&forever, 1L << 40));
	assert_true(mesh_kube_credential_fresh(&until, 99));
	assert_false(mesh_kube_credential_fresh(&until, 100));
	assert_false(mesh_kube_credential_fresh(&until, 101));
}

/* A scripted plugin: each run gives the next token, with expiry, or fails. */
static struct {
	time_t expiry;
	bool fail;
	unsigned runs;
} plugin;

static int scripted_run(const struct mesh_kube_exec_config *config, struct mesh_kube_credential *c,
                        char *err, size_t errlen)
{
	char token[32];

	memset(c, 0, sizeof(*c));
	plugin.runs++;
	if (plugin.fail) {
		snprintf(err, errlen, "exec plugin %s: exited with status 1", config->command);
		return -EIO;
	}
	snprintf(token, sizeof(token), "token-%u", plugin.runs);
	c->token = strdup(token);
	c->expiry = plugin.expiry;
	return 0;
}

static struct mesh_kube_exec *scripted_exec(void)
{
	struct mesh_kube_exec_config config = {.command = strdup("plugin"),
	                                       .api_version = strdup(V1)};
	struct mesh_kube_exec *exec = mesh_kube_exec_new(&config);

	assert_non_null(exec);
	exec->run = scripted_run;
	memset(&plugin, 0, sizeof(plugin));
	return exec;
}

/* The token a request at now gets, and the run that gave it. */
static void expect_token(struct mesh_kube_exec *exec, time_t now, const char *token,
                         unsigned long *run)
{
	struct mesh_kube_credential c;
	char err[256] = "";

	assert_int_equal(mesh_kube_exec_get(exec, now, &c, err, sizeof(err)), 0);
	assert_string_equal(c.token, token);
	if (run)
		*run = c.run;
	mesh_kube_credential_release(&c);
}

static void test_token_is_cached_until_it_expires(void **state)
{
	struct mesh_kube_exec *exec = scripted_exec();

	(void)state;
	plugin.expiry = 1000;
	expect_token(exec, 900, "token-1", NULL);
	expect_token(exec, 999, "token-1", NULL);
	assert_int_equal(plugin.runs, 1);
	plugin.expiry = 2000;
	expect_token(exec, 1000, "token-2", NULL);
	expect_token(exec, 1500, "token-2", NULL);
	assert_int_equal(plugin.runs, 2);
	/* One that came expired serves the request that asked for it, and no other. */
	plugin.expiry = 10;
	expect_token(exec, 2000, "token-3", NULL);
	expect_token(exec, 2000, "token-4", NULL);
	mesh_kube_exec_free(exec);
}

static void test_token_without_expiry_is_cached_for_ever(void **state)
{
	struct mesh_kube_exec *exec = scripted_exec();

	(void)state;
	expect_token(exec, 1, "token-1", NULL);
	expect_token(exec, 1L << 40, "token-1", NULL);
	assert_int_equal(plugin.runs, 1);
	mesh_kube_exec_free(exec);
}

static void test_refused_token_is_dropped_once(void **state)
{
	struct mesh_kube_exec *exec = scripted_exec();
	unsigned long first, second;

	(void)state;
	expect_token(exec, 1, "token-1", &first);
	mesh_kube_exec_refused(exec, first);
	expect_token(exec, 1, "token-2", &second);
	assert_int_not_equal(first, second);
	/* Another request refused with the first token must not drop the second. */
	mesh_kube_exec_refused(exec, first);
	expect_token(exec, 1, "token-2", NULL);
	/* Nor does a request that had no plugin credential. */
	mesh_kube_exec_refused(exec, 0);
	expect_token(exec, 1, "token-2", NULL);
	assert_int_equal(plugin.runs, 2);
	mesh_kube_exec_free(exec);
}

static void test_failed_run_caches_nothing(void **state)
{
	struct mesh_kube_exec *exec = scripted_exec();
	struct mesh_kube_credential c;
	char err[256] = "";

	(void)state;
	plugin.fail = true;
	assert_int_equal(mesh_kube_exec_get(exec, 1, &c, err, sizeof(err)), -EIO);
	assert_string_equal(err, "exec plugin plugin: exited with status 1");
	assert_null(c.token);
	assert_int_equal(c.run, 0);
	plugin.fail = false;
	expect_token(exec, 1, "token-2", NULL);
	mesh_kube_exec_free(exec);
}

/* A bash plugin NAME in scratch; its body follows "#!/bin/bash\n". */
static char *write_plugin(const char *name, const char *body)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/bash\n%s", body);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
	return path;
}

static char *read_scratch(const char *name)
{
	static char text[4096];
	char path[256];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

static int run_plugin(const char *body, char **args, char **env, long timeout_ms,
                      struct mesh_kube_credential *c, char *err, size_t errlen)
{
	struct mesh_kube_exec_config config = {
	    .command = write_plugin("plugin", body),
	    .args = args,
	    .env = env,
	    .api_version = V1,
	    .mode = MESH_KUBE_EXEC_IF_AVAILABLE,
	    .timeout_ms = timeout_ms,
	};

	return mesh_kube_exec_run(&config, c, err, errlen);
}

#define PRINT_TOKEN                                                                                \
	"echo '{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1                                  \
	"\",\"status\":{\"token\":\"" SECRET "\"}}'\n"

static void test_plugin_gets_args_env_and_exec_info(void **state)
{
	char *args[] = {"--region", "eu west", NULL}, *env[] = {"KILO_TEST_A=one", "HOME=/x", NULL};
	struct mesh_kube_credential c;
	char err[256] = "";

	(void)state;
	setenv("KILO_TEST_B", "inherited", 1);
	assert_int_equal(
	    run_plugin("printf '%s|' \"$@\" \"$KILO_TEST_A\" \"$KILO_TEST_B\" \"$HOME\" "
	               "\"$KUBERNETES_EXEC_INFO\" \"$(readlink /proc/self/fd/0)\" "
	               ">\"$(dirname \"$0\")/seen\"\n" PRINT_TOKEN,
	               args, env, 5000, &c, err, sizeof(err)),
	    0);
	assert_string_equal(c.token, SECRET);
	mesh_kube_credential_release(&c);
	assert_string_equal(read_scratch("seen"),
	                    "--region|eu west|one|inherited|/x|{\"kind\":\"ExecCredential\","
	                    "\"apiVersion\":\"" V1 "\",\"spec\":{\"interactive\":false}}|"
	                    "/dev/null|");
	unsetenv("KILO_TEST_B");
}

static void test_plugin_in_path_gives_its_token(void **state)
{
	struct mesh_kube_exec_config config = {.command = "kilo-test-plugin",
	                                       .api_version = V1,
	                                       .mode = MESH_KUBE_EXEC_NEVER,
	                                       .timeout_ms = 5000};
	char err[256] = "", path[4096];
	const char *old = getenv("PATH");
	struct mesh_kube_credential c;

	(void)state;
	write_plugin("kilo-test-plugin", PRINT_TOKEN);
	snprintf(path, sizeof(path), "%s:%s", scratch, old);
	setenv("PATH", path, 1);
	assert_int_equal(mesh_kube_exec_run(&config, &c, err, sizeof(err)), 0);
	setenv("PATH", old, 1);
	assert_string_equal(c.token, SECRET);
	mesh_kube_credential_release(&c);
}

static void test_missing_plugin_gives_the_install_hint(void **state)
{
	struct mesh_kube_exec_config config = {.command = "kilo-no-such-plugin",
	                                       .api_version = V1,
	                                       .install_hint = "apt install kilo-no-such-plugin",
	                                       .timeout_ms = 5000};
	struct mesh_kube_credential c;
	char err[256] = "";

	(void)state;
	assert_int_equal(mesh_kube_exec_run(&config, &c, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "exec plugin kilo-no-such-plugin: not found in PATH; "
	                         "apt install kilo-no-such-plugin");
}

/* Each failing plugin: its error, naming the command and what went wrong. */
static const struct {
	const char *body;
	int ret;
	const char *error;
} failing[] = {
    {"echo 'token expired,' >&2\necho 'run aws sso login' >&2\nexit 3\n", -EIO,
     "exited with status 3: token expired, run aws sso login"},
    {"exit 1\n", -EIO, "exited with status 1"},
    {"kill -KILL $$\n", -EIO, "killed by signal 9"},
    {"echo '<html>Sign in</html>'\n", -EBADMSG, "stdout is not JSON (line 1, column 1)"},
    {"echo '{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1BETA1 "\"}'\n", -EBADMSG,
     "apiVersion is \"" V1BETA1 "\", not the " V1 " asked for"},
    {"head -c 2000000 /dev/zero\n", -EFBIG, "printed more than 1048576 bytes on stdout; killed it"},
    {"exec sleep 30\n", -ETIMEDOUT, "no credential within 300 ms; killed it"},
    /* Done, but what it left behind holds stdout open: no credential in time either. */
    {PRINT_TOKEN "sleep 30 &\n", -ETIMEDOUT, "no credential within 300 ms"},
};

static void test_failing_plugins_name_the_command(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(failing) / sizeof(failing[0]); i++) {
		struct mesh_kube_credential c;
		/* Time enough for bash on a busy machine, but not for the hanging ones. */
		long timeout_ms = failing[i].ret == -ETIMEDOUT ? 300 : 10000;
		char err[512] = "", prefix[300];
		int ret;

		ret = run_plugin(failing[i].body, NULL, NULL, timeout_ms, &c, err, sizeof(err));
		snprintf(prefix, sizeof(prefix), "exec plugin %s/plugin: ", scratch);
		if (ret != failing[i].ret || strncmp(err, prefix, strlen(prefix)) ||
		    !strstr(err, failing[i].error))
			fail_msg("case %zu: %d \"%s\", not %d \"%s%s\"", i, ret, err,
			         failing[i].ret, prefix, failing[i].error);
		assert_null(c.token);
		assert_null(strstr(err, "hush"));
	}
}

static bool alive(pid_t pid)
{
	char path[64], stat[256] = "";
	const char *state;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(stat, sizeof(stat), f))
		stat[0] = '\0';
	fclose(f);
	state = strrchr(stat, ')');
	return state && state[1] == ' ' && state[2] != 'Z' && state[2] != 'X';
}

static void test_hanging_plugin_is_killed_with_its_children(void **state)
{
	struct mesh_kube_credential c;
	char err[512] = "";
	pid_t child;

	(void)state;
	assert_int_equal(
	    run_plugin("sleep 60 >/dev/null 2>&1 &\necho $! >\"$(dirname \"$0\")/child\"\n"
	               "wait\n",
	               NULL, NULL, 300, &c, err, sizeof(err)),
	    -ETIMEDOUT);
	child = (pid_t)atoi(read_scratch("child"));
	assert_true(child > 0);
	/* Killed: gone, or a zombie until whoever inherited it reaps it. */
	for (int i = 0; i < 100 && alive(child); i++)
		usleep(10000);
	assert_false(alive(child));
}

static void test_always_without_a_terminal_is_refused(void **state)
{
	struct mesh_kube_exec_config config = {.command = write_plugin("plugin", PRINT_TOKEN),
	                                       .api_version = V1,
	                                       .mode = MESH_KUBE_EXEC_ALWAYS,
	                                       .timeout_ms = 5000};
	struct mesh_kube_credential c;
	char err[512] = "";

	(void)state;
	assert_int_equal(mesh_kube_exec_run(&config, &c, err, sizeof(err)), -ENOTTY);
	assert_non_null(strstr(err, "/plugin: interactiveMode Always needs a terminal"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_token_with_expiry_is_taken),
	    cmocka_unit_test(test_client_certificate_of_v1beta1_is_taken),
	    cmocka_unit_test(test_expiry_in_any_zone_and_with_fractions),
	    cmocka_unit_test(test_refused_outputs_say_why_without_the_secret),
	    cmocka_unit_test(test_input_tells_interactive_and_cluster),
	    cmocka_unit_test(test_interactive_only_with_a_terminal),
	    cmocka_unit_test(test_credential_expires_at_its_second),
	    cmocka_unit_test(test_token_is_cached_until_it_expires),
	    cmocka_unit_test(test_token_without_expiry_is_cached_for_ever),
	    cmocka_unit_test(test_refused_token_is_dropped_once),
	    cmocka_unit_test(test_failed_run_caches_nothing),
	    cmocka_unit_test(test_plugin_gets_args_env_and_exec_info),
	    cmocka_unit_test(test_plugin_in_path_gives_its_token),
	    cmocka_unit_test(test_missing_plugin_gives_the_install_hint),
	    cmocka_unit_test(test_failing_plugins_name_the_command),
	    cmocka_unit_test(test_hanging_plugin_is_killed_with_its_children),
	    cmocka_unit_test(test_always_without_a_terminal_is_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
