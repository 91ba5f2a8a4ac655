/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for kernel WireGuard's generic netlink (drivers/net/wireguard/netlink.c), for
 * tests of netlink/wireguard.h and of the kernel WireGuard device on a host without the
 * module: an nl_wg_answer_fn over one device. A SET_DEVICE message is applied alone, as the
 * kernel applies each message (so a continued peer that asked REPLACE_ALLOWEDIPS again would
 * lose the allowed IPs of its first part, as it would in the kernel); an allowed IP moves to
 * the peer that last claimed it. A GET_DEVICE dump is answered in the kernel's layout, split
 * into messages of dump_size bytes the way the kernel splits it: a peer whose allowed IPs do
 * not fit goes on in the next message with its public key and the rest of them.
 *
 * What the tests count: the SET_DEVICE messages, the dumps and their messages (and how many
 * ended inside a peer), every REPLACE_PEERS, every change of the private key, each peer's
 * creation number (a peer removed and added again gets a new one) and how many messages
 * named it.
 */
#ifndef TESTS_WG_KERNEL_STAND_IN_H
#define TESTS_WG_KERNEL_STAND_IN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink/wireguard.h"

#define STAND_IN_FAMILY 0x1b

struct stand_in_peer {
	struct nl_wg_peer peer; /* its allowed IPs masked, as the kernel's trie keeps them */
	uint64_t serial;        /* when it was created: 1, 2, ... */
	size_t named;           /* SET_DEVICE messages that named it */
};

struct wg_stand_in {
	char ifname[16];
	uint32_t ifindex;
	bool has_identity;
	uint8_t private_key[NL_WG_KEY_LEN], public_key[NL_WG_KEY_LEN];
	uint16_t listen_port;
	uint32_t fwmark;
	struct stand_in_peer *peers;
	size_t n_peers, cap;
	uint64_t serials;

	size_t dump_size;       /* bytes per dump message; 0 = 4096 */
	unsigned int interrupt; /* so many coming dumps are marked NLM_F_DUMP_INTR */
	int refuse;             /* the error the next SET_DEVICE gets, then 0 again */
	size_t set_messages, dumps, replace_peers, key_changes;
	size_t dump_messages, dump_splits; /* splits: messages that ended inside a peer */
};

void stand_in_init(struct wg_stand_in *k, const char *ifname);
void stand_in_release(struct wg_stand_in *k);
nl_wg_answer_fn stand_in_answer;
/* The peer with this public key, or NULL. */
struct stand_in_peer *stand_in_find(struct wg_stand_in *k, const uint8_t key[NL_WG_KEY_LEN]);

#endif /* TESTS_WG_KERNEL_STAND_IN_H */
