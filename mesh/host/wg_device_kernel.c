// SPDX-License-Identifier: MIT
/*
 * The kernel implementation of the WireGuard device: a link of kind wireguard (created or
 * adopted over rtnetlink) configured over generic netlink (netlink/wireguard.h). A wg_config
 * becomes one SET_DEVICE request in the kernel's terms, a GET_DEVICE dump a wg_snapshot.
 * The link and its sessions live in the kernel: they outlive this process.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <sodium.h>

#include "mesh/host/wg_device_ops.h"
#include "netlink/netlink.h"
#include "netlink/wireguard.h"

_Static_assert(sizeof(union wg_endpoint) == sizeof(union nl_wg_endpoint),
               "both endpoints are a sockaddr_in6 at most");

struct kernel_device {
	struct mesh_wg_device base;
	struct nl_socket *nl; /* borrowed: the link's deletion */
	struct nl_wg *wg;
	/* wg is one socket, and the HTTP thread takes snapshots while the loop configures. */
	pthread_mutex_t lock;
	char name[IFNAMSIZ];
	struct mesh_log_sink *sink; /* NULL: nothing to log to */
};

static void allowed_ip_to_engine(const struct nl_wg_allowed_ip *from, struct wg_allowed_ip *to)
{
	memset(to, 0, sizeof(*to));
	to->family = from->ip.family;
	to->cidr = from->cidr;
	memcpy(from->ip.family == AF_INET ? (void *)&to->ip4 : (void *)&to->ip6, from->ip.bytes,
	       ip_addr_len(&from->ip));
}

static int peer_to_snapshot(const struct nl_wg_peer *from, struct wg_peer_snapshot *to)
{
	memcpy(to->public_key, from->public_key, WG_KEY_LEN);
	memcpy(to->preshared_key, from->preshared_key, WG_KEY_LEN);
	memcpy(&to->endpoint, &from->endpoint, sizeof(to->endpoint));
	to->last_handshake = from->last_handshake;
	to->rx_bytes = from->rx_bytes;
	to->tx_bytes = from->tx_bytes;
	to->persistent_keepalive_interval = from->persistent_keepalive_interval;
	to->allowed_ips =
	    calloc(from->n_allowed_ips ? from->n_allowed_ips : 1, sizeof(*to->allowed_ips));
	if (!to->allowed_ips)
		return -ENOMEM;
	for (size_t i = 0; i < from->n_allowed_ips; i++)
		allowed_ip_to_engine(&from->allowed_ips[i], &to->allowed_ips[i]);
	to->n_allowed_ips = from->n_allowed_ips;
	return 0;
}

static int to_snapshot(const struct nl_wg_device *from, struct wg_snapshot *to)
{
	static const uint8_t zero[WG_KEY_LEN];

	memset(to, 0, sizeof(*to));
	to->has_private_key = (from->has & NL_WG_HAS_PRIVATE_KEY) &&
	                      sodium_memcmp(from->private_key, zero, WG_KEY_LEN);
	memcpy(to->private_key, from->private_key, WG_KEY_LEN);
	memcpy(to->public_key, from->public_key, WG_KEY_LEN);
	to->listen_port = from->listen_port;
	to->fwmark = from->fwmark;
	to->peers = calloc(from->n_peers ? from->n_peers : 1, sizeof(*to->peers));
	if (!to->peers)
		return -ENOMEM;
	for (size_t i = 0; i < from->n_peers; i++) {
		int ret = peer_to_snapshot(&from->peers[i], &to->peers[i]);

		if (ret) {
			wg_snapshot_free(to);
			return ret;
		}
		to->n_peers++;
	}
	return 0;
}

/*
 * A peer of a `set` in the kernel's terms. The kernel has no greeting (a peer new to it gets
 * its handshake with the first packet, and an adopted link keeps its sessions), so
 * WG_PEER_HANDSHAKE_NOW asks nothing; it cannot remove a single allowed IP either
 * (WGALLOWEDIP_A_FLAGS is newer than the kernels in use), which the applier never asks.
 */
static int peer_to_request(const struct wg_peer_config *from, struct nl_wg_peer *to)
{
	memcpy(to->public_key, from->public_key, WG_KEY_LEN);
	if (from->flags & WG_PEER_REMOVE) {
		to->flags = NL_WG_PEER_REMOVE_ME;
		return 0;
	}
	to->flags =
	    (from->flags & WG_PEER_UPDATE_ONLY ? NL_WG_PEER_UPDATE_ONLY : 0) |
	    (from->flags & WG_PEER_REPLACE_ALLOWED_IPS ? NL_WG_PEER_REPLACE_ALLOWED_IPS : 0);
	if (from->flags & WG_PEER_HAS_PRESHARED_KEY) {
		to->has |= NL_WG_HAS_PRESHARED_KEY;
		memcpy(to->preshared_key, from->preshared_key, WG_KEY_LEN);
	}
	if ((from->flags & WG_PEER_HAS_ENDPOINT) && from->endpoint.sa.sa_family != AF_UNSPEC) {
		to->has |= NL_WG_HAS_ENDPOINT;
		memcpy(&to->endpoint, &from->endpoint, sizeof(to->endpoint));
	}
	if (from->flags & WG_PEER_HAS_KEEPALIVE) {
		to->has |= NL_WG_HAS_KEEPALIVE;
		to->persistent_keepalive_interval = from->persistent_keepalive_interval;
	}
	to->allowed_ips =
	    calloc(from->n_allowed_ips ? from->n_allowed_ips : 1, sizeof(*to->allowed_ips));
	if (!to->allowed_ips)
		return -ENOMEM;
	for (size_t i = 0; i < from->n_allowed_ips; i++) {
		const struct wg_allowed_ip *ip = &from->allowed_ips[i].ip;
		struct nl_wg_allowed_ip *out = &to->allowed_ips[i];

		if (from->allowed_ips[i].remove ||
		    (ip->family != AF_INET && ip->family != AF_INET6))
			return -EOPNOTSUPP;
		out->ip.family = (uint8_t)ip->family;
		memcpy(out->ip.bytes, ip->family == AF_INET ? (const void *)&ip->ip4 : &ip->ip6,
		       ip_addr_len(&out->ip));
		out->cidr = ip->cidr;
		to->n_allowed_ips++;
	}
	return 0;
}

static int to_request(const struct wg_config *from, const char *ifname, struct nl_wg_device *to)
{
	int ret = 0;

	memset(to, 0, sizeof(*to));
	snprintf(to->ifname, sizeof(to->ifname), "%s", ifname);
	if (from->flags & WG_CONFIG_HAS_PRIVATE_KEY) {
		to->has |= NL_WG_HAS_PRIVATE_KEY;
		memcpy(to->private_key, from->private_key, WG_KEY_LEN);
	}
	if (from->flags & WG_CONFIG_HAS_LISTEN_PORT) {
		to->has |= NL_WG_HAS_LISTEN_PORT;
		to->listen_port = from->listen_port;
	}
	if (from->flags & WG_CONFIG_HAS_FWMARK) {
		to->has |= NL_WG_HAS_FWMARK;
		to->fwmark = from->fwmark;
	}
	to->peers = calloc(from->n_peers ? from->n_peers : 1, sizeof(*to->peers));
	if (!to->peers)
		return -ENOMEM;
	for (size_t i = 0; i < from->n_peers && !ret; i++, to->n_peers++)
		ret = peer_to_request(&from->peers[i], &to->peers[i]);
	if (ret)
		nl_wg_device_release(to);
	return ret;
}

static int kernel_snapshot(struct mesh_wg_device *device, struct wg_snapshot *snapshot)
{
	struct kernel_device *k = (struct kernel_device *)device;
	struct nl_wg_device dump;
	int ret;

	pthread_mutex_lock(&k->lock);
	ret = nl_wg_get(k->wg, k->name, &dump);
	pthread_mutex_unlock(&k->lock);
	if (ret)
		return ret;
	ret = to_snapshot(&dump, snapshot);
	nl_wg_device_release(&dump);
	return ret;
}

static int kernel_configure(struct mesh_wg_device *device, const struct wg_config *config)
{
	struct kernel_device *k = (struct kernel_device *)device;
	struct nl_wg_device request;
	int ret = to_request(config, k->name, &request);

	if (ret)
		return ret;
	pthread_mutex_lock(&k->lock);
	ret = nl_wg_set(k->wg, &request);
	pthread_mutex_unlock(&k->lock);
	nl_wg_device_release(&request);
	return ret;
}

/* Only a link that is still ours to delete: of this name and kind wireguard. */
static void remove_link(struct kernel_device *k)
{
	struct nl_link link;
	int ret = nl_link_get(k->nl, k->name, &link);

	if (ret == -ENODEV)
		return;
	if (!ret && strcmp(link.kind, "wireguard"))
		return;
	if (!ret)
		ret = nl_link_del(k->nl, link.ifindex);
	if (ret && k->sink)
		mesh_log(k->sink, LOG_ERR, "failed to remove interface %s: %s", k->name,
		         strerror(-ret));
}

static void kernel_close(struct mesh_wg_device *device, bool remove_interface)
{
	struct kernel_device *k = (struct kernel_device *)device;

	if (remove_interface && k->nl)
		remove_link(k);
	nl_wg_close(k->wg);
	pthread_mutex_destroy(&k->lock);
	free(k);
}

static const struct mesh_wg_device_ops kernel_ops = {
    .mode = MESH_WG_KERNEL,
    .snapshot = kernel_snapshot,
    .configure = kernel_configure,
    .close = kernel_close,
};

static struct kernel_device *kernel_new(const char *ifname)
{
	struct kernel_device *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->base.ops = &kernel_ops;
	pthread_mutex_init(&k->lock, NULL);
	snprintf(k->name, sizeof(k->name), "%s", ifname);
	return k;
}

/* Kernel mode asked for where the kernel cannot make the link: one clear line. */
static int create_link(struct nl_socket *nl, const struct mesh_wg_device_options *options,
                       char *err, size_t err_size)
{
	int ret = nl_link_add(nl, options->interface, "wireguard", options->mtu);

	if (ret == -EOPNOTSUPP)
		snprintf(err, err_size,
		         "kernel WireGuard is not available: this kernel cannot create a link of "
		         "kind wireguard for %s (no wireguard module); use --wireguard=userspace "
		         "or auto",
		         options->interface);
	else if (ret)
		snprintf(err, err_size, "failed to create WireGuard interface %s: %s",
		         options->interface, strerror(-ret));
	return ret;
}

int mesh_wg_kernel_open(struct nl_socket *nl, const struct mesh_wg_device_options *options,
                        bool create, struct mesh_wg_device **out, char *err, size_t err_size)
{
	struct kernel_device *k;
	int ret = create ? create_link(nl, options, err, err_size) : 0;

	if (ret)
		return ret;
	k = kernel_new(options->interface);
	ret = k ? nl_wg_open(&k->wg) : -ENOMEM;
	if (ret) {
		snprintf(err, err_size, "failed to reach kernel WireGuard for %s: %s",
		         options->interface,
		         ret == -ENOENT ? "no generic netlink family wireguard" : strerror(-ret));
		if (k) {
			/* A link made here goes again: a failed open changes nothing. */
			k->nl = nl;
			kernel_close(&k->base, create);
		}
		return ret;
	}
	k->nl = nl;
	k->sink = options->sink;
	k->base.created = create;
	*out = &k->base;
	return 0;
}

int mesh_wg_device_from_kernel(struct nl_wg *wg, const char *ifname, struct mesh_wg_device **out)
{
	struct kernel_device *k = kernel_new(ifname);

	if (!k)
		return -ENOMEM;
	k->wg = wg;
	*out = &k->base;
	return 0;
}
