// SPDX-License-Identifier: MIT
/*
 * scale.c - many WireGuard peers at once, for bench/scale.sh: their keys, and their handshakes
 * with one device.
 *
 * Usage:
 *   bench_scale keys N SEED PREFIX
 *     one "PUBLIC-KEY ADDRESS" line per peer: peer i's private key is BLAKE2s(SEED || LE32(i))
 *     clamped, its address the (i+1)th of the IPv4 PREFIX (10.80.0.0/16 gives 10.80.0.1 ...)
 *   bench_scale handshake ADDR:PORT PUBKEY N SEED SOURCES SECONDS [RETRY_MS]
 *     acts as those N peers towards the device at ADDR:PORT whose public key is PUBKEY. Peer i
 *     speaks from the (i+1)th address of SOURCES, so the namespace must hold that prefix as a
 *     local route (`ip route add local 10.81.0.0/16 dev lo`) and the device must route it back.
 *     Every peer's first initiation is made before the clock starts and all are sent at once;
 *     a response is answered with a keepalive (the device counts a session only once data
 *     comes with it), a cookie reply's cookie goes into the next initiation's mac2, and a peer
 *     without a session sends a new initiation RETRY_MS (default 5000: REKEY_TIMEOUT, as a
 *     WireGuard peer does) after its last one, until every peer has one or SECONDS have passed.
 *     Prints one line of counts and the times (from the first send) at which the sessions came.
 *
 * The sessions are real: the keepalive is sealed with the session's key and counter 0, and a
 * device that then shows a latest handshake for all N peers has authenticated all of them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mesh/model/key.h"
#include "netlink/ip_addr.h"
#include "wg/cookie.h"
#include "wg/crypto.h"
#include "wg/noise.h"

enum {
	MAX_PEERS = 65534,
	RECV_BUFFER = 8 << 20,
	POLL_MS = 10,
};

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL

struct peer {
	struct wg_noise_static_identity identity;
	struct wg_noise_handshake handshake;
	struct wg_cookie_maker cookie;
	struct wg_noise_keypairs keypairs;
	struct wg_noise_keypair keypair;
	struct wg_msg_initiation initiation;
	struct in_addr source;
	uint64_t sent_at;    /* the last initiation, monotonic ns */
	uint64_t session_at; /* 0 until the response came */
};

struct swarm {
	struct peer *peers;
	size_t n;
	int fd;
	struct sockaddr_in device;
	uint8_t device_public[NOISE_PUBLIC_KEY_LEN];
	uint64_t retry_ns;
	uint64_t start;
	size_t sessions;
	uint64_t initiations, cookie_replies, bad_responses, send_errors;
};

static int fail(const char *what, const char *value)
{
	if (value)
		fprintf(stderr, "bench_scale: %s: '%s'\n", what, value);
	else
		fprintf(stderr, "bench_scale: %s\n", what);
	return 2;
}

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static int parse_count(const char *text, unsigned long max, unsigned long *value)
{
	char *end;

	errno = 0;
	*value = strtoul(text, &end, 10);
	return !errno && *text && !*end && *value > 0 && *value <= max ? 0 : -EINVAL;
}

/* "A.B.C.D/BITS" with room for n hosts after the network address: the first host, host order. */
static int parse_prefix(const char *text, size_t n, uint32_t *first)
{
	char buf[INET_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	unsigned long bits;
	struct in_addr in;

	if (!slash || slash - text >= (long)sizeof(buf) || parse_count(slash + 1, 30, &bits) < 0)
		return -EINVAL;
	memcpy(buf, text, (size_t)(slash - text));
	buf[slash - text] = '\0';
	if (inet_pton(AF_INET, buf, &in) != 1 || bits < 8 || n > (1UL << (32 - bits)) - 2)
		return -EINVAL;
	*first = (ntohl(in.s_addr) & ~(UINT32_MAX >> bits)) + 1;
	return 0;
}

/* Peer i's key pair, the same for the same SEED in every run. */
static void peer_keys(const char *seed, uint32_t i, uint8_t private_key[NOISE_PUBLIC_KEY_LEN],
                      uint8_t public_key[NOISE_PUBLIC_KEY_LEN])
{
	uint32_t le = htole32(i);

	wg_hash2(private_key, seed, strlen(seed), &le, sizeof(le));
	wg_clamp(private_key);
	wg_pubkey(public_key, private_key);
}

static int keys(int argc, char **argv)
{
	uint8_t private_key[NOISE_PUBLIC_KEY_LEN], public_key[NOISE_PUBLIC_KEY_LEN];
	char text[MESH_KEY_B64_SIZE], addr[INET_ADDRSTRLEN];
	unsigned long n;
	uint32_t first;
	struct in_addr in;

	if (argc != 5)
		return fail("keys needs N SEED PREFIX", NULL);
	if (parse_count(argv[2], MAX_PEERS, &n) < 0)
		return fail("not a count of peers", argv[2]);
	if (parse_prefix(argv[4], n, &first) < 0)
		return fail("not an IPv4 prefix with room for N hosts", argv[4]);
	for (uint32_t i = 0; i < n; i++) {
		peer_keys(argv[3], i, private_key, public_key);
		in.s_addr = htonl(first + i);
		printf("%s %s\n", mesh_key_encode(public_key, text),
		       inet_ntop(AF_INET, &in, addr, sizeof(addr)));
	}
	wg_memzero(private_key, sizeof(private_key));
	return 0;
}

static int peers_init(struct swarm *s, const char *seed, uint32_t first_source)
{
	uint8_t private_key[NOISE_PUBLIC_KEY_LEN], public_key[NOISE_PUBLIC_KEY_LEN];
	int ret = 0;

	s->peers = calloc(s->n, sizeof(*s->peers));
	if (!s->peers)
		return fail("out of memory for the peers", NULL);
	for (size_t i = 0; i < s->n && !ret; i++) {
		struct peer *p = &s->peers[i];

		peer_keys(seed, (uint32_t)i, private_key, public_key);
		wg_noise_static_identity_init(&p->identity);
		wg_noise_static_identity_set_private_key(&p->identity, private_key);
		ret = wg_noise_handshake_init(&p->handshake, &p->identity, s->device_public, NULL);
		wg_cookie_maker_init(&p->cookie, s->device_public);
		p->source.s_addr = htonl(first_source + (uint32_t)i);
	}
	wg_memzero(private_key, sizeof(private_key));
	return ret ? fail("the device's key refuses a handshake", NULL) : 0;
}

/* Peer i's next initiation; its sender index is i + 1. */
static int prepare(struct swarm *s, struct peer *p)
{
	uint32_t index = (uint32_t)(p - s->peers) + 1;
	int ret = wg_noise_handshake_create_initiation(&p->initiation, &p->handshake, index,
	                                               now_ns(CLOCK_REALTIME));

	if (!ret)
		ret = wg_cookie_add_macs(&p->cookie, &p->initiation, sizeof(p->initiation),
		                         now_ns(CLOCK_MONOTONIC));
	return ret;
}

/* One datagram from the peer's own address (IP_PKTINFO). */
static void send_from(struct swarm *s, const struct peer *p, const void *buf, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} control = {0};
	struct iovec iov = {(void *)buf, len};
	struct msghdr msg = {.msg_name = &s->device,
	                     .msg_namelen = sizeof(s->device),
	                     .msg_iov = &iov,
	                     .msg_iovlen = 1,
	                     .msg_control = control.buf,
	                     .msg_controllen = sizeof(control.buf)};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	struct in_pktinfo info = {.ipi_spec_dst = p->source};

	cmsg->cmsg_level = IPPROTO_IP;
	cmsg->cmsg_type = IP_PKTINFO;
	cmsg->cmsg_len = CMSG_LEN(sizeof(info));
	memcpy(CMSG_DATA(cmsg), &info, sizeof(info));
	if (sendmsg(s->fd, &msg, 0) != (ssize_t)len)
		s->send_errors++;
}

static void send_initiation(struct swarm *s, struct peer *p)
{
	send_from(s, p, &p->initiation, sizeof(p->initiation));
	p->sent_at = now_ns(CLOCK_MONOTONIC);
	s->initiations++;
}

/* The handshake is done on our side; the keepalive completes it on the device's. */
static void on_response(struct swarm *s, struct peer *p, const struct wg_msg_response *msg)
{
	union {
		struct wg_msg_data header;
		uint8_t bytes[MESSAGE_MINIMUM_LENGTH];
	} keepalive;
	struct wg_noise_released released;
	uint64_t now = now_ns(CLOCK_MONOTONIC), nonce;
	uint8_t nothing = 0;

	if (wg_noise_handshake_consume_response(msg, &p->handshake) ||
	    wg_noise_handshake_begin_session(&p->handshake, &p->keypairs, &p->keypair, now,
	                                     &released) ||
	    wg_noise_keypair_next_nonce(&p->keypair, now, &nonce)) {
		s->bad_responses++;
		return;
	}
	keepalive.header.header.type = htole32(MESSAGE_DATA);
	keepalive.header.receiver_index = htole32(p->keypair.remote_index);
	keepalive.header.counter = htole64(nonce);
	wg_aead_seal(keepalive.header.encrypted_data, &nothing, 0, NULL, 0, nonce,
	             p->keypair.send_key);
	send_from(s, p, &keepalive, sizeof(keepalive));
	p->session_at = now;
	s->sessions++;
}

/* The peer a reply is for: its receiver index is our sender index, i + 1. */
static struct peer *addressee(struct swarm *s, uint32_t le_index)
{
	uint32_t index = le32toh(le_index);

	return index >= 1 && index <= s->n ? &s->peers[index - 1] : NULL;
}

static void receive(struct swarm *s)
{
	uint8_t buf[256];
	struct peer *p;
	ssize_t len;

	while ((len = recv(s->fd, buf, sizeof(buf), 0)) > 0) {
		switch (wg_msg_classify(buf, (size_t)len)) {
		case MESSAGE_HANDSHAKE_RESPONSE:
			p = addressee(s, ((struct wg_msg_response *)buf)->receiver_index);
			if (p && !p->session_at)
				on_response(s, p, (struct wg_msg_response *)buf);
			break;
		case MESSAGE_HANDSHAKE_COOKIE:
			p = addressee(s, ((struct wg_msg_cookie_reply *)buf)->receiver_index);
			if (p &&
			    !wg_cookie_consume_reply(&p->cookie, (struct wg_msg_cookie_reply *)buf,
			                             now_ns(CLOCK_MONOTONIC)))
				s->cookie_replies++;
			break;
		default:
			break;
		}
	}
}

/* New initiations for the peers whose last one has gone unanswered for retry_ns. */
static void retry(struct swarm *s)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC);

	for (size_t i = 0; i < s->n; i++) {
		struct peer *p = &s->peers[i];

		if (!p->session_at && now >= p->sent_at + s->retry_ns && !prepare(s, p))
			send_initiation(s, p);
	}
}

static int open_socket(struct swarm *s)
{
	struct sockaddr_in any = {.sin_family = AF_INET};
	int size = RECV_BUFFER;

	s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&any, sizeof(any)) < 0) {
		perror("bench_scale: UDP socket");
		return 1;
	}
	/* A thousand responses at once would overflow the default buffer while we do DH. */
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	return 0;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The counts, the times at which the sessions came, and two rates: the first burst (the
 * sessions that came before any retry was due) and the wave of retries (the sessions that came
 * after, counted from when the first retries were due). */
static void report(const struct swarm *s, double seconds)
{
	uint64_t *at = calloc(s->n, sizeof(*at));
	size_t n = 0, burst = 0;
	struct rusage ru;
	double cpu, retry = (double)s->retry_ns / NSEC_PER_SEC, burst_end = 0, wave_end = 0;

	for (size_t i = 0; at && i < s->n; i++) {
		double t;

		if (!s->peers[i].session_at)
			continue;
		at[n++] = s->peers[i].session_at - s->start;
		t = (double)at[n - 1] / NSEC_PER_SEC;
		if (t < retry) {
			burst++;
			burst_end = t > burst_end ? t : burst_end;
		} else {
			wave_end = t > wave_end ? t : wave_end;
		}
	}
	if (at)
		qsort(at, n, sizeof(*at), compare_u64);
	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	      (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
#define AT(q) (n ? (double)at[(n - 1) * (q) / 100] / NSEC_PER_SEC : 0)
	printf("peers=%zu sessions=%zu initiations=%llu cookie_replies=%llu bad_responses=%llu "
	       "send_errors=%llu seconds=%.3f first=%.3f p50=%.3f p90=%.3f all=%.3f burst=%zu "
	       "burst_seconds=%.3f burst_rate=%.0f wave=%zu wave_seconds=%.3f wave_rate=%.0f "
	       "cpu=%.2f\n",
	       s->n, s->sessions, (unsigned long long)s->initiations,
	       (unsigned long long)s->cookie_replies, (unsigned long long)s->bad_responses,
	       (unsigned long long)s->send_errors, seconds, AT(0), AT(50), AT(90), AT(100), burst,
	       burst_end, burst_end > 0 ? (double)burst / burst_end : 0, n - burst,
	       wave_end > retry ? wave_end - retry : 0,
	       wave_end > retry ? (double)(n - burst) / (wave_end - retry) : 0, cpu);
#undef AT
	free(at);
}

/* "ADDR:PORT" (IPv4) through the one host:port splitter. */
static int parse_device(struct swarm *s, const char *text)
{
	char host[IP_ADDR_STRLEN];
	uint16_t port;

	if (ip_host_port_split(text, host, sizeof(host), &port) < 0 || !port ||
	    inet_pton(AF_INET, host, &s->device.sin_addr) != 1)
		return -EINVAL;
	s->device.sin_family = AF_INET;
	s->device.sin_port = htons(port);
	return 0;
}

/* argv: handshake ADDR:PORT PUBKEY N SEED SOURCES SECONDS [RETRY_MS] */
static int parse_swarm(struct swarm *s, int argc, char **argv, uint32_t *first,
                       unsigned long *seconds)
{
	unsigned long n, retry_ms = 5000;

	if (argc < 8 || argc > 9)
		return fail("handshake needs ADDR:PORT PUBKEY N SEED SOURCES SECONDS [RETRY_MS]",
		            NULL);
	if (parse_device(s, argv[2]) < 0)
		return fail("not an IPv4 ADDR:PORT", argv[2]);
	if (mesh_key_decode(argv[3], s->device_public) < 0)
		return fail("not a base64 public key", argv[3]);
	if (parse_count(argv[4], MAX_PEERS, &n) < 0)
		return fail("not a count of peers", argv[4]);
	s->n = n;
	if (parse_prefix(argv[6], n, first) < 0)
		return fail("not an IPv4 prefix with room for N hosts", argv[6]);
	if (parse_count(argv[7], 86400, seconds) < 0)
		return fail("not a whole number of SECONDS", argv[7]);
	if (argc > 8 && parse_count(argv[8], 600000, &retry_ms) < 0)
		return fail("not a whole number of RETRY_MS", argv[8]);
	s->retry_ns = retry_ms * NSEC_PER_MSEC;
	return 0;
}

/* All first initiations at once, then answers and retries until every peer has a session or
 * the time is up. */
static void run(struct swarm *s, unsigned long seconds)
{
	struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
	uint64_t deadline;

	s->start = now_ns(CLOCK_MONOTONIC);
	deadline = s->start + seconds * NSEC_PER_SEC;
	for (size_t i = 0; i < s->n; i++)
		send_initiation(s, &s->peers[i]);
	while (s->sessions < s->n && now_ns(CLOCK_MONOTONIC) < deadline) {
		if (poll(&pfd, 1, POLL_MS) > 0)
			receive(s);
		retry(s);
	}
}

static int handshake(int argc, char **argv)
{
	struct swarm s = {.fd = -1};
	unsigned long seconds;
	uint32_t first;
	int ret = parse_swarm(&s, argc, argv, &first, &seconds);

	if (!ret)
		ret = peers_init(&s, argv[5], first);
	for (size_t i = 0; !ret && i < s.n; i++)
		ret = prepare(&s, &s.peers[i]) ? fail("cannot make an initiation", NULL) : 0;
	if (!ret)
		ret = open_socket(&s);
	if (!ret) {
		run(&s, seconds);
		report(&s, (double)(now_ns(CLOCK_MONOTONIC) - s.start) / NSEC_PER_SEC);
		ret = s.sessions == s.n ? 0 : 1;
	}
	if (s.fd >= 0)
		close(s.fd);
	if (s.peers)
		wg_memzero(s.peers, s.n * sizeof(*s.peers));
	free(s.peers);
	return ret;
}

int main(int argc, char **argv)
{
	if (wg_crypto_init() < 0)
		return fail("cannot initialise", "libsodium");
	if (argc > 1 && !strcmp(argv[1], "keys"))
		return keys(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "handshake"))
		return handshake(argc, argv);
	fprintf(stderr,
	        "Usage: %s keys N SEED PREFIX\n"
	        "       %s handshake ADDR:PORT PUBKEY N SEED SOURCES SECONDS [RETRY_MS]\n",
	        argv[0], argv[0]);
	return 2;
}
