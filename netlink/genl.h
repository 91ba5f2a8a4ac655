/* SPDX-License-Identifier: MIT */
/*
 * genl.h - generic netlink's controller: the id of a family by its name (CTRL_CMD_GETFAMILY),
 * which a family's requests carry as their message type.
 *
 * nl_genl_build_family_get() and nl_genl_parse_family() are pure; nl_genl_family() asks over a
 * NETLINK_GENERIC socket (socket.h's nl_open_protocol()) and answers -ENOENT when the kernel
 * has no such family (for "wireguard": the module is not loaded).
 */
#ifndef NETLINK_GENL_H
#define NETLINK_GENL_H

#include <stdint.h>

struct nlmsghdr;
struct nl_socket;

/* A family's name, with its NUL (GENL_NAMSIZ). */
#define NL_GENL_NAME_LEN 16

/* Into buf (NL_BUFSIZE bytes); NULL for a name that does not fit. */
struct nlmsghdr *nl_genl_build_family_get(void *buf, const char *name);
/* The family id of a CTRL_CMD_NEWFAMILY answer; -ENOMSG for any other message. */
int nl_genl_parse_family(const struct nlmsghdr *nlh, uint16_t *id);
int nl_genl_family(struct nl_socket *nl, const char *name, uint16_t *id);

#endif /* NETLINK_GENL_H */
