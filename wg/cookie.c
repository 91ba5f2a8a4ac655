// SPDX-License-Identifier: MIT
/*
 * cookie.c - mac1, mac2 and cookie replies (the whitepaper's cookie section, kernel cookie.c;
 * docs/wireguard.md).
 */
#include "wg/cookie.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "wg/ratelimiter.h"

#define NSEC_PER_SEC UINT64_C(1000000000)

static const char mac1_label[] = "mac1----";
static const char cookie_label[] = "cookie--";

/* The longest source a cookie binds: an IPv6 address and a port. */
enum { SOURCE_MAX_LEN = sizeof(struct in6_addr) + sizeof(in_port_t) };

static void precompute_key(uint8_t key[NOISE_SYMMETRIC_KEY_LEN],
                           const uint8_t public_key[NOISE_PUBLIC_KEY_LEN], const char *label)
{
	wg_hash2(key, label, strlen(label), public_key, NOISE_PUBLIC_KEY_LEN);
}

static bool has_expired(uint64_t birth, uint64_t seconds, uint64_t now)
{
	return now >= birth + seconds * NSEC_PER_SEC;
}

void wg_cookie_checker_init(struct wg_cookie_checker *checker,
                            const uint8_t own_public[NOISE_PUBLIC_KEY_LEN])
{
	wg_memzero(checker, sizeof(*checker));
	if (!own_public)
		return;
	precompute_key(checker->cookie_encryption_key, own_public, cookie_label);
	precompute_key(checker->message_mac1_key, own_public, mac1_label);
}

void wg_cookie_maker_init(struct wg_cookie_maker *maker,
                          const uint8_t peer_public[NOISE_PUBLIC_KEY_LEN])
{
	wg_memzero(maker, sizeof(*maker));
	precompute_key(maker->cookie_decryption_key, peer_public, cookie_label);
	precompute_key(maker->message_mac1_key, peer_public, mac1_label);
}

/* IP address bytes then the port in network order, as the kernel feeds its cookie MAC. */
static int source_bytes(uint8_t out[SOURCE_MAX_LEN], size_t *len, const struct sockaddr *src)
{
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)src;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)src;

	if (!src)
		return -EINVAL;
	switch (src->sa_family) {
	case AF_INET:
		memcpy(out, &in4->sin_addr, sizeof(in4->sin_addr));
		memcpy(out + sizeof(in4->sin_addr), &in4->sin_port, sizeof(in4->sin_port));
		*len = sizeof(in4->sin_addr) + sizeof(in4->sin_port);
		return 0;
	case AF_INET6:
		memcpy(out, &in6->sin6_addr, sizeof(in6->sin6_addr));
		memcpy(out + sizeof(in6->sin6_addr), &in6->sin6_port, sizeof(in6->sin6_port));
		*len = sizeof(in6->sin6_addr) + sizeof(in6->sin6_port);
		return 0;
	default:
		return -EINVAL;
	}
}

/* cookie = MAC(secret, source); the secret is renewed every COOKIE_SECRET_MAX_AGE so a cookie
 * can never be used for long after the source stopped owning its address. */
static int make_cookie(uint8_t cookie[COOKIE_LEN], struct wg_cookie_checker *checker,
                       const struct sockaddr *src, uint64_t now)
{
	uint8_t source[SOURCE_MAX_LEN];
	size_t len;
	int ret = source_bytes(source, &len, src);

	if (ret)
		return ret;
	if (!checker->has_secret ||
	    has_expired(checker->secret_birth, COOKIE_SECRET_MAX_AGE, now)) {
		wg_random(checker->secret, sizeof(checker->secret));
		checker->secret_birth = now;
		checker->has_secret = true;
	}
	return wg_mac(cookie, checker->secret, sizeof(checker->secret), source, len);
}

/* mac1 covers the message up to mac1, mac2 the message up to mac2. */
static bool has_macs(size_t len)
{
	return len > sizeof(struct wg_msg_macs);
}

static size_t mac1_offset(size_t len)
{
	return len - sizeof(struct wg_msg_macs);
}

static size_t mac2_offset(size_t len)
{
	return mac1_offset(len) + COOKIE_LEN;
}

static bool mac_matches(const uint8_t *msg, size_t covered, const void *key, size_t key_len)
{
	uint8_t computed[COOKIE_LEN];
	bool ok = !wg_mac(computed, key, key_len, msg, covered) &&
	          wg_ct_equal(computed, msg + covered, COOKIE_LEN);

	wg_memzero(computed, sizeof(computed));
	return ok;
}

enum wg_cookie_mac_state wg_cookie_validate(struct wg_cookie_checker *checker, const void *msg,
                                            size_t len, const struct sockaddr *src,
                                            bool check_cookie, struct wg_ratelimiter *rl,
                                            uint64_t now)
{
	enum wg_cookie_mac_state state = COOKIE_INVALID_MAC;
	uint8_t cookie[COOKIE_LEN];

	if (!has_macs(len) || !mac_matches(msg, mac1_offset(len), checker->message_mac1_key,
	                                   sizeof(checker->message_mac1_key)))
		goto out;
	state = COOKIE_VALID_MAC_BUT_NO_COOKIE;
	if (!check_cookie || make_cookie(cookie, checker, src, now) ||
	    !mac_matches(msg, mac2_offset(len), cookie, sizeof(cookie)))
		goto out;
	/* Only a source that proved its address spends tokens, so spoofers cannot drain them. */
	state = COOKIE_VALID_MAC_WITH_COOKIE_BUT_RATELIMITED;
	if (rl && !wg_ratelimiter_allow(rl, src, now))
		goto out;
	state = COOKIE_VALID_MAC_WITH_COOKIE;
out:
	wg_memzero(cookie, sizeof(cookie));
	return state;
}

int wg_cookie_add_macs(struct wg_cookie_maker *maker, void *msg, size_t len, uint64_t now)
{
	uint8_t *bytes = msg;
	uint8_t *mac1, *mac2;
	int ret;

	if (!has_macs(len))
		return -EINVAL;
	mac1 = bytes + mac1_offset(len);
	mac2 = bytes + mac2_offset(len);
	ret = wg_mac(mac1, maker->message_mac1_key, sizeof(maker->message_mac1_key), bytes,
	             mac1_offset(len));
	if (ret)
		return ret;
	memcpy(maker->last_mac1_sent, mac1, COOKIE_LEN);
	maker->have_sent_mac1 = true;
	/* Stop a little before the responder's secret rotates, so mac2 never arrives stale. */
	if (maker->is_valid &&
	    !has_expired(maker->cookie_birth, COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY, now))
		return wg_mac(mac2, maker->cookie, sizeof(maker->cookie), bytes, mac2_offset(len));
	memset(mac2, 0, COOKIE_LEN);
	return 0;
}

int wg_cookie_create_reply(struct wg_cookie_checker *checker, struct wg_msg_cookie_reply *reply,
                           const void *msg, size_t len, uint32_t index, const struct sockaddr *src,
                           uint64_t now)
{
	const uint8_t *mac1;
	uint8_t cookie[COOKIE_LEN];
	int ret = -EINVAL;

	if (!has_macs(len))
		goto out;
	mac1 = (const uint8_t *)msg + mac1_offset(len);
	ret = make_cookie(cookie, checker, src, now);
	if (ret)
		goto out;
	reply->header.type = htole32(MESSAGE_HANDSHAKE_COOKIE);
	reply->receiver_index = htole32(index);
	wg_random(reply->nonce, sizeof(reply->nonce));
	/* Bound to the mac1 answered, so only the sender of that message can use the reply. */
	wg_xaead_seal(reply->encrypted_cookie, cookie, sizeof(cookie), mac1, COOKIE_LEN,
	              reply->nonce, checker->cookie_encryption_key);
out:
	wg_memzero(cookie, sizeof(cookie));
	return ret;
}

int wg_cookie_consume_reply(struct wg_cookie_maker *maker, const struct wg_msg_cookie_reply *reply,
                            uint64_t now)
{
	uint8_t cookie[COOKIE_LEN];
	int ret = -EPROTO;

	if (!maker->have_sent_mac1)
		goto out;
	ret = wg_xaead_open(cookie, reply->encrypted_cookie, sizeof(reply->encrypted_cookie),
	                    maker->last_mac1_sent, COOKIE_LEN, reply->nonce,
	                    maker->cookie_decryption_key);
	if (ret)
		goto out;
	memcpy(maker->cookie, cookie, sizeof(cookie));
	maker->cookie_birth = now;
	maker->is_valid = true;
	maker->have_sent_mac1 = false;
out:
	wg_memzero(cookie, sizeof(cookie));
	return ret;
}
