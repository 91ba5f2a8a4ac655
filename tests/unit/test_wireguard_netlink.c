// SPDX-License-Identifier: MIT
/*
 * netlink/wireguard and netlink/genl: kernel WireGuard's generic netlink messages as bytes
 * (the family lookup, the dump request, a SET_DEVICE request in wireguard-tools' order), a
 * request too large for one message split as wireguard-tools splits it and applied message by
 * message by a stand-in for the kernel (tests/unit/wg_kernel_stand_in.h), a dump the kernel
 * split inside a peer put back together, an interrupted dump taken again, and malformed
 * answers refused. The real kernel answers the same requests in the kernel stage
 * (unit_wg_device, run in its VM by tests/kernel/test_mesh.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/genl.h"
#include "netlink/netlink.h"
#include "netlink/wireguard.h"
#include "wg_kernel_stand_in.h"

/* Hex with spaces anywhere, and "KEY(xx)" for 32 bytes of xx. */
static size_t unhex(const char *text, uint8_t *out, size_t size)
{
	size_t n = 0;
	unsigned int byte;

	while (*text) {
		if (*text == ' ') {
			text++;
		} else if (!strncmp(text, "KEY(", 4)) {
			assert_int_equal(sscanf(text + 4, "%2x", &byte), 1);
			assert_true(n + 32 <= size);
			memset(out + n, (int)byte, 32);
			n += 32;
			text += 7;
		} else {
			assert_int_equal(sscanf(text, "%2x", &byte), 1);
			assert_true(n < size);
			out[n++] = (uint8_t)byte;
			text += 2;
		}
	}
	return n;
}

static void assert_bytes(const struct nlmsghdr *nlh, const char *hex)
{
	uint8_t want[1024];
	size_t n = unhex(hex, want, sizeof(want));

	assert_int_equal(nlh->nlmsg_len, n);
	assert_memory_equal(nlh, want, n);
}

static struct nl_wg_allowed_ip aip(const char *text, uint8_t cidr)
{
	struct nl_wg_allowed_ip ip = {.cidr = cidr};

	assert_int_equal(ip_addr_parse(text, &ip.ip), 0);
	return ip;
}

static void test_family_lookup_asks_the_controller_for_wireguard(void **state)
{
	char buf[NL_BUFSIZE];

	(void)state;
	assert_bytes(nl_genl_build_family_get(buf, "wireguard"),
	             "24000000 1000 0500 00000000 00000000" /* GENL_ID_CTRL, REQUEST|ACK */
	             "03010000"                             /* CTRL_CMD_GETFAMILY, version 1 */
	             "0e000200 77697265677561726400 0000"); /* CTRL_ATTR_FAMILY_NAME */
	assert_null(nl_genl_build_family_get(buf, "a-name-too-long-for-genl"));
}

static void test_family_answer_gives_its_id(void **state)
{
	char buf[NL_BUFSIZE];
	struct nlmsghdr *nlh = nl_genl_build_family_get(buf, "wireguard");
	struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	uint16_t id = 0;

	(void)state;
	/* The request is no answer; an answer carries CTRL_ATTR_FAMILY_ID. */
	assert_int_equal(nl_genl_parse_family(nlh, &id), -ENOMSG);
	genl->cmd = CTRL_CMD_NEWFAMILY;
	assert_int_equal(nl_genl_parse_family(nlh, &id), -ENOMSG);
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x1b);
	assert_int_equal(nl_genl_parse_family(nlh, &id), 0);
	assert_int_equal(id, 0x1b);
}

static void test_dump_request_names_the_link(void **state)
{
	char buf[NL_BUFSIZE];

	(void)state;
	assert_bytes(nl_wg_build_get(buf, 0x1b, "kilo0"),
	             "20000000 1b00 0503 00000000 00000000" /* REQUEST|ACK|DUMP */
	             "00010000"                             /* WG_CMD_GET_DEVICE, version 1 */
	             "0a000200 6b696c6f3000 0000");         /* WGDEVICE_A_IFNAME */
}

/* A device with one peer of every attribute. */
static struct nl_wg_device small_request(struct nl_wg_peer *peer, struct nl_wg_allowed_ip *ip)
{
	struct nl_wg_device device = {.ifname = "wg0",
	                              .has = NL_WG_HAS_PRIVATE_KEY | NL_WG_HAS_LISTEN_PORT,
	                              .listen_port = 51820,
	                              .peers = peer,
	                              .n_peers = 1};

	memset(device.private_key, 0x11, NL_WG_KEY_LEN);
	memset(peer, 0, sizeof(*peer));
	memset(peer->public_key, 0x22, NL_WG_KEY_LEN);
	memset(peer->preshared_key, 0x33, NL_WG_KEY_LEN);
	peer->flags = NL_WG_PEER_REPLACE_ALLOWED_IPS;
	peer->has = NL_WG_HAS_PRESHARED_KEY | NL_WG_HAS_ENDPOINT | NL_WG_HAS_KEEPALIVE;
	peer->endpoint.in.sin_family = AF_INET;
	peer->endpoint.in.sin_port = htons(51821);
	inet_pton(AF_INET, "10.0.0.1", &peer->endpoint.in.sin_addr);
	peer->persistent_keepalive_interval = 25;
	*ip = aip("10.2.0.0", 24);
	peer->allowed_ips = ip;
	peer->n_allowed_ips = 1;
	return device;
}

static void test_request_is_one_message_in_wireguard_tools_order(void **state)
{
	struct nl_wg_peer peer;
	struct nl_wg_allowed_ip ip;
	const struct nl_wg_device device = small_request(&peer, &ip);
	struct nl_wg_cursor cursor = {0};
	char buf[NL_WG_MESSAGE_SIZE];

	(void)state;
	assert_bytes(nl_wg_build_set(buf, sizeof(buf), 0x1b, &device, &cursor),
	             "dc000000 1b00 0500 00000000 00000000" /* REQUEST|ACK */
	             "01010000"                             /* WG_CMD_SET_DEVICE, version 1 */
	             "08000200 77673000"                    /* IFNAME wg0 */
	             "24000300 KEY(11)"                     /* PRIVATE_KEY */
	             "06000600 6cca 0000"                   /* LISTEN_PORT 51820 */
	             "94000880"                             /* PEERS (nested) */
	             "90000080"                             /*  one peer */
	             "24000100 KEY(22)"                     /*   PUBLIC_KEY */
	             "08000300 02000000"                    /*   FLAGS REPLACE_ALLOWEDIPS */
	             "24000200 KEY(33)"                     /*   PRESHARED_KEY */
	             "14000400 0200 ca6d 0a000001 0000000000000000" /* ENDPOINT */
	             "06000500 1900 0000"                           /*   PERSISTENT_KEEPALIVE 25 */
	             "20000980"                                     /*   ALLOWEDIPS (nested) */
	             "1c000080"                                     /*    one */
	             "06000100 0200 0000"                           /*     FAMILY AF_INET */
	             "08000200 0a020000"                            /*     IPADDR 10.2.0.0 */
	             "05000300 18 000000");                         /*     CIDR_MASK 24 */
	assert_true(nl_wg_cursor_done(&device, &cursor));
	/* Nothing is left to send: a message made now would be empty. */
	assert_null(nl_wg_build_set(buf, sizeof(buf), 0x1b, &device, &cursor));
}

static void test_device_alone_is_one_message_by_ifindex(void **state)
{
	const struct nl_wg_device device = {.ifindex = 9, .flags = NL_WG_DEVICE_REPLACE_PEERS};
	struct nl_wg_cursor cursor = {0};
	char buf[NL_WG_MESSAGE_SIZE];

	(void)state;
	assert_bytes(nl_wg_build_set(buf, sizeof(buf), 0x1b, &device, &cursor),
	             "24000000 1b00 0500 00000000 00000000 01010000"
	             "08000100 09000000"   /* IFINDEX */
	             "08000500 01000000"); /* FLAGS: the builder sends what it is asked */
	assert_true(nl_wg_cursor_done(&device, &cursor));
}

/* Messages of a request, each parsed alone: what the kernel gets one at a time. */
struct parts {
	struct nl_wg_device message[512];
	size_t n;
};

static void build_all(const struct nl_wg_device *device, size_t size, struct parts *parts)
{
	struct nl_wg_cursor cursor = {0};
	char *buf = malloc(size);

	assert_non_null(buf);
	parts->n = 0;
	do {
		struct nlmsghdr *nlh = nl_wg_build_set(buf, size, 0x1b, device, &cursor);

		assert_non_null(nlh);
		assert_true(nlh->nlmsg_len <= size);
		assert_true(parts->n < 512);
		memset(&parts->message[parts->n], 0, sizeof(parts->message[0]));
		assert_int_equal(nl_wg_parse(nlh, 0x1b, &parts->message[parts->n]), 0);
		parts->n++;
	} while (!nl_wg_cursor_done(device, &cursor));
	free(buf);
}

static void parts_release(struct parts *parts)
{
	for (size_t i = 0; i < parts->n; i++)
		nl_wg_device_release(&parts->message[i]);
}

static void test_a_peer_continued_repeats_only_its_key(void **state)
{
	struct nl_wg_allowed_ip ips[40];
	struct nl_wg_peer peer;
	struct nl_wg_allowed_ip first;
	struct nl_wg_device device = small_request(&peer, &first);
	struct parts *parts = calloc(1, sizeof(*parts));
	size_t seen = 0;
	char text[32];

	(void)state;
	for (size_t i = 0; i < 40; i++) {
		snprintf(text, sizeof(text), "10.3.%zu.0", i);
		ips[i] = aip(text, 24);
	}
	peer.allowed_ips = ips;
	peer.n_allowed_ips = 40;
	build_all(&device, 400, parts);
	assert_true(parts->n > 3);
	for (size_t m = 0; m < parts->n; m++) {
		const struct nl_wg_device *d = &parts->message[m];

		assert_string_equal(d->ifname, "wg0");
		/* The device's attributes in the first message only. */
		assert_int_equal(d->has & NL_WG_HAS_PRIVATE_KEY, m ? 0 : NL_WG_HAS_PRIVATE_KEY);
		assert_int_equal(d->n_peers, 1);
		assert_memory_equal(d->peers[0].public_key, peer.public_key, NL_WG_KEY_LEN);
		/* Replace, preshared key, endpoint and keepalive in the peer's first part only. */
		assert_int_equal(d->peers[0].flags, m ? 0 : NL_WG_PEER_REPLACE_ALLOWED_IPS);
		assert_int_equal(d->peers[0].has, m ? 0 : peer.has);
		for (size_t i = 0; i < d->peers[0].n_allowed_ips; i++, seen++) {
			assert_int_equal(d->peers[0].allowed_ips[i].cidr, 24);
			assert_true(ip_addr_equal(&d->peers[0].allowed_ips[i].ip, &ips[seen].ip));
		}
	}
	assert_int_equal(seen, 40);
	parts_release(parts);
	free(parts);
}

/* n peers with i % 7 + 1 allowed IPs each, keys and addresses from i. */
static struct nl_wg_device many_peers(size_t n)
{
	struct nl_wg_device device = {.ifname = "kilo0",
	                              .has = NL_WG_HAS_PRIVATE_KEY | NL_WG_HAS_LISTEN_PORT,
	                              .listen_port = 51820};
	char text[64];

	memset(device.private_key, 0x44, NL_WG_KEY_LEN);
	device.peers = calloc(n, sizeof(*device.peers));
	assert_non_null(device.peers);
	for (size_t i = 0; i < n; i++) {
		struct nl_wg_peer *peer = &device.peers[i];

		peer->public_key[0] = (uint8_t)(i >> 8);
		peer->public_key[1] = (uint8_t)i;
		peer->public_key[31] = 0x5a;
		peer->flags = NL_WG_PEER_REPLACE_ALLOWED_IPS;
		peer->has = NL_WG_HAS_PRESHARED_KEY | NL_WG_HAS_KEEPALIVE | NL_WG_HAS_ENDPOINT;
		peer->endpoint.in6.sin6_family = AF_INET6;
		peer->endpoint.in6.sin6_port = htons((uint16_t)(1000 + i));
		inet_pton(AF_INET6, "fd00::1", &peer->endpoint.in6.sin6_addr);
		peer->persistent_keepalive_interval = (uint16_t)(i % 30);
		peer->n_allowed_ips = i % 7 + 1;
		peer->allowed_ips = calloc(peer->n_allowed_ips, sizeof(*peer->allowed_ips));
		assert_non_null(peer->allowed_ips);
		for (size_t j = 0; j < peer->n_allowed_ips; j++) {
			if (j % 2)
				snprintf(text, sizeof(text), "fd02:%zx::%zx", i, j);
			else
				snprintf(text, sizeof(text), "10.%zu.%zu.%zu", i / 250, i % 250, j);
			peer->allowed_ips[j] = aip(text, j % 2 ? 128 : 32);
		}
		device.n_peers++;
	}
	return device;
}

static void assert_stand_in_holds(struct wg_stand_in *k, const struct nl_wg_device *device)
{
	assert_int_equal(k->n_peers, device->n_peers);
	assert_int_equal(k->listen_port, device->listen_port);
	assert_memory_equal(k->private_key, device->private_key, NL_WG_KEY_LEN);
	for (size_t i = 0; i < device->n_peers; i++) {
		const struct nl_wg_peer *want = &device->peers[i];
		struct stand_in_peer *have = stand_in_find(k, want->public_key);

		assert_non_null(have);
		assert_int_equal(have->peer.n_allowed_ips, want->n_allowed_ips);
		assert_int_equal(have->peer.persistent_keepalive_interval,
		                 want->persistent_keepalive_interval);
		assert_int_equal(have->peer.endpoint.in6.sin6_port, want->endpoint.in6.sin6_port);
		for (size_t j = 0; j < want->n_allowed_ips; j++)
			assert_true(
			    ip_addr_equal(&have->peer.allowed_ips[j].ip, &want->allowed_ips[j].ip));
	}
}

static void test_large_request_goes_in_messages_that_add_up_to_it(void **state)
{
	struct nl_wg_device device = many_peers(1000);
	struct wg_stand_in k;
	struct nl_wg *wg;

	(void)state;
	stand_in_init(&k, "kilo0");
	assert_int_equal(nl_wg_open_stand_in(stand_in_answer, &k, STAND_IN_FAMILY, &wg), 0);
	assert_int_equal(nl_wg_set(wg, &device), 0);
	/* About 280 bytes a peer, 4096 bytes a message. */
	assert_true(k.set_messages > 50);
	assert_int_equal(nl_wg_messages_sent(wg), k.set_messages);
	assert_int_equal(k.replace_peers, 0);
	assert_stand_in_holds(&k, &device);
	/* Every peer was named once or twice (when it ended one message and began the next). */
	for (size_t i = 0; i < k.n_peers; i++)
		assert_true(k.peers[i].named == 1 || k.peers[i].named == 2);
	nl_wg_close(wg);
	stand_in_release(&k);
	nl_wg_device_release(&device);
}

static void test_a_message_too_small_for_a_peer_is_refused(void **state)
{
	struct nl_wg_peer peer;
	struct nl_wg_allowed_ip ip;
	const struct nl_wg_device device = small_request(&peer, &ip);
	struct nl_wg_cursor cursor = {0};
	char buf[200];

	(void)state;
	/* The first message holds the device alone; the peer's first part needs more. */
	assert_non_null(nl_wg_build_set(buf, 120, 0x1b, &device, &cursor));
	assert_false(nl_wg_cursor_done(&device, &cursor));
	assert_null(nl_wg_build_set(buf, 120, 0x1b, &device, &cursor));
	assert_int_equal(cursor.peer, 0);
	assert_false(cursor.peer_begun);
	assert_non_null(nl_wg_build_set(buf, sizeof(buf), 0x1b, &device, &cursor));
	assert_true(nl_wg_cursor_done(&device, &cursor));
}

static void test_dump_split_inside_a_peer_is_put_back_together(void **state)
{
	struct nl_wg_device device = many_peers(30), got;
	struct wg_stand_in k;
	struct nl_wg *wg;

	(void)state;
	stand_in_init(&k, "kilo0");
	assert_int_equal(nl_wg_open_stand_in(stand_in_answer, &k, STAND_IN_FAMILY, &wg), 0);
	assert_int_equal(nl_wg_set(wg, &device), 0);
	/* Room for a peer's head and two or three allowed IPs per message. */
	k.dump_size = 300;
	k.peers[5].peer.rx_bytes = 1234;
	k.peers[5].peer.tx_bytes = 5678;
	k.peers[5].peer.last_handshake = (struct timespec){1700000000, 5};
	assert_int_equal(nl_wg_get(wg, "kilo0", &got), 0);
	assert_int_equal(k.dumps, 1);
	assert_true(k.dump_splits > 5);
	assert_int_equal(got.n_peers, 30);
	assert_string_equal(got.ifname, "kilo0");
	assert_int_equal(got.ifindex, 7);
	assert_true(got.has & NL_WG_HAS_PUBLIC_KEY);
	assert_memory_equal(got.public_key, k.public_key, NL_WG_KEY_LEN);
	for (size_t i = 0; i < 30; i++) {
		assert_memory_equal(got.peers[i].public_key, device.peers[i].public_key,
		                    NL_WG_KEY_LEN);
		assert_int_equal(got.peers[i].n_allowed_ips, device.peers[i].n_allowed_ips);
		for (size_t j = 0; j < got.peers[i].n_allowed_ips; j++)
			assert_true(ip_addr_equal(&got.peers[i].allowed_ips[j].ip,
			                          &device.peers[i].allowed_ips[j].ip));
	}
	assert_int_equal(got.peers[5].rx_bytes, 1234);
	assert_int_equal(got.peers[5].tx_bytes, 5678);
	assert_int_equal(got.peers[5].last_handshake.tv_sec, 1700000000);
	assert_int_equal(got.peers[5].last_handshake.tv_nsec, 5);
	nl_wg_device_release(&got);
	nl_wg_close(wg);
	stand_in_release(&k);
	nl_wg_device_release(&device);
}

static void test_interrupted_dump_is_taken_again(void **state)
{
	struct nl_wg_device device = many_peers(3), got;
	struct wg_stand_in k;
	struct nl_wg *wg;

	(void)state;
	stand_in_init(&k, "kilo0");
	assert_int_equal(nl_wg_open_stand_in(stand_in_answer, &k, STAND_IN_FAMILY, &wg), 0);
	assert_int_equal(nl_wg_set(wg, &device), 0);
	k.interrupt = 2;
	assert_int_equal(nl_wg_get(wg, "kilo0", &got), 0);
	assert_int_equal(k.dumps, 3);
	assert_int_equal(got.n_peers, 3);
	nl_wg_device_release(&got);
	/* A device that never holds still is an error, not a loop. */
	k.interrupt = 100;
	assert_int_equal(nl_wg_get(wg, "kilo0", &got), -EAGAIN);
	assert_int_equal(nl_wg_get(wg, "other", &got), -ENODEV);
	nl_wg_close(wg);
	stand_in_release(&k);
	nl_wg_device_release(&device);
}

static void test_set_stops_at_the_first_message_refused(void **state)
{
	struct nl_wg_device device = many_peers(200);
	struct wg_stand_in k;
	struct nl_wg *wg;

	(void)state;
	stand_in_init(&k, "kilo0");
	assert_int_equal(nl_wg_open_stand_in(stand_in_answer, &k, STAND_IN_FAMILY, &wg), 0);
	k.refuse = -ENOMEM;
	assert_int_equal(nl_wg_set(wg, &device), -ENOMEM);
	assert_int_equal(k.set_messages, 1);
	snprintf(device.ifname, sizeof(device.ifname), "other");
	assert_int_equal(nl_wg_set(wg, &device), -ENODEV);
	nl_wg_close(wg);
	stand_in_release(&k);
	nl_wg_device_release(&device);
}

/* A dump message with one peer whose attribute of type type is value (len bytes). */
static struct nlmsghdr *message_with_peer_attr(char *buf, uint16_t type, const void *value,
                                               size_t len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	struct nlattr *peers, *peer;
	uint8_t key[NL_WG_KEY_LEN] = {1};

	nlh->nlmsg_type = 0x1b;
	genl->cmd = WG_CMD_GET_DEVICE;
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	peer = mnl_attr_nest_start(nlh, 0);
	if (type != WGPEER_A_PUBLIC_KEY)
		mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, sizeof(key), key);
	if (type)
		mnl_attr_put(nlh, type, len, value);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, peers);
	return nlh;
}

static void test_malformed_answers_are_refused(void **state)
{
	static const uint8_t short_key[31], long_addr[20];
	char buf[1024] = {0}, ips[256];
	struct nl_wg_device device = {0};
	struct nlmsghdr *nlh;
	struct nlattr *list, *entry;

	(void)state;
	/* A peer without its key, a key of 31 bytes, an endpoint of no family. */
	nlh = message_with_peer_attr(buf, 0, NULL, 0);
	assert_int_equal(nl_wg_parse(nlh, 0x1b, &device), 0);
	assert_int_equal(device.n_peers, 1);
	nl_wg_device_release(&device);
	memset(buf, 0, sizeof(buf));
	nlh = message_with_peer_attr(buf, WGPEER_A_PUBLIC_KEY, short_key, sizeof(short_key));
	assert_int_equal(nl_wg_parse(nlh, 0x1b, &device), -EBADMSG);
	memset(buf, 0, sizeof(buf));
	nlh = message_with_peer_attr(buf, WGPEER_A_ENDPOINT, long_addr, sizeof(long_addr));
	assert_int_equal(nl_wg_parse(nlh, 0x1b, &device), -EBADMSG);
	nl_wg_device_release(&device);

	/* An IPv4 allowed IP of prefix length 33. */
	memset(ips, 0, sizeof(ips));
	list = (struct nlattr *)ips;
	{
		struct nlmsghdr *scratch = mnl_nlmsg_put_header(ips);

		list = mnl_attr_nest_start(scratch, WGPEER_A_ALLOWEDIPS);
		entry = mnl_attr_nest_start(scratch, 0);
		mnl_attr_put_u16(scratch, WGALLOWEDIP_A_FAMILY, AF_INET);
		mnl_attr_put(scratch, WGALLOWEDIP_A_IPADDR, 4, "\x0a\x00\x00\x00");
		mnl_attr_put_u8(scratch, WGALLOWEDIP_A_CIDR_MASK, 33);
		mnl_attr_nest_end(scratch, entry);
		mnl_attr_nest_end(scratch, list);
	}
	memset(buf, 0, sizeof(buf));
	nlh = message_with_peer_attr(buf, WGPEER_A_ALLOWEDIPS, mnl_attr_get_payload(list),
	                             mnl_attr_get_payload_len(list));
	assert_int_equal(nl_wg_parse(nlh, 0x1b, &device), -EBADMSG);
	nl_wg_device_release(&device);

	/* Another family's message is none of ours; a dump the kernel interrupted is -EAGAIN. */
	memset(buf, 0, sizeof(buf));
	nlh = message_with_peer_attr(buf, 0, NULL, 0);
	assert_int_equal(nl_wg_parse(nlh, 0x1c, &device), -ENOMSG);
	nlh->nlmsg_flags |= NLM_F_DUMP_INTR;
	assert_int_equal(nl_wg_parse(nlh, 0x1b, &device), -EAGAIN);
	nl_wg_device_release(&device);
}

static void test_replies_end_at_done_or_at_an_error(void **state)
{
	char buf[2048] = {0};
	struct nl_wg_device device = {0};
	struct nlmsghdr *first = message_with_peer_attr(buf, 0, NULL, 0), *second, *last;
	struct nlmsgerr *err;
	size_t len;

	(void)state;
	/* The same peer again: the kernel continued it. Then the end of the dump. */
	second = (struct nlmsghdr *)(buf + first->nlmsg_len);
	message_with_peer_attr((char *)second, 0, NULL, 0);
	last = (struct nlmsghdr *)((char *)second + second->nlmsg_len);
	last->nlmsg_len = MNL_NLMSG_HDRLEN + 4;
	last->nlmsg_type = NLMSG_DONE;
	len = first->nlmsg_len + second->nlmsg_len + last->nlmsg_len;
	assert_int_equal(nl_wg_parse_replies(buf, len, 0x1b, &device), 0);
	assert_int_equal(device.n_peers, 1);
	nl_wg_device_release(&device);

	last->nlmsg_type = NLMSG_ERROR;
	last->nlmsg_len = MNL_NLMSG_HDRLEN + sizeof(*err);
	err = mnl_nlmsg_get_payload(last);
	err->error = -EPERM;
	len = first->nlmsg_len + second->nlmsg_len + last->nlmsg_len;
	assert_int_equal(nl_wg_parse_replies(buf, len, 0x1b, &device), -EPERM);
	nl_wg_device_release(&device);
	/* Cut short: what is whole is read, the rest ignored. */
	assert_int_equal(nl_wg_parse_replies(buf, first->nlmsg_len + 10, 0x1b, &device), 0);
	assert_int_equal(device.n_peers, 1);
	nl_wg_device_release(&device);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_family_lookup_asks_the_controller_for_wireguard),
	    cmocka_unit_test(test_family_answer_gives_its_id),
	    cmocka_unit_test(test_dump_request_names_the_link),
	    cmocka_unit_test(test_request_is_one_message_in_wireguard_tools_order),
	    cmocka_unit_test(test_device_alone_is_one_message_by_ifindex),
	    cmocka_unit_test(test_a_peer_continued_repeats_only_its_key),
	    cmocka_unit_test(test_large_request_goes_in_messages_that_add_up_to_it),
	    cmocka_unit_test(test_a_message_too_small_for_a_peer_is_refused),
	    cmocka_unit_test(test_dump_split_inside_a_peer_is_put_back_together),
	    cmocka_unit_test(test_interrupted_dump_is_taken_again),
	    cmocka_unit_test(test_set_stops_at_the_first_message_refused),
	    cmocka_unit_test(test_malformed_answers_are_refused),
	    cmocka_unit_test(test_replies_end_at_done_or_at_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
