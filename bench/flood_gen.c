// SPDX-License-Identifier: MIT
/*
 * flood_gen.c - floods a WireGuard port with datagrams it cannot trust, from random sources,
 * for bench/flood and tests/interop/test_dos.sh.
 *
 * Usage:
 *   bench_flood_gen flood MODE ADDR:PORT SOURCES SECONDS [RATE] [KEY|FILE]
 *     MODE valid-mac1  initiations of garbage under a valid mac1 for the public key KEY
 *          bad-mac1    initiations with a wrong mac1
 *          unknown-index  data for receiver indices nobody gave out
 *          replay      the data packet in FILE (from `capture`), again and again
 *     SOURCES  an IPv4 prefix (10.99.0.0/16): each datagram comes from a random address of it
 *              and a random port, so the receiver must route the prefix back to us
 *     RATE     datagrams per second, 0 or absent = as fast as this core goes
 *   bench_flood_gen capture IFNAME PORT FILE
 *     waits (10 s at most) for a WireGuard data packet to UDP port PORT on IFNAME and writes
 *     its payload to FILE
 *
 * The datagrams are made once, a pool of them, and sent with sendmmsg() on a raw socket that
 * writes its own IPv4 and UDP headers, so one core offers far more than 100 000 a second.
 * Prints one line: sent=N seconds=S pps=P.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mesh/model/key.h"
#include "wg/cookie.h"
#include "wg/crypto.h"

enum {
	POOL = 4096, /* distinct datagrams, sent round robin */
	BATCH = 256, /* datagrams per sendmmsg() */
	UNKNOWN_DATA_LEN = MESSAGE_MINIMUM_LENGTH + 64,
	MAX_PAYLOAD = 1500,
	CAPTURE_MS = 10000,
};

#define NSEC_PER_SEC 1000000000ULL

struct headers {
	struct iphdr ip;
	struct udphdr udp;
} __attribute__((packed));

struct flood {
	struct sockaddr_in to;
	uint32_t source, source_mask; /* host order */
	uint8_t *pool;
	size_t len, count;
	uint64_t rng;
};

/* Usage errors: what is wrong, and the argument that is, if there is one. */
static int fail(const char *what, const char *value)
{
	if (value)
		fprintf(stderr, "bench_flood_gen: %s: '%s'\n", what, value);
	else
		fprintf(stderr, "bench_flood_gen: %s\n", what);
	return 2;
}

/* xorshift64: the sources only need to differ, not to be unpredictable. */
static uint32_t next_random(struct flood *f)
{
	f->rng ^= f->rng << 13;
	f->rng ^= f->rng >> 7;
	f->rng ^= f->rng << 17;
	return (uint32_t)(f->rng >> 16);
}

/* "ADDR<sep>NUMBER": an IPv4 address and a decimal number; -EINVAL if it is not that. */
static int parse_addr_number(const char *text, char sep, struct in_addr *addr, long *number)
{
	char buf[INET_ADDRSTRLEN];
	const char *at = strchr(text, sep);
	char *end;

	if (!at || at - text >= (long)sizeof(buf))
		return -EINVAL;
	memcpy(buf, text, (size_t)(at - text));
	buf[at - text] = '\0';
	*number = strtol(at + 1, &end, 10);
	return inet_pton(AF_INET, buf, addr) == 1 && at[1] && !*end ? 0 : -EINVAL;
}

static int parse_destination(struct flood *f, const char *text)
{
	long port;

	if (parse_addr_number(text, ':', &f->to.sin_addr, &port) < 0 || port <= 0 || port > 65535)
		return -EINVAL;
	f->to.sin_family = AF_INET;
	f->to.sin_port = htons((uint16_t)port);
	return 0;
}

static int parse_sources(struct flood *f, const char *text)
{
	struct in_addr in;
	long bits;

	if (parse_addr_number(text, '/', &in, &bits) < 0 || bits < 8 || bits > 32)
		return -EINVAL;
	f->source_mask = bits == 32 ? 0 : UINT32_MAX >> bits;
	f->source = ntohl(in.s_addr) & ~f->source_mask;
	return 0;
}

/* Garbage initiations; with a key, under a valid mac1 for it. */
static int fill_initiations(struct flood *f, const char *key)
{
	uint8_t public_key[MESH_KEY_LEN];
	struct wg_cookie_maker maker;
	struct wg_msg_initiation *msg;
	size_t i;

	if (key && mesh_key_decode(key, public_key) < 0)
		return fail("not a base64 public key", key);
	if (key)
		wg_cookie_maker_init(&maker, public_key);
	for (i = 0; i < f->count; i++) {
		msg = (struct wg_msg_initiation *)(f->pool + i * f->len);
		msg->header.type = htole32(MESSAGE_HANDSHAKE_INITIATION);
		if (key)
			wg_cookie_add_macs(&maker, msg, sizeof(*msg), 0);
	}
	return 0;
}

static int read_packet(struct flood *f, const char *file)
{
	int fd = open(file, O_RDONLY);
	ssize_t len = fd < 0 ? -1 : read(fd, f->pool, MAX_PAYLOAD);

	if (fd >= 0)
		close(fd);
	if (len < 0 || wg_msg_classify(f->pool, (size_t)len) != MESSAGE_DATA)
		return fail("no WireGuard data packet in", file);
	f->len = (size_t)len;
	f->count = 1;
	return 0;
}

static int make_pool(struct flood *f, const char *mode, const char *arg)
{
	bool valid = !strcmp(mode, "valid-mac1");

	f->count = POOL;
	f->pool = malloc(POOL * MAX_PAYLOAD);
	if (!f->pool)
		return fail("out of memory for the pool of", mode);
	wg_random(f->pool, POOL * MAX_PAYLOAD);
	if (!strcmp(mode, "replay"))
		return arg ? read_packet(f, arg) : fail("replay needs a FILE", NULL);
	if (valid && !arg)
		return fail("valid-mac1 needs the KEY", NULL);
	if (valid || !strcmp(mode, "bad-mac1")) {
		f->len = MESSAGE_INITIATION_LEN;
		return fill_initiations(f, valid ? arg : NULL);
	}
	if (strcmp(mode, "unknown-index"))
		return fail("unknown MODE", mode);
	f->len = UNKNOWN_DATA_LEN;
	for (size_t i = 0; i < f->count; i++)
		((struct wg_msg_data *)(f->pool + i * f->len))->header.type = htole32(MESSAGE_DATA);
	return 0;
}

/* The kernel fills in the IP checksum, length and id; a zero UDP checksum means none. */
static void set_headers(struct flood *f, struct headers *h)
{
	memset(h, 0, sizeof(*h));
	h->ip.version = 4;
	h->ip.ihl = 5;
	h->ip.ttl = 64;
	h->ip.protocol = IPPROTO_UDP;
	h->ip.saddr = htonl(f->source | (next_random(f) & f->source_mask));
	h->ip.daddr = f->to.sin_addr.s_addr;
	h->udp.source = htons((uint16_t)(1024 + next_random(f) % 64512));
	h->udp.dest = f->to.sin_port;
	h->udp.len = htons((uint16_t)(sizeof(h->udp) + f->len));
}

/* Sends until the deadline, paced to rate if there is one; returns the count sent. */
static uint64_t run(struct flood *f, int fd, uint64_t seconds, uint64_t rate, double *took)
{
	static struct headers headers[BATCH];
	static struct iovec iov[BATCH][2];
	static struct mmsghdr msgs[BATCH];
	struct timespec t0, now, wake;
	uint64_t sent = 0, elapsed = 0, due;
	unsigned int i;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (elapsed < seconds * NSEC_PER_SEC) {
		for (i = 0; i < BATCH; i++) {
			set_headers(f, &headers[i]);
			iov[i][0] = (struct iovec){&headers[i], sizeof(headers[i])};
			iov[i][1] =
			    (struct iovec){f->pool + (sent + i) % f->count * f->len, f->len};
			msgs[i].msg_hdr = (struct msghdr){.msg_name = &f->to,
			                                  .msg_namelen = sizeof(f->to),
			                                  .msg_iov = iov[i],
			                                  .msg_iovlen = 2};
		}
		n = sendmmsg(fd, msgs, BATCH, 0);
		sent += n > 0 ? (uint64_t)n : 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed = (uint64_t)(now.tv_sec - t0.tv_sec) * NSEC_PER_SEC +
		          (uint64_t)now.tv_nsec - (uint64_t)t0.tv_nsec;
		due = rate ? sent * NSEC_PER_SEC / rate : 0;
		if (due > elapsed) {
			wake = (struct timespec){t0.tv_sec + (time_t)(due / NSEC_PER_SEC),
			                         t0.tv_nsec + (long)(due % NSEC_PER_SEC)};
			wake.tv_sec += wake.tv_nsec / (long)NSEC_PER_SEC;
			wake.tv_nsec %= (long)NSEC_PER_SEC;
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &wake, NULL);
		}
	}
	*took = (double)elapsed / NSEC_PER_SEC;
	return sent;
}

static int flood(int argc, char **argv)
{
	struct flood f = {.rng = 0x9e3779b97f4a7c15ULL};
	uint64_t seconds, rate, sent;
	double took;
	int fd, ret;

	if (argc < 6 || argc > 8)
		return fail("flood needs MODE ADDR:PORT SOURCES SECONDS [RATE] [KEY|FILE]", NULL);
	if (parse_destination(&f, argv[3]) < 0)
		return fail("not an IPv4 ADDR:PORT", argv[3]);
	if (parse_sources(&f, argv[4]) < 0)
		return fail("not an IPv4 prefix of /8 to /32", argv[4]);
	seconds = strtoull(argv[5], NULL, 10);
	rate = argc > 6 ? strtoull(argv[6], NULL, 10) : 0;
	if (!seconds)
		return fail("not a whole number of SECONDS", argv[5]);
	ret = make_pool(&f, argv[2], argc > 7 ? argv[7] : NULL);
	fd = ret ? -1 : socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (!ret && fd < 0) {
		perror("bench_flood_gen: raw socket");
		ret = 1;
	}
	if (!ret) {
		sent = run(&f, fd, seconds, rate, &took);
		printf("sent=%llu seconds=%.3f pps=%.0f\n", (unsigned long long)sent, took,
		       (double)sent / took);
		close(fd);
	}
	free(f.pool);
	return ret;
}

/* The UDP payload of an IPv4 packet to port, if it is WireGuard data; else NULL. */
static const uint8_t *data_payload(const uint8_t *packet, size_t len, uint16_t port,
                                   size_t *payload_len)
{
	const struct iphdr *ip = (const struct iphdr *)packet;
	const struct udphdr *udp;
	size_t ip_len;

	if (len < sizeof(*ip) || ip->version != 4 || ip->protocol != IPPROTO_UDP)
		return NULL;
	ip_len = (size_t)ip->ihl * 4;
	if (len < ip_len + sizeof(*udp))
		return NULL;
	udp = (const struct udphdr *)(packet + ip_len);
	*payload_len = len - ip_len - sizeof(*udp);
	if (ntohs(udp->dest) != port ||
	    wg_msg_classify(packet + ip_len + sizeof(*udp), *payload_len) != MESSAGE_DATA)
		return NULL;
	return packet + ip_len + sizeof(*udp);
}

static int capture(int argc, char **argv)
{
	struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP)};
	struct pollfd pfd = {.events = POLLIN};
	uint8_t packet[2048];
	const uint8_t *payload = NULL;
	size_t len = 0;
	ssize_t got;
	int fd, out;

	if (argc != 5)
		return fail("capture needs IFNAME PORT FILE", NULL);
	ll.sll_ifindex = (int)if_nametoindex(argv[2]);
	if (!ll.sll_ifindex)
		return fail("no such interface", argv[2]);
	pfd.fd = fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ll, sizeof(ll)) < 0) {
		perror("bench_flood_gen: packet socket");
		return 1;
	}
	while (!payload && poll(&pfd, 1, CAPTURE_MS) == 1) {
		got = recv(fd, packet, sizeof(packet), 0);
		if (got > 0)
			payload = data_payload(packet, (size_t)got, (uint16_t)atoi(argv[3]), &len);
	}
	close(fd);
	if (!payload)
		return fail("no WireGuard data packet seen within 10 s on", argv[2]);
	out = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (out < 0 || write(out, payload, len) != (ssize_t)len)
		return fail("cannot write", argv[4]);
	close(out);
	return 0;
}

int main(int argc, char **argv)
{
	if (wg_crypto_init() < 0)
		return fail("cannot initialise", "libsodium");
	if (argc > 1 && !strcmp(argv[1], "flood"))
		return flood(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "capture"))
		return capture(argc, argv);
	fprintf(stderr,
	        "Usage: %s flood MODE ADDR:PORT SOURCES SECONDS [RATE] [KEY|FILE]\n"
	        "       %s capture IFNAME PORT FILE\n",
	        argv[0], argv[0]);
	return 2;
}
