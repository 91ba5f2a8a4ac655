// SPDX-License-Identifier: MIT
/*
 * mesh/host/wg_device: the WireGuard device's two implementations behind one interface.
 * First the kernel device over a stand-in for the kernel (tests/unit/wg_kernel_stand_in.h):
 * its snapshot is the dump in the engine's terms, counters included; a replace-all is refused
 * before anything is sent; the key is written only when it differs. Then, in a network
 * namespace of the test's own, what open does with the host it finds: auto makes kernel
 * WireGuard where the kernel can and a TUN where not; kernel mode without the module is one
 * error and no link; an interface of the other kind, or of any other kind, is refused and
 * left as it was. The tests that need the wireguard module (a kernel link configured in
 * many messages, dumped back, adopted as it is by the next open, refused by userspace mode)
 * are skipped on a host without it; the kernel stage runs this program in its VM
 * (tests/kernel/test_mesh.sh), where they must pass.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mesh/host/wg_device.h"
#include "netlink/netlink.h"
#include "netlink/wireguard.h"
#include "netns.h"
#include "wg_kernel_stand_in.h"

static void test_modes_parse_by_their_names(void **state)
{
	enum mesh_wg_mode mode;

	(void)state;
	for (enum mesh_wg_mode m = MESH_WG_AUTO; m <= MESH_WG_USERSPACE; m++) {
		assert_int_equal(mesh_wg_mode_parse(mesh_wg_mode_name(m), &mode), 0);
		assert_int_equal(mode, m);
	}
	assert_string_equal(mesh_wg_mode_name(MESH_WG_KERNEL), "kernel");
	assert_int_equal(mesh_wg_mode_parse("Kernel", &mode), -EINVAL);
	assert_int_equal(mesh_wg_mode_parse("", &mode), -EINVAL);
}

struct stand_in_case {
	struct wg_stand_in k;
	struct mesh_wg_device *device;
};

static int stand_in_setup(void **state)
{
	struct stand_in_case *c = calloc(1, sizeof(*c));
	struct nl_wg *wg;

	stand_in_init(&c->k, "kilo0");
	if (nl_wg_open_stand_in(stand_in_answer, &c->k, STAND_IN_FAMILY, &wg) ||
	    mesh_wg_device_from_kernel(wg, "kilo0", &c->device))
		return -1;
	*state = c;
	return 0;
}

static int stand_in_teardown(void **state)
{
	struct stand_in_case *c = *state;

	mesh_wg_device_close(c->device, false);
	stand_in_release(&c->k);
	free(c);
	return 0;
}

static void test_kernel_snapshot_is_the_dump_in_engine_terms(void **state)
{
	struct stand_in_case *c = *state;
	struct wg_allowed_ip_change ips[2] = {
	    {.ip = {.family = AF_INET, .cidr = 24}},
	    {.ip = {.family = AF_INET6, .cidr = 64}},
	};
	struct wg_peer_config peer = {.flags = WG_PEER_HAS_ENDPOINT | WG_PEER_HAS_KEEPALIVE |
	                                       WG_PEER_HAS_PRESHARED_KEY | WG_PEER_HANDSHAKE_NOW,
	                              .persistent_keepalive_interval = 25,
	                              .allowed_ips = ips,
	                              .n_allowed_ips = 2};
	const struct wg_config config = {
	    .flags = WG_CONFIG_HAS_LISTEN_PORT, .listen_port = 51820, .peers = &peer, .n_peers = 1};
	struct stand_in_peer *have;
	struct wg_snapshot snap;

	memset(peer.public_key, 0xaa, WG_KEY_LEN);
	memset(peer.preshared_key, 0x55, WG_KEY_LEN);
	peer.endpoint.in.sin_family = AF_INET;
	peer.endpoint.in.sin_port = htons(51821);
	inet_pton(AF_INET, "192.0.2.7", &peer.endpoint.in.sin_addr);
	inet_pton(AF_INET, "10.2.3.0", &ips[0].ip.ip4);
	inet_pton(AF_INET6, "fd00:3::", &ips[1].ip.ip6);
	assert_int_equal(mesh_wg_device_configure(c->device, &config), 0);
	assert_int_equal(c->k.set_messages, 1);
	have = stand_in_find(&c->k, peer.public_key);
	assert_non_null(have);
	have->peer.rx_bytes = 1000;
	have->peer.tx_bytes = 2000;
	have->peer.last_handshake = (struct timespec){1750000000, 42};

	assert_int_equal(mesh_wg_device_snapshot(c->device, &snap), 0);
	assert_false(snap.has_private_key);
	assert_int_equal(snap.listen_port, 51820);
	assert_int_equal(snap.n_peers, 1);
	assert_memory_equal(snap.peers[0].public_key, peer.public_key, WG_KEY_LEN);
	assert_memory_equal(snap.peers[0].preshared_key, peer.preshared_key, WG_KEY_LEN);
	assert_memory_equal(&snap.peers[0].endpoint.in, &peer.endpoint.in,
	                    sizeof(peer.endpoint.in));
	assert_int_equal(snap.peers[0].persistent_keepalive_interval, 25);
	assert_int_equal(snap.peers[0].rx_bytes, 1000);
	assert_int_equal(snap.peers[0].tx_bytes, 2000);
	assert_int_equal(snap.peers[0].last_handshake.tv_sec, 1750000000);
	assert_int_equal(snap.peers[0].last_handshake.tv_nsec, 42);
	assert_int_equal(snap.peers[0].n_allowed_ips, 2);
	assert_int_equal(snap.peers[0].allowed_ips[0].family, AF_INET);
	assert_int_equal(snap.peers[0].allowed_ips[0].cidr, 24);
	assert_memory_equal(&snap.peers[0].allowed_ips[0].ip4, &ips[0].ip.ip4, 4);
	assert_int_equal(snap.peers[0].allowed_ips[1].family, AF_INET6);
	assert_memory_equal(&snap.peers[0].allowed_ips[1].ip6, &ips[1].ip.ip6, 16);
	wg_snapshot_free(&snap);
}

static void test_kernel_is_never_asked_to_replace_every_peer(void **state)
{
	struct stand_in_case *c = *state;
	struct wg_allowed_ip_change gone = {.ip = {.family = AF_INET, .cidr = 32}, .remove = true};
	struct wg_peer_config peer = {.allowed_ips = &gone, .n_allowed_ips = 1};
	struct wg_config config = {.flags = WG_CONFIG_REPLACE_PEERS};

	assert_int_equal(mesh_wg_device_configure(c->device, &config), -EOPNOTSUPP);
	/* Nor to remove one allowed IP, which the kernels in use cannot. */
	config = (struct wg_config){.peers = &peer, .n_peers = 1};
	assert_int_equal(mesh_wg_device_configure(c->device, &config), -EOPNOTSUPP);
	assert_int_equal(c->k.set_messages, 0);
	assert_int_equal(c->k.replace_peers, 0);
}

static void test_key_is_written_only_when_it_differs(void **state)
{
	struct stand_in_case *c = *state;
	uint8_t key[WG_KEY_LEN];

	memset(key, 0x42, sizeof(key));
	assert_int_equal(mesh_wg_device_set_key(c->device, key), 0);
	assert_int_equal(mesh_wg_device_set_key(c->device, key), 0);
	assert_int_equal(c->k.set_messages, 1);
	assert_int_equal(c->k.key_changes, 1);
	key[0] ^= 1;
	assert_int_equal(mesh_wg_device_set_key(c->device, key), 0);
	assert_int_equal(c->k.set_messages, 2);
	assert_int_equal(c->k.key_changes, 2);
}

/* ------------------------------------------------ against the kernel, in a namespace --- */

static struct nl_socket *nl;
static bool kernel_has_wireguard;

static int enter_namespace(void **state)
{
	struct nl_link probe;

	(void)state;
	/* busybox's ip (the kernel stage's) names no veth peer. */
	if (netns_enter("ip link add an0 type veth") < 0 || nl_open(&nl) < 0)
		return -1;
	kernel_has_wireguard = nl_link_add(nl, "an-probe", "wireguard", 0) == 0;
	if (kernel_has_wireguard && !nl_link_get(nl, "an-probe", &probe))
		nl_link_del(nl, probe.ifindex);
	if (!kernel_has_wireguard)
		fprintf(stderr,
		        "unit_wg_device: no WireGuard in this kernel: the kernel-link tests "
		        "are skipped here and run in the kernel stage (kernel_mesh)\n");
	return 0;
}

static int leave_namespace(void **state)
{
	(void)state;
	nl_close(nl);
	return 0;
}

static struct mesh_wg_device_options options(const char *name, enum mesh_wg_mode mode)
{
	return (struct mesh_wg_device_options){
	    .interface = name, .mode = mode, .create_interface = true, .mtu = 1420};
}

static size_t links(void)
{
	struct nl_link *all;
	size_t n;

	assert_int_equal(nl_link_dump(nl, &all, &n), 0);
	free(all);
	return n;
}

static void test_auto_makes_kernel_wireguard_where_it_can_else_a_tun(void **state)
{
	const struct mesh_wg_device_options o = options("an-auto", MESH_WG_AUTO);
	struct mesh_wg_device *device;
	struct nl_link link;
	char err[512] = "";

	(void)state;
	if (mesh_wg_device_open(nl, &o, &device, err, sizeof(err)))
		fail_msg("%s", err);
	assert_true(mesh_wg_device_created(device));
	assert_int_equal(nl_link_get(nl, "an-auto", &link), 0);
	if (kernel_has_wireguard) {
		assert_int_equal(mesh_wg_device_mode(device), MESH_WG_KERNEL);
		assert_string_equal(link.kind, "wireguard");
		assert_int_equal(link.mtu, 1420);
	} else {
		assert_int_equal(mesh_wg_device_mode(device), MESH_WG_USERSPACE);
		assert_string_equal(link.kind, "tun");
	}
	mesh_wg_device_close(device, true);
	assert_int_equal(nl_link_get(nl, "an-auto", &link), -ENODEV);
}

static void test_kernel_mode_without_the_module_is_one_error_and_no_link(void **state)
{
	const struct mesh_wg_device_options o = options("an-kernel", MESH_WG_KERNEL);
	struct mesh_wg_device *device;
	size_t before = links();
	struct nl_link link;
	char err[512] = "";

	(void)state;
	if (kernel_has_wireguard)
		skip();
	assert_int_equal(mesh_wg_device_open(nl, &o, &device, err, sizeof(err)), -EOPNOTSUPP);
	assert_non_null(strstr(err, "kernel WireGuard is not available"));
	assert_non_null(strstr(err, "an-kernel"));
	assert_null(strchr(err, '\n'));
	assert_int_equal(nl_link_get(nl, "an-kernel", &link), -ENODEV);
	assert_int_equal(links(), before);
}

static void test_a_tun_is_refused_by_kernel_mode_and_left_alone(void **state)
{
	struct mesh_wg_device_options o = options("an-tun", MESH_WG_USERSPACE);
	struct mesh_wg_device *device;
	struct nl_link link;
	char err[512] = "";

	(void)state;
	/* A userspace run left its TUN behind. */
	if (mesh_wg_device_open(nl, &o, &device, err, sizeof(err)))
		fail_msg("%s", err);
	mesh_wg_device_close(device, false);
	assert_int_equal(nl_link_get(nl, "an-tun", &link), 0);

	o.mode = MESH_WG_KERNEL;
	assert_int_equal(mesh_wg_device_open(nl, &o, &device, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "an-tun is a TUN device (kind tun)"));
	assert_non_null(strstr(err, "ip link del an-tun"));
	assert_non_null(strstr(err, "--wireguard=userspace or auto"));
	assert_int_equal(nl_link_get(nl, "an-tun", &link), 0);
	assert_string_equal(link.kind, "tun");

	/* auto takes it for what it is. */
	o.mode = MESH_WG_AUTO;
	if (mesh_wg_device_open(nl, &o, &device, err, sizeof(err)))
		fail_msg("%s", err);
	assert_false(mesh_wg_device_created(device));
	assert_int_equal(mesh_wg_device_mode(device), MESH_WG_USERSPACE);
	mesh_wg_device_close(device, true);
	assert_int_equal(nl_link_get(nl, "an-tun", &link), -ENODEV);
}

static void test_a_link_of_another_kind_is_refused_and_left_alone(void **state)
{
	const struct mesh_wg_device_options o = options("an0", MESH_WG_AUTO);
	struct mesh_wg_device *device;
	struct nl_link link;
	char err[512] = "";

	(void)state;
	assert_int_equal(mesh_wg_device_open(nl, &o, &device, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "an0 exists and is a link of kind veth"));
	assert_int_equal(nl_link_get(nl, "an0", &link), 0);
}

static void test_a_missing_interface_not_to_be_created_is_kilos_error(void **state)
{
	struct mesh_wg_device_options o = options("an-none", MESH_WG_AUTO);
	struct mesh_wg_device *device;
	char err[512] = "";

	(void)state;
	o.create_interface = false;
	assert_int_equal(mesh_wg_device_open(nl, &o, &device, err, sizeof(err)), -ENODEV);
	assert_string_equal(err, "failed to get interface index of an-none");
}

enum { PEERS = 300, CROWDED = 1200 };

/* PEERS peers of three allowed IPs each, the last one with CROWDED more. */
static struct wg_config many_peers(struct wg_peer_config *peers, struct wg_allowed_ip_change *ips)
{
	for (size_t i = 0; i < PEERS; i++) {
		struct wg_peer_config *peer = &peers[i];
		size_t n = i == PEERS - 1 ? CROWDED : 3;

		memset(peer, 0, sizeof(*peer));
		peer->public_key[0] = (uint8_t)(i >> 8);
		peer->public_key[1] = (uint8_t)i;
		peer->public_key[2] = 0x77;
		peer->flags =
		    WG_PEER_REPLACE_ALLOWED_IPS | WG_PEER_HAS_ENDPOINT | WG_PEER_HAS_KEEPALIVE;
		peer->persistent_keepalive_interval = (uint16_t)(i % 60);
		peer->endpoint.in.sin_family = AF_INET;
		peer->endpoint.in.sin_port = htons((uint16_t)(20000 + i));
		peer->endpoint.in.sin_addr.s_addr = htonl(0xc6336400 + (uint32_t)i);
		peer->allowed_ips = ips;
		peer->n_allowed_ips = n;
		for (size_t j = 0; j < n; j++, ips++) {
			ips->ip.family = AF_INET;
			ips->ip.cidr = 32;
			ips->ip.ip4.s_addr = htonl(0x0a000000 + (uint32_t)(i << 12) + (uint32_t)j);
		}
	}
	return (struct wg_config){.flags = WG_CONFIG_HAS_LISTEN_PORT,
	                          .listen_port = 51999,
	                          .peers = peers,
	                          .n_peers = PEERS};
}

static void assert_holds(struct mesh_wg_device *device, const struct wg_config *config)
{
	struct wg_snapshot snap;

	assert_int_equal(mesh_wg_device_snapshot(device, &snap), 0);
	assert_int_equal(snap.listen_port, config->listen_port);
	assert_int_equal(snap.n_peers, config->n_peers);
	/* The kernel lists its peers in the order they were made. */
	for (size_t i = 0; i < snap.n_peers; i++) {
		const struct wg_peer_config *want = &config->peers[i];
		const struct wg_peer_snapshot *have = &snap.peers[i];

		assert_memory_equal(have->public_key, want->public_key, WG_KEY_LEN);
		assert_int_equal(have->n_allowed_ips, want->n_allowed_ips);
		assert_int_equal(have->persistent_keepalive_interval,
		                 want->persistent_keepalive_interval);
		assert_int_equal(have->endpoint.in.sin_port, want->endpoint.in.sin_port);
	}
	wg_snapshot_free(&snap);
}

static void test_kernel_link_is_configured_in_many_messages_and_adopted_as_it_is(void **state)
{
	struct mesh_wg_device_options o = options("an-wg", MESH_WG_KERNEL);
	struct wg_allowed_ip_change *ips;
	struct wg_peer_config *peers;
	struct mesh_wg_device *device;
	struct wg_config config;
	uint8_t key[WG_KEY_LEN];
	struct nl_link link;
	char err[512] = "";

	(void)state;
	if (!kernel_has_wireguard)
		skip();
	ips = calloc(3 * PEERS + CROWDED, sizeof(*ips));
	peers = calloc(PEERS, sizeof(*peers));
	config = many_peers(peers, ips);
	memset(key, 0x31, sizeof(key));
	if (mesh_wg_device_open(nl, &o, &device, err, sizeof(err)))
		fail_msg("%s", err);
	assert_true(mesh_wg_device_created(device));
	assert_int_equal(mesh_wg_device_set_key(device, key), 0);
	/* More than fits a SET_DEVICE message, and a peer more than fits a dump message. */
	assert_int_equal(mesh_wg_device_configure(device, &config), 0);
	assert_holds(device, &config);
	mesh_wg_device_close(device, false);

	/* The next open adopts the link as it is: same peers, same key. */
	o.mode = MESH_WG_AUTO;
	if (mesh_wg_device_open(nl, &o, &device, err, sizeof(err)))
		fail_msg("%s", err);
	assert_false(mesh_wg_device_created(device));
	assert_int_equal(mesh_wg_device_mode(device), MESH_WG_KERNEL);
	assert_holds(device, &config);
	mesh_wg_device_close(device, false);

	/* Userspace mode leaves it, and its sessions, alone. */
	o.mode = MESH_WG_USERSPACE;
	assert_int_equal(mesh_wg_device_open(nl, &o, &device, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "an-wg is a kernel WireGuard link (kind wireguard)"));
	assert_non_null(strstr(err, "--wireguard=kernel or auto"));
	assert_int_equal(nl_link_get(nl, "an-wg", &link), 0);
	assert_string_equal(link.kind, "wireguard");

	o.mode = MESH_WG_KERNEL;
	if (mesh_wg_device_open(nl, &o, &device, err, sizeof(err)))
		fail_msg("%s", err);
	assert_holds(device, &config);
	mesh_wg_device_close(device, true);
	assert_int_equal(nl_link_get(nl, "an-wg", &link), -ENODEV);
	free(peers);
	free(ips);
}

int main(void)
{
	const struct CMUnitTest stand_in[] = {
	    cmocka_unit_test(test_modes_parse_by_their_names),
	    cmocka_unit_test_setup_teardown(test_kernel_snapshot_is_the_dump_in_engine_terms,
	                                    stand_in_setup, stand_in_teardown),
	    cmocka_unit_test_setup_teardown(test_kernel_is_never_asked_to_replace_every_peer,
	                                    stand_in_setup, stand_in_teardown),
	    cmocka_unit_test_setup_teardown(test_key_is_written_only_when_it_differs,
	                                    stand_in_setup, stand_in_teardown),
	};
	const struct CMUnitTest host[] = {
	    cmocka_unit_test(test_auto_makes_kernel_wireguard_where_it_can_else_a_tun),
	    cmocka_unit_test(test_kernel_mode_without_the_module_is_one_error_and_no_link),
	    cmocka_unit_test(test_a_tun_is_refused_by_kernel_mode_and_left_alone),
	    cmocka_unit_test(test_a_link_of_another_kind_is_refused_and_left_alone),
	    cmocka_unit_test(test_a_missing_interface_not_to_be_created_is_kilos_error),
	    cmocka_unit_test(test_kernel_link_is_configured_in_many_messages_and_adopted_as_it_is),
	};

	return cmocka_run_group_tests(stand_in, NULL, NULL) |
	       cmocka_run_group_tests(host, enter_namespace, leave_namespace);
}
