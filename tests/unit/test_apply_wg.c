// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mesh/host/apply_wg.h"
#include "mesh/host/keyfile.h"
#include "mesh/host/wg_device.h"
#include "netlink/wireguard.h"
#include "wg_kernel_stand_in.h"

/* The local config of a leader: two segments, "a" with two allowed IPs, "b" with one. */
struct fixture {
	struct mesh_prefix ips_a[2], ips_b[1];
	struct mesh_wg_peer peers[2];
	struct mesh_wg_config config;
	uint8_t private_key[WG_KEY_LEN];
};

static struct mesh_prefix prefix(const char *text)
{
	struct mesh_prefix p;

	assert_int_equal(mesh_prefix_parse(text, &p), 0);
	return p;
}

static void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->ips_a[0] = prefix("10.2.0.0/24");
	f->ips_a[1] = prefix("10.4.0.1/32");
	f->ips_b[0] = prefix("10.2.1.0/24");
	memset(f->peers[0].public_key, 0xa1, WG_KEY_LEN);
	assert_int_equal(mesh_endpoint_parse("192.0.2.1:51820", &f->peers[0].endpoint), 0);
	f->peers[0].allowed_ips = f->ips_a;
	f->peers[0].n_allowed_ips = 2;
	memset(f->peers[1].public_key, 0xb2, WG_KEY_LEN);
	f->peers[1].persistent_keepalive = 25;
	f->peers[1].allowed_ips = f->ips_b;
	f->peers[1].n_allowed_ips = 1;
	f->config = (struct mesh_wg_config){
	    .has_interface = true, .listen_port = 51820, .peers = f->peers, .n_peers = 2};
	memset(f->private_key, 0x42, WG_KEY_LEN);
}

static void desired_of(struct fixture *f, struct mesh_wg_desired *desired)
{
	char err[128] = "";

	if (mesh_apply_wg_desired(&f->config, f->private_key, desired, err, sizeof(err)))
		fail_msg("desired: %s", err);
}

/* What a device configured with exactly desired reports, allowed IPs in another order. */
static void snapshot_of(const struct mesh_wg_desired *desired, struct wg_snapshot *snap)
{
	memset(snap, 0, sizeof(*snap));
	snap->has_private_key = true;
	memcpy(snap->private_key, desired->config.private_key, WG_KEY_LEN);
	snap->listen_port = desired->config.listen_port;
	snap->n_peers = desired->config.n_peers;
	snap->peers = calloc(snap->n_peers, sizeof(*snap->peers));
	for (size_t i = 0; i < snap->n_peers; i++) {
		const struct wg_peer_config *want = &desired->peers[i];
		struct wg_peer_snapshot *have = &snap->peers[i];

		memcpy(have->public_key, want->public_key, WG_KEY_LEN);
		memcpy(have->preshared_key, want->preshared_key, WG_KEY_LEN);
		have->endpoint = want->endpoint;
		have->persistent_keepalive_interval = want->persistent_keepalive_interval;
		have->n_allowed_ips = want->n_allowed_ips;
		have->allowed_ips = calloc(have->n_allowed_ips, sizeof(*have->allowed_ips));
		for (size_t j = 0; j < want->n_allowed_ips; j++)
			have->allowed_ips[want->n_allowed_ips - 1 - j] = want->allowed_ips[j].ip;
	}
}

static void snapshot_release(struct wg_snapshot *snap)
{
	for (size_t i = 0; i < snap->n_peers; i++)
		free(snap->peers[i].allowed_ips);
	free(snap->peers);
}

/* A device in step with the fixture; a test changes one side, then diffs. */
struct diff_case {
	struct fixture f;
	struct mesh_wg_desired desired;
	struct wg_snapshot snap;
	struct wg_config delta;
};

static int diff_setup(void **state)
{
	struct diff_case *c = calloc(1, sizeof(*c));

	fixture_init(&c->f);
	desired_of(&c->f, &c->desired);
	snapshot_of(&c->desired, &c->snap);
	*state = c;
	return 0;
}

static int diff_teardown(void **state)
{
	struct diff_case *c = *state;

	mesh_apply_wg_delta_release(&c->delta);
	snapshot_release(&c->snap);
	mesh_apply_wg_desired_release(&c->desired);
	free(c);
	return 0;
}

/* The config changed: the desired state follows it, the device does not. */
static void config_changed(struct diff_case *c)
{
	mesh_apply_wg_desired_release(&c->desired);
	desired_of(&c->f, &c->desired);
}

static void diff(struct diff_case *c)
{
	mesh_apply_wg_delta_release(&c->delta);
	assert_int_equal(mesh_apply_wg_diff(&c->desired, &c->snap, &c->delta), 0);
	assert_false(c->delta.flags & WG_CONFIG_REPLACE_PEERS);
}

static void test_resync_without_change_touches_nothing(void **state)
{
	struct diff_case *c = *state;

	diff(c);
	assert_true(mesh_apply_wg_delta_is_empty(&c->delta));
}

static void test_changed_allowed_ips_set_only_that_peer(void **state)
{
	struct diff_case *c = *state;

	c->f.ips_b[0] = prefix("10.2.9.0/24");
	config_changed(c);
	diff(c);
	assert_int_equal(c->delta.flags, 0);
	assert_int_equal(c->delta.n_peers, 1);
	assert_memory_equal(c->delta.peers[0].public_key, c->f.peers[1].public_key, WG_KEY_LEN);
	assert_int_equal(c->delta.peers[0].flags & (WG_PEER_REPLACE_ALLOWED_IPS | WG_PEER_REMOVE),
	                 WG_PEER_REPLACE_ALLOWED_IPS);
	assert_int_equal(c->delta.peers[0].n_allowed_ips, 1);
	assert_int_equal(c->delta.peers[0].allowed_ips[0].ip.ip4.s_addr, inet_addr("10.2.9.0"));
	/* Its session lives on: no handshake is forced. */
	assert_false(c->delta.peers[0].flags & WG_PEER_HANDSHAKE_NOW);
}

static void test_peer_gone_from_config_is_removed_alone(void **state)
{
	struct diff_case *c = *state;

	c->f.config.n_peers = 1;
	config_changed(c);
	diff(c);
	assert_int_equal(c->delta.n_peers, 1);
	assert_int_equal(c->delta.peers[0].flags, WG_PEER_REMOVE);
	assert_memory_equal(c->delta.peers[0].public_key, c->f.peers[1].public_key, WG_KEY_LEN);
}

static void test_roamed_endpoint_is_kept_when_config_has_none(void **state)
{
	struct diff_case *c = *state;

	/* Peer b has no endpoint in the config; the device learnt one. */
	c->snap.peers[1].endpoint.in.sin_family = AF_INET;
	c->snap.peers[1].endpoint.in.sin_port = htons(4242);
	c->snap.peers[1].endpoint.in.sin_addr.s_addr = inet_addr("198.51.100.7");
	diff(c);
	assert_true(mesh_apply_wg_delta_is_empty(&c->delta));
	/* Peer a has one: a device that drifted from it is put back. */
	c->snap.peers[0].endpoint.in.sin_port = htons(4242);
	diff(c);
	assert_int_equal(c->delta.n_peers, 1);
	assert_true(c->delta.peers[0].flags & WG_PEER_HAS_ENDPOINT);
	assert_int_equal(c->delta.peers[0].endpoint.in.sin_port, htons(51820));
}

static void test_an_allowed_ip_repeated_in_the_config_matches_the_device_once(void **state)
{
	struct diff_case *c = *state;

	/* Both mask to 10.2.0.0/24; the device's trie holds it once. */
	c->f.ips_a[1] = prefix("10.2.0.9/24");
	config_changed(c);
	c->snap.peers[0].allowed_ips[0] = c->desired.peers[0].allowed_ips[0].ip;
	c->snap.peers[0].n_allowed_ips = 1;
	diff(c);
	assert_true(mesh_apply_wg_delta_is_empty(&c->delta));
}

/* A session without allowed IPs (a standby's, mesh/view/leader.h): the device reports no array. */
static void test_a_peer_without_allowed_ips_matches_the_device(void **state)
{
	struct diff_case *c = *state;

	c->f.peers[1].n_allowed_ips = 0;
	config_changed(c);
	free(c->snap.peers[1].allowed_ips);
	c->snap.peers[1].allowed_ips = NULL;
	c->snap.peers[1].n_allowed_ips = 0;
	diff(c);
	assert_true(mesh_apply_wg_delta_is_empty(&c->delta));
}

static void test_new_key_and_port_are_set_without_touching_peers(void **state)
{
	struct diff_case *c = *state;

	c->snap.listen_port = 51821;
	c->snap.private_key[3] ^= 1;
	diff(c);
	assert_int_equal(c->delta.flags, WG_CONFIG_HAS_PRIVATE_KEY | WG_CONFIG_HAS_LISTEN_PORT);
	assert_int_equal(c->delta.listen_port, 51820);
	assert_memory_equal(c->delta.private_key, c->f.private_key, WG_KEY_LEN);
	assert_int_equal(c->delta.n_peers, 0);
}

static void test_keepalive_or_psk_change_sets_that_peer(void **state)
{
	struct diff_case *c = *state;

	c->snap.peers[0].persistent_keepalive_interval = 10;
	c->snap.peers[1].preshared_key[0] = 1;
	diff(c);
	assert_int_equal(c->delta.n_peers, 2);
	assert_int_equal(c->delta.peers[0].persistent_keepalive_interval, 0);
	assert_true(c->delta.peers[1].flags & WG_PEER_HAS_PRESHARED_KEY);
}

static void test_peers_new_to_the_device_are_greeted_at_once(void **state)
{
	struct diff_case *c = *state;

	/* A restarted kg: a fresh device, without the old process's peers. */
	snapshot_release(&c->snap);
	memset(&c->snap, 0, sizeof(c->snap));
	diff(c);
	assert_int_equal(c->delta.n_peers, 2);
	assert_true(c->delta.peers[0].flags & WG_PEER_HANDSHAKE_NOW);
	/* Peer b has no endpoint to greet. */
	assert_false(c->delta.peers[1].flags & WG_PEER_HANDSHAKE_NOW);
}

/* Many peers, keyed out of config order; the device lists them in yet another. */
enum { MANY = 500 };

struct many {
	struct mesh_prefix ips[MANY][2];
	struct mesh_wg_peer peers[MANY];
	struct mesh_wg_config config;
	uint8_t private_key[WG_KEY_LEN];
};

static struct mesh_prefix ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t cidr)
{
	struct mesh_prefix p = {.addr = {.family = AF_INET, .bytes = {a, b, c, d}}, .cidr = cidr};

	return p;
}

static struct many *many_init(void)
{
	struct many *m = calloc(1, sizeof(*m));

	for (size_t i = 0; i < MANY; i++) {
		struct mesh_wg_peer *peer = &m->peers[i];
		uint8_t hi = (uint8_t)(i >> 8), lo = (uint8_t)i;

		peer->public_key[0] = (uint8_t)(i * 151);
		peer->public_key[1] = hi;
		peer->public_key[2] = lo;
		peer->endpoint.ip = (struct ip_addr){.family = AF_INET, .bytes = {198, 51, hi, lo}};
		peer->endpoint.port = 51820;
		m->ips[i][0] = ipv4(10, hi, lo, 0, 24);
		m->ips[i][1] = ipv4(172, (uint8_t)(16 + hi), lo, 1, 32);
		peer->allowed_ips = m->ips[i];
		peer->n_allowed_ips = 2;
	}
	m->config = (struct mesh_wg_config){
	    .has_interface = true, .listen_port = 51820, .peers = m->peers, .n_peers = MANY};
	memset(m->private_key, 0x42, WG_KEY_LEN);
	return m;
}

/* Fisher-Yates with a fixed LCG: the same shuffle every run. */
static void shuffle(struct wg_snapshot *snap)
{
	uint32_t state = 12345;

	for (size_t i = snap->n_peers - 1; i > 0; i--) {
		size_t j;
		struct wg_peer_snapshot swap;

		state = state * 1103515245 + 12345;
		j = (state >> 8) % (i + 1);
		swap = snap->peers[i];
		snap->peers[i] = snap->peers[j];
		snap->peers[j] = swap;
	}
}

static void many_diff(struct many *m, const struct wg_snapshot *snap, struct wg_config *delta)
{
	struct mesh_wg_desired desired;
	char err[128] = "";

	if (mesh_apply_wg_desired(&m->config, m->private_key, &desired, err, sizeof(err)))
		fail_msg("desired: %s", err);
	assert_int_equal(mesh_apply_wg_diff(&desired, snap, delta), 0);
	assert_false(delta->flags & WG_CONFIG_REPLACE_PEERS);
	mesh_apply_wg_desired_release(&desired);
}

static void test_many_shuffled_peers_touch_only_the_changed_one(void **state)
{
	struct many *m = many_init();
	struct mesh_wg_desired desired;
	struct mesh_prefix was;
	struct mesh_wg_peer gone;
	struct wg_snapshot snap;
	struct wg_config delta;
	char err[128] = "";

	(void)state;
	assert_int_equal(
	    mesh_apply_wg_desired(&m->config, m->private_key, &desired, err, sizeof(err)), 0);
	snapshot_of(&desired, &snap);
	mesh_apply_wg_desired_release(&desired);
	shuffle(&snap);
	many_diff(m, &snap, &delta);
	assert_true(mesh_apply_wg_delta_is_empty(&delta));
	mesh_apply_wg_delta_release(&delta);

	/* One peer's allowed IPs change: it alone is set, and keeps its session. */
	was = m->ips[321][1];
	m->ips[321][1] = ipv4(172, 31, 0, 1, 32);
	many_diff(m, &snap, &delta);
	assert_int_equal(delta.flags, 0);
	assert_int_equal(delta.n_peers, 1);
	assert_memory_equal(delta.peers[0].public_key, m->peers[321].public_key, WG_KEY_LEN);
	assert_int_equal(delta.peers[0].flags &
	                     (WG_PEER_REPLACE_ALLOWED_IPS | WG_PEER_REMOVE | WG_PEER_HANDSHAKE_NOW),
	                 WG_PEER_REPLACE_ALLOWED_IPS);
	mesh_apply_wg_delta_release(&delta);
	m->ips[321][1] = was;

	/* One peer leaves the config (the last moves into its place): it alone is removed. */
	gone = m->peers[77];
	m->peers[77] = m->peers[MANY - 1];
	m->config.n_peers--;
	many_diff(m, &snap, &delta);
	assert_int_equal(delta.n_peers, 1);
	assert_int_equal(delta.peers[0].flags, WG_PEER_REMOVE);
	assert_memory_equal(delta.peers[0].public_key, gone.public_key, WG_KEY_LEN);
	mesh_apply_wg_delta_release(&delta);
	snapshot_release(&snap);
	free(m);
}

static void apply_many(struct mesh_wg_device *device, struct many *m, size_t *touched)
{
	struct mesh_wg_desired desired;
	char err[128] = "";

	if (mesh_apply_wg_desired(&m->config, m->private_key, &desired, err, sizeof(err)))
		fail_msg("desired: %s", err);
	assert_int_equal(mesh_apply_wg(device, &desired, touched), 0);
	mesh_apply_wg_desired_release(&desired);
}

/*
 * The kernel device gets the same diff as the engine, and every message it sends is
 * counted by a stand-in for the kernel: a resync that changes nothing sends none, a change
 * to one peer names that peer alone, and no peer is removed and added again.
 */
static void test_kernel_device_is_sent_only_what_changed(void **state)
{
	struct many *m = many_init();
	struct mesh_wg_device *device;
	struct stand_in_peer *p;
	struct wg_stand_in k;
	struct nl_wg *wg;
	size_t touched, sent, named[MANY];
	uint64_t serial[MANY];

	(void)state;
	stand_in_init(&k, "kilo0");
	assert_int_equal(nl_wg_open_stand_in(stand_in_answer, &k, STAND_IN_FAMILY, &wg), 0);
	assert_int_equal(mesh_wg_device_from_kernel(wg, "kilo0", &device), 0);
	assert_int_equal(mesh_wg_device_mode(device), MESH_WG_KERNEL);
	apply_many(device, m, &touched);
	assert_int_equal(touched, MANY);
	assert_int_equal(k.n_peers, MANY);
	assert_true(k.set_messages > 1);
	assert_int_equal(k.key_changes, 1);
	for (size_t i = 0; i < MANY; i++) {
		p = stand_in_find(&k, m->peers[i].public_key);
		assert_non_null(p);
		serial[i] = p->serial;
		named[i] = p->named;
	}
	sent = k.set_messages;

	apply_many(device, m, &touched);
	assert_int_equal(touched, 0);
	assert_int_equal(k.set_messages, sent);

	m->ips[321][1] = ipv4(172, 31, 0, 1, 32);
	apply_many(device, m, &touched);
	assert_int_equal(touched, 1);
	assert_int_equal(k.set_messages, sent + 1);
	for (size_t i = 0; i < MANY; i++) {
		p = stand_in_find(&k, m->peers[i].public_key);
		assert_int_equal(p->serial, serial[i]);
		assert_int_equal(p->named, named[i] + (i == 321));
	}
	p = stand_in_find(&k, m->peers[321].public_key);
	assert_int_equal(p->peer.n_allowed_ips, 2);
	assert_int_equal(k.replace_peers, 0);
	assert_int_equal(k.key_changes, 1);
	mesh_wg_device_close(device, false);
	stand_in_release(&k);
	free(m);
}

static void test_dns_endpoint_is_resolved_and_host_bits_masked(void **state)
{
	struct mesh_wg_desired desired;
	struct fixture f;

	(void)state;
	fixture_init(&f);
	assert_int_equal(mesh_endpoint_parse("localhost:51999", &f.peers[0].endpoint), 0);
	f.ips_a[0] = prefix("10.2.0.77/24");
	desired_of(&f, &desired);
	assert_int_equal(desired.peers[0].endpoint.sa.sa_family, AF_INET);
	assert_int_equal(desired.peers[0].endpoint.in.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	assert_int_equal(desired.peers[0].endpoint.in.sin_port, htons(51999));
	assert_int_equal(desired.peers[0].allowed_ips[0].ip.ip4.s_addr, inet_addr("10.2.0.0"));
	assert_false(desired.peers[1].flags & WG_PEER_HAS_ENDPOINT);
	mesh_apply_wg_desired_release(&desired);
}

static void test_unresolvable_dns_endpoint_fails_the_apply(void **state)
{
	struct mesh_wg_desired desired;
	struct fixture f;
	char err[128] = "";

	(void)state;
	fixture_init(&f);
	assert_int_equal(mesh_endpoint_parse("no-such-host.invalid:51820", &f.peers[0].endpoint),
	                 0);
	assert_int_equal(
	    mesh_apply_wg_desired(&f.config, f.private_key, &desired, err, sizeof(err)),
	    -EHOSTUNREACH);
	assert_non_null(strstr(err, "no-such-host.invalid"));
}

/* Two TUN-less engines on loopback: "local" is driven by the applier, "remote" by hand. */
struct engine {
	struct wg_device *dev;
	uint8_t private_key[WG_KEY_LEN], public_key[WG_KEY_LEN];
	uint16_t port;
};

static void engine_init(struct engine *e)
{
	const struct wg_device_options opts = {.tun_fd = -1, .workers = 1};
	struct wg_config config = {.flags = WG_CONFIG_HAS_PRIVATE_KEY};
	struct wg_snapshot snap;

	assert_int_equal(wg_device_create(&e->dev, &opts), 0);
	mesh_key_generate(e->private_key);
	assert_int_equal(mesh_key_public(e->private_key, e->public_key), 0);
	memcpy(config.private_key, e->private_key, WG_KEY_LEN);
	assert_int_equal(wg_device_configure(e->dev, &config), 0);
	assert_int_equal(wg_device_set_up(e->dev, true), 0);
	assert_int_equal(wg_device_snapshot(e->dev, &snap), 0);
	e->port = snap.listen_port;
	wg_snapshot_free(&snap);
}

/* IPv4 UDP-shaped packet 10.2.0.1 -> dst. */
static size_t packet(uint8_t *buf, const char *dst)
{
	memset(buf, 0, 64);
	buf[0] = 0x45;
	buf[3] = 64;
	buf[8] = 64;
	buf[9] = 17;
	inet_pton(AF_INET, "10.2.0.1", buf + 12);
	inet_pton(AF_INET, dst, buf + 16);
	return 64;
}

static void expect_delivery(struct engine *from, struct engine *to, const char *dst)
{
	struct pollfd pfd = {.fd = wg_device_packet_fd(to->dev), .events = POLLIN};
	uint8_t out[64], in[2048];
	size_t len = packet(out, dst);

	assert_int_equal(write(wg_device_packet_fd(from->dev), out, len), (ssize_t)len);
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_int_equal(read(pfd.fd, in, sizeof(in)), (ssize_t)len);
	assert_memory_equal(in, out, len);
}

static struct timespec handshake_with(struct engine *e, const uint8_t key[WG_KEY_LEN])
{
	struct timespec when = {0, 0};
	struct wg_snapshot snap;

	assert_int_equal(wg_device_snapshot(e->dev, &snap), 0);
	for (size_t i = 0; i < snap.n_peers; i++)
		if (!memcmp(snap.peers[i].public_key, key, WG_KEY_LEN))
			when = snap.peers[i].last_handshake;
	wg_snapshot_free(&snap);
	return when;
}

static void test_engine_resync_keeps_the_session(void **state)
{
	struct engine local, remote;
	struct mesh_wg_device *device;
	struct mesh_wg_desired desired, grown;
	struct wg_allowed_ip_change back = {.ip = {.family = AF_INET, .cidr = 24}};
	struct wg_peer_config to_local = {
	    .flags = WG_PEER_HAS_ENDPOINT, .allowed_ips = &back, .n_allowed_ips = 1};
	const struct wg_config remote_config = {.peers = &to_local, .n_peers = 1};
	struct timespec first, later;
	struct fixture f;
	size_t touched;
	char text[32];

	(void)state;
	engine_init(&local);
	engine_init(&remote);
	assert_int_equal(mesh_wg_device_from_engine(local.dev, &device), 0);
	inet_pton(AF_INET, "10.2.0.0", &back.ip.ip4);
	memcpy(to_local.public_key, local.public_key, WG_KEY_LEN);
	to_local.endpoint.in.sin_family = AF_INET;
	to_local.endpoint.in.sin_port = htons(local.port);
	to_local.endpoint.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(wg_device_configure(remote.dev, &remote_config), 0);

	fixture_init(&f);
	memcpy(f.private_key, local.private_key, WG_KEY_LEN);
	f.config.listen_port = local.port;
	memcpy(f.peers[0].public_key, remote.public_key, WG_KEY_LEN);
	snprintf(text, sizeof(text), "127.0.0.1:%u", remote.port);
	assert_int_equal(mesh_endpoint_parse(text, &f.peers[0].endpoint), 0);
	f.config.n_peers = 1;
	desired_of(&f, &desired);
	assert_int_equal(mesh_apply_wg(device, &desired, &touched), 0);
	assert_int_equal(touched, 1);
	expect_delivery(&local, &remote, "10.4.0.1");
	first = handshake_with(&local, remote.public_key);
	assert_int_not_equal(first.tv_sec, 0);

	/* The same config again: nothing to do, and the session carries on. */
	assert_int_equal(mesh_apply_wg(device, &desired, &touched), 0);
	assert_int_equal(touched, 0);
	/* Another peer appears: only it is set. */
	f.config.n_peers = 2;
	desired_of(&f, &grown);
	assert_int_equal(mesh_apply_wg(device, &grown, &touched), 0);
	assert_int_equal(touched, 1);
	expect_delivery(&local, &remote, "10.4.0.1");
	expect_delivery(&remote, &local, "10.2.0.1");
	later = handshake_with(&local, remote.public_key);
	assert_int_equal(later.tv_sec, first.tv_sec);
	assert_int_equal(later.tv_nsec, first.tv_nsec);

	mesh_apply_wg_desired_release(&grown);
	mesh_apply_wg_desired_release(&desired);
	mesh_wg_device_close(device, false);
	wg_device_destroy(remote.dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_resync_without_change_touches_nothing, diff_setup,
	                                    diff_teardown),
	    cmocka_unit_test_setup_teardown(test_changed_allowed_ips_set_only_that_peer, diff_setup,
	                                    diff_teardown),
	    cmocka_unit_test_setup_teardown(test_peer_gone_from_config_is_removed_alone, diff_setup,
	                                    diff_teardown),
	    cmocka_unit_test_setup_teardown(test_roamed_endpoint_is_kept_when_config_has_none,
	                                    diff_setup, diff_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_an_allowed_ip_repeated_in_the_config_matches_the_device_once, diff_setup,
	        diff_teardown),
	    cmocka_unit_test_setup_teardown(test_a_peer_without_allowed_ips_matches_the_device,
	                                    diff_setup, diff_teardown),
	    cmocka_unit_test_setup_teardown(test_new_key_and_port_are_set_without_touching_peers,
	                                    diff_setup, diff_teardown),
	    cmocka_unit_test_setup_teardown(test_keepalive_or_psk_change_sets_that_peer, diff_setup,
	                                    diff_teardown),
	    cmocka_unit_test_setup_teardown(test_peers_new_to_the_device_are_greeted_at_once,
	                                    diff_setup, diff_teardown),
	    cmocka_unit_test(test_many_shuffled_peers_touch_only_the_changed_one),
	    cmocka_unit_test(test_kernel_device_is_sent_only_what_changed),
	    cmocka_unit_test(test_dns_endpoint_is_resolved_and_host_bits_masked),
	    cmocka_unit_test(test_unresolvable_dns_endpoint_fails_the_apply),
	    cmocka_unit_test(test_engine_resync_keeps_the_session),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
