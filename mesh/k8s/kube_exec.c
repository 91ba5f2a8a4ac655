// SPDX-License-Identifier: MIT
/*
 * Running an exec plugin, and the credential kept between its runs. The
 * plugin is a process group of its own (unless it may use the terminal), so
 * that a timeout kills what it started too; its output comes through pipes
 * read under one deadline, stdout up to a cap and stderr's start for the
 * message.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mesh/k8s/kube_exec.h"
#include "mesh/model/wipe.h"

#define EXEC_INFO "KUBERNETES_EXEC_INFO"
/* Enough of a failing plugin's stderr for its reason. */
#define STDERR_KEPT 1024
/* Far more than any CA bundle. */
#define CA_MAX (4 << 20)

struct plugin_output {
	char *out; /* stdout, NUL-terminated */
	size_t len, capacity;
	char errors[STDERR_KEPT + 1]; /* the start of stderr */
	size_t errors_len;
	int status; /* as waitpid() gives it */
};

static void fail(const struct mesh_kube_exec_config *config, char *err, size_t errlen,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void fail(const struct mesh_kube_exec_config *config, char *err, size_t errlen,
                 const char *fmt, ...)
{
	int n = snprintf(err, errlen, "exec plugin %s: ", config->command);
	va_list ap;

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static bool overridden(const struct mesh_kube_exec_config *config, const char *entry)
{
	size_t name = strcspn(entry, "=");

	if (!strncmp(entry, EXEC_INFO "=", sizeof(EXEC_INFO)))
		return true;
	for (char **e = config->env; e && *e; e++)
		if (!strncmp(*e, entry, name) && (*e)[name] == '=')
			return true;
	return false;
}

/* The process's environment, then env (which wins, as in Go), then KUBERNETES_EXEC_INFO. */
static char **environment(const struct mesh_kube_exec_config *config, char *info)
{
	extern char **environ;
	size_t n = 2, i = 0;
	char **envp;

	for (char **e = environ; *e; e++)
		n++;
	for (char **e = config->env; e && *e; e++)
		n++;
	envp = calloc(n, sizeof(*envp));
	if (!envp)
		return NULL;
	for (char **e = environ; *e; e++)
		if (!overridden(config, *e))
			envp[i++] = *e;
	for (char **e = config->env; e && *e; e++)
		envp[i++] = *e;
	envp[i] = info;
	return envp;
}

static char **arguments(const struct mesh_kube_exec_config *config)
{
	size_t n = 2, i = 0;
	char **argv;

	for (char **a = config->args; a && *a; a++)
		n++;
	argv = calloc(n, sizeof(*argv));
	if (!argv)
		return NULL;
	argv[i++] = config->command;
	for (char **a = config->args; a && *a; a++)
		argv[i++] = *a;
	return argv;
}

/* The plugin with stdout (and, unless interactive, stdin and stderr) redirected. */
static int spawn(const struct mesh_kube_exec_config *config, bool interactive, char *info, int out,
                 int errors, pid_t *pid)
{
	char **envp = environment(config, info), **argv = arguments(config);
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int ret = -ENOMEM;

	if (!envp || !argv)
		goto out;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_init(&actions);
	/* kg blocks signals for its own handling; the plugin starts as from a shell. */
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	if (interactive) {
		posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	} else {
		/* Its own group, killed whole on a timeout; no terminal to read from. */
		posix_spawnattr_setpgroup(&attr, 0);
		posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
		                                    POSIX_SPAWN_SETPGROUP);
	}
	/* stdin last: with kg's own stdin closed, a pipe may have got fd 0. */
	posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
	if (!interactive) {
		posix_spawn_file_actions_adddup2(&actions, errors, STDERR_FILENO);
		posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	}
	/* Nothing else of ours (a socket of another request) goes with it. */
	posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
	ret = -posix_spawnp(pid, config->command, &actions, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&actions);
	posix_spawnattr_destroy(&attr);
out:
	free(envp);
	free(argv);
	return ret;
}

static int keep_stdout(struct plugin_output *output, const char *data, size_t len)
{
	size_t need = output->len + len + 1, capacity = output->capacity ? output->capacity : 4096;
	char *grown;

	if (output->len + len > MESH_KUBE_EXEC_STDOUT_MAX)
		return -EFBIG;
	while (capacity < need)
		capacity *= 2;
	if (capacity != output->capacity) {
		grown = mesh_wipe_realloc(output->out, output->capacity, capacity);
		if (!grown)
			return -ENOMEM;
		output->out = grown;
		output->capacity = capacity;
	}
	memcpy(output->out + output->len, data, len);
	output->len += len;
	output->out[output->len] = '\0';
	return 0;
}

static void keep_stderr(struct plugin_output *output, const char *data, size_t len)
{
	size_t room = STDERR_KEPT - output->errors_len;

	memcpy(output->errors + output->errors_len, data, len < room ? len : room);
	output->errors_len += len < room ? len : room;
	output->errors[output->errors_len] = '\0';
}

/* Both pipes to their end (fds[i].fd < 0 once closed), or -ETIMEDOUT, -EFBIG. */
static int drain(struct pollfd fds[2], long deadline, struct plugin_output *output)
{
	char chunk[4096];
	int ret = 0;

	while (!ret && (fds[0].fd >= 0 || fds[1].fd >= 0)) {
		long left = deadline - now_ms();
		int n = left > 0 ? poll(fds, 2, (int)left) : 0;

		if (n < 0 && errno != EINTR)
			ret = -errno;
		else if (left <= 0)
			ret = -ETIMEDOUT;
		for (int i = 0; !ret && n > 0 && i < 2; i++) {
			ssize_t got;

			if (fds[i].fd < 0 || !fds[i].revents)
				continue;
			got = read(fds[i].fd, chunk, sizeof(chunk));
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (got <= 0) {
				close(fds[i].fd);
				fds[i].fd = -1;
			} else if (i == 0) {
				ret = keep_stdout(output, chunk, (size_t)got);
			} else {
				keep_stderr(output, chunk, (size_t)got);
			}
		}
	}
	sodium_memzero(chunk, sizeof(chunk));
	return ret;
}

/* The plugin's exit within the deadline (it may close its pipes and linger). */
static int reap(pid_t pid, long deadline, int *status)
{
	const struct timespec pause = {.tv_nsec = 5000000L};

	for (;;) {
		pid_t done = waitpid(pid, status, WNOHANG);

		if (done == pid)
			return 0;
		if (done < 0 && errno != EINTR)
			return -errno;
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&pause, NULL);
	}
}

/* Runs it to its end or the deadline, then kills what is left of its group. */
static int collect(pid_t pid, bool group, int out, int errors, long timeout_ms,
                   struct plugin_output *output)
{
	struct pollfd fds[2] = {{.fd = out, .events = POLLIN}, {.fd = errors, .events = POLLIN}};
	long deadline = now_ms() + timeout_ms;
	int ret = drain(fds, deadline, output);

	if (!ret)
		ret = reap(pid, deadline, &output->status);
	if (ret) {
		/* The unreaped leader keeps the group's id from being reused. */
		kill(group ? -pid : pid, SIGKILL);
		while (waitpid(pid, &output->status, 0) < 0 && errno == EINTR)
			;
	}
	for (int i = 0; i < 2; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	return ret;
}

/* Stderr as one line of text: control characters become spaces. */
static const char *stderr_line(struct plugin_output *output)
{
	char *text = output->errors;
	size_t len = output->errors_len;

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			text[i] = ' ';
	while (len && text[len - 1] == ' ')
		text[--len] = '\0';
	return text + strspn(text, " ");
}

static int explain_exit(const struct mesh_kube_exec_config *config, struct plugin_output *output,
                        char *err, size_t errlen)
{
	const char *errors = stderr_line(output);
	char how[64];

	if (WIFEXITED(output->status) && !WEXITSTATUS(output->status))
		return 0;
	if (WIFEXITED(output->status))
		snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(output->status));
	else
		snprintf(how, sizeof(how), "killed by signal %d (%s)", WTERMSIG(output->status),
		         strsignal(WTERMSIG(output->status)));
	fail(config, err, errlen, "%s%s%s", how, *errors ? ": " : "", errors);
	return -EIO;
}

static int explain_spawn(const struct mesh_kube_exec_config *config, int ret, char *err,
                         size_t errlen)
{
	if (ret == -ENOENT && !strchr(config->command, '/'))
		fail(config, err, errlen, "not found in PATH%s%.300s",
		     config->install_hint ? "; " : "",
		     config->install_hint ? config->install_hint : "");
	else
		fail(config, err, errlen, "cannot run it: %s", strerror(-ret));
	return ret;
}

static int read_ca(const struct mesh_kube_exec_config *config, unsigned char **ca, size_t *len,
                   char *err, size_t errlen)
{
	int fd, ret = 0;
	struct stat st;
	ssize_t n;

	*ca = NULL;
	*len = 0;
	if (!config->cluster || !config->ca_path)
		return 0;
	fd = open(config->ca_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
	} else if (st.st_size > CA_MAX) {
		ret = -EFBIG;
	} else if (!(*ca = malloc((size_t)st.st_size + 1))) {
		ret = -ENOMEM;
	} else if ((n = read(fd, *ca, (size_t)st.st_size)) < 0) {
		ret = -errno;
	} else {
		*len = (size_t)n;
	}
	if (fd >= 0)
		close(fd);
	if (ret) {
		free(*ca);
		*ca = NULL;
		fail(config, err, errlen, "cluster info: certificate authority %s: %s",
		     config->ca_path, strerror(-ret));
	}
	return ret;
}

/* KUBERNETES_EXEC_INFO=..., malloc'd. */
static int exec_info(const struct mesh_kube_exec_config *config, bool interactive, char **info,
                     char *err, size_t errlen)
{
	unsigned char *ca_file;
	size_t ca_len;
	char *input;
	int ret = read_ca(config, &ca_file, &ca_len, err, errlen);

	*info = NULL;
	if (ret)
		return ret;
	input = mesh_kube_exec_input(config, interactive, ca_file ? ca_file : config->ca_data,
	                             ca_file ? ca_len : config->ca_len);
	if (!input || asprintf(info, EXEC_INFO "=%s", input) < 0) {
		*info = NULL;
		ret = -ENOMEM;
		fail(config, err, errlen, "%s", strerror(ENOMEM));
	}
	free(input);
	free(ca_file);
	return ret;
}

int mesh_kube_exec_run(const struct mesh_kube_exec_config *config,
                       struct mesh_kube_credential *credential, char *err, size_t errlen)
{
	struct plugin_output output = {0};
	int out[2] = {-1, -1}, errors[2] = {-1, -1}, ret;
	char *info = NULL, why[256];
	bool interactive;
	pid_t pid;

	memset(credential, 0, sizeof(*credential));
	ret = mesh_kube_exec_interactive(config->mode, isatty(STDIN_FILENO), &interactive);
	if (ret) {
		fail(
		    config, err, errlen,
		    "interactiveMode Always needs a terminal on standard input, and there is none");
		return ret;
	}
	ret = exec_info(config, interactive, &info, err, errlen);
	if (ret)
		return ret;
	if (pipe2(out, O_CLOEXEC) || (!interactive && pipe2(errors, O_CLOEXEC))) {
		ret = -errno;
		fail(config, err, errlen, "pipe: %s", strerror(-ret));
		for (int i = 0; i < 2; i++)
			if (out[i] >= 0)
				close(out[i]);
		goto out;
	}
	ret = spawn(config, interactive, info, out[1], errors[1], &pid);
	close(out[1]);
	if (errors[1] >= 0)
		close(errors[1]);
	if (ret) {
		close(out[0]);
		if (errors[0] >= 0)
			close(errors[0]);
		explain_spawn(config, ret, err, errlen);
		goto out;
	}
	ret = collect(pid, !interactive, out[0], errors[0], config->timeout_ms, &output);
	if (ret == -ETIMEDOUT)
		fail(config, err, errlen, "no credential within %ld ms; killed it",
		     config->timeout_ms);
	else if (ret == -EFBIG)
		fail(config, err, errlen, "printed more than %u bytes on stdout; killed it",
		     MESH_KUBE_EXEC_STDOUT_MAX);
	else if (ret)
		fail(config, err, errlen, "%s", strerror(-ret));
	else
		ret = explain_exit(config, &output, err, errlen);
	if (ret)
		goto out;
	ret = mesh_kube_exec_parse(config->api_version, output.out ? output.out : "", output.len,
	                           credential, why, sizeof(why));
	if (ret)
		fail(config, err, errlen, "%s", why);
out:
	mesh_wipe_free(output.out, output.capacity);
	free(info);
	return ret;
}

struct mesh_kube_exec *mesh_kube_exec_new(struct mesh_kube_exec_config *config)
{
	struct mesh_kube_exec *exec = calloc(1, sizeof(*exec));

	if (!exec) {
		mesh_kube_exec_config_release(config);
		return NULL;
	}
	exec->config = *config;
	memset(config, 0, sizeof(*config));
	exec->run = mesh_kube_exec_run;
	pthread_mutex_init(&exec->lock, NULL);
	return exec;
}

int mesh_kube_exec_get(struct mesh_kube_exec *exec, time_t now,
                       struct mesh_kube_credential *credential, char *err, size_t errlen)
{
	struct mesh_kube_credential fresh;
	int ret = 0;

	pthread_mutex_lock(&exec->lock);
	if (!exec->cached.run || !mesh_kube_credential_fresh(&exec->cached, now)) {
		mesh_kube_credential_release(&exec->cached);
		exec->runs++;
		ret = exec->run(&exec->config, &fresh, err, errlen);
		if (!ret) {
			exec->cached = fresh;
			exec->cached.run = exec->runs;
		}
	}
	if (!ret && (ret = mesh_kube_credential_copy(&exec->cached, credential)))
		snprintf(err, errlen, "exec plugin %s: %s", exec->config.command, strerror(-ret));
	pthread_mutex_unlock(&exec->lock);
	if (ret)
		memset(credential, 0, sizeof(*credential));
	return ret;
}

void mesh_kube_exec_refused(struct mesh_kube_exec *exec, unsigned long run)
{
	pthread_mutex_lock(&exec->lock);
	if (run && exec->cached.run == run)
		mesh_kube_credential_release(&exec->cached);
	pthread_mutex_unlock(&exec->lock);
}

static void free_list(char **list)
{
	for (char **item = list; item && *item; item++)
		free(*item);
	free(list);
}

void mesh_kube_exec_config_release(struct mesh_kube_exec_config *config)
{
	free(config->command);
	free_list(config->args);
	free_list(config->env);
	free(config->api_version);
	free(config->install_hint);
	json_decref(config->cluster);
	free(config->ca_path);
	free(config->ca_data);
	memset(config, 0, sizeof(*config));
}

void mesh_kube_exec_free(struct mesh_kube_exec *exec)
{
	if (!exec)
		return;
	mesh_kube_credential_release(&exec->cached);
	mesh_kube_exec_config_release(&exec->config);
	pthread_mutex_destroy(&exec->lock);
	free(exec);
}
