// SPDX-License-Identifier: MIT
/*
 * fuzz_wg_netlink.c - the reply parser of kernel WireGuard's generic netlink
 * (netlink/wireguard.h: nl_wg_parse_replies, which nl_wg_get runs over a GET_DEVICE dump).
 * The input is what a socket read gives: netlink messages one after another.
 *
 * Promises checked: what parses is a device whose every allowed IP has a family, an address
 * of its length and a prefix length within it, and whose peers are never two in a row with
 * one key (a peer the dump continued is one peer); sent back as SET_DEVICE messages, split
 * as wireguard-tools splits them, it parses into the same peers, keys, endpoints and allowed
 * IPs.
 */
#include <stdbool.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "netlink/wireguard.h"

#define FAMILY 0x1b

static void check_device(const struct nl_wg_device *device)
{
	for (size_t i = 0; i < device->n_peers; i++) {
		const struct nl_wg_peer *peer = &device->peers[i];

		FUZZ_CHECK(
		    !i || memcmp(peer->public_key, device->peers[i - 1].public_key, NL_WG_KEY_LEN));
		for (size_t j = 0; j < peer->n_allowed_ips; j++) {
			const struct nl_wg_allowed_ip *ip = &peer->allowed_ips[j];

			FUZZ_CHECK(ip->ip.family == AF_INET || ip->ip.family == AF_INET6);
			FUZZ_CHECK(ip->cidr <= 8 * ip_addr_len(&ip->ip));
		}
	}
}

static void check_same_peer(const struct nl_wg_peer *a, const struct nl_wg_peer *b)
{
	const uint32_t kept = NL_WG_HAS_PRESHARED_KEY | NL_WG_HAS_ENDPOINT | NL_WG_HAS_KEEPALIVE;
	const uint32_t flags =
	    NL_WG_PEER_REMOVE_ME | NL_WG_PEER_REPLACE_ALLOWED_IPS | NL_WG_PEER_UPDATE_ONLY;

	FUZZ_CHECK(!memcmp(a->public_key, b->public_key, NL_WG_KEY_LEN));
	FUZZ_CHECK((a->flags & flags) == (b->flags & flags));
	FUZZ_CHECK((a->has & kept) == (b->has & kept));
	if (a->has & NL_WG_HAS_PRESHARED_KEY)
		FUZZ_CHECK(!memcmp(a->preshared_key, b->preshared_key, NL_WG_KEY_LEN));
	if (a->has & NL_WG_HAS_ENDPOINT)
		FUZZ_CHECK(!memcmp(&a->endpoint, &b->endpoint, sizeof(a->endpoint)));
	if (a->has & NL_WG_HAS_KEEPALIVE)
		FUZZ_CHECK(a->persistent_keepalive_interval == b->persistent_keepalive_interval);
	FUZZ_CHECK(a->n_allowed_ips == b->n_allowed_ips);
	for (size_t j = 0; j < a->n_allowed_ips; j++) {
		FUZZ_CHECK(a->allowed_ips[j].cidr == b->allowed_ips[j].cidr);
		FUZZ_CHECK(ip_addr_equal(&a->allowed_ips[j].ip, &b->allowed_ips[j].ip));
	}
}

/* The device as a request, message by message, read back into one device. */
static void check_round_trip(const struct nl_wg_device *device)
{
	static char buf[NL_WG_MESSAGE_SIZE];
	struct nl_wg_device again = {0};
	struct nl_wg_cursor cursor = {0};

	do {
		struct nlmsghdr *nlh = nl_wg_build_set(buf, sizeof(buf), FAMILY, device, &cursor);

		FUZZ_CHECK(nlh);
		FUZZ_CHECK(nl_wg_parse(nlh, FAMILY, &again) == 0);
	} while (!nl_wg_cursor_done(device, &cursor));
	FUZZ_CHECK(again.n_peers == device->n_peers);
	for (size_t i = 0; i < device->n_peers; i++)
		check_same_peer(&device->peers[i], &again.peers[i]);
	if (device->has & NL_WG_HAS_LISTEN_PORT)
		FUZZ_CHECK(again.listen_port == device->listen_port);
	if (device->has & NL_WG_HAS_PRIVATE_KEY)
		FUZZ_CHECK(!memcmp(again.private_key, device->private_key, NL_WG_KEY_LEN));
	nl_wg_device_release(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A socket's buffer is aligned; so is this copy. */
	void *copy = malloc(size ? size : 1);
	struct nl_wg_device device = {0};

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (nl_wg_parse_replies(copy, size, FAMILY, &device) == 0) {
		check_device(&device);
		check_round_trip(&device);
	}
	nl_wg_device_release(&device);
	free(copy);
	return 0;
}
