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
