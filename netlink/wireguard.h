/* SPDX-License-Identifier: MIT */
/*
 * wireguard.h - kernel WireGuard's configuration over generic netlink (family "wireguard",
 * <linux/wireguard.h>), with libmnl. Its link is rtnetlink's: nl_link_add(..., "wireguard").
 *
 * A struct nl_wg_device is one request or one answer in the kernel's own terms: what a
 * WG_CMD_SET_DEVICE asks (WGDEVICE_F_* and WGPEER_F_* flags, the attributes marked in has),
 * or what a WG_CMD_GET_DEVICE dump told, counters and handshake times included.
 *
 * nl_wg_build_set() is pure: it writes the next SET_DEVICE message of a request into a buffer
 * and moves a cursor on, so a request too large for one message goes in several, as
 * wireguard-tools sends it: the device's own attributes in the first; when a message fills,
 * the peer it was at (or that peer's allowed IPs) continues in the next one, which repeats
 * only the peer's public key (and its REMOVE_ME or UPDATE_ONLY), so WGPEER_F_REPLACE_ALLOWEDIPS,
 * the preshared key, the endpoint and the keepalive go once, in the peer's first part, and the
 * allowed IPs the later parts add are not replaced again. A message that cannot hold even one
 * more piece (a buffer smaller than a peer's first part) is NULL.
 *
 * nl_wg_parse() is pure: it folds one message, a part of a GET_DEVICE dump or a SET_DEVICE
 * request, whole in memory up to its aligned end (as a socket read holds it), into a device. A peer
 * whose public key is the last peer's continues it (the kernel splits a dump the same way: a peer
 * whose allowed IPs do not fit goes on in the next message). A malformed message is -EBADMSG, one
 * that is no WireGuard message -ENOMSG; either leaves what was folded before. NLM_F_DUMP_INTR (the
 * device changed during the dump) is -EAGAIN. nl_wg_parse_replies() folds a buffer of messages as a
 * socket reads them, up to NLMSG_DONE; a message cut short by the buffer's end (its padding
 * included) ends it.
 *
 * nl_wg_open() resolves the family: -ENOENT when the kernel has no WireGuard. nl_wg_get()
 * dumps a device (-ENODEV: no such link, -EOPNOTSUPP: a link of another kind), dumping again
 * when the kernel says the dump was interrupted; nl_wg_set() sends every message of a request
 * and stops at the first one the kernel refuses. An nl_wg is used by one thread at a time.
 * Private and preshared keys are zeroed when a device is released and in every buffer a
 * message was built in; they are never logged.
 */
#ifndef NETLINK_WIREGUARD_H
#define NETLINK_WIREGUARD_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "netlink/ip_addr.h"

enum { NL_WG_KEY_LEN = 32 };

/* The size of the messages nl_wg_set() sends: wireguard-tools' (a page, at most 8 KiB). */
#define NL_WG_MESSAGE_SIZE 4096

struct nlmsghdr;
struct nl_wg;

/*
 * <linux/wireguard.h>'s flags under names of their own, for files that also include wg/wg.h
 * (whose WG_KEY_LEN the kernel's header would redefine); wireguard.c checks they agree.
 */
enum nl_wg_device_flag {
	NL_WG_DEVICE_REPLACE_PEERS = 1U << 0, /* WGDEVICE_F_REPLACE_PEERS */
};
enum nl_wg_peer_flag {
	NL_WG_PEER_REMOVE_ME = 1U << 0,           /* WGPEER_F_REMOVE_ME */
	NL_WG_PEER_REPLACE_ALLOWED_IPS = 1U << 1, /* WGPEER_F_REPLACE_ALLOWEDIPS */
	NL_WG_PEER_UPDATE_ONLY = 1U << 2,         /* WGPEER_F_UPDATE_ONLY */
};

struct nl_wg_allowed_ip {
	struct ip_addr ip;
	uint8_t cidr;
};

/* Which attributes a device or peer carries. */
enum nl_wg_has {
	NL_WG_HAS_PRIVATE_KEY = 1U << 0,   /* device */
	NL_WG_HAS_PUBLIC_KEY = 1U << 1,    /* device (peers always have theirs) */
	NL_WG_HAS_LISTEN_PORT = 1U << 2,   /* device */
	NL_WG_HAS_FWMARK = 1U << 3,        /* device */
	NL_WG_HAS_PRESHARED_KEY = 1U << 4, /* peer; all zero = none */
	NL_WG_HAS_ENDPOINT = 1U << 5,      /* peer */
	NL_WG_HAS_KEEPALIVE = 1U << 6,     /* peer */
	NL_WG_HAS_HANDSHAKE = 1U << 7, /* peer, dumps only: last_handshake, rx_bytes, tx_bytes */
};

union nl_wg_endpoint {
	struct sockaddr sa; /* AF_UNSPEC: none */
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

struct nl_wg_peer {
	uint8_t public_key[NL_WG_KEY_LEN];
	uint32_t flags; /* enum nl_wg_peer_flag */
	uint32_t has;   /* enum nl_wg_has */
	uint8_t preshared_key[NL_WG_KEY_LEN];
	union nl_wg_endpoint endpoint;
	uint16_t persistent_keepalive_interval;
	struct timespec last_handshake; /* wall clock; {0, 0} = never */
	uint64_t rx_bytes, tx_bytes;
	struct nl_wg_allowed_ip *allowed_ips; /* heap */
	size_t n_allowed_ips;
};

struct nl_wg_device {
	char ifname[IFNAMSIZ]; /* a request names its link by ifname, else by ifindex */
	uint32_t ifindex;
	uint32_t flags; /* enum nl_wg_device_flag */
	uint32_t has;   /* enum nl_wg_has */
	uint8_t private_key[NL_WG_KEY_LEN], public_key[NL_WG_KEY_LEN];
	uint16_t listen_port;
	uint32_t fwmark;
	struct nl_wg_peer *peers; /* heap, in the kernel's order */
	size_t n_peers;
};

/* Frees the peers and their allowed IPs; the keys are zeroed. */
void nl_wg_device_release(struct nl_wg_device *device);

/* Where the next SET_DEVICE message of a request starts; all zero before the first. */
struct nl_wg_cursor {
	bool started;    /* the first message, with the device's attributes, is built */
	size_t peer;     /* the next peer */
	bool peer_begun; /* its first part went in an earlier message */
	size_t allowed_ip;
};

/* The next message into buf (size bytes); NULL when nothing more fits into an empty one. */
struct nlmsghdr *nl_wg_build_set(void *buf, size_t size, uint16_t family,
                                 const struct nl_wg_device *device, struct nl_wg_cursor *cursor);
bool nl_wg_cursor_done(const struct nl_wg_device *device, const struct nl_wg_cursor *cursor);
/* The dump request for the link named ifname, into buf (NL_BUFSIZE bytes). */
struct nlmsghdr *nl_wg_build_get(void *buf, uint16_t family, const char *ifname);

int nl_wg_parse(const struct nlmsghdr *nlh, uint16_t family, struct nl_wg_device *device);
/* 0 at NLMSG_DONE or the end of the buffer; an NLMSG_ERROR's error. */
int nl_wg_parse_replies(const void *buf, size_t len, uint16_t family, struct nl_wg_device *device);

/*
 * A stand-in for the kernel (tests): it gets each request as built and answers it as the
 * kernel would, a dump by calling reply for each message, a SET_DEVICE by its error or 0.
 */
typedef int nl_wg_reply_fn(const struct nlmsghdr *nlh, void *data);
typedef int nl_wg_answer_fn(void *ctx, const struct nlmsghdr *request, nl_wg_reply_fn *reply,
                            void *data);

int nl_wg_open(struct nl_wg **out);
int nl_wg_open_stand_in(nl_wg_answer_fn *answer, void *ctx, uint16_t family, struct nl_wg **out);
void nl_wg_close(struct nl_wg *wg);

int nl_wg_get(struct nl_wg *wg, const char *ifname, struct nl_wg_device *device);
int nl_wg_set(struct nl_wg *wg, const struct nl_wg_device *request);
/* How many SET_DEVICE messages this nl_wg has sent. */
uint64_t nl_wg_messages_sent(const struct nl_wg *wg);

#endif /* NETLINK_WIREGUARD_H */
