// SPDX-License-Identifier: MIT
/*
 * wireguard_socket.c - the generic netlink socket to kernel WireGuard, with its family id:
 * a device's dump, and a request sent as the messages it needs. A stand-in for the kernel
 * (tests) answers the same requests instead of a socket.
 */
#include "netlink/wireguard.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/genl.h"
#include "netlink/netlink.h"
#include "netlink/socket.h"

/* A dump the device changed under is taken again, this many times at most. */
#define DUMP_TRIES 8

struct nl_wg {
	struct nl_socket *sock; /* NULL for a stand-in */
	uint16_t family;
	nl_wg_answer_fn *answer;
	void *answer_ctx;
	uint64_t sent;
};

int nl_wg_open(struct nl_wg **out)
{
	struct nl_wg *wg = calloc(1, sizeof(*wg));
	int ret = wg ? nl_open_protocol(NETLINK_GENERIC, &wg->sock) : -ENOMEM;

	if (!ret)
		ret = nl_genl_family(wg->sock, WG_GENL_NAME, &wg->family);
	if (ret) {
		nl_wg_close(wg);
		return ret;
	}
	*out = wg;
	return 0;
}

int nl_wg_open_stand_in(nl_wg_answer_fn *answer, void *ctx, uint16_t family, struct nl_wg **out)
{
	struct nl_wg *wg = calloc(1, sizeof(*wg));

	if (!wg)
		return -ENOMEM;
	wg->family = family;
	wg->answer = answer;
	wg->answer_ctx = ctx;
	*out = wg;
	return 0;
}

void nl_wg_close(struct nl_wg *wg)
{
	if (!wg)
		return;
	if (wg->sock)
		nl_close(wg->sock);
	free(wg);
}

static int talk(struct nl_wg *wg, struct nlmsghdr *request, nl_wg_reply_fn *reply, void *data)
{
	if (wg->answer)
		return wg->answer(wg->answer_ctx, request, reply, data);
	return nl_talk(wg->sock, request, reply, data);
}

struct fold {
	struct nl_wg_device *device;
	uint16_t family;
	int error;
};

static int fold_reply(const struct nlmsghdr *nlh, void *data)
{
	struct fold *f = data;
	int ret = nl_wg_parse(nlh, f->family, f->device);

	if (ret == -ENOMSG)
		return MNL_CB_OK;
	if (ret) {
		f->error = ret;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int nl_wg_get(struct nl_wg *wg, const char *ifname, struct nl_wg_device *device)
{
	char buf[NL_BUFSIZE];
	struct fold f = {.device = device, .family = wg->family};
	int ret;

	if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	for (int tries = 0;; tries++) {
		memset(device, 0, sizeof(*device));
		f.error = 0;
		ret = talk(wg, nl_wg_build_get(buf, wg->family, ifname), fold_reply, &f);
		if (f.error)
			ret = f.error;
		if (!ret)
			return 0;
		nl_wg_device_release(device);
		/* -EINTR from libmnl, -EAGAIN from the parser: the device changed meanwhile. */
		if ((ret != -EINTR && ret != -EAGAIN) || tries + 1 == DUMP_TRIES)
			return ret;
	}
}

int nl_wg_set(struct nl_wg *wg, const struct nl_wg_device *request)
{
	char buf[NL_WG_MESSAGE_SIZE];
	struct nl_wg_cursor cursor = {0};
	struct nlmsghdr *nlh;
	int ret = 0;

	do {
		nlh = nl_wg_build_set(buf, sizeof(buf), wg->family, request, &cursor);
		if (!nlh) {
			ret = -EMSGSIZE;
			break;
		}
		wg->sent++;
		ret = talk(wg, nlh, NULL, NULL);
	} while (!ret && !nl_wg_cursor_done(request, &cursor));
	explicit_bzero(buf, sizeof(buf));
	return ret;
}

uint64_t nl_wg_messages_sent(const struct nl_wg *wg)
{
	return wg->sent;
}
