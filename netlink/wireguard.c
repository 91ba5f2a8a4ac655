// SPDX-License-Identifier: MIT
/*
 * wireguard.c - kernel WireGuard's generic netlink messages: SET_DEVICE requests split over as
 * many messages as they need, the GET_DEVICE dump request, and the parser that folds a dump's
 * messages (or a request's) back into one device.
 */
#include "netlink/wireguard.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/message.h"
#include "netlink/netlink.h"

_Static_assert((int)NL_WG_DEVICE_REPLACE_PEERS == (int)WGDEVICE_F_REPLACE_PEERS &&
                   (int)NL_WG_PEER_REMOVE_ME == (int)WGPEER_F_REMOVE_ME &&
                   (int)NL_WG_PEER_REPLACE_ALLOWED_IPS == (int)WGPEER_F_REPLACE_ALLOWEDIPS &&
                   (int)NL_WG_PEER_UPDATE_ONLY == (int)WGPEER_F_UPDATE_ONLY &&
                   NL_WG_KEY_LEN == WG_KEY_LEN,
               "the kernel's flags under our names");

/* The kernel's struct __kernel_timespec: two 64-bit fields, whatever the C library's time_t. */
struct kernel_timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};

void nl_wg_device_release(struct nl_wg_device *device)
{
	for (size_t i = 0; i < device->n_peers; i++)
		free(device->peers[i].allowed_ips);
	if (device->peers)
		explicit_bzero(device->peers, device->n_peers * sizeof(*device->peers));
	free(device->peers);
	explicit_bzero(device, sizeof(*device));
}

/* ----------------------------------------------------------------------- building --- */

static struct nlmsghdr *put_header(void *buf, size_t size, uint16_t family, uint8_t cmd,
                                   uint16_t flags)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	if (size < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*genl)))
		return NULL;
	memset(buf, 0, size);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = WG_GENL_VERSION;
	return nlh;
}

static bool put_name(struct nlmsghdr *nlh, size_t size, const struct nl_wg_device *device)
{
	if (device->ifname[0])
		return mnl_attr_put_strz_check(nlh, size, WGDEVICE_A_IFNAME, device->ifname);
	return mnl_attr_put_u32_check(nlh, size, WGDEVICE_A_IFINDEX, device->ifindex);
}

/* The device's own attributes, in the first message only. */
static bool put_device(struct nlmsghdr *nlh, size_t size, const struct nl_wg_device *device)
{
	if ((device->has & NL_WG_HAS_PRIVATE_KEY) &&
	    !mnl_attr_put_check(nlh, size, WGDEVICE_A_PRIVATE_KEY, NL_WG_KEY_LEN,
	                        device->private_key))
		return false;
	if ((device->has & NL_WG_HAS_LISTEN_PORT) &&
	    !mnl_attr_put_u16_check(nlh, size, WGDEVICE_A_LISTEN_PORT, device->listen_port))
		return false;
	if ((device->has & NL_WG_HAS_FWMARK) &&
	    !mnl_attr_put_u32_check(nlh, size, WGDEVICE_A_FWMARK, device->fwmark))
		return false;
	return !device->flags || mnl_attr_put_u32_check(nlh, size, WGDEVICE_A_FLAGS, device->flags);
}

static bool put_allowed_ip(struct nlmsghdr *nlh, size_t size, const struct nl_wg_allowed_ip *ip)
{
	struct nlattr *nest = mnl_attr_nest_start_check(nlh, size, 0);

	if (!nest)
		return false;
	if (!mnl_attr_put_u16_check(nlh, size, WGALLOWEDIP_A_FAMILY, ip->ip.family) ||
	    !mnl_attr_put_check(nlh, size, WGALLOWEDIP_A_IPADDR, ip_addr_len(&ip->ip),
	                        ip->ip.bytes) ||
	    !mnl_attr_put_u8_check(nlh, size, WGALLOWEDIP_A_CIDR_MASK, ip->cidr)) {
		mnl_attr_nest_cancel(nlh, nest);
		return false;
	}
	mnl_attr_nest_end(nlh, nest);
	return true;
}

static size_t endpoint_len(const union nl_wg_endpoint *endpoint)
{
	if (endpoint->sa.sa_family == AF_INET)
		return sizeof(endpoint->in);
	return endpoint->sa.sa_family == AF_INET6 ? sizeof(endpoint->in6) : 0;
}

/* What a peer's first part says once: preshared key, endpoint, keepalive. */
static bool put_peer_head(struct nlmsghdr *nlh, size_t size, const struct nl_wg_peer *peer)
{
	size_t len = endpoint_len(&peer->endpoint);

	if ((peer->has & NL_WG_HAS_PRESHARED_KEY) &&
	    !mnl_attr_put_check(nlh, size, WGPEER_A_PRESHARED_KEY, NL_WG_KEY_LEN,
	                        peer->preshared_key))
		return false;
	if ((peer->has & NL_WG_HAS_ENDPOINT) && len &&
	    !mnl_attr_put_check(nlh, size, WGPEER_A_ENDPOINT, len, &peer->endpoint))
		return false;
	return !(peer->has & NL_WG_HAS_KEEPALIVE) ||
	       mnl_attr_put_u16_check(nlh, size, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
	                              peer->persistent_keepalive_interval);
}

/* The allowed IPs from the cursor on, as many as fit; false if some are left. */
static bool put_allowed_ips(struct nlmsghdr *nlh, size_t size, const struct nl_wg_peer *peer,
                            struct nl_wg_cursor *cursor)
{
	struct nlattr *nest = mnl_attr_nest_start_check(nlh, size, WGPEER_A_ALLOWEDIPS);
	size_t first = cursor->allowed_ip;

	if (!nest)
		return false;
	while (cursor->allowed_ip < peer->n_allowed_ips &&
	       put_allowed_ip(nlh, size, &peer->allowed_ips[cursor->allowed_ip]))
		cursor->allowed_ip++;
	if (cursor->allowed_ip == first)
		mnl_attr_nest_cancel(nlh, nest);
	else
		mnl_attr_nest_end(nlh, nest);
	return cursor->allowed_ip == peer->n_allowed_ips;
}

/*
 * As much of the cursor's peer as fits; true when all of it went in. A part that cannot hold
 * the peer's key and first attributes is taken back whole, for the next message.
 */
static bool put_peer(struct nlmsghdr *nlh, size_t size, const struct nl_wg_peer *peer,
                     struct nl_wg_cursor *cursor)
{
	uint32_t flags = peer->flags & (WGPEER_F_REMOVE_ME | WGPEER_F_UPDATE_ONLY);
	struct nlattr *nest = mnl_attr_nest_start_check(nlh, size, 0);
	bool whole = true;

	if (!nest)
		return false;
	if (!cursor->peer_begun)
		flags |= peer->flags & WGPEER_F_REPLACE_ALLOWEDIPS;
	if (!mnl_attr_put_check(nlh, size, WGPEER_A_PUBLIC_KEY, NL_WG_KEY_LEN, peer->public_key) ||
	    (flags && !mnl_attr_put_u32_check(nlh, size, WGPEER_A_FLAGS, flags)) ||
	    (!cursor->peer_begun && !put_peer_head(nlh, size, peer))) {
		mnl_attr_nest_cancel(nlh, nest);
		return false;
	}
	cursor->peer_begun = true;
	if (cursor->allowed_ip < peer->n_allowed_ips)
		whole = put_allowed_ips(nlh, size, peer, cursor);
	mnl_attr_nest_end(nlh, nest);
	if (whole) {
		cursor->peer++;
		cursor->peer_begun = false;
		cursor->allowed_ip = 0;
	}
	return whole;
}

static bool cursor_moved(const struct nl_wg_cursor *a, const struct nl_wg_cursor *b)
{
	return a->started != b->started || a->peer != b->peer || a->peer_begun != b->peer_begun ||
	       a->allowed_ip != b->allowed_ip;
}

struct nlmsghdr *nl_wg_build_set(void *buf, size_t size, uint16_t family,
                                 const struct nl_wg_device *device, struct nl_wg_cursor *cursor)
{
	const struct nl_wg_cursor before = *cursor;
	struct nlmsghdr *nlh = put_header(buf, size, family, WG_CMD_SET_DEVICE, NLM_F_ACK);
	struct nlattr *peers;

	if (!nlh || !put_name(nlh, size, device))
		goto full;
	if (!cursor->started) {
		if (!put_device(nlh, size, device))
			goto full;
		cursor->started = true;
	}
	if (cursor->peer < device->n_peers) {
		peers = mnl_attr_nest_start_check(nlh, size, WGDEVICE_A_PEERS);
		if (!peers)
			goto check;
		while (cursor->peer < device->n_peers &&
		       put_peer(nlh, size, &device->peers[cursor->peer], cursor))
			;
		if (cursor->peer == before.peer && cursor->peer_begun == before.peer_begun &&
		    cursor->allowed_ip == before.allowed_ip)
			mnl_attr_nest_cancel(nlh, peers);
		else
			mnl_attr_nest_end(nlh, peers);
	}
check:
	if (cursor_moved(&before, cursor))
		return nlh;
full:
	*cursor = before;
	if (buf && size)
		explicit_bzero(buf, size);
	return NULL;
}

bool nl_wg_cursor_done(const struct nl_wg_device *device, const struct nl_wg_cursor *cursor)
{
	return cursor->started && cursor->peer >= device->n_peers;
}

struct nlmsghdr *nl_wg_build_get(void *buf, uint16_t family, const char *ifname)
{
	struct nlmsghdr *nlh =
	    put_header(buf, NL_BUFSIZE, family, WG_CMD_GET_DEVICE, NLM_F_ACK | NLM_F_DUMP);

	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, ifname);
	return nlh;
}

/* ------------------------------------------------------------------------ parsing --- */

struct parse {
	struct nl_wg_device *device;
	struct nl_wg_peer part; /* the peer being read, before it is folded in */
	bool part_has_key;
	int error;
};

static int bad(struct parse *p, int error)
{
	p->error = error;
	return MNL_CB_ERROR;
}

/*
 * Room for one more item in an array of n items that grows one at a time (its capacity is
 * the power of two at or above n). A secret array is copied and its old block zeroed, since
 * realloc would free it unzeroed.
 */
static int room_for_one(void **array, size_t n, size_t size, bool secret)
{
	size_t cap = n ? 2 * n : 1;
	void *bigger;

	if (n & (n - 1))
		return 0;
	if (cap > SIZE_MAX / size)
		return -ENOMEM;
	if (!secret) {
		bigger = realloc(*array, cap * size);
	} else {
		bigger = malloc(cap * size);
		if (bigger && n) {
			memcpy(bigger, *array, n * size);
			explicit_bzero(*array, n * size);
		}
		if (bigger)
			free(*array);
	}
	if (!bigger)
		return -ENOMEM;
	*array = bigger;
	return 0;
}

static bool key_attr(const struct nlattr *attr, uint8_t key[NL_WG_KEY_LEN])
{
	if (mnl_attr_get_payload_len(attr) != NL_WG_KEY_LEN)
		return false;
	memcpy(key, mnl_attr_get_payload(attr), NL_WG_KEY_LEN);
	return true;
}

struct allowed_ip_parse {
	uint32_t family; /* UINT32_MAX: none yet */
	const struct nlattr *address;
	uint32_t cidr;
	bool bad;
};

static int allowed_ip_attr(const struct nlattr *attr, void *data)
{
	struct allowed_ip_parse *a = data;

	switch (mnl_attr_get_type(attr)) {
	case WGALLOWEDIP_A_FAMILY:
		if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
			a->bad = true;
		else
			a->family = mnl_attr_get_u16(attr);
		break;
	case WGALLOWEDIP_A_IPADDR:
		a->address = attr;
		break;
	case WGALLOWEDIP_A_CIDR_MASK:
		if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
			a->bad = true;
		else
			a->cidr = mnl_attr_get_u8(attr);
		break;
	}
	return MNL_CB_OK;
}

/* One allowed IP: a family, an address of its length and a prefix length within it. */
static int allowed_ips_attr(const struct nlattr *attr, void *data)
{
	struct parse *p = data;
	struct nl_wg_peer *peer = &p->part;
	struct allowed_ip_parse a = {.family = UINT32_MAX, .cidr = UINT32_MAX};
	struct nl_wg_allowed_ip ip = {0};

	if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0 ||
	    mnl_attr_parse_nested(attr, allowed_ip_attr, &a) != MNL_CB_OK || a.bad || !a.address)
		return bad(p, -EBADMSG);
	ip.ip.family = a.family == AF_INET || a.family == AF_INET6 ? (uint8_t)a.family : 0;
	if (!ip.ip.family || mnl_attr_get_payload_len(a.address) != ip_addr_len(&ip.ip) ||
	    a.cidr > 8 * ip_addr_len(&ip.ip))
		return bad(p, -EBADMSG);
	memcpy(ip.ip.bytes, mnl_attr_get_payload(a.address), ip_addr_len(&ip.ip));
	ip.cidr = (uint8_t)a.cidr;
	if (room_for_one((void **)&peer->allowed_ips, peer->n_allowed_ips, sizeof(ip), false))
		return bad(p, -ENOMEM);
	peer->allowed_ips[peer->n_allowed_ips++] = ip;
	return MNL_CB_OK;
}

static bool endpoint_attr(const struct nlattr *attr, union nl_wg_endpoint *endpoint)
{
	size_t len = mnl_attr_get_payload_len(attr);
	union nl_wg_endpoint read = {0};

	if (len != sizeof(read.in) && len != sizeof(read.in6))
		return false;
	memcpy(&read, mnl_attr_get_payload(attr), len);
	if (endpoint_len(&read) != len)
		return false;
	*endpoint = read;
	return true;
}

static bool handshake_attr(const struct nlattr *attr, struct timespec *time)
{
	struct kernel_timespec read;

	if (mnl_attr_get_payload_len(attr) != sizeof(read))
		return false;
	memcpy(&read, mnl_attr_get_payload(attr), sizeof(read));
	if (read.tv_nsec < 0 || read.tv_nsec >= 1000000000)
		return false;
	time->tv_sec = (time_t)read.tv_sec;
	time->tv_nsec = (long)read.tv_nsec;
	return true;
}

static bool u64_attr(const struct nlattr *attr, uint64_t *value)
{
	if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
		return false;
	*value = mnl_attr_get_u64(attr);
	return true;
}

static int peer_attr(const struct nlattr *attr, void *data)
{
	struct parse *p = data;
	struct nl_wg_peer *peer = &p->part;
	bool ok = true;

	switch (mnl_attr_get_type(attr)) {
	case WGPEER_A_PUBLIC_KEY:
		ok = p->part_has_key = key_attr(attr, peer->public_key);
		break;
	case WGPEER_A_PRESHARED_KEY:
		ok = key_attr(attr, peer->preshared_key);
		peer->has |= NL_WG_HAS_PRESHARED_KEY;
		break;
	case WGPEER_A_FLAGS:
		ok = mnl_attr_validate(attr, MNL_TYPE_U32) >= 0;
		if (ok)
			peer->flags = mnl_attr_get_u32(attr);
		break;
	case WGPEER_A_ENDPOINT:
		ok = endpoint_attr(attr, &peer->endpoint);
		peer->has |= NL_WG_HAS_ENDPOINT;
		break;
	case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
		ok = mnl_attr_validate(attr, MNL_TYPE_U16) >= 0;
		if (ok)
			peer->persistent_keepalive_interval = mnl_attr_get_u16(attr);
		peer->has |= NL_WG_HAS_KEEPALIVE;
		break;
	case WGPEER_A_LAST_HANDSHAKE_TIME:
		ok = handshake_attr(attr, &peer->last_handshake);
		peer->has |= NL_WG_HAS_HANDSHAKE;
		break;
	case WGPEER_A_RX_BYTES:
		ok = u64_attr(attr, &peer->rx_bytes);
		break;
	case WGPEER_A_TX_BYTES:
		ok = u64_attr(attr, &peer->tx_bytes);
		break;
	case WGPEER_A_ALLOWEDIPS:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
			return bad(p, -EBADMSG);
		return mnl_attr_parse_nested(attr, allowed_ips_attr, p) == MNL_CB_OK ? MNL_CB_OK
		                                                                     : MNL_CB_ERROR;
	}
	return ok ? MNL_CB_OK : bad(p, -EBADMSG);
}

/* A part with the last peer's key continues that peer: its allowed IPs are added to it. */
static int fold_continued(struct nl_wg_peer *last, struct nl_wg_peer *part)
{
	size_t n = last->n_allowed_ips + part->n_allowed_ips;
	struct nl_wg_allowed_ip *ips;

	if (part->n_allowed_ips) {
		ips = realloc(last->allowed_ips, n * sizeof(*ips));
		if (!ips)
			return -ENOMEM;
		memcpy(ips + last->n_allowed_ips, part->allowed_ips,
		       part->n_allowed_ips * sizeof(*ips));
		last->allowed_ips = ips;
		last->n_allowed_ips = n;
	}
	last->flags |= part->flags;
	if (part->has & NL_WG_HAS_PRESHARED_KEY)
		memcpy(last->preshared_key, part->preshared_key, NL_WG_KEY_LEN);
	if (part->has & NL_WG_HAS_ENDPOINT)
		last->endpoint = part->endpoint;
	if (part->has & NL_WG_HAS_KEEPALIVE)
		last->persistent_keepalive_interval = part->persistent_keepalive_interval;
	if (part->has & NL_WG_HAS_HANDSHAKE) {
		last->last_handshake = part->last_handshake;
		last->rx_bytes = part->rx_bytes;
		last->tx_bytes = part->tx_bytes;
	}
	last->has |= part->has;
	free(part->allowed_ips);
	return 0;
}

static int fold_peer(struct nl_wg_device *device, struct nl_wg_peer *part)
{
	struct nl_wg_peer *last = device->n_peers ? &device->peers[device->n_peers - 1] : NULL;

	if (last && !memcmp(last->public_key, part->public_key, NL_WG_KEY_LEN))
		return fold_continued(last, part);
	if (room_for_one((void **)&device->peers, device->n_peers, sizeof(*part), true))
		return -ENOMEM;
	device->peers[device->n_peers++] = *part;
	return 0;
}

static int peers_attr(const struct nlattr *attr, void *data)
{
	struct parse *p = data;
	int ret;

	explicit_bzero(&p->part, sizeof(p->part));
	p->part_has_key = false;
	if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
		return bad(p, -EBADMSG);
	if (mnl_attr_parse_nested(attr, peer_attr, p) != MNL_CB_OK)
		goto fail;
	if (!p->part_has_key) {
		bad(p, -EBADMSG);
		goto fail;
	}
	ret = fold_peer(p->device, &p->part);
	if (ret)
		free(p->part.allowed_ips);
	explicit_bzero(&p->part, sizeof(p->part));
	return ret ? bad(p, ret) : MNL_CB_OK;
fail:
	free(p->part.allowed_ips);
	explicit_bzero(&p->part, sizeof(p->part));
	return MNL_CB_ERROR;
}

static bool u32_attr(const struct nlattr *attr, uint32_t *value)
{
	if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return false;
	*value = mnl_attr_get_u32(attr);
	return true;
}

static int device_attr(const struct nlattr *attr, void *data)
{
	struct parse *p = data;
	struct nl_wg_device *device = p->device;
	bool ok = true;

	switch (mnl_attr_get_type(attr)) {
	case WGDEVICE_A_IFINDEX:
		ok = u32_attr(attr, &device->ifindex);
		break;
	case WGDEVICE_A_IFNAME:
		ok = mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0 &&
		     mnl_attr_get_payload_len(attr) <= IFNAMSIZ;
		if (ok)
			strncpy(device->ifname, mnl_attr_get_str(attr), IFNAMSIZ - 1);
		break;
	case WGDEVICE_A_PRIVATE_KEY:
		ok = key_attr(attr, device->private_key);
		device->has |= NL_WG_HAS_PRIVATE_KEY;
		break;
	case WGDEVICE_A_PUBLIC_KEY:
		ok = key_attr(attr, device->public_key);
		device->has |= NL_WG_HAS_PUBLIC_KEY;
		break;
	case WGDEVICE_A_FLAGS:
		ok = u32_attr(attr, &device->flags);
		break;
	case WGDEVICE_A_LISTEN_PORT:
		ok = mnl_attr_validate(attr, MNL_TYPE_U16) >= 0;
		if (ok)
			device->listen_port = mnl_attr_get_u16(attr);
		device->has |= NL_WG_HAS_LISTEN_PORT;
		break;
	case WGDEVICE_A_FWMARK:
		ok = u32_attr(attr, &device->fwmark);
		device->has |= NL_WG_HAS_FWMARK;
		break;
	case WGDEVICE_A_PEERS:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
			return bad(p, -EBADMSG);
		return mnl_attr_parse_nested(attr, peers_attr, p) == MNL_CB_OK ? MNL_CB_OK
		                                                               : MNL_CB_ERROR;
	}
	return ok ? MNL_CB_OK : bad(p, -EBADMSG);
}

int nl_wg_parse(const struct nlmsghdr *nlh, uint16_t family, struct nl_wg_device *device)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	struct parse p = {.device = device};

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*genl)) ||
	    nlh->nlmsg_type != family)
		return -ENOMSG;
	if (genl->cmd != WG_CMD_GET_DEVICE && genl->cmd != WG_CMD_SET_DEVICE)
		return -ENOMSG;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		return -EAGAIN;
	if (mnl_attr_parse(nlh, sizeof(*genl), device_attr, &p) != MNL_CB_OK)
		return p.error ? p.error : -EBADMSG;
	return 0;
}

int nl_wg_parse_replies(const void *buf, size_t len, uint16_t family, struct nl_wg_device *device)
{
	size_t at = 0, step;
	int ret;

	/* Not mnl_nlmsg_ok(): its int cast takes a length over 2 GiB for a short one. */
	for (; at < len && len - at >= sizeof(struct nlmsghdr); at += step) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)((const char *)buf + at);

		/* Whole, padding included: libmnl reads a message's attributes up to its
		 * aligned end. */
		step = ((size_t)nlh->nlmsg_len + MNL_ALIGNTO - 1) & ~(size_t)(MNL_ALIGNTO - 1);
		if (nlh->nlmsg_len < sizeof(*nlh) || step > len - at)
			return 0;
		if (nlh->nlmsg_type == NLMSG_DONE)
			return 0;
		if (nlh->nlmsg_type == NLMSG_NOOP)
			continue;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

			if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err))
				return -EBADMSG;
			return err->error > 0 ? -EBADMSG : err->error;
		}
		ret = nl_wg_parse(nlh, family, device);
		if (ret)
			return ret;
	}
	return 0;
}
