// SPDX-License-Identifier: MIT
/*
 * Lifetime, readiness and small value parsers of the mesh model.
 */
#include "mesh/model/model.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "netlink/ip_addr.h"

void mesh_node_release(struct mesh_node *node)
{
	free(node->discovered_endpoints);
	free(node->allowed_location_ips);
	memset(node, 0, sizeof(*node));
}

void mesh_peer_release(struct mesh_peer *peer)
{
	free(peer->allowed_ips);
	sodium_memzero(peer, sizeof(*peer)); /* the preshared key is a secret */
}

void mesh_cluster_release(struct mesh_cluster *cluster)
{
	for (size_t i = 0; i < cluster->n_nodes; i++)
		mesh_node_release(&cluster->nodes[i]);
	for (size_t i = 0; i < cluster->n_peers; i++)
		mesh_peer_release(&cluster->peers[i]);
	free(cluster->nodes);
	free(cluster->peers);
	memset(cluster, 0, sizeof(*cluster));
}

bool mesh_key_is_set(const uint8_t key[MESH_KEY_LEN])
{
	uint8_t any = 0;

	for (size_t i = 0; i < MESH_KEY_LEN; i++)
		any |= key[i];
	return any != 0;
}

bool mesh_node_is_ready(const struct mesh_node *node, int64_t now)
{
	return mesh_endpoint_is_set(&node->endpoint) && mesh_key_is_set(node->key) &&
	       mesh_prefix_is_set(&node->subnet) && now - node->last_seen < MESH_READY_WINDOW;
}

size_t mesh_node_subnets(const struct mesh_node *node, const struct mesh_prefix *out[2])
{
	size_t n = 0;

	if (mesh_prefix_is_set(&node->subnet))
		out[n++] = &node->subnet;
	if (mesh_prefix_is_set(&node->secondary_subnet))
		out[n++] = &node->secondary_subnet;
	return n;
}

const struct mesh_prefix *mesh_node_subnet_of(const struct mesh_node *node, int family)
{
	const struct mesh_prefix *subnets[2];
	size_t n = mesh_node_subnets(node, subnets);

	for (size_t i = 0; i < n; i++)
		if (subnets[i]->addr.family == family)
			return subnets[i];
	return NULL;
}

bool mesh_peer_is_ready(const struct mesh_peer *peer)
{
	return peer->n_allowed_ips > 0 && mesh_key_is_set(peer->public_key);
}

bool mesh_endpoint_is_set(const struct mesh_endpoint *endpoint)
{
	return endpoint->port && (endpoint->dns[0] || ip_addr_is_set(&endpoint->ip));
}

bool mesh_endpoint_equal(const struct mesh_endpoint *a, const struct mesh_endpoint *b)
{
	return a->port == b->port && !strcmp(a->dns, b->dns) && ip_addr_equal(&a->ip, &b->ip);
}

static int compare_discovered(const void *a, const void *b)
{
	return memcmp(((const struct mesh_discovered_endpoint *)a)->key,
	              ((const struct mesh_discovered_endpoint *)b)->key, MESH_KEY_LEN);
}

void mesh_discovered_sort(struct mesh_discovered_endpoint *entries, size_t n)
{
	if (n)
		qsort(entries, n, sizeof(*entries), compare_discovered);
}

bool mesh_discovered_equal(const struct mesh_discovered_endpoint *a, size_t n_a,
                           const struct mesh_discovered_endpoint *b, size_t n_b)
{
	if (n_a != n_b)
		return false;
	for (size_t i = 0; i < n_a; i++)
		if (memcmp(a[i].key, b[i].key, MESH_KEY_LEN) ||
		    !mesh_endpoint_equal(&a[i].endpoint, &b[i].endpoint))
			return false;
	return true;
}

/* One DNS-1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 bytes. */
static bool label_is_valid(const char *label, size_t len)
{
	if (len == 0 || len > 63 || label[0] == '-' || label[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(islower((unsigned char)label[i]) || isdigit((unsigned char)label[i]) ||
		      label[i] == '-'))
			return false;
	return true;
}

bool mesh_dns_name_is_valid(const char *text)
{
	size_t len = strlen(text);
	const char *label = text;

	if (len == 0 || len > MESH_DNS_MAX)
		return false;
	for (;;) {
		const char *dot = strchr(label, '.');
		size_t n = dot ? (size_t)(dot - label) : strlen(label);

		if (!label_is_valid(label, n))
			return false;
		if (!dot)
			return true;
		label = dot + 1;
	}
}

int mesh_endpoint_parse(const char *text, struct mesh_endpoint *endpoint)
{
	char host[MESH_DNS_MAX + 1];
	int ret;

	memset(endpoint, 0, sizeof(*endpoint));
	ret = ip_host_port_split(text, host, sizeof(host), &endpoint->port);
	if (!ret && !endpoint->port)
		ret = -EINVAL;
	if (ret)
		goto out;
	if (!ip_addr_parse(host, &endpoint->ip))
		goto out;
	/* Brackets hold an IP address, never a name. */
	if (text[0] != '[' && mesh_dns_name_is_valid(host))
		memcpy(endpoint->dns, host, strlen(host) + 1);
	else
		ret = -EINVAL;
out:
	if (ret)
		memset(endpoint, 0, sizeof(*endpoint));
	return ret;
}

char *mesh_endpoint_format(const struct mesh_endpoint *endpoint, char buf[MESH_ENDPOINT_STRLEN])
{
	char addr[IP_ADDR_STRLEN];

	buf[0] = '\0';
	if (!mesh_endpoint_is_set(endpoint))
		return buf;
	if (endpoint->dns[0])
		snprintf(buf, MESH_ENDPOINT_STRLEN, "%s:%u", endpoint->dns, endpoint->port);
	else if (endpoint->ip.family == AF_INET6)
		snprintf(buf, MESH_ENDPOINT_STRLEN, "[%s]:%u", ip_addr_format(&endpoint->ip, addr),
		         endpoint->port);
	else
		snprintf(buf, MESH_ENDPOINT_STRLEN, "%s:%u", ip_addr_format(&endpoint->ip, addr),
		         endpoint->port);
	return buf;
}

static const char *const granularity_names[] = {
    [MESH_GRANULARITY_UNSET] = "",    [MESH_GRANULARITY_LOCATION] = "location",
    [MESH_GRANULARITY_FULL] = "full", [MESH_GRANULARITY_CROSS] = "cross",
    [MESH_GRANULARITY_AUTO] = "auto",
};

static const char *const encapsulate_names[] = {
    [MESH_ENCAPSULATE_NEVER] = "never",
    [MESH_ENCAPSULATE_CROSSSUBNET] = "crosssubnet",
    [MESH_ENCAPSULATE_ALWAYS] = "always",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

/* Index of text among names (an unset value's "" never matches), or -EINVAL. */
static int index_of(const char *const *names, size_t n, const char *text)
{
	for (size_t i = 0; i < n; i++)
		if (names[i][0] && !strcmp(names[i], text))
			return (int)i;
	return -EINVAL;
}

static const char *name_at(const char *const *names, size_t n, size_t i)
{
	return i < n ? names[i] : "";
}

int mesh_granularity_parse(const char *text, enum mesh_granularity *granularity)
{
	int i = index_of(granularity_names, ARRAY_SIZE(granularity_names), text);

	if (i >= 0)
		*granularity = (enum mesh_granularity)i;
	return i < 0 ? i : 0;
}

const char *mesh_granularity_name(enum mesh_granularity granularity)
{
	return name_at(granularity_names, ARRAY_SIZE(granularity_names), (size_t)granularity);
}

int mesh_encapsulate_parse(const char *text, enum mesh_encapsulate *encapsulate)
{
	int i = index_of(encapsulate_names, ARRAY_SIZE(encapsulate_names), text);

	if (i >= 0)
		*encapsulate = (enum mesh_encapsulate)i;
	return i < 0 ? i : 0;
}
