// SPDX-License-Identifier: MIT
/*
 * fuzz_prefix.c - the address, prefix and endpoint parsers of netlink/ip_addr.h,
 * mesh/model/prefix.h and mesh/model/model.h, which read every IP, CIDR, endpoint and listen
 * address of annotations, Peer objects, INI files and flags.
 *
 * Promises checked: whatever parses prints within its buffer and reads back as the same value;
 * a prefix length fits its family and the masked network holds the address; a host:port split
 * leaves no bracket in the host, no colon in a host that had none around it, and joins back
 * into text that splits the same; a failed split writes nothing.
 */
#include <stdbool.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "mesh/model/model.h"
#include "mesh/model/prefix.h"
#include "netlink/ip_addr.h"

static void check_addr(const char *text)
{
	char buf[IP_ADDR_STRLEN];
	struct ip_addr addr, again;

	if (ip_addr_parse(text, &addr))
		return;
	FUZZ_CHECK(addr.family == AF_INET || addr.family == AF_INET6);
	FUZZ_CHECK(ip_addr_parse(ip_addr_format(&addr, buf), &again) == 0);
	FUZZ_CHECK(ip_addr_equal(&addr, &again));
}

static void check_host_port(const char *text)
{
	char host[64] = "", again[64], joined[sizeof(host) + sizeof("[]:65535")];
	bool bracketed = text[0] == '[';
	uint16_t port = 1, port_again;

	if (ip_host_port_split(text, host, sizeof(host), &port)) {
		FUZZ_CHECK(!host[0] && port == 1);
		return;
	}
	FUZZ_CHECK(!strpbrk(host, "[]"));
	FUZZ_CHECK(bracketed || !strchr(host, ':'));
	snprintf(joined, sizeof(joined), bracketed ? "[%s]:%u" : "%s:%u", host, port);
	FUZZ_CHECK(ip_host_port_split(joined, again, sizeof(again), &port_again) == 0);
	FUZZ_CHECK(!strcmp(host, again) && port == port_again);
}

static void check_prefix(const char *text)
{
	char buf[MESH_PREFIX_STRLEN];
	struct mesh_prefix prefix, again, network;

	if (mesh_prefix_parse(text, &prefix))
		return;
	FUZZ_CHECK(prefix.cidr <= 8 * ip_addr_len(&prefix.addr));
	FUZZ_CHECK(mesh_prefix_parse(mesh_prefix_format(&prefix, buf), &again) == 0);
	FUZZ_CHECK(mesh_prefix_equal(&prefix, &again));
	network = mesh_prefix_masked(&prefix);
	FUZZ_CHECK(mesh_prefix_contains_addr(&network, &prefix.addr));
	FUZZ_CHECK(mesh_prefix_contains(&network, &network));
}

static void check_endpoint(const char *text)
{
	char buf[MESH_ENDPOINT_STRLEN];
	struct mesh_endpoint endpoint, again;

	if (mesh_endpoint_parse(text, &endpoint))
		return;
	FUZZ_CHECK(mesh_endpoint_is_set(&endpoint));
	FUZZ_CHECK(!endpoint.dns[0] || mesh_dns_name_is_valid(endpoint.dns));
	FUZZ_CHECK(mesh_endpoint_parse(mesh_endpoint_format(&endpoint, buf), &again) == 0);
	FUZZ_CHECK(mesh_endpoint_equal(&endpoint, &again));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);

	if (!text)
		return 0;
	check_addr(text);
	check_host_port(text);
	check_prefix(text);
	check_endpoint(text);
	free(text);
	return 0;
}
