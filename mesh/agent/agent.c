// SPDX-License-Identifier: MIT
/*
 * The agent's life: start-up (Kilo's mesh.New), the event loop (Mesh.Run)
 * and shut-down. Everything else is a step this file calls down to
 * (agent_apply, agent_local, agent_watch, agent_device, agent_metrics);
 * none of them calls back up here.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <syslog.h>
#include <unistd.h>

#include <sodium.h>

#include "mesh/agent/agent_apply.h"
#include "mesh/agent/agent_device.h"
#include "mesh/agent/agent_local.h"
#include "mesh/agent/agent_metrics.h"
#include "mesh/agent/agent_readiness.h"
#include "mesh/agent/agent_state.h"
#include "mesh/agent/agent_watch.h"
#include "mesh/host/apply_iptables.h"
#include "mesh/host/ipdetect.h"
#include "mesh/host/keyfile.h"
#include "netlink/netlink.h"
#include "netlink/route_watch.h"

/*
 * Before anything on the host changes: Kilo does not start without iptables
 * either, and WireGuard and routes without their rules would be a mesh half
 * set up.
 */
static int check_iptables(struct mesh_agent *agent)
{
	char err[MESH_APPLY_IPTABLES_ERRLEN];
	int ret = mesh_apply_iptables_check(&agent->iptables, err, sizeof(err));

	if (ret)
		mesh_log(&agent->log, LOG_ERR, "cannot manage iptables rules: %s", err);
	return ret;
}

static int load_key(struct mesh_agent *agent)
{
	const char *path = agent->options.key_path;
	enum mesh_keyfile_outcome outcome;
	char err[512];
	int ret = mesh_keyfile_load(path, agent->private_key, agent->public_key, &outcome, err,
	                            sizeof(err));

	if (ret)
		mesh_log(&agent->log, LOG_ERR, "failed to load the private key: %s", err);
	else if (outcome == MESH_KEYFILE_CREATED)
		mesh_log(&agent->log, LOG_WARNING,
		         "no private key found on disk; generated one in %s", path);
	else if (outcome == MESH_KEYFILE_REPLACED)
		mesh_log(&agent->log, LOG_WARNING,
		         "the private key in %s was invalid; generated a new one", path);
	return ret;
}

/* Kilo's getIP, ignoring the WireGuard and CNI bridge interfaces. */
static int detect_ips(struct mesh_agent *agent)
{
	const char *const ignore[] = {agent->options.interface, "kube-bridge"};
	const struct mesh_ipdetect_options options = {
	    .ignore = ignore,
	    .n_ignore = sizeof(ignore) / sizeof(*ignore),
	    .internal_cidrs = agent->options.internal_cidrs,
	    .n_internal_cidrs = agent->options.n_internal_cidrs,
	};
	char err[256] = "", private_text[MESH_PREFIX_STRLEN], public_text[MESH_PREFIX_STRLEN];
	const struct mesh_host_address *holder = NULL;
	struct mesh_prefix public_ip = {0};
	struct mesh_host host = {0};
	int ret = mesh_host_collect(agent->nl, agent->options.hostname, &host);

	if (ret)
		snprintf(err, sizeof(err), "%s", strerror(-ret));
	else
		ret = mesh_ipdetect_ips(&host, &options, &agent->private_ip, &public_ip, err,
		                        sizeof(err));
	if (!ret)
		ret = mesh_ipdetect_ip6(&host, &options, &agent->private_ip, &agent->private_ip6,
		                        err, sizeof(err));
	if (!ret && mesh_prefix_is_set(&agent->private_ip))
		holder = mesh_host_find(&host, &agent->private_ip.addr);
	agent->private_ifindex = holder ? holder->ifindex : 0;
	mesh_host_release(&host);
	if (ret) {
		mesh_log(&agent->log, LOG_ERR, "failed to find public IP: %s", err);
		return ret;
	}
	agent->external_ip = public_ip;
	if (agent->options.prioritise_private_addresses && mesh_prefix_is_set(&agent->private_ip))
		agent->external_ip = agent->private_ip;
	mesh_log(&agent->log, LOG_DEBUG,
	         "using %s as the private IP address and %s as the public one",
	         mesh_prefix_is_set(&agent->private_ip)
	             ? mesh_prefix_format(&agent->private_ip, private_text)
	             : "none",
	         mesh_prefix_format(&public_ip, public_text));
	if (mesh_prefix_is_set(&agent->private_ip6))
		mesh_log(&agent->log, LOG_DEBUG, "using %s as the IPv6 private IP address",
		         mesh_prefix_format(&agent->private_ip6, private_text));
	return 0;
}

static int open_backend(struct mesh_agent *agent)
{
	struct mesh_backend_options options = agent->options.backend;

	options.hostname = agent->options.hostname;
	options.watch = true;
	options.log = agent->options.log;
	options.log_ctx = agent->options.log_ctx;
	return mesh_backend_open(&options, &agent->backend);
}

int mesh_agent_create(const struct mesh_agent_options *options, struct mesh_agent **out)
{
	struct mesh_agent *agent = calloc(1, sizeof(*agent));
	int ret;

	if (!agent)
		return -ENOMEM;
	agent->options = *options;
	agent->log = (struct mesh_log_sink){options->log, options->log_ctx};
	agent->wireguard = options->wireguard;
	pthread_mutex_init(&agent->lock, NULL);
	agent_health_init(agent);
	agent->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ret = agent->stop_fd < 0 ? -errno : 0;
	agent->iptables = (struct mesh_iptables_host){
	    .backend = options->iptables_backend,
	    .ipv6 = mesh_apply_iptables_ipv6_enabled(NULL),
	};
	if (!ret)
		ret = check_iptables(agent);
	if (!ret) {
		ret = nl_open(&agent->nl);
		if (ret)
			mesh_log(&agent->log, LOG_ERR, "failed to open netlink: %s",
			         strerror(-ret));
	}
	/* The device before the key: a WireGuard that cannot start leaves no new key file. */
	if (!ret) {
		ret = agent_open_device(agent);
		agent->interface_created = !ret && mesh_wg_device_created(agent->device);
	}
	if (!ret)
		ret = load_key(agent);
	if (!ret)
		ret = agent_key_device(agent);
	if (!ret)
		ret = detect_ips(agent);
	if (!ret)
		ret = agent_create_tunnel(agent);
	if (!ret)
		ret = open_backend(agent);
	if (!ret)
		agent_watch_open(agent);
	if (ret) {
		/* A kg that does not start leaves no interface it made. */
		agent_close_device(agent, agent->interface_created);
		mesh_agent_destroy(agent);
		return ret;
	}
	*out = agent;
	return 0;
}

/* A new listing: publish our annotations, apply if the cluster changed. */
static void on_backend(struct mesh_agent *agent)
{
	struct mesh_cluster cluster = {0};
	int ret = mesh_backend_list(agent->backend, &cluster);
	bool first = !agent->listed;

	if (ret == -EAGAIN)
		return;
	if (ret) {
		agent_count_error(agent, MESH_AGENT_EVENT_RUN);
		return;
	}
	mesh_cluster_release(&agent->cluster);
	agent->cluster = cluster;
	agent->listed = true;
	if (first)
		agent_update_cni(agent);
	agent_publish(agent, false);
	if (agent_cluster_changed(agent, agent_readiness_now(&agent->readiness, agent_now()))) {
		mesh_log(&agent->log, LOG_INFO, "cluster changed: %zu nodes, %zu peers listed",
		         cluster.n_nodes, cluster.n_peers);
		agent_apply(agent);
	}
}

static int timeout_ms(int64_t now, int64_t next_check_in, int64_t next_resync, int64_t next_health)
{
	int64_t next = next_check_in < next_resync ? next_check_in : next_resync;

	next = next < next_health ? next : next_health;

	return next <= now ? 0 : (int)((next - now) * 1000);
}

int mesh_agent_run(struct mesh_agent *agent)
{
	struct pollfd fds[3] = {
	    {.fd = agent->stop_fd, .events = POLLIN},
	    {.fd = mesh_backend_fd(agent->backend), .events = POLLIN},
	    /* A negative fd (no watch) is skipped by poll. */
	    {.fd = agent->watch ? nl_route_watch_fd(agent->watch) : -1, .events = POLLIN}};
	int64_t now = agent_now(), next_check_in = now + MESH_CHECK_IN_PERIOD,
	        next_resync = now + agent->options.resync_period,
	        next_health = now + MESH_HEALTH_PERIOD;

	mesh_log(&agent->log, LOG_INFO, "agent started on %s as node %s with %s WireGuard",
	         agent->options.interface, agent->options.hostname,
	         mesh_wg_mode_name(agent->wireguard));
	for (;;) {
		if (poll(fds, 3, timeout_ms(now, next_check_in, next_resync, next_health)) < 0 &&
		    errno != EINTR)
			return -errno;
		if (fds[0].revents)
			break;
		if (fds[1].revents)
			on_backend(agent);
		if (fds[2].revents)
			agent_watch_read(agent);
		now = agent_now();
		if (agent->listed && now >= next_check_in) {
			agent_publish(agent, true);
			next_check_in = now + MESH_CHECK_IN_PERIOD;
		}
		if (agent->listed && now >= next_health) {
			agent_health_tick(agent);
			next_health = now + MESH_HEALTH_PERIOD;
		}
		if (agent->listed && now >= next_resync) {
			agent_update_cni(agent);
			agent_apply(agent);
			next_resync = now + agent->options.resync_period;
		}
	}
	mesh_log(&agent->log, LOG_INFO, "shutting down");
	if (agent->options.clean_up)
		agent_clean_up(agent);
	if (agent->options.clean_up_interface)
		agent_close_device(agent, true);
	return 0;
}

void mesh_agent_stop(struct mesh_agent *agent)
{
	const uint64_t one = 1;

	/* Nothing to do if it fails: the counter is already non-zero. */
	if (write(agent->stop_fd, &one, sizeof(one)) < 0)
		return;
}

void mesh_agent_destroy(struct mesh_agent *agent)
{
	if (!agent)
		return;
	nl_route_watch_close(agent->watch);
	mesh_backend_close(agent->backend);
	agent_close_device(agent, false);
	if (agent->nl)
		nl_close(agent->nl);
	if (agent->stop_fd >= 0)
		close(agent->stop_fd);
	mesh_cluster_release(&agent->cluster);
	mesh_route_state_release(&agent->routes);
	mesh_iptables_metrics_release(&agent->iptables_operations);
	free(agent->discovered);
	agent_health_release(agent);
	free(agent->graph);
	pthread_mutex_destroy(&agent->lock);
	sodium_memzero(agent, sizeof(*agent));
	free(agent);
}
