// SPDX-License-Identifier: MIT
/*
 * uapi.c - parse UAPI `set` requests into a struct wg_config and print snapshots as `get` answers.
 *
 * wireguard-go applies each `set` line as it reads it, so a bad line leaves a half-applied
 * configuration behind. Here a request is first gathered into one struct wg_config and only a
 * request without a single bad line reaches wg_device_configure(), which applies it as a whole.
 */
#include "wg/uapi.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/ip_addr.h"
#include "wg/crypto.h"

enum { KEY_HEX_LEN = 2 * WG_KEY_LEN, MAX_KEY_NAME = 32 };

static int fail(struct wg_uapi_set *req, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Keeps the first error only: it is the one the sender can act on. */
static int fail(struct wg_uapi_set *req, int err, const char *fmt, ...)
{
	va_list ap;

	if (!req->error) {
		req->error = err;
		va_start(ap, fmt);
		vsnprintf(req->error_msg, sizeof(req->error_msg), fmt, ap);
		va_end(ap);
	}
	return err;
}

static int key_from_hex(uint8_t key[WG_KEY_LEN], const char *hex)
{
	return wg_hex_decode(key, WG_KEY_LEN, hex, strlen(hex));
}

/* Decimal digits only, like Go's strconv.ParseUint(s, 10, bits): no sign, no space. */
static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_true(const char *value)
{
	return strcmp(value, "true") ? -EINVAL : 0;
}

/* "fe80::1%eth0" or "fe80::1%2": the zone names an interface or is its index. */
static int parse_ip6_zone(const char *host, struct sockaddr_in6 *sin6)
{
	char addr[INET6_ADDRSTRLEN];
	const char *zone = strchr(host, '%');
	uint64_t index;
	size_t len = zone ? (size_t)(zone - host) : strlen(host);

	if (len >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, host, len);
	addr[len] = '\0';
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1)
		return -EINVAL;
	if (!zone)
		return 0;
	if (!parse_uint(zone + 1, UINT32_MAX, &index))
		sin6->sin6_scope_id = (uint32_t)index;
	else if (!(sin6->sin6_scope_id = if_nametoindex(zone + 1)))
		return -EINVAL;
	return 0;
}

/* Numeric only, like netip.ParseAddrPort: "192.0.2.1:51820" or "[2001:db8::1]:51820". */
static int parse_endpoint(const char *s, union wg_endpoint *ep)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
	uint16_t port;

	memset(ep, 0, sizeof(*ep));
	if (ip_host_port_split(s, host, sizeof(host), &port))
		return -EINVAL;
	if (*s == '[') {
		ep->in6.sin6_family = AF_INET6;
		ep->in6.sin6_port = htons(port);
		return parse_ip6_zone(host, &ep->in6);
	}
	ep->in.sin_family = AF_INET;
	ep->in.sin_port = htons(port);
	return inet_pton(AF_INET, host, &ep->in.sin_addr) == 1 ? 0 : -EINVAL;
}

/* "10.0.0.0/8", "2001:db8::/32", or with a leading '-' to remove the prefix. */
static int parse_allowed_ip(const char *s, struct wg_allowed_ip_change *change)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash;
	uint64_t cidr;
	size_t len;

	memset(change, 0, sizeof(*change));
	change->remove = *s == '-';
	s += change->remove;
	slash = strchr(s, '/');
	if (!slash || (len = (size_t)(slash - s)) >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, len);
	addr[len] = '\0';
	if (inet_pton(AF_INET, addr, &change->ip.ip4) == 1)
		change->ip.family = AF_INET;
	else if (inet_pton(AF_INET6, addr, &change->ip.ip6) == 1)
		change->ip.family = AF_INET6;
	else
		return -EINVAL;
	if (parse_uint(slash + 1, change->ip.family == AF_INET ? 32 : 128, &cidr))
		return -EINVAL;
	change->ip.cidr = (uint8_t)cidr;
	return 0;
}

/* Every key a `set` or a `get` may carry: only these are safe to name in an error. */
static const char *const key_names[] = {
    "private_key",
    "listen_port",
    "fwmark",
    "replace_peers",
    "public_key",
    "update_only",
    "remove",
    "preshared_key",
    "endpoint",
    "persistent_keepalive_interval",
    "replace_allowed_ips",
    "allowed_ip",
    "protocol_version",
    "last_handshake_time_sec",
    "last_handshake_time_nsec",
    "rx_bytes",
    "tx_bytes",
    "errno",
};

/* Named only when it is one of ours: anything else may be a key pasted in the wrong place. */
static int unknown_key(struct wg_uapi_set *req, const char *key, const char *section)
{
	size_t i;

	for (i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++) {
		if (!strcmp(key, key_names[i]))
			return fail(req, -EINVAL, "%s is not a %s key", key_names[i], section);
	}
	return fail(req, -EINVAL, "unknown %s key", section);
}

static int device_line(struct wg_uapi_set *req, const char *key, const char *value)
{
	struct wg_config *c = &req->config;
	uint64_t num;

	if (!strcmp(key, "private_key")) {
		c->flags |= WG_CONFIG_HAS_PRIVATE_KEY;
		if (key_from_hex(c->private_key, value))
			return fail(req, -EINVAL, "invalid private_key (not 64 hex digits)");
	} else if (!strcmp(key, "listen_port")) {
		c->flags |= WG_CONFIG_HAS_LISTEN_PORT;
		if (parse_uint(value, UINT16_MAX, &num))
			return fail(req, -EINVAL, "invalid listen_port (not a number up to 65535)");
		c->listen_port = (uint16_t)num;
	} else if (!strcmp(key, "fwmark")) {
		c->flags |= WG_CONFIG_HAS_FWMARK;
		if (parse_uint(value, UINT32_MAX, &num))
			return fail(req, -EINVAL, "invalid fwmark (not a number up to 4294967295)");
		c->fwmark = (uint32_t)num;
	} else if (!strcmp(key, "replace_peers")) {
		c->flags |= WG_CONFIG_REPLACE_PEERS;
		if (parse_true(value))
			return fail(req, -EINVAL, "invalid replace_peers (only \"true\")");
	} else {
		return unknown_key(req, key, "device");
	}
	return 0;
}

/* A peer line whose value is only ever "true" and which sets one flag. */
static int peer_flag(struct wg_uapi_set *req, struct wg_peer_config *peer, const char *key,
                     const char *value, uint32_t flag)
{
	peer->flags |= flag;
	if (parse_true(value))
		return fail(req, -EINVAL, "invalid %s (only \"true\")", key);
	return 0;
}

static int add_allowed_ip(struct wg_uapi_set *req, struct wg_peer_config *peer, const char *value)
{
	struct wg_allowed_ip_change change, *grown;
	size_t cap;

	if (parse_allowed_ip(value, &change))
		return fail(req, -EINVAL, "invalid allowed_ip (not [-]address/cidr)");
	if (req->n_ips == req->ips_cap) {
		cap = req->ips_cap ? 2 * req->ips_cap : 16;
		grown = reallocarray(req->ips, cap, sizeof(*grown));
		if (!grown)
			return fail(req, -ENOMEM, "out of memory for allowed_ip");
		req->ips = grown;
		req->ips_cap = cap;
	}
	req->ips[req->n_ips++] = change;
	peer->n_allowed_ips++;
	return 0;
}

static int peer_line(struct wg_uapi_set *req, struct wg_peer_config *peer, const char *key,
                     const char *value)
{
	uint64_t num;

	if (!strcmp(key, "update_only"))
		return peer_flag(req, peer, key, value, WG_PEER_UPDATE_ONLY);
	if (!strcmp(key, "remove"))
		return peer_flag(req, peer, key, value, WG_PEER_REMOVE);
	if (!strcmp(key, "replace_allowed_ips")) {
		/* Drops the allowed_ip lines before it, as the engine replaces before adding. */
		req->n_ips -= peer->n_allowed_ips;
		peer->n_allowed_ips = 0;
		return peer_flag(req, peer, key, value, WG_PEER_REPLACE_ALLOWED_IPS);
	}
	if (!strcmp(key, "allowed_ip"))
		return add_allowed_ip(req, peer, value);
	if (!strcmp(key, "preshared_key")) {
		peer->flags |= WG_PEER_HAS_PRESHARED_KEY;
		if (key_from_hex(peer->preshared_key, value))
			return fail(req, -EINVAL, "invalid preshared_key (not 64 hex digits)");
	} else if (!strcmp(key, "endpoint")) {
		peer->flags |= WG_PEER_HAS_ENDPOINT;
		if (parse_endpoint(value, &peer->endpoint))
			return fail(req, -EINVAL, "invalid endpoint (not address:port, numeric)");
	} else if (!strcmp(key, "persistent_keepalive_interval")) {
		peer->flags |= WG_PEER_HAS_KEEPALIVE;
		if (parse_uint(value, UINT16_MAX, &num))
			return fail(req, -EINVAL,
			            "invalid persistent_keepalive_interval "
			            "(not a number up to 65535)");
		peer->persistent_keepalive_interval = (uint16_t)num;
	} else if (!strcmp(key, "protocol_version")) {
		if (strcmp(value, "1"))
			return fail(req, -EINVAL, "invalid protocol_version (only 1)");
	} else {
		return unknown_key(req, key, "peer");
	}
	return 0;
}

/* A public_key line opens a new peer section; a bad key still opens one, so that the lines
 * after it are checked as the peer lines they are. */
static int add_peer(struct wg_uapi_set *req, const char *value)
{
	struct wg_peer_config *grown, *peer;
	size_t cap;

	if (req->config.n_peers == req->peers_cap) {
		cap = req->peers_cap ? 2 * req->peers_cap : 4;
		grown = reallocarray(NULL, cap, sizeof(*grown));
		if (!grown)
			return fail(req, -ENOMEM, "out of memory for public_key");
		if (req->peers) {
			memcpy(grown, req->peers, req->peers_cap * sizeof(*grown));
			wg_memzero(req->peers, req->peers_cap * sizeof(*grown));
			free(req->peers);
		}
		req->peers = grown;
		req->peers_cap = cap;
	}
	peer = &req->peers[req->config.n_peers++];
	memset(peer, 0, sizeof(*peer));
	if (key_from_hex(peer->public_key, value))
		return fail(req, -EINVAL, "invalid public_key (not 64 hex digits)");
	return 0;
}

int wg_uapi_set_line(struct wg_uapi_set *req, const char *line)
{
	char key[MAX_KEY_NAME];
	const char *eq = strchr(line, '=');
	size_t len;

	if (!eq)
		return fail(req, -EPROTO, "malformed line (no '=')");
	len = (size_t)(eq - line);
	if (len >= sizeof(key))
		return fail(req, -EINVAL, "unknown key");
	memcpy(key, line, len);
	key[len] = '\0';
	if (!strcmp(key, "public_key"))
		return add_peer(req, eq + 1);
	if (!req->config.n_peers)
		return device_line(req, key, eq + 1);
	return peer_line(req, &req->peers[req->config.n_peers - 1], key, eq + 1);
}

int wg_uapi_set_finish(struct wg_uapi_set *req, const struct wg_config **config)
{
	size_t i, offset = 0;

	if (req->error)
		return req->error;
	/* Pointers are set only now: the arrays may have moved while they grew. An offset, not a
	 * pointer, walks them: req->ips is NULL when no peer has an allowed IP. */
	for (i = 0; i < req->config.n_peers; i++) {
		req->peers[i].allowed_ips = req->peers[i].n_allowed_ips ? req->ips + offset : NULL;
		offset += req->peers[i].n_allowed_ips;
	}
	req->config.peers = req->peers;
	*config = &req->config;
	return 0;
}

const char *wg_uapi_set_error(const struct wg_uapi_set *req)
{
	return req->error ? req->error_msg : "";
}

void wg_uapi_set_free(struct wg_uapi_set *req)
{
	if (req->peers)
		wg_memzero(req->peers, req->peers_cap * sizeof(*req->peers));
	free(req->peers);
	free(req->ips);
	wg_memzero(req, sizeof(*req));
}

static void buf_grow(struct wg_uapi_buf *buf, size_t need)
{
	size_t cap = buf->cap ? buf->cap : 1024;
	char *grown;

	while (cap < need)
		cap *= 2;
	grown = malloc(cap);
	if (!grown) {
		buf->error = -ENOMEM;
		return;
	}
	if (buf->data) {
		memcpy(grown, buf->data, buf->len);
		wg_memzero(buf->data, buf->cap);
		free(buf->data);
	}
	buf->data = grown;
	buf->cap = cap;
}

void wg_uapi_buf_printf(struct wg_uapi_buf *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (buf->error)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		buf->error = -EINVAL;
		return;
	}
	if (buf->len + (size_t)n + 1 > buf->cap)
		buf_grow(buf, buf->len + (size_t)n + 1);
	if (buf->error)
		return;
	va_start(ap, fmt);
	vsnprintf(buf->data + buf->len, buf->cap - buf->len, fmt, ap);
	va_end(ap);
	buf->len += (size_t)n;
}

void wg_uapi_buf_free(struct wg_uapi_buf *buf)
{
	if (buf->data)
		wg_memzero(buf->data, buf->cap);
	free(buf->data);
	memset(buf, 0, sizeof(*buf));
}

static void print_key(struct wg_uapi_buf *buf, const char *name, const uint8_t key[WG_KEY_LEN])
{
	char hex[KEY_HEX_LEN + 1];

	wg_hex_encode(hex, key, WG_KEY_LEN);
	wg_uapi_buf_printf(buf, "%s=%s\n", name, hex);
	wg_memzero(hex, sizeof(hex));
}

/* As Go's netip.AddrPort prints it: "192.0.2.1:51820", "[2001:db8::1%eth0]:51820". */
static void print_endpoint(struct wg_uapi_buf *buf, const union wg_endpoint *ep)
{
	char addr[INET6_ADDRSTRLEN], zone[IF_NAMESIZE + 1] = "";

	if (ep->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &ep->in.sin_addr, addr, sizeof(addr));
		wg_uapi_buf_printf(buf, "endpoint=%s:%u\n", addr, ntohs(ep->in.sin_port));
	} else if (ep->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &ep->in6.sin6_addr, addr, sizeof(addr));
		if (ep->in6.sin6_scope_id && !if_indextoname(ep->in6.sin6_scope_id, zone + 1))
			snprintf(zone + 1, sizeof(zone) - 1, "%u", ep->in6.sin6_scope_id);
		if (ep->in6.sin6_scope_id)
			zone[0] = '%';
		wg_uapi_buf_printf(buf, "endpoint=[%s%s]:%u\n", addr, zone,
		                   ntohs(ep->in6.sin6_port));
	}
}

static void print_allowed_ip(struct wg_uapi_buf *buf, const struct wg_allowed_ip *ip)
{
	char addr[INET6_ADDRSTRLEN];

	inet_ntop(ip->family, ip->family == AF_INET ? (const void *)&ip->ip4 : &ip->ip6, addr,
	          sizeof(addr));
	wg_uapi_buf_printf(buf, "allowed_ip=%s/%u\n", addr, ip->cidr);
}

static void print_peer(struct wg_uapi_buf *buf, const struct wg_peer_snapshot *peer)
{
	size_t i;

	print_key(buf, "public_key", peer->public_key);
	print_key(buf, "preshared_key", peer->preshared_key);
	wg_uapi_buf_printf(buf, "protocol_version=1\n");
	print_endpoint(buf, &peer->endpoint);
	wg_uapi_buf_printf(buf,
	                   "last_handshake_time_sec=%lld\nlast_handshake_time_nsec=%ld\n"
	                   "tx_bytes=%llu\nrx_bytes=%llu\npersistent_keepalive_interval=%u\n",
	                   (long long)peer->last_handshake.tv_sec, peer->last_handshake.tv_nsec,
	                   (unsigned long long)peer->tx_bytes, (unsigned long long)peer->rx_bytes,
	                   peer->persistent_keepalive_interval);
	for (i = 0; i < peer->n_allowed_ips; i++)
		print_allowed_ip(buf, &peer->allowed_ips[i]);
}

int wg_uapi_format_get(struct wg_uapi_buf *buf, const struct wg_snapshot *snapshot)
{
	size_t i;

	if (snapshot->has_private_key)
		print_key(buf, "private_key", snapshot->private_key);
	if (snapshot->listen_port)
		wg_uapi_buf_printf(buf, "listen_port=%u\n", snapshot->listen_port);
	if (snapshot->fwmark)
		wg_uapi_buf_printf(buf, "fwmark=%u\n", snapshot->fwmark);
	for (i = 0; i < snapshot->n_peers; i++)
		print_peer(buf, &snapshot->peers[i]);
	return buf->error;
}
