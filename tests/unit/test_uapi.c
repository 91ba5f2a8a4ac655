// SPDX-License-Identifier: MIT
/*
 * The UAPI text protocol: every `set` key, every error, all-or-nothing requests, and `get`
 * output in wireguard-go's exact key order.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wg/crypto.h"
#include "wg/uapi.h"

#define KEY_A "0011223344556677889900aabbccddeeff00112233445566778899aabbccddee"
#define KEY_B "e0e1e2e3e4e5e6e7e8e9f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405"
#define KEY_C "8000000000000000000000000000000000000000000000000000000000000001"
#define ZERO_KEY "0000000000000000000000000000000000000000000000000000000000000000"

static void hex_to_key(uint8_t key[WG_KEY_LEN], const char *hex)
{
	assert_int_equal(wg_hex_decode(key, WG_KEY_LEN, hex, strlen(hex)), 0);
}

/* Feeds text (lines separated by '\n', no request line) and returns the request's result. */
static int parse(struct wg_uapi_set *req, const char *text, const struct wg_config **config)
{
	char *copy = strdup(text), *line, *save = NULL;
	int ret;

	assert_non_null(copy);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		wg_uapi_set_line(req, line);
	free(copy);
	ret = wg_uapi_set_finish(req, config);
	return ret;
}

static int parse_error(const char *text)
{
	struct wg_uapi_set req = {0};
	const struct wg_config *config = NULL;
	int ret = parse(&req, text, &config);

	assert_null(config);
	wg_uapi_set_free(&req);
	return ret;
}

static void test_device_keys_are_parsed(void **state)
{
	struct wg_uapi_set req = {0};
	const struct wg_config *c;
	uint8_t key[WG_KEY_LEN];

	(void)state;
	assert_int_equal(parse(&req,
	                       "private_key=" KEY_A "\nlisten_port=51820\nfwmark=4294967295\n"
	                       "replace_peers=true\n",
	                       &c),
	                 0);
	assert_int_equal(c->flags, WG_CONFIG_HAS_PRIVATE_KEY | WG_CONFIG_HAS_LISTEN_PORT |
	                               WG_CONFIG_HAS_FWMARK | WG_CONFIG_REPLACE_PEERS);
	hex_to_key(key, KEY_A);
	assert_memory_equal(c->private_key, key, WG_KEY_LEN);
	assert_int_equal(c->listen_port, 51820);
	assert_int_equal(c->fwmark, 4294967295U);
	assert_int_equal(c->n_peers, 0);
	assert_string_equal(wg_uapi_set_error(&req), "");
	wg_uapi_set_free(&req);
}

static void test_absent_device_keys_leave_flags_clear(void **state)
{
	struct wg_uapi_set req = {0};
	const struct wg_config *c;

	(void)state;
	assert_int_equal(parse(&req, "listen_port=0\n", &c), 0);
	assert_int_equal(c->flags, WG_CONFIG_HAS_LISTEN_PORT);
	assert_int_equal(c->listen_port, 0);
	wg_uapi_set_free(&req);
	assert_int_equal(parse(&req, "", &c), 0);
	assert_int_equal(c->flags, 0);
	assert_int_equal(c->n_peers, 0);
	wg_uapi_set_free(&req);
}

static void test_peer_keys_are_parsed(void **state)
{
	struct wg_uapi_set req = {0};
	const struct wg_config *c;
	const struct wg_peer_config *p;
	uint8_t key[WG_KEY_LEN];
	char addr[INET6_ADDRSTRLEN];

	(void)state;
	assert_int_equal(parse(&req,
	                       "public_key=" KEY_B "\nprotocol_version=1\npreshared_key=" KEY_C
	                       "\nendpoint=192.0.2.7:51821\npersistent_keepalive_interval=25\n"
	                       "replace_allowed_ips=true\nallowed_ip=10.0.0.0/8\n"
	                       "allowed_ip=2001:db8::/32\nallowed_ip=-10.1.0.0/16\n",
	                       &c),
	                 0);
	assert_int_equal(c->n_peers, 1);
	p = &c->peers[0];
	hex_to_key(key, KEY_B);
	assert_memory_equal(p->public_key, key, WG_KEY_LEN);
	hex_to_key(key, KEY_C);
	assert_memory_equal(p->preshared_key, key, WG_KEY_LEN);
	assert_int_equal(p->flags, WG_PEER_HAS_PRESHARED_KEY | WG_PEER_HAS_ENDPOINT |
	                               WG_PEER_HAS_KEEPALIVE | WG_PEER_REPLACE_ALLOWED_IPS);
	assert_int_equal(p->endpoint.sa.sa_family, AF_INET);
	assert_int_equal(ntohs(p->endpoint.in.sin_port), 51821);
	assert_string_equal(inet_ntop(AF_INET, &p->endpoint.in.sin_addr, addr, sizeof(addr)),
	                    "192.0.2.7");
	assert_int_equal(p->persistent_keepalive_interval, 25);
	assert_int_equal(p->n_allowed_ips, 3);
	assert_int_equal(p->allowed_ips[0].ip.family, AF_INET);
	assert_int_equal(p->allowed_ips[0].ip.cidr, 8);
	assert_int_equal(ntohl(p->allowed_ips[0].ip.ip4.s_addr), 0x0a000000);
	assert_false(p->allowed_ips[0].remove);
	assert_int_equal(p->allowed_ips[1].ip.family, AF_INET6);
	assert_int_equal(p->allowed_ips[1].ip.cidr, 32);
	assert_string_equal(inet_ntop(AF_INET6, &p->allowed_ips[1].ip.ip6, addr, sizeof(addr)),
	                    "2001:db8::");
	assert_true(p->allowed_ips[2].remove);
	assert_int_equal(p->allowed_ips[2].ip.cidr, 16);
	wg_uapi_set_free(&req);
}

static void test_remove_and_update_only_set_their_flags(void **state)
{
	struct wg_uapi_set req = {0};
	const struct wg_config *c;

	(void)state;
	assert_int_equal(parse(&req,
	                       "public_key=" KEY_A "\nremove=true\npublic_key=" KEY_B
	                       "\nupdate_only=true\nallowed_ip=10.2.0.0/16\n",
	                       &c),
	                 0);
	assert_int_equal(c->n_peers, 2);
	assert_int_equal(c->peers[0].flags, WG_PEER_REMOVE);
	assert_int_equal(c->peers[1].flags, WG_PEER_UPDATE_ONLY);
	assert_int_equal(c->peers[1].n_allowed_ips, 1);
	wg_uapi_set_free(&req);
}

static void test_allowed_ips_belong_to_their_own_peer(void **state)
{
	struct wg_uapi_set req = {0};
	const struct wg_config *c;
	char text[16384], *at = text;
	int i;

	(void)state;
	/* Enough lines that the arrays move while growing. */
	at += sprintf(at, "public_key=" KEY_A "\n");
	for (i = 0; i < 100; i++)
		at += sprintf(at, "allowed_ip=10.0.%d.0/24\n", i);
	at += sprintf(at, "public_key=" KEY_B "\npublic_key=" KEY_C "\n");
	for (i = 0; i < 50; i++)
		at += sprintf(at, "allowed_ip=10.1.%d.0/24\n", i);
	assert_int_equal(parse(&req, text, &c), 0);
	assert_int_equal(c->n_peers, 3);
	assert_int_equal(c->peers[0].n_allowed_ips, 100);
	assert_int_equal(ntohl(c->peers[0].allowed_ips[99].ip.ip4.s_addr), 0x0a006300);
	assert_int_equal(c->peers[1].n_allowed_ips, 0);
	assert_null(c->peers[1].allowed_ips);
	assert_int_equal(c->peers[2].n_allowed_ips, 50);
	assert_int_equal(ntohl(c->peers[2].allowed_ips[0].ip.ip4.s_addr), 0x0a010000);
	wg_uapi_set_free(&req);
}

static void test_replace_allowed_ips_drops_the_lines_before_it(void **state)
{
	struct wg_uapi_set req = {0};
	const struct wg_config *c;

	(void)state;
	/* wireguard-go applies lines in order, so the first prefix is gone after the replace. */
	assert_int_equal(parse(&req,
	                       "public_key=" KEY_A "\nallowed_ip=10.3.0.0/16\npublic_key=" KEY_B
	                       "\nallowed_ip=10.4.0.0/16\nreplace_allowed_ips=true\n"
	                       "allowed_ip=10.5.0.0/16\n",
	                       &c),
	                 0);
	assert_int_equal(c->peers[0].n_allowed_ips, 1);
	assert_int_equal(ntohl(c->peers[0].allowed_ips[0].ip.ip4.s_addr), 0x0a030000);
	assert_int_equal(c->peers[1].n_allowed_ips, 1);
	assert_int_equal(ntohl(c->peers[1].allowed_ips[0].ip.ip4.s_addr), 0x0a050000);
	wg_uapi_set_free(&req);
}

static void test_same_peer_twice_keeps_both_sections_in_order(void **state)
{
	struct wg_uapi_set req = {0};
	const struct wg_config *c;

	(void)state;
	assert_int_equal(parse(&req,
	                       "public_key=" KEY_A
	                       "\npersistent_keepalive_interval=5\npublic_key=" KEY_A
	                       "\npersistent_keepalive_interval=0\n",
	                       &c),
	                 0);
	assert_int_equal(c->n_peers, 2);
	assert_memory_equal(c->peers[0].public_key, c->peers[1].public_key, WG_KEY_LEN);
	assert_int_equal(c->peers[0].persistent_keepalive_interval, 5);
	assert_int_equal(c->peers[1].persistent_keepalive_interval, 0);
	assert_int_equal(c->peers[1].flags, WG_PEER_HAS_KEEPALIVE);
	wg_uapi_set_free(&req);
}

static void test_hex_keys_accept_either_case(void **state)
{
	struct wg_uapi_set req = {0};
	const struct wg_config *c;
	uint8_t key[WG_KEY_LEN];

	(void)state;
	assert_int_equal(parse(&req,
	                       "private_key=0011223344556677889900AABBCCDDEEFF00112233445566778899"
	                       "aAbBcCdDeE\n",
	                       &c),
	                 0);
	hex_to_key(key, KEY_A);
	assert_memory_equal(c->private_key, key, WG_KEY_LEN);
	wg_uapi_set_free(&req);
}

static void endpoint_is(const char *value, int family, const char *addr, uint16_t port,
                        uint32_t scope)
{
	struct wg_uapi_set req = {0};
	const struct wg_config *c;
	char line[128], text[INET6_ADDRSTRLEN];
	const union wg_endpoint *ep;

	snprintf(line, sizeof(line), "public_key=" KEY_A "\nendpoint=%s\n", value);
	assert_int_equal(parse(&req, line, &c), 0);
	ep = &c->peers[0].endpoint;
	assert_int_equal(ep->sa.sa_family, family);
	if (family == AF_INET) {
		assert_string_equal(inet_ntop(family, &ep->in.sin_addr, text, sizeof(text)), addr);
		assert_int_equal(ntohs(ep->in.sin_port), port);
	} else {
		assert_string_equal(inet_ntop(family, &ep->in6.sin6_addr, text, sizeof(text)),
		                    addr);
		assert_int_equal(ntohs(ep->in6.sin6_port), port);
		assert_int_equal(ep->in6.sin6_scope_id, scope);
	}
	wg_uapi_set_free(&req);
}

static void test_endpoint_forms(void **state)
{
	(void)state;
	endpoint_is("192.0.2.1:0", AF_INET, "192.0.2.1", 0, 0);
	endpoint_is("198.51.100.9:65535", AF_INET, "198.51.100.9", 65535, 0);
	endpoint_is("[2001:db8::1]:51820", AF_INET6, "2001:db8::1", 51820, 0);
	endpoint_is("[::ffff:192.0.2.1]:1", AF_INET6, "::ffff:192.0.2.1", 1, 0);
	endpoint_is("[fe80::1%7]:51820", AF_INET6, "fe80::1", 51820, 7);
	/* wg prints zones by name (getnameinfo), and loopback is index 1 in every namespace. */
	endpoint_is("[fe80::1%lo]:51820", AF_INET6, "fe80::1", 51820, 1);
}

static void test_line_without_equals_is_a_protocol_error(void **state)
{
	(void)state;
	assert_int_equal(parse_error("listen_port"), -EPROTO);
	assert_int_equal(parse_error("public_key=" KEY_A "\nallowed_ip 10.0.0.0/8"), -EPROTO);
}

static const char *const invalid_requests[] = {
    /* unknown keys, and keys in the wrong section */
    "foo=bar",
    "=1",
    "get=1",
    "public_key=" KEY_A "\nprivate_key=" KEY_B,
    "public_key=" KEY_A "\nlisten_port=1",
    "public_key=" KEY_A "\nfoo=bar",
    "protocol_version=1",
    "allowed_ip=10.0.0.0/8",
    "a_key_name_that_is_much_longer_than_any_real_key=1",
    /* hex keys */
    "private_key=" KEY_A "0",
    "private_key=0011223344556677889900aabbccddeeff00112233445566778899aabbccdde",
    "private_key=0011223344556677889900aabbccddeeff00112233445566778899aabbccddeg",
    "private_key=",
    "public_key=" KEY_A "\npreshared_key=xx",
    "public_key= " KEY_A,
    "public_key=" KEY_A "\npreshared_key=" KEY_B " ",
    /* numbers */
    "listen_port=65536",
    "listen_port=-1",
    "listen_port=+1",
    "listen_port=",
    "listen_port= 1",
    "listen_port=1a",
    "listen_port=99999999999999999999999",
    "fwmark=4294967296",
    "fwmark=0x10",
    "fwmark=",
    "public_key=" KEY_A "\npersistent_keepalive_interval=65536",
    "public_key=" KEY_A "\npersistent_keepalive_interval=x",
    "public_key=" KEY_A "\nprotocol_version=2",
    "public_key=" KEY_A "\nprotocol_version=",
    /* booleans are the literal "true" only */
    "replace_peers=false",
    "replace_peers=TRUE",
    "replace_peers=",
    "public_key=" KEY_A "\nupdate_only=false",
    "public_key=" KEY_A "\nremove=1",
    "public_key=" KEY_A "\nreplace_allowed_ips=yes",
    /* endpoints: numeric, port required, IPv6 in brackets */
    "public_key=" KEY_A "\nendpoint=192.0.2.1",
    "public_key=" KEY_A "\nendpoint=192.0.2.1:65536",
    "public_key=" KEY_A "\nendpoint=192.0.2.1:",
    "public_key=" KEY_A "\nendpoint=192.0.2:1",
    "public_key=" KEY_A "\nendpoint=::1:80",
    "public_key=" KEY_A "\nendpoint=[::1]80",
    "public_key=" KEY_A "\nendpoint=[::1]:",
    "public_key=" KEY_A "\nendpoint=[::1",
    "public_key=" KEY_A "\nendpoint=[192.0.2.1]:80",
    "public_key=" KEY_A "\nendpoint=vpn.example.com:51820",
    "public_key=" KEY_A "\nendpoint=[fe80::1%no-such-if0]:1",
    "public_key=" KEY_A "\nendpoint=",
    /* allowed IPs */
    "public_key=" KEY_A "\nallowed_ip=10.0.0.0",
    "public_key=" KEY_A "\nallowed_ip=10.0.0.0/33",
    "public_key=" KEY_A "\nallowed_ip=::/129",
    "public_key=" KEY_A "\nallowed_ip=10.0.0.0/",
    "public_key=" KEY_A "\nallowed_ip=10.0.0.0/-1",
    "public_key=" KEY_A "\nallowed_ip=bad/8",
    "public_key=" KEY_A "\nallowed_ip=--10.0.0.0/8",
    "public_key=" KEY_A "\nallowed_ip=/8",
    "public_key=" KEY_A "\nallowed_ip=",
};

static void test_every_invalid_line_is_einval(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(invalid_requests) / sizeof(invalid_requests[0]); i++) {
		if (parse_error(invalid_requests[i]) != -EINVAL)
			fail_msg("accepted or misjudged: \"%s\"", invalid_requests[i]);
	}
}

static void test_one_bad_line_fails_the_whole_request(void **state)
{
	struct wg_uapi_set req = {0};
	const struct wg_config *c = NULL;

	(void)state;
	/* Valid lines around one bad one: nothing of it may reach the engine. */
	assert_int_equal(parse(&req,
	                       "private_key=" KEY_A "\nlisten_port=51820\nreplace_peers=true\n"
	                       "public_key=" KEY_B "\nallowed_ip=10.0.0.0/8\n"
	                       "endpoint=192.0.2.1:99999\npublic_key=" KEY_C "\n",
	                       &c),
	                 -EINVAL);
	assert_null(c);
	wg_uapi_set_free(&req);
}

static void test_first_error_wins_and_names_the_field(void **state)
{
	struct wg_uapi_set req = {0};
	const struct wg_config *c = NULL;

	(void)state;
	assert_int_equal(wg_uapi_set_line(&req, "listen_port=70000"), -EINVAL);
	assert_int_equal(wg_uapi_set_line(&req, "no equals sign"), -EPROTO);
	/* Later valid lines are still consumed and parsed. */
	assert_int_equal(wg_uapi_set_line(&req, "public_key=" KEY_A), 0);
	assert_int_equal(wg_uapi_set_finish(&req, &c), -EINVAL);
	assert_null(c);
	assert_string_equal(wg_uapi_set_error(&req),
	                    "invalid listen_port (not a number up to 65535)");
	wg_uapi_set_free(&req);
}

static void test_error_messages_never_show_secrets(void **state)
{
	static const char *const lines[] = {
	    "private_key=" KEY_A "00",
	    "preshared_key=" KEY_B "!",
	};
	struct wg_uapi_set req = {0};
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		if (i == 1)
			wg_uapi_set_line(&req, "public_key=" KEY_C);
		assert_int_equal(wg_uapi_set_line(&req, lines[i]), -EINVAL);
		assert_non_null(
		    strstr(wg_uapi_set_error(&req), i ? "preshared_key" : "private_key"));
		assert_null(strstr(wg_uapi_set_error(&req), i ? KEY_B : KEY_A));
		wg_uapi_set_free(&req);
	}
}

/* Fails if text holds any four characters in a row of secret. */
static void assert_no_part_of(const char *text, const char *secret, const char *line)
{
	char window[5];
	size_t i;

	for (i = 0; secret[i] && secret[i + 1] && secret[i + 2] && secret[i + 3]; i++) {
		memcpy(window, secret + i, 4);
		window[4] = '\0';
		if (strstr(text, window))
			fail_msg("the error for \"%s\" echoes it: \"%s\"", line, text);
	}
}

static void test_errors_never_echo_the_input(void **state)
{
	/* A section to put the bad line in (NULL: the device's), and the bad line, all holding
	 * KEY_B, which could be anybody's private key. */
	static const char *const cases[][2] = {
	    {NULL, "private_key" KEY_B},
	    {NULL, "private_key " KEY_B},
	    {NULL, KEY_B},
	    {NULL, KEY_B "=1"},
	    {NULL, "x" KEY_B "=1"},
	    {NULL, "private_key=" KEY_B "0"},
	    {NULL, "listen_port=" KEY_B},
	    {NULL, "fwmark=" KEY_B},
	    {NULL, "replace_peers=" KEY_B},
	    {NULL, "public_key=" KEY_B "0"},
	    {"public_key=" KEY_A, "preshared_key" KEY_B},
	    {"public_key=" KEY_A, KEY_B "=true"},
	    {"public_key=" KEY_A, "preshared_key=" KEY_B "0"},
	    {"public_key=" KEY_A, "endpoint=" KEY_B},
	    {"public_key=" KEY_A, "allowed_ip=" KEY_B},
	    {"public_key=" KEY_A, "persistent_keepalive_interval=" KEY_B},
	    {"public_key=" KEY_A, "protocol_version=" KEY_B},
	    {"public_key=" KEY_A, "update_only=" KEY_B},
	    {"public_key=" KEY_A, "remove=" KEY_B},
	    {"public_key=" KEY_A, "replace_allowed_ips=" KEY_B},
	};
	struct wg_uapi_set req = {0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i][0])
			assert_int_equal(wg_uapi_set_line(&req, cases[i][0]), 0);
		assert_int_not_equal(wg_uapi_set_line(&req, cases[i][1]), 0);
		assert_string_not_equal(wg_uapi_set_error(&req), "");
		assert_no_part_of(wg_uapi_set_error(&req), KEY_B, cases[i][1]);
		wg_uapi_set_free(&req);
	}
}

static const char *error_of(struct wg_uapi_set *req, const char *section, const char *line)
{
	wg_uapi_set_free(req);
	if (section)
		wg_uapi_set_line(req, section);
	wg_uapi_set_line(req, line);
	return wg_uapi_set_error(req);
}

static void test_errors_name_only_known_keys(void **state)
{
	struct wg_uapi_set req = {0};

	(void)state;
	assert_string_equal(error_of(&req, "public_key=" KEY_A, "listen_port=1"),
	                    "listen_port is not a peer key");
	assert_string_equal(error_of(&req, NULL, "endpoint=192.0.2.1:1"),
	                    "endpoint is not a device key");
	assert_string_equal(error_of(&req, NULL, "foo=bar"), "unknown device key");
	assert_string_equal(error_of(&req, "public_key=" KEY_A, "foo=bar"), "unknown peer key");
	assert_string_equal(error_of(&req, NULL, "listen_port"), "malformed line (no '=')");
	wg_uapi_set_free(&req);
}

static struct wg_allowed_ip prefix(int family, const char *addr, uint8_t cidr)
{
	struct wg_allowed_ip ip = {.family = (uint16_t)family, .cidr = cidr};

	assert_int_equal(inet_pton(family, addr, family == AF_INET ? (void *)&ip.ip4 : &ip.ip6), 1);
	return ip;
}

static char *format(const struct wg_snapshot *snap)
{
	struct wg_uapi_buf buf = {0};
	char *text;

	assert_int_equal(wg_uapi_format_get(&buf, snap), 0);
	text = strndup(buf.data ? buf.data : "", buf.len);
	wg_uapi_buf_free(&buf);
	return text;
}

/* Two peers: one with everything set, one with nothing but its key. */
static void two_peer_snapshot(struct wg_snapshot *snap, struct wg_peer_snapshot peers[2],
                              struct wg_allowed_ip ips[3])
{
	memset(snap, 0, sizeof(*snap));
	memset(peers, 0, 2 * sizeof(*peers));
	snap->has_private_key = true;
	hex_to_key(snap->private_key, KEY_A);
	snap->listen_port = 51820;
	snap->fwmark = 51;
	snap->peers = peers;
	snap->n_peers = 2;
	hex_to_key(peers[0].public_key, KEY_B);
	hex_to_key(peers[0].preshared_key, KEY_C);
	peers[0].endpoint.in6.sin6_family = AF_INET6;
	peers[0].endpoint.in6.sin6_port = htons(51821);
	inet_pton(AF_INET6, "2001:db8::7", &peers[0].endpoint.in6.sin6_addr);
	peers[0].last_handshake.tv_sec = 1700000000;
	peers[0].last_handshake.tv_nsec = 123456789;
	peers[0].rx_bytes = 4096;
	peers[0].tx_bytes = 18446744073709551615ULL;
	peers[0].persistent_keepalive_interval = 25;
	ips[0] = prefix(AF_INET, "10.0.0.0", 8);
	ips[1] = prefix(AF_INET6, "fd00::", 64);
	peers[0].allowed_ips = ips;
	peers[0].n_allowed_ips = 2;
	hex_to_key(peers[1].public_key, KEY_C);
	peers[1].endpoint.in.sin_family = AF_INET;
	peers[1].endpoint.in.sin_port = htons(1);
	inet_pton(AF_INET, "192.0.2.200", &peers[1].endpoint.in.sin_addr);
	ips[2] = prefix(AF_INET, "192.168.1.1", 32);
	peers[1].allowed_ips = &ips[2];
	peers[1].n_allowed_ips = 1;
}

static void test_get_prints_wireguard_go_key_order(void **state)
{
	struct wg_snapshot snap;
	struct wg_peer_snapshot peers[2];
	struct wg_allowed_ip ips[3];
	char *text;

	(void)state;
	two_peer_snapshot(&snap, peers, ips);
	text = format(&snap);
	assert_string_equal(text, "private_key=" KEY_A "\n"
	                          "listen_port=51820\n"
	                          "fwmark=51\n"
	                          "public_key=" KEY_B "\n"
	                          "preshared_key=" KEY_C "\n"
	                          "protocol_version=1\n"
	                          "endpoint=[2001:db8::7]:51821\n"
	                          "last_handshake_time_sec=1700000000\n"
	                          "last_handshake_time_nsec=123456789\n"
	                          "tx_bytes=18446744073709551615\n"
	                          "rx_bytes=4096\n"
	                          "persistent_keepalive_interval=25\n"
	                          "allowed_ip=10.0.0.0/8\n"
	                          "allowed_ip=fd00::/64\n"
	                          "public_key=" KEY_C "\n"
	                          "preshared_key=" ZERO_KEY "\n"
	                          "protocol_version=1\n"
	                          "endpoint=192.0.2.200:1\n"
	                          "last_handshake_time_sec=0\n"
	                          "last_handshake_time_nsec=0\n"
	                          "tx_bytes=0\n"
	                          "rx_bytes=0\n"
	                          "persistent_keepalive_interval=0\n"
	                          "allowed_ip=192.168.1.1/32\n");
	free(text);
}

static void test_get_omits_what_is_unset(void **state)
{
	struct wg_snapshot snap = {0};
	struct wg_peer_snapshot peer = {0};
	char *text;

	(void)state;
	text = format(&snap);
	assert_string_equal(text, "");
	free(text);
	hex_to_key(peer.public_key, KEY_B);
	snap.peers = &peer;
	snap.n_peers = 1;
	text = format(&snap);
	assert_string_equal(text, "public_key=" KEY_B "\n"
	                          "preshared_key=" ZERO_KEY "\n"
	                          "protocol_version=1\n"
	                          "last_handshake_time_sec=0\n"
	                          "last_handshake_time_nsec=0\n"
	                          "tx_bytes=0\n"
	                          "rx_bytes=0\n"
	                          "persistent_keepalive_interval=0\n");
	free(text);
}

static void test_get_prints_endpoint_zone_by_name(void **state)
{
	struct wg_snapshot snap = {0};
	struct wg_peer_snapshot peer = {0};
	char *text;

	(void)state;
	peer.endpoint.in6.sin6_family = AF_INET6;
	peer.endpoint.in6.sin6_port = htons(51820);
	peer.endpoint.in6.sin6_scope_id = 1;
	inet_pton(AF_INET6, "fe80::1", &peer.endpoint.in6.sin6_addr);
	snap.peers = &peer;
	snap.n_peers = 1;
	text = format(&snap);
	assert_non_null(strstr(text, "\nendpoint=[fe80::1%lo]:51820\n"));
	free(text);
}

static void test_get_output_grows_past_one_block(void **state)
{
	struct wg_snapshot snap = {0};
	struct wg_peer_snapshot peers[64] = {0};
	char *text;

	(void)state;
	snap.peers = peers;
	snap.n_peers = 64;
	text = format(&snap);
	/* Every peer prints 8 lines, the two keys being 64 hex digits each. */
	assert_int_equal(
	    strlen(text),
	    64 * (strlen("public_key=\n") + 64 + strlen("preshared_key=\n") + 64 +
	          strlen("protocol_version=1\n") + strlen("last_handshake_time_sec=0\n") +
	          strlen("last_handshake_time_nsec=0\n") + strlen("tx_bytes=0\nrx_bytes=0\n") +
	          strlen("persistent_keepalive_interval=0\n")));
	free(text);
}

/* get-only lines are what a `set` cannot take back. */
static bool is_get_only(const char *line)
{
	static const char *const keys[] = {
	    "last_handshake_time_sec=", "last_handshake_time_nsec=", "tx_bytes=", "rx_bytes="};
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strncmp(line, keys[i], strlen(keys[i])))
			return true;
	}
	return false;
}

static void test_get_output_parses_back_as_the_same_set(void **state)
{
	struct wg_snapshot snap;
	struct wg_peer_snapshot peers[2];
	struct wg_allowed_ip ips[3];
	struct wg_uapi_set req = {0};
	const struct wg_config *c;
	char *text, *line, *save = NULL;
	size_t i, j;

	(void)state;
	two_peer_snapshot(&snap, peers, ips);
	text = format(&snap);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!is_get_only(line))
			assert_int_equal(wg_uapi_set_line(&req, line), 0);
	}
	free(text);
	assert_int_equal(wg_uapi_set_finish(&req, &c), 0);
	assert_memory_equal(c->private_key, snap.private_key, WG_KEY_LEN);
	assert_int_equal(c->listen_port, snap.listen_port);
	assert_int_equal(c->fwmark, snap.fwmark);
	assert_int_equal(c->n_peers, snap.n_peers);
	for (i = 0; i < c->n_peers; i++) {
		assert_memory_equal(c->peers[i].public_key, peers[i].public_key, WG_KEY_LEN);
		assert_memory_equal(c->peers[i].preshared_key, peers[i].preshared_key, WG_KEY_LEN);
		assert_memory_equal(&c->peers[i].endpoint, &peers[i].endpoint,
		                    sizeof(peers[i].endpoint));
		assert_int_equal(c->peers[i].persistent_keepalive_interval,
		                 peers[i].persistent_keepalive_interval);
		assert_int_equal(c->peers[i].n_allowed_ips, peers[i].n_allowed_ips);
		for (j = 0; j < peers[i].n_allowed_ips; j++)
			assert_memory_equal(&c->peers[i].allowed_ips[j].ip,
			                    &peers[i].allowed_ips[j], sizeof(struct wg_allowed_ip));
	}
	wg_uapi_set_free(&req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_device_keys_are_parsed),
	    cmocka_unit_test(test_absent_device_keys_leave_flags_clear),
	    cmocka_unit_test(test_peer_keys_are_parsed),
	    cmocka_unit_test(test_remove_and_update_only_set_their_flags),
	    cmocka_unit_test(test_allowed_ips_belong_to_their_own_peer),
	    cmocka_unit_test(test_replace_allowed_ips_drops_the_lines_before_it),
	    cmocka_unit_test(test_same_peer_twice_keeps_both_sections_in_order),
	    cmocka_unit_test(test_hex_keys_accept_either_case),
	    cmocka_unit_test(test_endpoint_forms),
	    cmocka_unit_test(test_line_without_equals_is_a_protocol_error),
	    cmocka_unit_test(test_every_invalid_line_is_einval),
	    cmocka_unit_test(test_one_bad_line_fails_the_whole_request),
	    cmocka_unit_test(test_first_error_wins_and_names_the_field),
	    cmocka_unit_test(test_error_messages_never_show_secrets),
	    cmocka_unit_test(test_errors_never_echo_the_input),
	    cmocka_unit_test(test_errors_name_only_known_keys),
	    cmocka_unit_test(test_get_prints_wireguard_go_key_order),
	    cmocka_unit_test(test_get_omits_what_is_unset),
	    cmocka_unit_test(test_get_prints_endpoint_zone_by_name),
	    cmocka_unit_test(test_get_output_grows_past_one_block),
	    cmocka_unit_test(test_get_output_parses_back_as_the_same_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
