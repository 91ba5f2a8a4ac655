// SPDX-License-Identifier: MIT
/*
 * socket.c - the request socket (rtnetlink, or generic netlink for WireGuard): a request and
 * its ack, a dump and its answers.
 */

#include "netlink/socket.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netlink/message.h"
#include "netlink/netlink.h"

struct nl_socket {
	struct mnl_socket *sock;
	unsigned int seq;
	unsigned int portid;
	/* Dumps come in messages of up to 32 KiB; a smaller buffer truncates them. */
	char buf[32768];
};

struct collect_ctx {
	nl_parse_fn parse;
	size_t size, cap;
	char *items;
	size_t n;
	int error;
};

int nl_open_protocol(int protocol, struct nl_socket **out)
{
	struct nl_socket *nl = calloc(1, sizeof(*nl));
	int ret = -ENOMEM;

	if (!nl)
		goto err;
	nl->sock = mnl_socket_open2(protocol, SOCK_CLOEXEC);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto err;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	*out = nl;
	return 0;
err:
	nl_close(nl);
	return ret;
}

int nl_open(struct nl_socket **out)
{
	return nl_open_protocol(NETLINK_ROUTE, out);
}

void nl_close(struct nl_socket *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl);
}

/*
 * What is left of an answer cut short (a failed callback, an interrupted read) would be taken
 * for the answer to the next request; read it away. A dump goes on as it is read, to its end.
 */
static void drain(struct nl_socket *nl)
{
	while (recv(mnl_socket_get_fd(nl->sock), nl->buf, sizeof(nl->buf), MSG_DONTWAIT) > 0)
		;
}

int nl_talk(struct nl_socket *nl, struct nlmsghdr *nlh, nl_answer_fn cb, void *data)
{
	size_t used = 0;
	ssize_t len;
	int ret;

	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		len = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (len > 0 && (size_t)len > used)
			used = (size_t)len;
		ret = len < 0
		          ? -1
		          : mnl_cb_run(nl->buf, (size_t)len, nlh->nlmsg_seq, nl->portid, cb, data);
	} while (ret > 0);
	if (ret < 0) {
		ret = -errno;
		drain(nl);
		used = sizeof(nl->buf);
	}
	/* Answers may carry keys (kernel WireGuard's dump): none stays behind in the buffer. */
	explicit_bzero(nl->buf, used);
	return ret;
}

int nl_request(struct nl_socket *nl, struct nlmsghdr *nlh)
{
	return nl_talk(nl, nlh, NULL, NULL);
}

static int collect_one(const struct nlmsghdr *nlh, void *data)
{
	struct collect_ctx *c = data;
	char *bigger;

	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		bigger = realloc(c->items, c->cap * c->size);
		if (!bigger) {
			c->error = -ENOMEM;
			return MNL_CB_ERROR;
		}
		c->items = bigger;
	}
	memset(c->items + c->n * c->size, 0, c->size);
	if (c->parse(nlh, c->items + c->n * c->size) == 0)
		c->n++;
	return MNL_CB_OK;
}

int nl_collect(struct nl_socket *nl, struct nlmsghdr *nlh, nl_parse_fn parse, size_t size,
               void **items, size_t *n)
{
	struct collect_ctx c = {.parse = parse, .size = size};
	int ret = nl_talk(nl, nlh, collect_one, &c);

	if (c.error)
		ret = c.error;
	if (ret < 0) {
		free(c.items);
		return ret;
	}
	*items = c.items;
	*n = c.n;
	return 0;
}

struct nlmsghdr *nl_build_dump(void *buf, uint16_t type, uint8_t family)
{
	size_t len = sizeof(struct rtmsg); /* also the size of struct fib_rule_hdr */
	struct nlmsghdr *nlh;

	if (type == RTM_GETLINK)
		len = sizeof(struct ifinfomsg);
	else if (type == RTM_GETADDR)
		len = sizeof(struct ifaddrmsg);
	nlh = nl_put_request(buf, type, NLM_F_DUMP, len);
	/* Every one of these headers starts with its family byte. */
	*(uint8_t *)mnl_nlmsg_get_payload(nlh) = family;
	return nlh;
}

int nl_dump(struct nl_socket *nl, uint16_t type, uint8_t family, nl_parse_fn parse, size_t size,
            void **items, size_t *n)
{
	char buf[NL_BUFSIZE];

	return nl_collect(nl, nl_build_dump(buf, type, family), parse, size, items, n);
}
