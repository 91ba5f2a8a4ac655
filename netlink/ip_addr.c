// SPDX-License-Identifier: MIT
#include "netlink/ip_addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

int ip_addr_parse(const char *text, struct ip_addr *addr)
{
	memset(addr, 0, sizeof(*addr));
	if (inet_pton(AF_INET, text, addr->bytes) == 1) {
		addr->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, addr->bytes) == 1) {
		addr->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

char *ip_addr_format(const struct ip_addr *addr, char buf[IP_ADDR_STRLEN])
{
	buf[0] = '\0';
	if (ip_addr_is_set(addr))
		inet_ntop(addr->family, addr->bytes, buf, IP_ADDR_STRLEN);
	return buf;
}

bool ip_addr_is_set(const struct ip_addr *addr)
{
	return addr->family == AF_INET || addr->family == AF_INET6;
}

size_t ip_addr_len(const struct ip_addr *addr)
{
	if (addr->family == AF_INET)
		return 4;
	if (addr->family == AF_INET6)
		return 16;
	return 0;
}

bool ip_addr_equal(const struct ip_addr *a, const struct ip_addr *b)
{
	return !ip_addr_compare(a, b);
}

int ip_addr_compare(const struct ip_addr *a, const struct ip_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->bytes, b->bytes, ip_addr_len(a));
}

/* Decimal digits only, like Go's strconv.ParseUint(text, 10, 16): no sign, no space. */
static int parse_port(const char *text, uint16_t *port)
{
	uint32_t value = 0;

	if (!*text)
		return -EINVAL;
	for (; *text; text++) {
		if (*text < '0' || *text > '9')
			return -EINVAL;
		value = value * 10 + (uint32_t)(*text - '0');
		if (value > UINT16_MAX)
			return -EINVAL;
	}
	*port = (uint16_t)value;
	return 0;
}

static bool host_is_valid(const char *host, size_t len, bool bracketed)
{
	for (size_t i = 0; i < len; i++)
		if (host[i] == '[' || host[i] == ']' || (host[i] == ':' && !bracketed))
			return false;
	return true;
}

int ip_host_port_split(const char *text, char *host, size_t host_size, uint16_t *port)
{
	const char *colon = strrchr(text, ':'), *start = text, *stop = colon;
	bool bracketed = text[0] == '[';
	uint16_t number;
	size_t len;

	if (!colon)
		return -EINVAL;
	if (bracketed) {
		start = text + 1;
		stop = strchr(start, ']');
		/* The port follows the closing bracket directly. */
		if (!stop || stop + 1 != colon)
			return -EINVAL;
	}
	len = (size_t)(stop - start);
	if (!host_is_valid(start, len, bracketed) || len >= host_size ||
	    parse_port(colon + 1, &number))
		return -EINVAL;
	memcpy(host, start, len);
	host[len] = '\0';
	*port = number;
	return 0;
}
