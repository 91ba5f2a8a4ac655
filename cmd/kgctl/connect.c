// SPDX-License-Identifier: MIT
/*
 * kgctl connect [NAME]: this host as the Kilo Peer NAME (without one, the
 * host's name), kept in sync until SIGINT or SIGTERM (Kilo's
 * cmd/kgctl/connect_linux.go). The Peer is created
 * if it does not exist (and then deleted on exit with --clean-up); the
 * interface, its configuration and its routes are mesh/agent/connect.h's.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <unistd.h>

#include <sodium.h>

#include "cmd/kgctl/kgctl.h"
#include "mesh/agent/connect.h"
#include "mesh/host/keyfile.h"
#include "mesh/model/key.h"
#include "mesh/model/log.h"

static struct {
	const char *allowed_ip, *log_level, *private_key, *mtu, *resync_period, *interface;
	const char *keepalive, *wireguard;
	struct mesh_flag_list allowed_ips;
	bool clean_up;
} flags = {
    .allowed_ip = "10.10.10.10/32",
    .log_level = "info",
    .mtu = "1420",
    .resync_period = "30s",
    .interface = MESH_DEFAULT_INTERFACE,
    .keepalive = "10",
    .wireguard = "auto",
    .clean_up = true,
};

const struct mesh_flag kgctl_connect_flags[] = {
    {"allowed-ip", 'a', MESH_FLAG_STRING, &flags.allowed_ip,
     "Allowed IP of the peer (a dual-stack peer's IPv4 and IPv6 ones, comma-separated).", "ipNet",
     "10.10.10.10/32"},
    {"allowed-ips", 0, MESH_FLAG_LIST, &flags.allowed_ips,
     "Additional allowed IPs of the cluster, e.g. the service CIDR.", "strings", "[]"},
    {"clean-up", 0, MESH_FLAG_BOOL, &flags.clean_up,
     "Should Kilo clean up the routes and interface when it shuts down?", NULL, "true"},
    {"interface", 'i', MESH_FLAG_STRING, &flags.interface,
     "Name of the Kilo interface to use; if it does not exist, it will be created.", "string",
     "\"kilo0\""},
    {"log-level", 0, MESH_FLAG_STRING, &flags.log_level,
     "Log level to use. Possible values: all, debug, info, warn, error, none", "string",
     "\"info\""},
    {"mtu", 0, MESH_FLAG_STRING, &flags.mtu, "The MTU for the WireGuard interface.", "uint",
     "1420"},
    {"persistent-keepalive", 0, MESH_FLAG_STRING, &flags.keepalive,
     "How often should WireGuard send keepalives? Setting to 0 will disable sending "
     "keepalives.",
     "int", "10"},
    {"private-key", 0, MESH_FLAG_STRING, &flags.private_key,
     "Path to an existing WireGuard private key file.", "string", NULL},
    {"resync-period", 0, MESH_FLAG_STRING, &flags.resync_period, "How often should Kilo reconcile?",
     "duration", "30s"},
    {"wireguard", 0, MESH_FLAG_STRING, &flags.wireguard,
     "Which WireGuard to drive: kernel (the kernel module), userspace (the engine in this "
     "process) or auto (kernel where the module is). Possible values: auto, kernel, userspace",
     "string", "\"auto\""},
    {0},
};

/* The flags, checked. */
struct connect_config {
	const char *peer_name;
	char hostname[MESH_NAME_MAX + 2]; /* the name without NAME; one more to see it too long */
	struct mesh_prefix addresses[2];  /* --allowed-ip: one, or one per family */
	size_t n_addresses;
	struct mesh_prefix *allowed_ips;
	size_t n_allowed_ips;
	unsigned int mtu, resync_period;
	uint32_t keepalive;
	enum mesh_wg_mode wireguard;
	uint8_t private_key[MESH_KEY_LEN], public_key[MESH_KEY_LEN];
};

/* The least important <syslog.h> priority printed, from --log-level. */
static int threshold = LOG_INFO;

static void log_line(void *ctx, int level, const char *message)
{
	(void)ctx;
	if (level <= threshold)
		kgctl_error("%s", message);
}

static void log_formatted(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_formatted(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mesh_vlog(log_line, NULL, level, fmt, ap);
	va_end(ap);
}

static int check_numbers(struct connect_config *config)
{
	unsigned long value;

	if (mesh_flags_uint(flags.mtu, 65535, &value) || value < 576) {
		kgctl_error("invalid MTU %s: must be a number from 576 to 65535", flags.mtu);
		return -1;
	}
	config->mtu = (unsigned int)value;
	if (mesh_flags_uint(flags.keepalive, 65535, &value)) {
		kgctl_error("invalid persistent keepalive %s: must be a number of seconds from 0 "
		            "to 65535",
		            flags.keepalive);
		return -1;
	}
	config->keepalive = (uint32_t)value;
	if (mesh_flags_duration(flags.resync_period, &config->resync_period)) {
		kgctl_error("failed to parse resync period %s: want a duration like 30s or 1m",
		            flags.resync_period);
		return -1;
	}
	return 0;
}

/*
 * --allowed-ip: Kilo's one CIDR, or for a dual-stack Peer one per family, comma-separated.
 * pflag's IPNet keeps the network, as Kilo then assigns it.
 */
static int check_addresses(struct connect_config *config)
{
	char *copy = strdup(flags.allowed_ip), *item, *save = NULL;
	int ret = copy ? 0 : -1;

	for (item = copy ? strtok_r(copy, ",", &save) : NULL; item && !ret;
	     item = strtok_r(NULL, ",", &save)) {
		struct mesh_prefix *address = &config->addresses[config->n_addresses];

		if (mesh_prefix_parse(item, address)) {
			kgctl_error("invalid argument \"%s\" for \"-a, --allowed-ip\" flag: not a "
			            "CIDR",
			            flags.allowed_ip);
			ret = -1;
		} else if (config->n_addresses == 2 ||
		           (config->n_addresses &&
		            config->addresses[0].addr.family == address->addr.family)) {
			kgctl_error(
			    "invalid argument \"%s\" for \"-a, --allowed-ip\" flag: want one "
			    "CIDR, or one per family",
			    flags.allowed_ip);
			ret = -1;
		} else {
			*address = mesh_prefix_masked(address);
			config->n_addresses++;
		}
	}
	free(copy);
	if (!ret && !config->n_addresses) {
		kgctl_error("invalid argument \"%s\" for \"-a, --allowed-ip\" flag: not a CIDR",
		            flags.allowed_ip);
		ret = -1;
	}
	return ret ? ret
	           : kgctl_allowed_ips(&flags.allowed_ips, &config->allowed_ips,
	                               &config->n_allowed_ips);
}

/* --private-key, else a key that lives as long as the process. */
static int load_key(struct connect_config *config)
{
	char text[45];
	int ret = 0;

	if (flags.private_key && flags.private_key[0])
		ret = mesh_keyfile_read(flags.private_key, config->private_key);
	else
		mesh_key_generate(config->private_key);
	if (!ret)
		ret = mesh_key_public(config->private_key, config->public_key);
	if (ret) {
		kgctl_error("failed to read private key %s: %s", flags.private_key,
		            ret == -EINVAL ? "not a WireGuard key" : strerror(-ret));
		return ret;
	}
	mesh_key_encode(config->public_key, text);
	log_formatted(LOG_INFO, "public key %s", text);
	return 0;
}

static int check(int argc, char **argv, struct connect_config *config)
{
	if (mesh_flags_take("kgctl", kgctl_connect_flags, &argc, argv, false))
		return -1;
	if (argc > 1) {
		kgctl_error("connect accepts at most 1 arg(s), received %d", argc);
		return -1;
	}
	/* Without a NAME, the host's name, as Kilo's connect takes os.Hostname(). */
	if (argc == 0 && gethostname(config->hostname, sizeof(config->hostname) - 1)) {
		kgctl_error("failed to get the hostname: %s; give connect a NAME", strerror(errno));
		return -1;
	}
	config->peer_name = argc ? argv[0] : config->hostname;
	if (!config->peer_name[0] || strlen(config->peer_name) > MESH_NAME_MAX) {
		kgctl_error("invalid peer name \"%s\": want 1 to %d characters", config->peer_name,
		            MESH_NAME_MAX);
		return -1;
	}
	if (mesh_flags_log_level(flags.log_level, &threshold)) {
		kgctl_error("log level %s unknown; possible values are: all, debug, info, warn, "
		            "error, none",
		            flags.log_level);
		return -1;
	}
	if (mesh_wg_mode_parse(flags.wireguard, &config->wireguard)) {
		kgctl_error(
		    "wireguard mode %s unknown; possible values are: auto, kernel, userspace",
		    flags.wireguard);
		return -1;
	}
	if (check_numbers(config) || check_addresses(config) || load_key(config))
		return -1;
	return 0;
}

/*
 * Kilo's Get-then-Create: *created says whether the Peer is ours to delete.
 * A Peer created meanwhile by someone else is theirs.
 */
static int ensure_peer(const struct kgctl_options *options, const struct connect_config *config,
                       bool *created)
{
	struct mesh_peer peer = {.allowed_ips = (struct mesh_prefix *)config->addresses,
	                         .n_allowed_ips = config->n_addresses,
	                         .persistent_keepalive = config->keepalive};
	struct mesh_cluster cluster = {0};
	struct mesh_backend *backend;
	enum mesh_backend_kind kind;
	bool exists = false;
	int ret = kgctl_backend_open(options, &kind, &backend);

	*created = false;
	if (!ret)
		ret = mesh_backend_list(backend, &cluster);
	for (size_t i = 0; !ret && i < cluster.n_peers; i++) {
		if (strcmp(cluster.peers[i].name, config->peer_name))
			continue;
		exists = true;
		/* Kilo uses the Peer as it is; say why the mesh will not answer. */
		if (sodium_memcmp(cluster.peers[i].public_key, config->public_key, MESH_KEY_LEN))
			log_formatted(
			    LOG_WARNING,
			    "peer %s exists with another public key: the nodes will not "
			    "accept this host (pass its --private-key, or delete the peer)",
			    config->peer_name);
	}
	mesh_cluster_release(&cluster);
	if (ret) {
		kgctl_error("failed to get peer %s", config->peer_name);
	} else if (!exists) {
		snprintf(peer.name, sizeof(peer.name), "%s", config->peer_name);
		memcpy(peer.public_key, config->public_key, MESH_KEY_LEN);
		ret = mesh_backend_create_peer(backend, &peer);
		*created = !ret;
		if (!ret)
			log_formatted(LOG_INFO, "created peer %s", config->peer_name);
		else if (ret == -EEXIST)
			ret = 0;
		else
			kgctl_error("failed to create peer %s", config->peer_name);
	}
	mesh_backend_close(backend);
	return ret;
}

static void delete_peer(const struct kgctl_options *options, const char *name)
{
	struct mesh_backend *backend;
	enum mesh_backend_kind kind;
	int ret = kgctl_backend_open(options, &kind, &backend);

	if (!ret)
		ret = mesh_backend_delete_peer(backend, name);
	mesh_backend_close(backend);
	if (!ret)
		log_formatted(LOG_INFO, "deleted peer %s", name);
	else if (ret != -ENOENT)
		kgctl_error("failed to delete peer %s", name);
}

/* One reconcile: list, plan from the last ready node's view, converge. */
static void sync_peer(const struct kgctl_options *options, const struct connect_config *config,
                      struct mesh_connect *connect)
{
	struct mesh_connect_plan_options plan_options = {
	    .peer_name = config->peer_name,
	    .allowed_ips = config->allowed_ips,
	    .n_allowed_ips = config->n_allowed_ips,
	};
	struct mesh_connect_plan plan;
	struct kgctl_cluster kc;
	char err[256] = "";

	if (kgctl_cluster_load(options, &kc)) {
		log_line(NULL, LOG_ERR, "failed to sync");
		return;
	}
	plan_options.view = kgctl_view(&kc, kc.last_ready);
	if (mesh_connect_plan(&kc.cluster, &plan_options, &plan, err, sizeof(err))) {
		log_formatted(LOG_ERR, "failed to sync: %s", err);
	} else {
		if (mesh_connect_apply(connect, &plan))
			log_line(NULL, LOG_ERR, "failed to sync");
		mesh_connect_plan_release(&plan);
	}
	kgctl_cluster_release(&kc);
}

/* SIGINT and SIGTERM as a file descriptor, so that the loop waits on one poll. */
static int signal_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC);
}

static int run(const struct kgctl_options *options, const struct connect_config *config)
{
	struct mesh_connect_options connect_options = {
	    .interface = flags.interface,
	    .wireguard = config->wireguard,
	    .n_addresses = config->n_addresses,
	    .mtu = config->mtu,
	    .clean_up = flags.clean_up,
	    .log = log_line,
	    .log_engine_debug = threshold >= LOG_DEBUG,
	};
	struct pollfd stop = {.fd = signal_fd(), .events = POLLIN};
	struct mesh_connect *connect = NULL;
	bool created = false;
	int ret = 1;

	memcpy(connect_options.addresses, config->addresses, sizeof(config->addresses));
	if (stop.fd < 0) {
		kgctl_error("failed to watch for signals: %s", strerror(errno));
		return 1;
	}
	if (ensure_peer(options, config, &created))
		goto out;
	if (mesh_connect_open(&connect_options, config->private_key, &connect))
		goto out;
	log_line(NULL, LOG_INFO, "starting syncer");
	do
		sync_peer(options, config, connect);
	while (!poll(&stop, 1, (int)config->resync_period * 1000));
	ret = 0;
out:
	mesh_connect_close(connect);
	if (created && flags.clean_up)
		delete_peer(options, config->peer_name);
	close(stop.fd);
	return ret;
}

int kgctl_connect(int argc, char **argv, const struct kgctl_options *options)
{
	struct connect_config config = {0};
	int ret = 1;

	if (!check(argc, argv, &config))
		ret = run(options, &config);
	free(config.allowed_ips);
	free(flags.allowed_ips.items);
	sodium_memzero(config.private_key, sizeof(config.private_key));
	return ret;
}
