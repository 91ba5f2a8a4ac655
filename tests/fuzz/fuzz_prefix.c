// SPDX-License-Identifier: MIT
/*
 * fuzz_prefix.c - the address, prefix and endpoint parsers of mesh/model/prefix.h and mesh/model/model.h,
 * which read every IP, CIDR and endpoint of annotations, Peer objects and INI files.
 *
 * Promises checked: whatever parses prints within its buffer and reads back as the same value;
 * a prefix length fits its family and the masked network holds the address.
 */
#include <sys/socket.h>

#include "fuzz.h"
#include "mesh/model/model.h"
#include "mesh/model/prefix.h"

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
	check_prefix(text);
	check_endpoint(text);
	free(text);
	return 0;
}
