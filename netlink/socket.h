/* SPDX-License-Identifier: MIT */
/*
 * socket.h - how netlink's object files talk over an nl_socket: one request and its ack, a
 * dump collected into a heap array, or every answer handed to a callback; and a socket of
 * another netlink protocol than rtnetlink's (generic netlink, for WireGuard).
 *
 * Private to netlink/: only its .c files include it; the rest of the program asks through
 * the per-object functions of netlink.h.
 */
#ifndef NETLINK_SOCKET_H
#define NETLINK_SOCKET_H

#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;
struct nl_socket;

/* nl_open() is nl_open_protocol(NETLINK_ROUTE). */
int nl_open_protocol(int protocol, struct nl_socket **out);

/*
 * Send one built request and run cb (libmnl's mnl_cb_t) over every answer until the ack,
 * the end of the dump or an error; cb NULL takes the ack alone. A dump the kernel marked
 * interrupted (NLM_F_DUMP_INTR: it changed meanwhile) is -EINTR.
 */
typedef int (*nl_answer_fn)(const struct nlmsghdr *nlh, void *data);
int nl_talk(struct nl_socket *nl, struct nlmsghdr *nlh, nl_answer_fn cb, void *data);

/* Send one built request and wait for its ack. */
int nl_request(struct nl_socket *nl, struct nlmsghdr *nlh);

/*
 * Send a built dump (or get) request and collect the answers that parse accepts into a heap
 * array of size-byte items; parse returns 0 to keep an item, -ENOMSG to skip the message.
 */
typedef int (*nl_parse_fn)(const struct nlmsghdr *nlh, void *item);
int nl_collect(struct nl_socket *nl, struct nlmsghdr *nlh, nl_parse_fn parse, size_t size,
               void **items, size_t *n);
/* nl_collect() over a dump of every object of one type and family (AF_UNSPEC = all). */
int nl_dump(struct nl_socket *nl, uint16_t type, uint8_t family, nl_parse_fn parse, size_t size,
            void **items, size_t *n);

#endif /* NETLINK_SOCKET_H */
