/* SPDX-License-Identifier: MIT */
/*
 * message.h - the pieces netlink's messages are made of: a request header, a link's header,
 * and IP address and 32-bit attributes read and written the same way for every object.
 *
 * Private to netlink/: only its .c files include it; the rest of the program builds
 * messages through netlink.h.
 */
#ifndef NETLINK_MESSAGE_H
#define NETLINK_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "netlink/ip_addr.h"

struct nlattr;
struct nlmsghdr;
struct ifinfomsg;

/*
 * Clear buf (NL_BUFSIZE bytes) and put a request header of NLM_F_REQUEST | flags there, with
 * an empty family-specific header of len bytes behind it.
 */
struct nlmsghdr *nl_put_request(void *buf, uint16_t type, uint16_t flags, size_t len);
/* A request about one link (ifindex 0: named by an attribute instead), of any family. */
struct ifinfomsg *nl_put_link(void *buf, uint16_t type, uint16_t flags, int ifindex,
                              struct nlmsghdr **nlh);

/* A 32-bit attribute into *value; one of another size leaves it alone. */
void nl_get_u32(const struct nlattr *attr, uint32_t *value);
/* An address attribute of family's length into *ip; one of another length is ignored. */
void nl_get_ip(const struct nlattr *attr, uint8_t family, struct ip_addr *ip);
/* An address attribute, unless ip is unset. */
void nl_put_ip(struct nlmsghdr *nlh, uint16_t type, const struct ip_addr *ip);

#endif /* NETLINK_MESSAGE_H */
