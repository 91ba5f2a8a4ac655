// SPDX-License-Identifier: MIT
/*
 * test_noise_vectors.c - whole handshakes against known answers: the Cacophony
 * Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s vector through the payload layer, and a WireGuard
 * transcript computed by an independent implementation through the WireGuard messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dlfcn.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "noise_endpoint.h"
#include "vectors.h"
#include "wg/cookie.h"
#include "wg/noise.h"

#define SEC UINT64_C(1000000000)

/* While set, libsodium's random source yields these bytes instead: the WireGuard transcript
 * lists the ephemerals and cookie values the code under test draws, in order. */
static const uint8_t *scripted_random;
static size_t scripted_random_len;

void randombytes_buf(void *buf, size_t size);
void randombytes_buf(void *buf, size_t size)
{
	static void (*real)(void *, size_t);

	if (scripted_random) {
		assert_true(size <= scripted_random_len);
		memcpy(buf, scripted_random, size);
		scripted_random += size;
		scripted_random_len -= size;
		if (!scripted_random_len)
			scripted_random = NULL;
		return;
	}
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "randombytes_buf");
	real(buf, size);
}

static void script_random(const uint8_t *bytes, size_t len)
{
	scripted_random = bytes;
	scripted_random_len = len;
}

/* Messages 1 and 2 of the vector through the payload layer, checked byte for byte. */
static void cacophony_handshake(struct endpoint *i, struct endpoint *r, struct vector_file *vf,
                                struct vector_record *rec, const struct vector_record *keys)
{
	uint8_t body[256], payload[64];
	struct wg_noise_handshake *found = NULL;
	size_t len, ct_len;
	const uint8_t *pt, *ct;

	assert_true(vector_next(vf, rec));
	pt = vector_get(rec, "payload", &len);
	ct = vector_get(rec, "ciphertext", &ct_len);
	assert_int_equal(ct_len, wg_noise_initiation_body_len(len));
	assert_int_equal(wg_noise_handshake_write_initiation(
	                     body, &i->hs, vector_get(keys, "init_ephemeral", NULL), pt, len),
	                 0);
	assert_memory_equal(body, ct, ct_len);
	assert_int_equal(
	    wg_noise_handshake_read_initiation(ct, len, payload, &r->id, lookup, r, &found), 0);
	assert_ptr_equal(found, &r->hs);
	assert_memory_equal(payload, pt, len);

	assert_true(vector_next(vf, rec));
	pt = vector_get(rec, "payload", &len);
	ct = vector_get(rec, "ciphertext", &ct_len);
	assert_int_equal(ct_len, wg_noise_response_body_len(len));
	assert_int_equal(wg_noise_handshake_write_response(
	                     body, &r->hs, vector_get(keys, "resp_ephemeral", NULL), pt, len),
	                 0);
	assert_memory_equal(body, ct, ct_len);
	assert_int_equal(wg_noise_handshake_read_response(ct, len, payload, &i->hs), 0);
	assert_memory_equal(payload, pt, len);
}

/* Messages 3-6 alternate direction; each direction counts its own nonces from 0. */
static void cacophony_transport(struct endpoint *i, struct endpoint *r, struct vector_file *vf,
                                struct vector_record *rec)
{
	uint8_t sealed[128], opened[128];
	unsigned int n;
	size_t len;

	for (n = 0; n < 4; ++n) {
		struct wg_noise_keypair *tx = n % 2 ? r->keypairs.next : i->keypairs.current;
		struct wg_noise_keypair *rx = n % 2 ? i->keypairs.current : r->keypairs.next;
		const uint8_t *pt, *ct;

		assert_true(vector_next(vf, rec));
		pt = vector_get(rec, "payload", &len);
		ct = vector_get_exact(rec, "ciphertext", noise_encrypted_len(len));
		wg_aead_seal(sealed, pt, len, NULL, 0, n / 2, tx->send_key);
		assert_memory_equal(sealed, ct, noise_encrypted_len(len));
		assert_int_equal(wg_aead_open(opened, ct, noise_encrypted_len(len), NULL, 0, n / 2,
		                              rx->recv_key),
		                 0);
		assert_memory_equal(opened, pt, len);
	}
}

static void test_cacophony_ikpsk2_vector_is_reproduced_byte_for_byte(void **state)
{
	struct vector_record keys = {0}, rec = {0};
	struct endpoint i = {0}, r = {0};
	struct vector_file vf;
	size_t prologue_len;
	const uint8_t *prologue;

	(void)state;
	vector_open(&vf, "noise_ikpsk2_cacophony.txt");
	assert_true(vector_next(&vf, &keys));
	prologue = vector_get(&keys, "prologue", &prologue_len);
	wg_noise_static_identity_init(&i.id);
	wg_noise_static_identity_init(&r.id);
	wg_noise_static_identity_set_prologue(&i.id, prologue, prologue_len);
	wg_noise_static_identity_set_prologue(&r.id, prologue, prologue_len);
	wg_noise_static_identity_set_private_key(&i.id, vector_get_exact(&keys, "init_static", 32));
	wg_noise_static_identity_set_private_key(&r.id, vector_get_exact(&keys, "resp_static", 32));
	assert_memory_equal(r.id.static_public, vector_get_exact(&keys, "resp_public", 32), 32);
	assert_int_equal(wg_noise_handshake_init(&i.hs, &i.id, r.id.static_public,
	                                         vector_get_exact(&keys, "psk", 32)),
	                 0);
	assert_int_equal(wg_noise_handshake_init(&r.hs, &r.id, i.id.static_public,
	                                         vector_get(&keys, "psk", NULL)),
	                 0);

	cacophony_handshake(&i, &r, &vf, &rec, &keys);
	assert_memory_equal(i.hs.hash, vector_get_exact(&keys, "handshake_hash", 32), 32);
	assert_memory_equal(r.hs.hash, i.hs.hash, 32);
	begin_session(&r, SEC);
	begin_session(&i, SEC);
	cacophony_transport(&i, &r, &vf, &rec);
	assert_false(vector_next(&vf, &rec));

	vector_record_free(&keys);
	vector_close(&vf);
	endpoint_destroy(&i);
	endpoint_destroy(&r);
}

static uint32_t le32_value(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Both sides of the transcript, keyed as the vector says. */
static void transcript_endpoints(const struct vector_record *rec, struct endpoint *i,
                                 struct endpoint *r)
{
	const uint8_t *psk = vector_get_exact(rec, "psk", NOISE_SYMMETRIC_KEY_LEN);

	memset(i, 0, sizeof(*i));
	memset(r, 0, sizeof(*r));
	wg_noise_static_identity_init(&i->id);
	wg_noise_static_identity_init(&r->id);
	wg_noise_static_identity_set_private_key(&i->id,
	                                         vector_get_exact(rec, "initiator_private", 32));
	wg_noise_static_identity_set_private_key(&r->id,
	                                         vector_get_exact(rec, "responder_private", 32));
	assert_int_equal(wg_noise_handshake_init(&i->hs, &i->id, r->id.static_public, psk), 0);
	assert_int_equal(wg_noise_handshake_init(&r->hs, &r->id, i->id.static_public, psk), 0);
}

/* The initiator's first two packets of the session: a keepalive, then "hello" padded to 16. */
static void check_transport(const struct vector_record *rec, struct wg_noise_keypair *kp)
{
	uint8_t packet[MESSAGE_DATA_HEADER_LEN + 16 + NOISE_AUTHTAG_LEN] = {0};
	struct wg_msg_data *data = (struct wg_msg_data *)packet;
	uint8_t plain[16] = {0};
	size_t hello_len;
	const uint8_t *hello = vector_get(rec, "data_plaintext", &hello_len);
	uint64_t nonce;

	assert_memory_equal(kp->send_key, vector_get_exact(rec, "initiator_send_key", 32), 32);
	assert_memory_equal(kp->recv_key, vector_get_exact(rec, "initiator_receive_key", 32), 32);
	assert_int_equal(wg_noise_keypair_next_nonce(kp, SEC, &nonce), 0);
	data->header.type = htole32(MESSAGE_DATA);
	data->receiver_index = htole32(kp->remote_index);
	data->counter = htole64(nonce);
	wg_aead_seal(data->encrypted_data, NULL, 0, NULL, 0, nonce, kp->send_key);
	assert_memory_equal(packet, vector_get_exact(rec, "keepalive", MESSAGE_MINIMUM_LENGTH),
	                    MESSAGE_MINIMUM_LENGTH);
	assert_int_equal(wg_noise_keypair_next_nonce(kp, SEC, &nonce), 0);
	data->counter = htole64(nonce);
	assert_true(hello_len <= sizeof(plain));
	memcpy(plain, hello, hello_len);
	wg_aead_seal(data->encrypted_data, plain, sizeof(plain), NULL, 0, nonce, kp->send_key);
	assert_memory_equal(packet, vector_get_exact(rec, "data", sizeof(packet)), sizeof(packet));
}

static void check_wireguard_handshake(const struct vector_record *rec)
{
	struct wg_cookie_maker initiator_maker, responder_maker;
	struct wg_msg_initiation init;
	struct wg_msg_response resp;
	struct endpoint i, r;

	transcript_endpoints(rec, &i, &r);
	wg_cookie_maker_init(&initiator_maker, r.id.static_public);
	wg_cookie_maker_init(&responder_maker, i.id.static_public);

	script_random(vector_get_exact(rec, "initiator_ephemeral", 32), 32);
	assert_int_equal(wg_noise_handshake_create_initiation(
	                     &init, &i.hs, le32_value(vector_get(rec, "initiator_index", NULL)),
	                     vector_be64(vector_get_exact(rec, "unix_ns", 8))),
	                 0);
	assert_int_equal(wg_cookie_add_macs(&initiator_maker, &init, sizeof(init), SEC), 0);
	assert_memory_equal(&init, vector_get_exact(rec, "initiation", sizeof(init)), sizeof(init));

	assert_int_equal(receive_initiation(&r, &init, SEC), 0);
	script_random(vector_get_exact(rec, "responder_ephemeral", 32), 32);
	assert_int_equal(wg_noise_handshake_create_response(
	                     &resp, &r.hs, le32_value(vector_get(rec, "responder_index", NULL))),
	                 0);
	assert_int_equal(wg_cookie_add_macs(&responder_maker, &resp, sizeof(resp), SEC), 0);
	assert_memory_equal(&resp, vector_get_exact(rec, "response", sizeof(resp)), sizeof(resp));

	assert_int_equal(wg_noise_handshake_consume_response(&resp, &i.hs), 0);
	begin_session(&r, SEC);
	begin_session(&i, SEC);
	check_transport(rec, i.keypairs.current);
	endpoint_destroy(&i);
	endpoint_destroy(&r);
}

static void test_wireguard_handshake_matches_independent_transcript(void **state)
{
	(void)state;
	assert_int_equal(vector_for_each("wireguard_handshake.txt", check_wireguard_handshake), 1);
}

/* The responder under load answers the transcript's initiation with a cookie reply; the
 * initiator takes it and sends the initiation again with mac2. */
static void check_wireguard_cookie(const struct vector_record *rec)
{
	struct sockaddr_in src = {.sin_family = AF_INET};
	const uint8_t *src_bytes = vector_get_exact(rec, "src", 6);
	const uint8_t *init = vector_get_exact(rec, "initiation", MESSAGE_INITIATION_LEN);
	uint8_t random[32 + COOKIE_NONCE_LEN], again[MESSAGE_INITIATION_LEN];
	struct wg_cookie_checker checker;
	struct wg_cookie_maker maker;
	struct wg_msg_cookie_reply reply;
	struct endpoint i, r;

	transcript_endpoints(rec, &i, &r);
	memcpy(&src.sin_addr, src_bytes, 4);
	memcpy(&src.sin_port, src_bytes + 4, 2);
	wg_cookie_checker_init(&checker, r.id.static_public);
	wg_cookie_maker_init(&maker, r.id.static_public);
	memcpy(again, init, sizeof(again));
	assert_int_equal(wg_cookie_add_macs(&maker, again, sizeof(again), SEC), 0);

	memcpy(random, vector_get_exact(rec, "cookie_secret", 32), 32);
	memcpy(random + 32, vector_get_exact(rec, "cookie_nonce", COOKIE_NONCE_LEN),
	       COOKIE_NONCE_LEN);
	script_random(random, sizeof(random));
	assert_int_equal(
	    wg_cookie_create_reply(&checker, &reply, init, MESSAGE_INITIATION_LEN,
	                           le32_value(vector_get(rec, "initiator_index", NULL)),
	                           (const struct sockaddr *)&src, SEC),
	    0);
	assert_null(scripted_random);
	assert_memory_equal(&reply, vector_get_exact(rec, "cookie_reply", sizeof(reply)),
	                    sizeof(reply));

	assert_int_equal(wg_cookie_consume_reply(&maker, &reply, SEC), 0);
	assert_int_equal(wg_cookie_add_macs(&maker, again, sizeof(again), SEC), 0);
	assert_memory_equal(again, vector_get(rec, "initiation_with_mac2", NULL), sizeof(again));
	assert_int_equal(wg_cookie_validate(&checker, again, sizeof(again),
	                                    (const struct sockaddr *)&src, true, NULL, SEC),
	                 COOKIE_VALID_MAC_WITH_COOKIE);
}

static void test_wireguard_cookie_reply_matches_independent_transcript(void **state)
{
	(void)state;
	assert_int_equal(vector_for_each("wireguard_handshake.txt", check_wireguard_cookie), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cacophony_ikpsk2_vector_is_reproduced_byte_for_byte),
	    cmocka_unit_test(test_wireguard_handshake_matches_independent_transcript),
	    cmocka_unit_test(test_wireguard_cookie_reply_matches_independent_transcript),
	};

	if (wg_crypto_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
