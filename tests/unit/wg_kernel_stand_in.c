// SPDX-License-Identifier: MIT
/* The stand-in for kernel WireGuard's generic netlink: see wg_kernel_stand_in.h. */
#include "wg_kernel_stand_in.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

void stand_in_init(struct wg_stand_in *k, const char *ifname)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->ifname, sizeof(k->ifname), "%s", ifname);
	k->ifindex = 7;
}

static void drop_peer(struct wg_stand_in *k, size_t i)
{
	free(k->peers[i].peer.allowed_ips);
	memmove(&k->peers[i], &k->peers[i + 1], (k->n_peers - i - 1) * sizeof(*k->peers));
	k->n_peers--;
}

void stand_in_release(struct wg_stand_in *k)
{
	while (k->n_peers)
		drop_peer(k, k->n_peers - 1);
	free(k->peers);
	sodium_memzero(k, sizeof(*k));
}

struct stand_in_peer *stand_in_find(struct wg_stand_in *k, const uint8_t key[NL_WG_KEY_LEN])
{
	for (size_t i = 0; i < k->n_peers; i++)
		if (!memcmp(k->peers[i].peer.public_key, key, NL_WG_KEY_LEN))
			return &k->peers[i];
	return NULL;
}

static struct stand_in_peer *add_peer(struct wg_stand_in *k, const uint8_t key[NL_WG_KEY_LEN])
{
	struct stand_in_peer *p;

	if (k->n_peers == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 8;
		k->peers = realloc(k->peers, k->cap * sizeof(*k->peers));
		if (!k->peers)
			abort();
	}
	p = &k->peers[k->n_peers++];
	memset(p, 0, sizeof(*p));
	memcpy(p->peer.public_key, key, NL_WG_KEY_LEN);
	p->serial = ++k->serials;
	return p;
}

static struct nl_wg_allowed_ip masked(const struct nl_wg_allowed_ip *ip)
{
	struct nl_wg_allowed_ip out = *ip;
	size_t len = ip_addr_len(&out.ip);

	for (size_t bit = out.cidr; bit < 8 * len; bit++)
		out.ip.bytes[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
	memset(out.ip.bytes + len, 0, sizeof(out.ip.bytes) - len);
	return out;
}

static bool same_ip(const struct nl_wg_allowed_ip *a, const struct nl_wg_allowed_ip *b)
{
	return a->cidr == b->cidr && ip_addr_equal(&a->ip, &b->ip);
}

static void forget_ip(struct nl_wg_peer *peer, const struct nl_wg_allowed_ip *ip)
{
	for (size_t i = 0; i < peer->n_allowed_ips; i++)
		if (same_ip(&peer->allowed_ips[i], ip)) {
			peer->allowed_ips[i] = peer->allowed_ips[--peer->n_allowed_ips];
			return;
		}
}

/* The kernel's trie: a prefix belongs to one peer, the last to claim it. */
static void claim_ip(struct wg_stand_in *k, struct nl_wg_peer *peer,
                     const struct nl_wg_allowed_ip *ip)
{
	struct nl_wg_allowed_ip m = masked(ip);

	for (size_t i = 0; i < k->n_peers; i++)
		forget_ip(&k->peers[i].peer, &m);
	peer->allowed_ips =
	    realloc(peer->allowed_ips, (peer->n_allowed_ips + 1) * sizeof(*peer->allowed_ips));
	if (!peer->allowed_ips)
		abort();
	peer->allowed_ips[peer->n_allowed_ips++] = m;
}

/* The kernel's set_peer. */
static void set_peer(struct wg_stand_in *k, const struct nl_wg_peer *want)
{
	struct stand_in_peer *p = stand_in_find(k, want->public_key);

	if (!p) {
		if (want->flags & (WGPEER_F_REMOVE_ME | WGPEER_F_UPDATE_ONLY))
			return;
		if (k->has_identity && !memcmp(want->public_key, k->public_key, NL_WG_KEY_LEN))
			return;
		p = add_peer(k, want->public_key);
	}
	p->named++;
	if (want->flags & WGPEER_F_REMOVE_ME) {
		drop_peer(k, (size_t)(p - k->peers));
		return;
	}
	if (want->has & NL_WG_HAS_PRESHARED_KEY) {
		memcpy(p->peer.preshared_key, want->preshared_key, NL_WG_KEY_LEN);
		p->peer.has |= NL_WG_HAS_PRESHARED_KEY;
	}
	if (want->has & NL_WG_HAS_ENDPOINT)
		p->peer.endpoint = want->endpoint;
	if (want->flags & WGPEER_F_REPLACE_ALLOWEDIPS)
		p->peer.n_allowed_ips = 0;
	for (size_t i = 0; i < want->n_allowed_ips; i++)
		claim_ip(k, &p->peer, &want->allowed_ips[i]);
	if (want->has & NL_WG_HAS_KEEPALIVE)
		p->peer.persistent_keepalive_interval = want->persistent_keepalive_interval;
}

/* The kernel's wg_set_device, for one message. */
static int set_device(struct wg_stand_in *k, const struct nlmsghdr *request)
{
	struct nl_wg_device want = {0};
	int ret = nl_wg_parse(request, STAND_IN_FAMILY, &want);

	k->set_messages++;
	if (!ret && strcmp(want.ifname, k->ifname) && want.ifindex != k->ifindex)
		ret = -ENODEV;
	if (!ret && k->refuse) {
		ret = k->refuse;
		k->refuse = 0;
	}
	if (ret)
		goto out;
	if (want.has & NL_WG_HAS_LISTEN_PORT)
		k->listen_port = want.listen_port;
	if (want.has & NL_WG_HAS_FWMARK)
		k->fwmark = want.fwmark;
	if (want.flags & WGDEVICE_F_REPLACE_PEERS) {
		k->replace_peers++;
		while (k->n_peers)
			drop_peer(k, k->n_peers - 1);
	}
	if ((want.has & NL_WG_HAS_PRIVATE_KEY) &&
	    (!k->has_identity || memcmp(k->private_key, want.private_key, NL_WG_KEY_LEN))) {
		k->key_changes++;
		memcpy(k->private_key, want.private_key, NL_WG_KEY_LEN);
		k->has_identity = !crypto_scalarmult_curve25519_base(k->public_key, k->private_key);
	}
	for (size_t i = 0; i < want.n_peers; i++)
		set_peer(k, &want.peers[i]);
out:
	nl_wg_device_release(&want);
	return ret;
}

/* ------------------------------------------------------------------------- dumps --- */

struct dump {
	char *buf;
	size_t size;
	size_t peer, allowed_ip;
	bool continuing; /* the kernel's ctx->next_allowedip */
	bool placed;     /* this message holds some of a peer */
};

static bool put_allowed_ip(struct nlmsghdr *nlh, size_t size, const struct nl_wg_allowed_ip *ip)
{
	struct nlattr *nest = mnl_attr_nest_start_check(nlh, size, 0);

	if (!nest)
		return false;
	if (!mnl_attr_put_u8_check(nlh, size, WGALLOWEDIP_A_CIDR_MASK, ip->cidr) ||
	    !mnl_attr_put_u16_check(nlh, size, WGALLOWEDIP_A_FAMILY, ip->ip.family) ||
	    !mnl_attr_put_check(nlh, size, WGALLOWEDIP_A_IPADDR, ip_addr_len(&ip->ip),
	                        ip->ip.bytes)) {
		mnl_attr_nest_cancel(nlh, nest);
		return false;
	}
	mnl_attr_nest_end(nlh, nest);
	return true;
}

static bool put_head(struct nlmsghdr *nlh, size_t size, const struct nl_wg_peer *peer)
{
	const struct {
		int64_t sec, nsec;
	} handshake = {peer->last_handshake.tv_sec, peer->last_handshake.tv_nsec};
	size_t endpoint = peer->endpoint.sa.sa_family == AF_INET    ? sizeof(peer->endpoint.in)
	                  : peer->endpoint.sa.sa_family == AF_INET6 ? sizeof(peer->endpoint.in6)
	                                                            : 0;

	return mnl_attr_put_check(nlh, size, WGPEER_A_PRESHARED_KEY, NL_WG_KEY_LEN,
	                          peer->preshared_key) &&
	       mnl_attr_put_check(nlh, size, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(handshake),
	                          &handshake) &&
	       mnl_attr_put_u16_check(nlh, size, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
	                              peer->persistent_keepalive_interval) &&
	       mnl_attr_put_u64_check(nlh, size, WGPEER_A_TX_BYTES, peer->tx_bytes) &&
	       mnl_attr_put_u64_check(nlh, size, WGPEER_A_RX_BYTES, peer->rx_bytes) &&
	       mnl_attr_put_u32_check(nlh, size, WGPEER_A_PROTOCOL_VERSION, 1) &&
	       (!endpoint ||
	        mnl_attr_put_check(nlh, size, WGPEER_A_ENDPOINT, endpoint, &peer->endpoint));
}

/* The kernel's get_peer: false when the message is full. */
static bool put_peer(struct nlmsghdr *nlh, struct dump *d, const struct nl_wg_peer *peer)
{
	struct nlattr *nest = mnl_attr_nest_start_check(nlh, d->size, 0), *ips;

	if (!nest)
		return false;
	if (!mnl_attr_put_check(nlh, d->size, WGPEER_A_PUBLIC_KEY, NL_WG_KEY_LEN,
	                        peer->public_key) ||
	    (!d->continuing && !put_head(nlh, d->size, peer))) {
		mnl_attr_nest_cancel(nlh, nest);
		return false;
	}
	if (!d->continuing)
		d->allowed_ip = 0;
	if (d->allowed_ip < peer->n_allowed_ips) {
		ips = mnl_attr_nest_start_check(nlh, d->size, WGPEER_A_ALLOWEDIPS);
		if (!ips) {
			mnl_attr_nest_cancel(nlh, nest);
			return false;
		}
		for (; d->allowed_ip < peer->n_allowed_ips; d->allowed_ip++)
			if (!put_allowed_ip(nlh, d->size, &peer->allowed_ips[d->allowed_ip])) {
				mnl_attr_nest_end(nlh, ips);
				mnl_attr_nest_end(nlh, nest);
				d->continuing = true;
				d->placed = true;
				return false;
			}
		mnl_attr_nest_end(nlh, ips);
	}
	mnl_attr_nest_end(nlh, nest);
	d->continuing = false;
	d->placed = true;
	return true;
}

static struct nlmsghdr *dump_header(struct wg_stand_in *k, struct dump *d, bool interrupted)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	memset(d->buf, 0, d->size);
	nlh = mnl_nlmsg_put_header(d->buf);
	nlh->nlmsg_type = STAND_IN_FAMILY;
	nlh->nlmsg_flags = NLM_F_MULTI | (interrupted ? NLM_F_DUMP_INTR : 0);
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = WG_CMD_GET_DEVICE;
	genl->version = WG_GENL_VERSION;
	(void)k;
	return nlh;
}

static void put_device(struct nlmsghdr *nlh, struct wg_stand_in *k)
{
	mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, k->listen_port);
	mnl_attr_put_u32(nlh, WGDEVICE_A_FWMARK, k->fwmark);
	mnl_attr_put_u32(nlh, WGDEVICE_A_IFINDEX, k->ifindex);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, k->ifname);
	if (k->has_identity) {
		mnl_attr_put(nlh, WGDEVICE_A_PRIVATE_KEY, NL_WG_KEY_LEN, k->private_key);
		mnl_attr_put(nlh, WGDEVICE_A_PUBLIC_KEY, NL_WG_KEY_LEN, k->public_key);
	}
}

static int get_device(struct wg_stand_in *k, const struct nlmsghdr *request, nl_wg_reply_fn *reply,
                      void *data)
{
	struct nl_wg_device want = {0};
	struct dump d = {.size = k->dump_size ? k->dump_size : 4096};
	bool interrupted = k->interrupt > 0, first = true;
	struct nlattr *peers;
	struct nlmsghdr *nlh;
	int ret = nl_wg_parse(request, STAND_IN_FAMILY, &want);

	k->dumps++;
	if (!ret && strcmp(want.ifname, k->ifname))
		ret = -ENODEV;
	nl_wg_device_release(&want);
	if (ret)
		return ret;
	if (interrupted)
		k->interrupt--;
	d.buf = malloc(d.size);
	if (!d.buf)
		abort();
	do {
		d.placed = false;
		nlh = dump_header(k, &d, interrupted);
		if (first)
			put_device(nlh, k);
		if (k->n_peers) {
			peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
			while (d.peer < k->n_peers && put_peer(nlh, &d, &k->peers[d.peer].peer))
				d.peer++;
			mnl_attr_nest_end(nlh, peers);
		}
		/* A stand-in that cannot make progress is a broken test, not a broken parser. */
		if (!first && !d.placed) {
			fprintf(stderr, "stand-in: a dump message of %zu bytes holds nothing\n",
			        d.size);
			abort();
		}
		first = false;
		k->dump_messages++;
		k->dump_splits += d.continuing;
		if (reply(nlh, data) < 0) {
			ret = -EBADMSG;
			break;
		}
	} while (d.peer < k->n_peers);
	sodium_memzero(d.buf, d.size);
	free(d.buf);
	return ret;
}

int stand_in_answer(void *ctx, const struct nlmsghdr *request, nl_wg_reply_fn *reply, void *data)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(request);

	if (request->nlmsg_type != STAND_IN_FAMILY)
		return -ENOENT;
	if (genl->cmd == WG_CMD_SET_DEVICE)
		return set_device(ctx, request);
	if (genl->cmd == WG_CMD_GET_DEVICE && (request->nlmsg_flags & NLM_F_DUMP))
		return get_device(ctx, request, reply, data);
	return -EOPNOTSUPP;
}
