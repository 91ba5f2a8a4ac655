/* SPDX-License-Identifier: MIT */
/*
 * wg.h - the WireGuard engine's public face, for kwg, the UAPI server and kg.
 *
 * Contract:
 * - wg_device_create() makes a device on a named TUN (created or attached), on a TUN fd handed
 *   over by the caller, or without any TUN (tests: packets go through a SOCK_SEQPACKET pair whose
 *   other end wg_device_packet_fd() returns). A TUN device follows its link: UDP sockets are open
 *   only while the link is up and running, and the MTU follows the link. A TUN-less device is
 *   brought up and down with wg_device_set_up().
 * - wg_device_configure() has UAPI `set` semantics and is all-or-nothing for invalid input: every
 *   field is validated before anything changes, and -EINVAL (logged with the field and value) means
 *   nothing changed; -EINVAL also refuses, whole, a configuration that would at any entry take
 *   the device past 2^20 peers (the kernel's limit; wireguard-go answers -EINVAL too). A failing
 *   listen-port bind answers -EADDRINUSE. A change to one peer never disturbs another peer's
 *   session; changing a peer's allowed IPs, endpoint, preshared key or keepalive keeps its own
 *   session too.
 * - wg_device_snapshot() has UAPI `get` semantics; free it with wg_snapshot_free() (keys zeroed).
 * - wg_device_stats() counts what the device did with datagrams it could not trust: a flood of
 *   them shows up there, as drops and cookie replies, and changes no session.
 * - wg_device_wait() blocks until the device stops: wg_device_stop() was called (safe from any
 *   thread and from a signal handler) or the TUN link was deleted.
 * - Speed: crypto runs on a pool of workers (each peer's packets still leave and arrive in
 *   order); a TUN opened by tun_open() carries TCP super-packets and UDP leaves in GSO runs,
 *   unless no_offload is set. The data path's ChaCha20-Poly1305 is OpenSSL's where that works,
 *   else libsodium's, as logged at creation; the environment's KWG_CRYPTO=sodium|openssl forces
 *   one, and creation fails for another value (-EINVAL) or an OpenSSL that does not work
 *   (-ENOTSUP).
 * - Every call is thread-safe. Keys are never logged.
 */
#ifndef WG_WG_H
#define WG_WG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

enum { WG_KEY_LEN = 32 };

struct wg_device;

enum wg_log_level {
	WG_LOG_ERROR = 1,
	WG_LOG_INFO = 2,
	WG_LOG_DEBUG = 3,
};

/* Called from engine threads, possibly concurrently; msg has no trailing newline. */
typedef void (*wg_log_fn)(void *ctx, enum wg_log_level level, const char *msg);

struct wg_device_options {
	/* TUN interface name to create or attach; NULL = no TUN (see wg_device_packet_fd()). */
	const char *ifname;
	/* An open TUN fd to adopt (the device closes it), or -1 to open ifname. */
	int tun_fd;
	/* MTU of a TUN-less device; 0 = 1420. A TUN device reads its link's MTU. */
	unsigned int mtu;
	wg_log_fn log;
	void *log_ctx;
	enum wg_log_level log_level;
	/* Crypto worker threads; 0 = one per online CPU. */
	unsigned int workers;
	/* Do not ask the TUN for TCP super-packets nor coalesce what we write to it. */
	bool no_offload;
};

/* A UDP endpoint: sa.sa_family is AF_INET, AF_INET6, or AF_UNSPEC for "none". */
union wg_endpoint {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

struct wg_allowed_ip {
	uint16_t family; /* AF_INET or AF_INET6 */
	uint8_t cidr;    /* <= 32 or <= 128 */
	union {
		struct in_addr ip4;
		struct in6_addr ip6;
	};
};

/* One allowed-IP line of a `set`, applied in order: add (allowed_ip=) or remove (allowed_ip=-). */
struct wg_allowed_ip_change {
	struct wg_allowed_ip ip;
	bool remove;
};

enum wg_peer_config_flags {
	WG_PEER_REMOVE = 1U << 0,              /* remove=true; other fields ignored */
	WG_PEER_UPDATE_ONLY = 1U << 1,         /* update_only=true: never create the peer */
	WG_PEER_REPLACE_ALLOWED_IPS = 1U << 2, /* replace_allowed_ips=true, before the changes */
	WG_PEER_HAS_PRESHARED_KEY = 1U << 3,   /* all-zero key = no PSK */
	WG_PEER_HAS_ENDPOINT = 1U << 4,
	WG_PEER_HAS_KEEPALIVE = 1U << 5,
	/* Not in UAPI: greet the peer now (a keepalive, so a handshake without a session), as
	 * switching persistent keepalive on does, rather than wait for the first packet to it. */
	WG_PEER_HANDSHAKE_NOW = 1U << 6,
};

struct wg_peer_config {
	uint8_t public_key[WG_KEY_LEN];
	uint32_t flags; /* enum wg_peer_config_flags */
	uint8_t preshared_key[WG_KEY_LEN];
	union wg_endpoint endpoint;
	uint16_t persistent_keepalive_interval; /* seconds, 0 = off */
	const struct wg_allowed_ip_change *allowed_ips;
	size_t n_allowed_ips;
};

enum wg_config_flags {
	WG_CONFIG_HAS_PRIVATE_KEY = 1U << 0, /* all-zero key = remove the identity */
	WG_CONFIG_HAS_LISTEN_PORT = 1U << 1, /* 0 = random */
	WG_CONFIG_HAS_FWMARK = 1U << 2,      /* 0 = off */
	WG_CONFIG_REPLACE_PEERS = 1U << 3,   /* remove every peer before applying peers[] */
};

struct wg_config {
	uint32_t flags; /* enum wg_config_flags */
	uint8_t private_key[WG_KEY_LEN];
	uint16_t listen_port;
	uint32_t fwmark;
	/* Applied in order; the same public key may appear more than once. */
	const struct wg_peer_config *peers;
	size_t n_peers;
};

struct wg_peer_snapshot {
	uint8_t public_key[WG_KEY_LEN];
	uint8_t preshared_key[WG_KEY_LEN]; /* all-zero = none */
	union wg_endpoint endpoint;        /* AF_UNSPEC = none */
	struct timespec last_handshake;    /* wall clock; {0, 0} = never */
	uint64_t rx_bytes;                 /* UDP payload bytes incl. WireGuard overhead */
	uint64_t tx_bytes;
	uint16_t persistent_keepalive_interval;
	struct wg_allowed_ip *allowed_ips;
	size_t n_allowed_ips;
};

struct wg_snapshot {
	bool has_private_key;
	uint8_t private_key[WG_KEY_LEN];
	uint8_t public_key[WG_KEY_LEN];
	uint16_t listen_port; /* the bound port while up, else the configured one */
	uint32_t fwmark;
	struct wg_peer_snapshot *peers; /* in the order the peers were created */
	size_t n_peers;
};

/* Counted since the device was created. A handshake message reaches a Diffie-Hellman only with
 * a valid mac1 and, while the device is under load, a valid mac2 from a source within its rate.
 * Each datagram counts once at most; uncounted drops are those of no known type or length and
 * responses or cookie replies for no handshake of ours. */
struct wg_device_stats {
	uint64_t handshake_dh;          /* initiations and responses that cost a Diffie-Hellman */
	uint64_t handshake_queue_full;  /* dropped unread: the handshake queue was full */
	uint64_t handshake_bad_mac;     /* dropped: mac1 did not match our public key */
	uint64_t handshake_ratelimited; /* dropped under load: a proven source over its rate */
	uint64_t cookie_replies_sent;   /* under load, instead of a Diffie-Hellman */
	uint64_t cookie_replies_taken;  /* from peers under load, to be honoured on our retry */
	uint64_t data_unknown_index;    /* dropped: no session of ours has that receiver index */
	uint64_t data_unauthenticated;  /* dropped: did not open, or its session had expired */
	uint64_t data_replayed;         /* dropped: authentic, but its counter was seen before */
	bool under_load;                /* answering handshakes with cookie replies right now */
};

enum wg_stop_reason {
	WG_STOP_REQUESTED = 1,    /* wg_device_stop() */
	WG_STOP_LINK_DELETED = 2, /* the TUN link went away */
};

int wg_device_create(struct wg_device **out, const struct wg_device_options *opts);
void wg_device_destroy(struct wg_device *dev);

/* The interface name actually in use ("" for a TUN-less device). */
const char *wg_device_name(const struct wg_device *dev);

/* TUN-less devices only: the caller's end of the packet pair (one IP packet per message). */
int wg_device_packet_fd(const struct wg_device *dev);
/* TUN-less devices only; returns -ENOTSUP on a TUN device, whose link decides. */
int wg_device_set_up(struct wg_device *dev, bool up);

int wg_device_configure(struct wg_device *dev, const struct wg_config *config);
int wg_device_snapshot(struct wg_device *dev, struct wg_snapshot *snapshot);
void wg_snapshot_free(struct wg_snapshot *snapshot);
void wg_device_stats(struct wg_device *dev, struct wg_device_stats *stats);

/* Async-signal-safe. */
void wg_device_stop(struct wg_device *dev);
enum wg_stop_reason wg_device_wait(struct wg_device *dev);

#endif /* WG_WG_H */
