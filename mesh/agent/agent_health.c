// SPDX-License-Identifier: MIT
/* The agent's judgement of its own tunnels (agent_health.h). */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "mesh/agent/agent_health.h"
#include "mesh/agent/agent_local.h"
#include "mesh/agent/agent_metrics.h"
#include "mesh/agent/agent_readiness.h"
#include "mesh/agent/agent_state.h"
#include "mesh/view/leader.h"

/* The discard port: the datagram only has to cross the tunnel; nobody reads it. */
#define PROBE_PORT 9

void agent_health_init(struct mesh_agent *agent)
{
	mesh_health_tracker_init(&agent->health.tracker, NULL);
	agent->health.probe_fd[0] = agent->health.probe_fd[1] = -1;
}

void agent_health_release(struct mesh_agent *agent)
{
	for (size_t i = 0; i < 2; i++)
		if (agent->health.probe_fd[i] >= 0)
			close(agent->health.probe_fd[i]);
	free(agent->health.targets);
	agent->health.targets = NULL;
	agent->health.n_targets = 0;
}

static struct agent_health_target *find_target(struct agent_health *health,
                                               const uint8_t key[MESH_KEY_LEN])
{
	for (size_t i = 0; i < health->n_targets; i++)
		if (!memcmp(health->targets[i].key, key, MESH_KEY_LEN))
			return &health->targets[i];
	return NULL;
}

/* The targets of this topology; a target already followed keeps its last sample. */
static int follow_targets(struct agent_health *health, const struct mesh_topology *t)
{
	struct agent_health_target *targets = calloc(t->n_segments + 1, sizeof(*targets));
	size_t n = 0;

	if (!targets)
		return -ENOMEM;
	for (size_t s = 0; s < t->n_segments; s++) {
		const struct mesh_node *leader = mesh_segment_leader(&t->segments[s]);
		const struct agent_health_target *old = find_target(health, leader->key);

		if (!mesh_topology_health_target(t, &t->segments[s]))
			continue;
		memcpy(targets[n].key, leader->key, MESH_KEY_LEN);
		targets[n].wireguard_ip = t->segments[s].wireguard_ip;
		targets[n++].rx_bytes = old ? old->rx_bytes : 0;
	}
	free(health->targets);
	health->targets = targets;
	health->n_targets = n;
	health->leader = t->leader;
	return 0;
}

/* A failover is the own location led by another node than Kilo's, or by a new one. */
static void follow_leader(struct mesh_agent *agent, const struct mesh_topology *t)
{
	const struct mesh_segment *own = &t->segments[t->local_segment];
	const struct mesh_node *leader = mesh_segment_leader(own);
	struct agent_health *health = &agent->health;
	bool passed_over = mesh_segment_passed_over(own);

	if (passed_over && (!health->passed_over || strcmp(health->led_by, leader->name))) {
		const struct mesh_node *preferred = own->nodes[own->preferred];

		agent_count_failover(agent);
		mesh_log(&agent->log, LOG_WARNING,
		         "%s: leader %s passed over, no tunnel to another location since %lld; "
		         "%s leads",
		         own->location, preferred->name, (long long)preferred->health.since,
		         leader->name);
	} else if (!passed_over && health->passed_over) {
		mesh_log(&agent->log, LOG_INFO, "%s: %s leads again", own->location, leader->name);
	}
	health->passed_over = passed_over;
	snprintf(health->led_by, sizeof(health->led_by), "%s", leader->name);
}

void agent_health_follow(struct mesh_agent *agent, const struct mesh_topology *t)
{
	follow_leader(agent, t);
	/* Out of memory: the last targets are sampled until the next build. */
	if (follow_targets(&agent->health, t))
		mesh_log(&agent->log, LOG_ERR,
		         "tunnel-health: out of memory following the topology");
}

bool agent_health_sample(struct agent_health *health, const struct wg_snapshot *snap, int64_t now)
{
	bool contact = false;

	for (size_t i = 0; i < snap->n_peers; i++) {
		const struct wg_peer_snapshot *peer = &snap->peers[i];
		struct agent_health_target *target = find_target(health, peer->public_key);
		uint64_t before;

		if (!target)
			continue;
		/* Fewer bytes than before: the peer was removed and added again. */
		before = peer->rx_bytes < target->rx_bytes ? 0 : target->rx_bytes;
		contact |= mesh_health_contact(before, peer->rx_bytes,
		                               (int64_t)peer->last_handshake.tv_sec, now);
		target->rx_bytes = peer->rx_bytes;
	}
	return contact;
}

/* ip and port as a socket address; its length. */
static socklen_t socket_address(const struct ip_addr *ip, uint16_t port,
                                struct sockaddr_storage *to)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)to;
	struct sockaddr_in *in = (struct sockaddr_in *)to;

	memset(to, 0, sizeof(*to));
	if (ip->family == AF_INET6) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		memcpy(&in6->sin6_addr, ip->bytes, 16);
		return sizeof(*in6);
	}
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	memcpy(&in->sin_addr, ip->bytes, 4);
	return sizeof(*in);
}

/* One datagram to every target's WireGuard IP; a lost one is a silence the tracker judges. */
static void probe(struct agent_health *health)
{
	static const char payload[] = "kilo tunnel-health";

	for (size_t i = 0; i < health->n_targets; i++) {
		const struct ip_addr *ip = &health->targets[i].wireguard_ip;
		int *fd = &health->probe_fd[ip->family == AF_INET6];
		struct sockaddr_storage to;
		socklen_t len = socket_address(ip, PROBE_PORT, &to);

		if (*fd < 0)
			*fd = socket(ip->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (*fd >= 0)
			sendto(*fd, payload, sizeof(payload) - 1, 0, (struct sockaddr *)&to, len);
	}
}

static void log_change(struct mesh_agent *agent, const struct mesh_health *now)
{
	if (now->state == MESH_HEALTH_DOWN && !now->recovering)
		mesh_log(
		    &agent->log, LOG_WARNING,
		    "tunnel-health: down, no contact with another location's leader since %lld",
		    (long long)now->since);
	else if (now->state == MESH_HEALTH_DOWN)
		mesh_log(&agent->log, LOG_INFO, "tunnel-health: down, recovering since %lld",
		         (long long)now->recovering);
	else if (now->state == MESH_HEALTH_UP)
		mesh_log(&agent->log, LOG_INFO,
		         "tunnel-health: up, in contact with another location's leader since %lld",
		         (long long)now->since);
	else
		mesh_log(&agent->log, LOG_INFO, "tunnel-health: unknown, no tunnel to judge");
}

void agent_health_tick(struct mesh_agent *agent)
{
	struct agent_health *health = &agent->health;
	const struct mesh_node *local = agent_local_node(agent);
	struct mesh_health before;
	int64_t now = agent_now();
	struct wg_snapshot snap;
	bool contact;

	/* A restarted agent goes on from what it published: a down leader stays down. */
	if (!health->adopted && local) {
		mesh_health_tracker_init(&health->tracker, &local->health);
		health->adopted = true;
	}
	if (health->leader)
		probe(health);
	/* No device for a moment (recreated), or none to read: the state stands. */
	if (!agent->device || mesh_wg_device_snapshot(agent->device, &snap))
		return;
	contact = agent_health_sample(health, &snap, now);
	wg_snapshot_free(&snap);
	before = health->tracker.published;
	mesh_health_tracker_step(&health->tracker, health->n_targets > 0, contact, now);
	if (mesh_health_equal(&before, &health->tracker.published))
		return;
	log_change(agent, &health->tracker.published);
	agent_publish(agent, false);
}
