// SPDX-License-Identifier: MIT
#include "mesh/host/wg_endpoint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

static int resolve(const struct mesh_endpoint *endpoint, union wg_endpoint *out, char *err,
                   size_t err_size)
{
	const struct addrinfo hints = {.ai_socktype = SOCK_DGRAM};
	struct addrinfo *answers, *pick = NULL;
	int ret = getaddrinfo(endpoint->dns, NULL, &hints, &answers);

	if (ret) {
		snprintf(err, err_size, "failed to resolve endpoint %s: %s", endpoint->dns,
		         gai_strerror(ret));
		return -EHOSTUNREACH;
	}
	for (struct addrinfo *a = answers; a; a = a->ai_next) {
		if (a->ai_family != AF_INET && a->ai_family != AF_INET6)
			continue;
		if (!pick || (a->ai_family == AF_INET && pick->ai_family != AF_INET))
			pick = a;
	}
	if (pick)
		memcpy(out, pick->ai_addr, pick->ai_addrlen);
	else
		snprintf(err, err_size, "endpoint %s has no IP address", endpoint->dns);
	freeaddrinfo(answers);
	return pick ? 0 : -EHOSTUNREACH;
}

int mesh_wg_endpoint_from_mesh(const struct mesh_endpoint *endpoint, union wg_endpoint *out,
                               char *err, size_t err_size)
{
	int ret;

	memset(out, 0, sizeof(*out));
	if (!endpoint->port)
		return 0;
	if (endpoint->dns[0]) {
		ret = resolve(endpoint, out, err, err_size);
		if (ret)
			return ret;
	} else if (endpoint->ip.family == AF_INET) {
		out->in.sin_family = AF_INET;
		memcpy(&out->in.sin_addr, endpoint->ip.bytes, 4);
	} else if (endpoint->ip.family == AF_INET6) {
		out->in6.sin6_family = AF_INET6;
		memcpy(&out->in6.sin6_addr, endpoint->ip.bytes, 16);
	} else {
		return 0;
	}
	/* sin_port and sin6_port share their offset. */
	out->in.sin_port = htons(endpoint->port);
	return 0;
}

void mesh_wg_endpoint_to_mesh(const union wg_endpoint *endpoint, struct mesh_endpoint *out)
{
	memset(out, 0, sizeof(*out));
	if (endpoint->sa.sa_family == AF_INET) {
		out->ip.family = AF_INET;
		memcpy(out->ip.bytes, &endpoint->in.sin_addr, 4);
		out->port = ntohs(endpoint->in.sin_port);
	} else if (endpoint->sa.sa_family == AF_INET6) {
		out->ip.family = AF_INET6;
		memcpy(out->ip.bytes, &endpoint->in6.sin6_addr, 16);
		out->port = ntohs(endpoint->in6.sin6_port);
	}
}
