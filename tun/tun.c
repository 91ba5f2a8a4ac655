// SPDX-License-Identifier: MIT
/* tun.c - open or attach a TUN interface. */

#include "tun/tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int attach(const char *name, short flags, int *fd_out)
{
	struct ifreq ifr = {0};
	int fd, ret = 0;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	ifr.ifr_flags = flags;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		close(fd);
		goto out;
	}
	*fd_out = fd;
out:
	return ret;
}

static int set_mtu(const char *name, int mtu)
{
	struct ifreq ifr = {.ifr_mtu = mtu};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(fd, SIOCSIFMTU, &ifr) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int tun_open(const char *name, int *fd_out, char name_out[IFNAMSIZ])
{
	const short flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	bool created;
	int ret;

	if (!name || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	created = if_nametoindex(name) == 0;
	/*
	 * Multi-queue first so that more queues can be attached later; an
	 * existing single-queue interface refuses it with EINVAL.
	 */
	ret = attach(name, flags | IFF_MULTI_QUEUE, fd_out);
	if (ret == -EINVAL)
		ret = attach(name, flags, fd_out);
	if (ret < 0)
		return ret;
	ret = tun_name(*fd_out, name_out);
	if (ret == 0 && created)
		ret = set_mtu(name_out, TUN_DEFAULT_MTU);
	if (ret < 0) {
		close(*fd_out);
		*fd_out = -1;
	}
	return ret;
}

int tun_name(int fd, char name_out[IFNAMSIZ])
{
	struct ifreq ifr = {0};

	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		return -errno;
	memcpy(name_out, ifr.ifr_name, IFNAMSIZ);
	name_out[IFNAMSIZ - 1] = '\0';
	return 0;
}

int tun_prepare_fd(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

bool tun_has_vnet_hdr(int fd)
{
	struct ifreq ifr = {0};

	return ioctl(fd, TUNGETIFF, &ifr) == 0 && (ifr.ifr_flags & IFF_VNET_HDR);
}

enum {
	TUN_TCP_OFFLOADS = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
	/* TUN_F_USO4 and TUN_F_USO6 (Linux 6.2), which older headers lack. */
	TUN_UDP_OFFLOADS = 0x20 | 0x40,
};

int tun_set_offload(int fd, bool on)
{
	if (ioctl(fd, TUNSETOFFLOAD, on ? TUN_TCP_OFFLOADS : 0) < 0)
		return -errno;
	return 0;
}

/*
 * A kernel that knows USO accepts it here and takes UDP super-packets in writes. Reads go on
 * without: a UDP super-packet read would need splitting, and our own sends never make them.
 */
bool tun_accepts_uso(int fd)
{
	bool accepted = ioctl(fd, TUNSETOFFLOAD, TUN_TCP_OFFLOADS | TUN_UDP_OFFLOADS) == 0;

	return ioctl(fd, TUNSETOFFLOAD, TUN_TCP_OFFLOADS) == 0 && accepted;
}
