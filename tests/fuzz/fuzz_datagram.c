// SPDX-License-Identifier: MIT
/*
 * fuzz_datagram.c - one UDP datagram of any length through what the engine runs on it before
 * and during authentication, in the engine's order (wg/handshake.c process(), wg/receive.c):
 * wg_msg_classify(); for handshake messages the cookie checker (idle and under load) and the
 * Noise consume function; for cookie replies the cookie maker; for data the AEAD open (through
 * the library KWG_CRYPTO names, or the engine's default), the replay window and the inner IP
 * header of what opened. The device around them (threads, sockets,
 * index tables) is left out: it only routes these bytes to these functions.
 *
 * The world is fixed: our identity, one peer ("them") with fixed keys, our handshake with them
 * in flight, one session with a fixed receive key, a fixed clock and source address. Every
 * input starts from copies of that state, so a crash replays.
 *
 * Promises checked: errors are the documented ones; a message whose macs the peer's cookie maker
 * wrote passes mac1 whatever its body; under load, the cookie reply to it is accepted by that
 * maker, and the next macs it writes pass mac2; data that does not open is left all zeroes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>

#include "fuzz.h"
#include "wg/cookie.h"
#include "wg/noise.h"
#include "wg/packet.h"
#include "wg/ratelimiter.h"

#define SEC UINT64_C(1000000000)
#define NOW (1000 * SEC)
#define WALL (UINT64_C(1764090000) * SEC)

enum { OUR_INDEX = 0x1000, SESSION_INDEX = 0x2000, THEIR_INDEX = 0x3000 };

struct world {
	struct wg_noise_static_identity us, them;
	struct wg_noise_handshake our_handshake; /* CREATED_INITIATION, to them */
	struct wg_noise_handshake their_handshake;
	struct wg_noise_keypair session;
	struct wg_cookie_checker checker;
	struct wg_cookie_maker our_maker;   /* has sent mac1 with our initiation */
	struct wg_cookie_maker their_maker; /* writes macs on messages to us */
	struct sockaddr_in src;
	struct wg_aead_ctx aead;
};

static struct world world;

static void fixed_identity(struct wg_noise_static_identity *id, uint8_t seed)
{
	uint8_t private_key[NOISE_PUBLIC_KEY_LEN];

	for (size_t i = 0; i < sizeof(private_key); i++)
		private_key[i] = (uint8_t)(seed + i);
	wg_noise_static_identity_init(id);
	FUZZ_CHECK(wg_noise_static_identity_set_private_key(id, private_key));
}

static void world_init(struct world *w)
{
	struct wg_msg_initiation ours;
	enum wg_aead_lib lib;

	FUZZ_CHECK(wg_crypto_init() == 0);
	FUZZ_CHECK(wg_aead_lib_choose(&lib, getenv("KWG_CRYPTO")) == 0);
	FUZZ_CHECK(wg_aead_ctx_init(&w->aead, lib) == 0);
	fixed_identity(&w->us, 1);
	fixed_identity(&w->them, 101);
	FUZZ_CHECK(
	    wg_noise_handshake_init(&w->our_handshake, &w->us, w->them.static_public, NULL) == 0);
	FUZZ_CHECK(
	    wg_noise_handshake_init(&w->their_handshake, &w->them, w->us.static_public, NULL) == 0);
	FUZZ_CHECK(
	    wg_noise_handshake_create_initiation(&ours, &w->our_handshake, OUR_INDEX, WALL) == 0);
	wg_cookie_checker_init(&w->checker, w->us.static_public);
	wg_cookie_maker_init(&w->our_maker, w->them.static_public);
	wg_cookie_maker_init(&w->their_maker, w->us.static_public);
	FUZZ_CHECK(wg_cookie_add_macs(&w->our_maker, &ours, sizeof(ours), NOW) == 0);
	memset(w->session.recv_key, 0x42, sizeof(w->session.recv_key));
	w->session.local_index = SESSION_INDEX;
	w->session.birth = NOW;
	wg_replay_init(&w->session.replay);
	w->src.sin_family = AF_INET;
	w->src.sin_port = htons(51820);
	w->src.sin_addr.s_addr = htonl(0xc0000201); /* 192.0.2.1 */
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	world_init(&world);
	return 0;
}

/* The one handshake the lookup knows: ours with them. */
static struct wg_noise_handshake *lookup(void *ctx, const uint8_t public_key[NOISE_PUBLIC_KEY_LEN])
{
	struct wg_noise_handshake *hs = ctx;

	return wg_ct_equal(public_key, hs->remote_static, NOISE_PUBLIC_KEY_LEN) ? hs : NULL;
}

static void check_noise_error(int ret)
{
	FUZZ_CHECK(ret == -EINVAL || ret == -ENOKEY || ret == -EPROTO || ret == -EBADMSG ||
	           ret == -ENOENT || ret == -ESTALE || ret == -EBUSY);
}

/* A handshake that authenticated goes on to a session, as the engine's would. */
static void begin_session(struct wg_noise_handshake *hs)
{
	struct wg_noise_keypairs keypairs = {0};
	struct wg_noise_released released = {0};
	struct wg_noise_keypair kp;

	FUZZ_CHECK(wg_noise_handshake_begin_session(hs, &keypairs, &kp, NOW, &released) == 0);
	FUZZ_CHECK(keypairs.current == &kp || keypairs.next == &kp);
	wg_noise_keypairs_clear(&keypairs, &released);
}

static void consume_initiation(const struct wg_msg_initiation *msg)
{
	struct wg_noise_handshake ours = world.our_handshake, *hs = NULL;
	struct wg_msg_response response;
	int ret;

	ret = wg_noise_handshake_consume_initiation(msg, &world.us, lookup, &ours, NOW, &hs);
	if (ret) {
		check_noise_error(ret);
		return;
	}
	FUZZ_CHECK(hs == &ours && ours.state == HANDSHAKE_CONSUMED_INITIATION);
	FUZZ_CHECK(wg_noise_handshake_create_response(&response, hs, OUR_INDEX + 1) == 0);
	begin_session(hs);
	wg_memzero(&ours, sizeof(ours));
}

static void consume_response(const struct wg_msg_response *msg)
{
	struct wg_noise_handshake ours = world.our_handshake;
	int ret;

	ret = wg_noise_handshake_consume_response(msg, &ours);
	if (ret)
		check_noise_error(ret);
	else
		begin_session(&ours);
	wg_memzero(&ours, sizeof(ours));
}

/* The cookie round trip on msg with macs written by them, as under load. */
static void cookie_round_trip(uint8_t *msg, size_t len, struct wg_ratelimiter *rl)
{
	struct wg_cookie_checker checker = world.checker;
	struct wg_cookie_maker maker = world.their_maker;
	const struct sockaddr *src = (const struct sockaddr *)&world.src;
	struct wg_msg_cookie_reply reply;
	enum wg_cookie_mac_state mac;
	uint32_t sender;

	FUZZ_CHECK(wg_cookie_add_macs(&maker, msg, len, NOW) == 0);
	FUZZ_CHECK(wg_cookie_validate(&checker, msg, len, src, false, NULL, NOW) ==
	           COOKIE_VALID_MAC_BUT_NO_COOKIE);
	mac = wg_cookie_validate(&checker, msg, len, src, true, rl, NOW);
	FUZZ_CHECK(mac == COOKIE_VALID_MAC_BUT_NO_COOKIE);
	memcpy(&sender, msg + 4, sizeof(sender));
	FUZZ_CHECK(wg_cookie_create_reply(&checker, &reply, msg, len, le32toh(sender), src, NOW) ==
	           0);
	FUZZ_CHECK(wg_cookie_consume_reply(&maker, &reply, NOW) == 0);
	FUZZ_CHECK(wg_cookie_add_macs(&maker, msg, len, NOW) == 0);
	mac = wg_cookie_validate(&checker, msg, len, src, true, rl, NOW);
	FUZZ_CHECK(mac == COOKIE_VALID_MAC_WITH_COOKIE ||
	           mac == COOKIE_VALID_MAC_WITH_COOKIE_BUT_RATELIMITED);
}

static void handshake_message(uint8_t *msg, size_t len, enum wg_msg_type type)
{
	struct wg_cookie_checker checker = world.checker;
	const struct sockaddr *src = (const struct sockaddr *)&world.src;
	struct wg_ratelimiter *rl = wg_ratelimiter_new(16);

	if (!rl)
		return;
	wg_cookie_validate(&checker, msg, len, src, false, NULL, NOW);
	wg_cookie_validate(&checker, msg, len, src, true, rl, NOW);
	/* Noise never looks at the macs, so the body is judged as it came. */
	if (type == MESSAGE_HANDSHAKE_INITIATION)
		consume_initiation((const struct wg_msg_initiation *)msg);
	else
		consume_response((const struct wg_msg_response *)msg);
	cookie_round_trip(msg, len, rl);
	wg_ratelimiter_free(rl);
}

static void cookie_reply(const struct wg_msg_cookie_reply *msg)
{
	struct wg_cookie_maker maker = world.our_maker;
	int ret = wg_cookie_consume_reply(&maker, msg, NOW);

	FUZZ_CHECK(ret == 0 || ret == -EPROTO || ret == -EBADMSG);
}

/* The receive path's data handling: open in place, replay window, then the inner header. */
static void data_message(uint8_t *msg, size_t len)
{
	struct wg_replay replay = world.session.replay;
	const struct wg_msg_data *hdr = (const struct wg_msg_data *)msg;
	uint8_t *plain = msg + MESSAGE_DATA_HEADER_LEN;
	size_t plain_len = len - MESSAGE_MINIMUM_LENGTH, ip_len;
	const uint8_t *addr;
	int ret;

	ret = wg_aead_ctx_open(&world.aead, plain, plain, len - MESSAGE_DATA_HEADER_LEN, NULL, 0,
	                       le64toh(hdr->counter), world.session.recv_key);
	wg_aead_ctx_wipe(&world.aead);
	if (ret) {
		FUZZ_CHECK(ret == -EBADMSG && wg_is_zero(plain, plain_len));
		return;
	}
	FUZZ_CHECK(wg_replay_check(&replay, le64toh(hdr->counter)));
	FUZZ_CHECK(!wg_replay_check(&replay, le64toh(hdr->counter)));
	ip_len = wg_packet_ip_len(plain, plain_len);
	FUZZ_CHECK(ip_len <= plain_len);
	if (ip_len && wg_packet_addr(plain, ip_len, true, &addr))
		FUZZ_CHECK(addr > plain && addr < plain + ip_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Writable, as data is opened and macs are written in place; exactly the datagram's
	 * bytes, so that ASan sees any read past its end. */
	uint8_t *msg = malloc(size ? size : 1);
	enum wg_msg_type type;

	if (!msg)
		return 0;
	memcpy(msg, data, size);
	type = wg_msg_classify(msg, size);
	switch (type) {
	case MESSAGE_HANDSHAKE_INITIATION:
	case MESSAGE_HANDSHAKE_RESPONSE:
		handshake_message(msg, size, type);
		break;
	case MESSAGE_HANDSHAKE_COOKIE:
		cookie_reply((const struct wg_msg_cookie_reply *)msg);
		break;
	case MESSAGE_DATA:
		data_message(msg, size);
		break;
	case MESSAGE_INVALID:
		break;
	}
	free(msg);
	return 0;
}
