// SPDX-License-Identifier: MIT
/* genl.c - generic netlink's controller: a family's id by its name. */

#include "netlink/genl.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/message.h"
#include "netlink/netlink.h"
#include "netlink/socket.h"

struct nlmsghdr *nl_genl_build_family_get(void *buf, const char *name)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	if (!name || !*name || strlen(name) >= NL_GENL_NAME_LEN)
		return NULL;
	nlh = nl_put_request(buf, GENL_ID_CTRL, NLM_F_ACK, sizeof(*genl));
	genl = mnl_nlmsg_get_payload(nlh);
	genl->cmd = CTRL_CMD_GETFAMILY;
	genl->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	return nlh;
}

static int family_attr(const struct nlattr *attr, void *data)
{
	if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID &&
	    mnl_attr_validate(attr, MNL_TYPE_U16) >= 0)
		*(uint32_t *)data = mnl_attr_get_u16(attr);
	return MNL_CB_OK;
}

int nl_genl_parse_family(const struct nlmsghdr *nlh, uint16_t *id)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	uint32_t found = UINT32_MAX;

	if (nlh->nlmsg_type != GENL_ID_CTRL || mnl_nlmsg_get_payload_len(nlh) < sizeof(*genl) ||
	    genl->cmd != CTRL_CMD_NEWFAMILY)
		return -ENOMSG;
	mnl_attr_parse(nlh, sizeof(*genl), family_attr, &found);
	/* Ids below GENL_MIN_ID are the controller's own. */
	if (found == UINT32_MAX || found < GENL_MIN_ID)
		return -ENOMSG;
	*id = (uint16_t)found;
	return 0;
}

static int parse_family(const struct nlmsghdr *nlh, void *item)
{
	return nl_genl_parse_family(nlh, item);
}

int nl_genl_family(struct nl_socket *nl, const char *name, uint16_t *id)
{
	char buf[NL_BUFSIZE];
	struct nlmsghdr *nlh = nl_genl_build_family_get(buf, name);
	uint16_t *found;
	size_t n;
	int ret;

	if (!nlh)
		return -EINVAL;
	ret = nl_collect(nl, nlh, parse_family, sizeof(*found), (void **)&found, &n);
	if (ret < 0)
		return ret;
	if (n == 1)
		*id = found[0];
	free(found);
	return n == 1 ? 0 : -ENOENT;
}
