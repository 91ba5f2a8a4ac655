// SPDX-License-Identifier: MIT
/*
 * kwg - a userspace WireGuard daemon with wireguard-go's command line, environment and UAPI
 * socket, so that wg, wg-quick (WG_QUICK_USERSPACE_IMPLEMENTATION=kwg) and kgctl drive it alike.
 *
 * The TUN device and the listening UAPI socket are made before the daemon forks, so `wg setconf`
 * connects as soon as the parent returns, which is what wg-quick does next. Unlike wireguard-go,
 * the parent waits until the child is serving and exits 1 if the child failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tun/tun.h"
#include "wg/uapi_server.h"
#include "wg/wg.h"

struct daemon {
	char ifname[IFNAMSIZ];
	bool foreground;
	bool keep_output;            /* LOG_LEVEL was set: the daemon keeps stdout and stderr */
	enum wg_log_level log_level; /* 0 = silent */
	int tun_fd, uapi_fd;
	int ready_fd; /* the parent waits on it; -1 in the foreground */
	struct wg_device *device;
	struct wg_uapi_server *uapi;
};

/* The only global: the signal handler's way to the device. */
static struct wg_device *volatile running_device;

static void usage(FILE *out, const char *argv0)
{
	fprintf(out,
	        "Usage: %s [-f/--foreground] INTERFACE-NAME\n"
	        "\n"
	        "Creates the TUN interface INTERFACE-NAME and serves the WireGuard UAPI on\n"
	        "%s/INTERFACE-NAME.sock, then runs in the background unless\n"
	        "-f/--foreground is given or WG_PROCESS_FOREGROUND=1. Configure it with wg(8).\n"
	        "LOG_LEVEL=verbose|debug|error|silent sets how much it logs (default: error).\n"
	        "KWG_NO_OFFLOAD=1 turns the TUN offloads (TCP super-packets) off.\n"
	        "It exits when the interface is deleted, the socket file is removed, or on\n"
	        "SIGINT/SIGTERM.\n",
	        argv0, WG_UAPI_DIR);
}

static void log_line(void *ctx, enum wg_log_level level, const char *msg)
{
	static const char *const names[] = {
	    [WG_LOG_ERROR] = "ERROR", [WG_LOG_INFO] = "INFO", [WG_LOG_DEBUG] = "DEBUG"};
	const struct daemon *d = ctx;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	/* wireguard-go's format: "ERROR: (wg0) 2022/03/16 12:00:00 message". */
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y/%m/%d %H:%M:%S", &tm);
	printf("%s: (%s) %s %s\n", names[level], d->ifname, stamp, msg);
	fflush(stdout);
}

static void log_env(struct daemon *d)
{
	const char *level = getenv("LOG_LEVEL");

	d->log_level = WG_LOG_ERROR;
	if (!level)
		return;
	if (!strcmp(level, "verbose") || !strcmp(level, "debug"))
		d->log_level = WG_LOG_DEBUG;
	else if (!strcmp(level, "silent"))
		d->log_level = 0;
	d->keep_output = d->log_level != 0;
}

/* KWG_NO_OFFLOAD=1: plain packets on the TUN, for kernels whose offloads misbehave. */
static bool no_offload_env(void)
{
	const char *value = getenv("KWG_NO_OFFLOAD");

	return value && !strcmp(value, "1");
}

/* Returns -1 to go on, else the exit status. */
static int parse_args(struct daemon *d, int argc, char **argv)
{
	const char *name;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("kwg v%s\n\nUserspace WireGuard daemon for Linux, from Kilo in C.\n",
		       KILO_VERSION);
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout, argv[0]);
		return 0;
	}
	if (argc == 3 && (!strcmp(argv[1], "-f") || !strcmp(argv[1], "--foreground")))
		d->foreground = true;
	else if (argc != 2 || argv[1][0] == '-') {
		usage(stderr, argv[0]);
		return 2;
	}
	name = argv[argc - 1];
	if (strlen(name) >= sizeof(d->ifname)) {
		fprintf(stderr, "kwg: interface name '%s' is longer than %d characters\n", name,
		        IFNAMSIZ - 1);
		return 1;
	}
	strcpy(d->ifname, name);
	if (!d->foreground) {
		name = getenv("WG_PROCESS_FOREGROUND");
		d->foreground = name && !strcmp(name, "1");
	}
	return -1;
}

/* Before forking: what `wg` and wg-quick need to find the moment the parent exits. */
static int open_interface(struct daemon *d)
{
	int ret = tun_open(d->ifname, &d->tun_fd, d->ifname);

	if (ret) {
		fprintf(stderr, "kwg: cannot create TUN interface '%s': %s\n", d->ifname,
		        strerror(-ret));
		return ret;
	}
	ret = wg_uapi_listen(d->ifname, &d->uapi_fd);
	if (ret) {
		fprintf(stderr, "kwg: cannot listen on " WG_UAPI_DIR "/%s.sock: %s\n", d->ifname,
		        ret == -EADDRINUSE ? "another daemon serves this interface"
		                           : strerror(-ret));
		close(d->tun_fd);
	}
	return ret;
}

/* The parent stays only to learn whether the child came up, and exits with that status. */
static void daemonize(struct daemon *d)
{
	int pipefd[2];
	char status;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC)) {
		perror("kwg: pipe");
		exit(1);
	}
	pid = fork();
	if (pid < 0) {
		perror("kwg: fork");
		exit(1);
	}
	if (pid > 0) {
		close(pipefd[1]);
		exit(read(pipefd[0], &status, 1) == 1 && status == 0 ? 0 : 1);
	}
	close(pipefd[0]);
	setsid();
	if (chdir("/"))
		perror("kwg: chdir /");
	d->ready_fd = pipefd[1];
}

static void report_ready(struct daemon *d)
{
	char ok = 0;
	int null;

	if (d->ready_fd < 0)
		return;
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		if (!d->keep_output) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		close(null);
	}
	if (write(d->ready_fd, &ok, 1) != 1)
		log_line(d, WG_LOG_ERROR, "the parent process is gone");
	close(d->ready_fd);
	d->ready_fd = -1;
}

static void on_signal(int sig)
{
	(void)sig;
	if (running_device)
		wg_device_stop(running_device);
}

static void on_socket_gone(void *ctx)
{
	wg_device_stop(ctx);
}

static int start(struct daemon *d)
{
	struct wg_device_options dev_opts = {
	    .ifname = d->ifname,
	    .tun_fd = d->tun_fd,
	    .log = d->log_level ? log_line : NULL,
	    .log_ctx = d,
	    .log_level = d->log_level,
	    .no_offload = no_offload_env(),
	};
	struct wg_uapi_server_options uapi_opts = {
	    .ifname = d->ifname,
	    .listen_fd = d->uapi_fd,
	    .log = dev_opts.log,
	    .log_ctx = d,
	    .log_level = d->log_level,
	    .on_gone = on_socket_gone,
	};
	int ret = wg_device_create(&d->device, &dev_opts);

	if (ret) {
		fprintf(stderr, "kwg: cannot start the WireGuard device on '%s': %s\n", d->ifname,
		        strerror(-ret));
		close(d->uapi_fd);
		return ret;
	}
	uapi_opts.device = uapi_opts.gone_ctx = d->device;
	ret = wg_uapi_server_start(&d->uapi, &uapi_opts);
	if (ret) {
		fprintf(stderr, "kwg: cannot serve the UAPI socket: %s\n", strerror(-ret));
		wg_device_destroy(d->device);
	}
	return ret;
}

/* What the floods of unauthenticated datagrams cost, for the log reader (bench/flood). */
static void log_stats(struct daemon *d)
{
	struct wg_device_stats s;
	char line[320];

	if (d->log_level < WG_LOG_INFO)
		return;
	wg_device_stats(d->device, &s);
	snprintf(
	    line, sizeof(line),
	    "handshake_dh=%llu handshake_queue_full=%llu handshake_bad_mac=%llu "
	    "handshake_ratelimited=%llu cookie_replies_sent=%llu cookie_replies_taken=%llu "
	    "data_unknown_index=%llu data_unauthenticated=%llu data_replayed=%llu",
	    (unsigned long long)s.handshake_dh, (unsigned long long)s.handshake_queue_full,
	    (unsigned long long)s.handshake_bad_mac, (unsigned long long)s.handshake_ratelimited,
	    (unsigned long long)s.cookie_replies_sent, (unsigned long long)s.cookie_replies_taken,
	    (unsigned long long)s.data_unknown_index, (unsigned long long)s.data_unauthenticated,
	    (unsigned long long)s.data_replayed);
	log_line(d, WG_LOG_INFO, line);
}

static void handle_signals(sigset_t *stop_signals)
{
	struct sigaction sa = {.sa_handler = on_signal};

	sigemptyset(stop_signals);
	sigaddset(stop_signals, SIGINT);
	sigaddset(stop_signals, SIGTERM);
	/* Blocked until the device exists: the threads it starts inherit the mask, so only the
	 * main thread takes the signals, and one that came early is delivered on unblocking. */
	sigprocmask(SIG_BLOCK, stop_signals, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	struct daemon d = {.tun_fd = -1, .uapi_fd = -1, .ready_fd = -1};
	enum wg_stop_reason reason;
	sigset_t stop_signals;
	int status = parse_args(&d, argc, argv);

	if (status >= 0)
		return status;
	log_env(&d);
	if (open_interface(&d))
		return 1;
	if (!d.foreground)
		daemonize(&d);
	handle_signals(&stop_signals);
	if (start(&d))
		return 1;
	running_device = d.device;
	sigprocmask(SIG_UNBLOCK, &stop_signals, NULL);
	if (d.log_level >= WG_LOG_DEBUG)
		log_line(&d, WG_LOG_DEBUG, "Device started");
	report_ready(&d);
	reason = wg_device_wait(d.device);
	sigprocmask(SIG_BLOCK, &stop_signals, NULL);
	if (d.log_level >= WG_LOG_DEBUG)
		log_line(&d, WG_LOG_DEBUG,
		         reason == WG_STOP_LINK_DELETED ? "Interface deleted, shutting down"
		                                        : "Shutting down");
	wg_uapi_server_stop(d.uapi);
	log_stats(&d);
	wg_device_destroy(d.device);
	return 0;
}
