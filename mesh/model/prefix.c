// SPDX-License-Identifier: MIT
/*
 * IP address and prefix helpers. inet_pton/inet_ntop do the text work so the
 * accepted syntax and the printed form match what Go's net package produces
 * for the addresses Kilo handles (dotted quad, RFC 5952 IPv6).
 */
#include "mesh/model/prefix.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

bool mesh_addr_is_public(const struct ip_addr *addr)
{
	const uint8_t *b = addr->bytes;

	if (addr->family == AF_INET)
		return !(b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
		         (b[0] == 192 && b[1] == 168));
	/* Kilo only checks the first two bytes against fd00 (a quirk we keep). */
	if (addr->family == AF_INET6)
		return !(b[0] == 0xfd && b[1] == 0x00);
	return false;
}

static size_t max_cidr(const struct ip_addr *addr)
{
	return ip_addr_len(addr) * 8;
}

int mesh_prefix_parse(const char *text, struct mesh_prefix *prefix)
{
	char host[IP_ADDR_STRLEN];
	const char *slash = strchr(text, '/');
	size_t hostlen;
	char *end;
	long cidr;

	memset(prefix, 0, sizeof(*prefix));
	if (!slash)
		return -EINVAL;
	hostlen = (size_t)(slash - text);
	if (hostlen == 0 || hostlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, hostlen);
	host[hostlen] = '\0';
	if (ip_addr_parse(host, &prefix->addr))
		return -EINVAL;
	/* Go rejects signs, spaces and leading zeros in the length. */
	if (slash[1] < '0' || slash[1] > '9' || (slash[1] == '0' && slash[2]))
		goto invalid;
	errno = 0;
	cidr = strtol(slash + 1, &end, 10);
	if (errno || *end || cidr < 0 || (size_t)cidr > max_cidr(&prefix->addr))
		goto invalid;
	prefix->cidr = (uint8_t)cidr;
	return 0;
invalid:
	memset(prefix, 0, sizeof(*prefix));
	return -EINVAL;
}

struct mesh_prefix mesh_prefix_host(const struct ip_addr *addr)
{
	struct mesh_prefix prefix = {.addr = *addr, .cidr = (uint8_t)max_cidr(addr)};

	return prefix;
}

char *mesh_prefix_format(const struct mesh_prefix *prefix, char buf[MESH_PREFIX_STRLEN])
{
	char addr[IP_ADDR_STRLEN];

	buf[0] = '\0';
	if (mesh_prefix_is_set(prefix))
		snprintf(buf, MESH_PREFIX_STRLEN, "%s/%u", ip_addr_format(&prefix->addr, addr),
		         prefix->cidr);
	return buf;
}

bool mesh_prefix_is_set(const struct mesh_prefix *prefix)
{
	return ip_addr_is_set(&prefix->addr);
}

bool mesh_prefix_equal(const struct mesh_prefix *a, const struct mesh_prefix *b)
{
	return a->cidr == b->cidr && ip_addr_equal(&a->addr, &b->addr);
}

struct mesh_prefix mesh_prefix_masked(const struct mesh_prefix *prefix)
{
	struct mesh_prefix masked = *prefix;
	size_t len = ip_addr_len(&prefix->addr);

	for (size_t i = 0; i < len; i++) {
		size_t bit = i * 8;

		if (bit >= prefix->cidr)
			masked.addr.bytes[i] = 0;
		else if (bit + 8 > prefix->cidr)
			masked.addr.bytes[i] &= (uint8_t)(0xff << (8 - (prefix->cidr - bit)));
	}
	return masked;
}

/* Do a and b agree on their first bits bits? */
static bool same_bits(const struct ip_addr *a, const struct ip_addr *b, unsigned int bits)
{
	unsigned int whole = bits / 8, rest = bits % 8;

	if (a->family != b->family)
		return false;
	/* A byte loop, not memcmp: this runs millions of times in the location-IP filter. */
	for (unsigned int i = 0; i < whole; i++)
		if (a->bytes[i] != b->bytes[i])
			return false;
	if (!rest)
		return true;
	return !((a->bytes[whole] ^ b->bytes[whole]) & (uint8_t)(0xff << (8 - rest)));
}

bool mesh_prefix_contains_addr(const struct mesh_prefix *prefix, const struct ip_addr *addr)
{
	return mesh_prefix_is_set(prefix) && same_bits(&prefix->addr, addr, prefix->cidr);
}

bool mesh_prefix_contains(const struct mesh_prefix *outer, const struct mesh_prefix *inner)
{
	return outer->cidr <= inner->cidr && mesh_prefix_contains_addr(outer, &inner->addr);
}

bool mesh_prefix_overlaps(const struct mesh_prefix *a, const struct mesh_prefix *b)
{
	return mesh_prefix_contains_addr(a, &b->addr) || mesh_prefix_contains_addr(b, &a->addr);
}

int mesh_prefix_compare_text(const struct mesh_prefix *a, const struct mesh_prefix *b)
{
	char sa[MESH_PREFIX_STRLEN], sb[MESH_PREFIX_STRLEN];

	return strcmp(mesh_prefix_format(a, sa), mesh_prefix_format(b, sb));
}
