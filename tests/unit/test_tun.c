// SPDX-License-Identifier: MIT
/*
 * test_tun.c - a device on a real TUN, in a network namespace of this test process alone:
 * the link's up/down and MTU drive the device, its deletion stops it, and packets the kernel
 * routes into the TUN reach a TUN-less peer device and back.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "device_nodes.h"

enum { STEP_MS = 10 };

static void run(const char *cmd)
{
	assert_int_equal(system(cmd), 0);
}

static struct wg_device *create_on_tun(const char *name)
{
	struct wg_device_options opts = {.ifname = name, .tun_fd = -1};
	struct wg_device *dev;

	assert_int_equal(wg_device_create(&dev, &opts), 0);
	assert_string_equal(wg_device_name(dev), name);
	return dev;
}

/* Polls until the device's state matches: sockets bound (up) or not, and the MTU. */
static void wait_for(struct wg_device *dev, bool up, unsigned int mtu)
{
	int waited;

	for (waited = 0; waited < WAIT_MS; waited += STEP_MS) {
		if ((bound_port(dev) != 0) == up && (!mtu || atomic_load(&dev->mtu) == mtu))
			return;
		usleep(STEP_MS * 1000);
	}
	fail_msg("device never became %s with MTU %u", up ? "up" : "down", mtu);
}

static void test_link_state_drives_sockets_and_mtu(void **state)
{
	struct wg_device *dev = create_on_tun("enwg0");

	(void)state;
	assert_int_equal(bound_port(dev), 0);
	run("ip link set enwg0 mtu 1380 up");
	wait_for(dev, true, 1380);
	run("ip link set enwg0 mtu 1300");
	wait_for(dev, true, 1300);
	run("ip link set enwg0 down");
	wait_for(dev, false, 0);
	assert_int_equal(wg_device_set_up(dev, true), -ENOTSUP);
	wg_device_destroy(dev);
}

static void test_deleting_the_link_stops_the_device(void **state)
{
	struct wg_device *dev = create_on_tun("enwg1");

	(void)state;
	run("ip link set enwg1 up && ip link del enwg1");
	assert_int_equal(wg_device_wait(dev), WG_STOP_LINK_DELETED);
	wg_device_destroy(dev);
}

static void configure(struct wg_device *dev, const uint8_t *private_key, const uint8_t *peer_public,
                      const char *allowed, uint16_t peer_port)
{
	struct wg_allowed_ip_change ip = {.ip = {.family = AF_INET, .cidr = 32}};
	struct wg_peer_config pc = {
	    .flags = peer_port ? WG_PEER_HAS_ENDPOINT : 0, .allowed_ips = &ip, .n_allowed_ips = 1};
	struct wg_config config = {.flags = WG_CONFIG_HAS_PRIVATE_KEY, .peers = &pc, .n_peers = 1};

	memcpy(config.private_key, private_key, WG_KEY_LEN);
	memcpy(pc.public_key, peer_public, WG_KEY_LEN);
	inet_pton(AF_INET, allowed, &ip.ip.ip4);
	pc.endpoint.in.sin_family = AF_INET;
	pc.endpoint.in.sin_port = htons(peer_port);
	pc.endpoint.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(wg_device_configure(dev, &config), 0);
}

static uint16_t ip_checksum(const uint8_t *header, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i < len; i += 2)
		sum += (uint32_t)header[i] << 8 | header[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* An IPv4/UDP packet 10.9.0.2:9 -> 10.9.0.1:port carrying text (UDP checksum 0 = none). */
static size_t make_reply(uint8_t *p, uint16_t port, const char *text)
{
	size_t len = 28 + strlen(text);
	uint16_t field, sum;

	memset(p, 0, 28);
	p[0] = 0x45;
	field = htons((uint16_t)len);
	memcpy(p + 2, &field, 2);
	p[8] = 64;
	p[9] = IPPROTO_UDP;
	inet_pton(AF_INET, "10.9.0.2", p + 12);
	inet_pton(AF_INET, "10.9.0.1", p + 16);
	sum = ip_checksum(p, 20);
	memcpy(p + 10, &sum, 2);
	field = htons(9);
	memcpy(p + 20, &field, 2);
	memcpy(p + 22, &port, 2);
	field = htons((uint16_t)(len - 20));
	memcpy(p + 24, &field, 2);
	memcpy(p + 28, text, strlen(text));
	return len;
}

static void test_kernel_traffic_crosses_the_tunnel(void **state)
{
	uint8_t key_a[WG_KEY_LEN], pub_a[WG_KEY_LEN], key_b[WG_KEY_LEN], pub_b[WG_KEY_LEN];
	struct wg_device_options opts = {.tun_fd = -1};
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)}, me;
	struct wg_device *a = create_on_tun("enwg2"), *b;
	struct pollfd pfd;
	socklen_t me_len = sizeof(me);
	uint8_t packet[2048];
	ssize_t len;
	int sock;

	(void)state;
	assert_int_equal(wg_device_create(&b, &opts), 0);
	assert_int_equal(wg_device_set_up(b, true), 0);
	wg_keygen(key_a);
	wg_keygen(key_b);
	assert_int_equal(wg_pubkey(pub_a, key_a), 0);
	assert_int_equal(wg_pubkey(pub_b, key_b), 0);
	configure(b, key_b, pub_a, "10.9.0.1", 0);
	configure(a, key_a, pub_b, "10.9.0.2", bound_port(b));
	run("ip addr add 10.9.0.1/24 dev enwg2 && ip link set enwg2 up");
	wait_for(a, true, 0);

	sock = socket(AF_INET, SOCK_DGRAM, 0);
	inet_pton(AF_INET, "10.9.0.2", &to.sin_addr);
	assert_int_equal(sendto(sock, "hello", 5, 0, (struct sockaddr *)&to, sizeof(to)), 5);
	pfd = (struct pollfd){.fd = wg_device_packet_fd(b), .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, WAIT_MS), 1);
	len = read(wg_device_packet_fd(b), packet, sizeof(packet));
	assert_int_equal(len, 28 + 5);
	assert_memory_equal(packet + 28, "hello", 5);

	getsockname(sock, (struct sockaddr *)&me, &me_len);
	len = (ssize_t)make_reply(packet, me.sin_port, "world");
	assert_int_equal(write(wg_device_packet_fd(b), packet, (size_t)len), len);
	pfd = (struct pollfd){.fd = sock, .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, WAIT_MS), 1);
	assert_int_equal(recv(sock, packet, sizeof(packet), 0), 5);
	assert_memory_equal(packet, "world", 5);
	close(sock);
	wg_device_destroy(a);
	wg_device_destroy(b);
}

/* This process gets a network namespace of its own: nothing it does is seen outside. */
static int enter_netns(void **state)
{
	(void)state;
	if (unshare(CLONE_NEWNET) < 0 || access("/dev/net/tun", R_OK | W_OK) < 0) {
		fprintf(stderr, "test_tun needs root and /dev/net/tun: %s\n", strerror(errno));
		return -1;
	}
	return system("ip link set lo up");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_link_state_drives_sockets_and_mtu),
	    cmocka_unit_test(test_deleting_the_link_stops_the_device),
	    cmocka_unit_test(test_kernel_traffic_crosses_the_tunnel),
	};

	return cmocka_run_group_tests(tests, enter_netns, NULL);
}
