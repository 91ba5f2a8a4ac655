// SPDX-License-Identifier: MIT
/*
 * noise.c - Noise_IKpsk2 as WireGuard runs it (the whitepaper's handshake, kernel noise.c;
 * docs/wireguard.md).
 *
 * Each message is computed into local chaining key and hash copies and committed to the
 * handshake only once everything authenticated, so a bad message leaves no trace.
 */
#include "wg/noise.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "wg/timers.h"

#define NSEC_PER_SEC UINT64_C(1000000000)

static const char construction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const char identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";

void wg_noise_static_identity_init(struct wg_noise_static_identity *id)
{
	wg_memzero(id, sizeof(*id));
	wg_noise_static_identity_set_prologue(id, identifier, sizeof(identifier) - 1);
}

void wg_noise_static_identity_set_prologue(struct wg_noise_static_identity *id,
                                           const void *prologue, size_t len)
{
	uint8_t initial_chaining_key[NOISE_HASH_LEN];

	wg_hash(initial_chaining_key, construction, sizeof(construction) - 1);
	wg_hash2(id->prologue_hash, initial_chaining_key, sizeof(initial_chaining_key), prologue,
	         len);
}

bool wg_noise_static_identity_set_private_key(struct wg_noise_static_identity *id,
                                              const uint8_t private_key[NOISE_PUBLIC_KEY_LEN])
{
	uint8_t clamped[NOISE_PUBLIC_KEY_LEN];
	bool changed;

	memcpy(clamped, private_key, sizeof(clamped));
	if (!wg_is_zero(clamped, sizeof(clamped)))
		wg_clamp(clamped);
	changed = !wg_ct_equal(clamped, id->static_private, sizeof(clamped));
	if (changed) {
		memcpy(id->static_private, clamped, sizeof(clamped));
		id->has_identity =
		    !wg_is_zero(clamped, sizeof(clamped)) && !wg_pubkey(id->static_public, clamped);
		if (!id->has_identity) {
			wg_memzero(id->static_private, sizeof(id->static_private));
			wg_memzero(id->static_public, sizeof(id->static_public));
		}
	}
	wg_memzero(clamped, sizeof(clamped));
	return changed;
}

/* DH(S_i, S_r) never changes for a pair of keys, so it is paid once per key change. */
static void precompute_static_static(struct wg_noise_handshake *hs)
{
	const struct wg_noise_static_identity *id = hs->static_identity;

	if (!id->has_identity ||
	    wg_dh(hs->precomputed_static_static, id->static_private, hs->remote_static))
		wg_memzero(hs->precomputed_static_static, sizeof(hs->precomputed_static_static));
}

int wg_noise_handshake_init(struct wg_noise_handshake *hs,
                            const struct wg_noise_static_identity *id,
                            const uint8_t peer_public[NOISE_PUBLIC_KEY_LEN],
                            const uint8_t psk[NOISE_SYMMETRIC_KEY_LEN])
{
	if (wg_is_zero(peer_public, NOISE_PUBLIC_KEY_LEN))
		return -EINVAL;
	wg_memzero(hs, sizeof(*hs));
	hs->static_identity = id;
	memcpy(hs->remote_static, peer_public, NOISE_PUBLIC_KEY_LEN);
	wg_noise_handshake_set_preshared_key(hs, psk);
	precompute_static_static(hs);
	return 0;
}

void wg_noise_handshake_set_preshared_key(struct wg_noise_handshake *hs,
                                          const uint8_t psk[NOISE_SYMMETRIC_KEY_LEN])
{
	if (psk)
		memcpy(hs->preshared_key, psk, NOISE_SYMMETRIC_KEY_LEN);
	else
		wg_memzero(hs->preshared_key, NOISE_SYMMETRIC_KEY_LEN);
}

void wg_noise_handshake_clear(struct wg_noise_handshake *hs)
{
	wg_memzero(hs->ephemeral_private, sizeof(hs->ephemeral_private));
	wg_memzero(hs->remote_ephemeral, sizeof(hs->remote_ephemeral));
	wg_memzero(hs->hash, sizeof(hs->hash));
	wg_memzero(hs->chaining_key, sizeof(hs->chaining_key));
	hs->local_index = 0;
	hs->remote_index = 0;
	hs->state = HANDSHAKE_ZEROED;
}

static void expire_sending(struct wg_noise_keypair *kp)
{
	if (kp)
		atomic_store(&kp->send_counter, REJECT_AFTER_MESSAGES);
}

bool wg_noise_handshake_identity_changed(struct wg_noise_handshake *hs,
                                         struct wg_noise_keypairs *keypairs)
{
	const struct wg_noise_static_identity *id = hs->static_identity;

	precompute_static_static(hs);
	wg_noise_handshake_clear(hs);
	/* Old sessions may still receive what is in flight, but send nothing new. */
	expire_sending(keypairs->next);
	expire_sending(keypairs->current);
	return id->has_identity &&
	       wg_ct_equal(hs->remote_static, id->static_public, NOISE_PUBLIC_KEY_LEN);
}

static void symmetric_start(struct wg_noise_symmetric_state *st,
                            const uint8_t prologue_hash[NOISE_HASH_LEN],
                            const uint8_t responder_static[NOISE_PUBLIC_KEY_LEN])
{
	wg_hash(st->chaining_key, construction, sizeof(construction) - 1);
	wg_hash2(st->hash, prologue_hash, NOISE_HASH_LEN, responder_static, NOISE_PUBLIC_KEY_LEN);
}

static void symmetric_resume(struct wg_noise_symmetric_state *st,
                             const struct wg_noise_handshake *hs)
{
	memcpy(st->chaining_key, hs->chaining_key, sizeof(st->chaining_key));
	memcpy(st->hash, hs->hash, sizeof(st->hash));
}

static void symmetric_commit(struct wg_noise_handshake *hs,
                             const struct wg_noise_symmetric_state *st)
{
	memcpy(hs->chaining_key, st->chaining_key, sizeof(hs->chaining_key));
	memcpy(hs->hash, st->hash, sizeof(hs->hash));
}

static void mix_hash(struct wg_noise_symmetric_state *st, const void *src, size_t len)
{
	wg_hash2(st->hash, st->hash, sizeof(st->hash), src, len);
}

static int mix_dh(struct wg_noise_symmetric_state *st,
                  const uint8_t private_key[NOISE_PUBLIC_KEY_LEN],
                  const uint8_t public_key[NOISE_PUBLIC_KEY_LEN])
{
	uint8_t dh[NOISE_PUBLIC_KEY_LEN];
	int ret = wg_dh(dh, private_key, public_key);

	if (!ret)
		wg_kdf2(st->chaining_key, st->key, st->chaining_key, dh, sizeof(dh));
	wg_memzero(dh, sizeof(dh));
	return ret;
}

static int mix_precomputed_dh(struct wg_noise_symmetric_state *st,
                              const uint8_t precomputed[NOISE_PUBLIC_KEY_LEN])
{
	if (wg_is_zero(precomputed, NOISE_PUBLIC_KEY_LEN))
		return -EINVAL;
	wg_kdf2(st->chaining_key, st->key, st->chaining_key, precomputed, NOISE_PUBLIC_KEY_LEN);
	return 0;
}

static void mix_psk(struct wg_noise_symmetric_state *st, const uint8_t psk[NOISE_SYMMETRIC_KEY_LEN])
{
	uint8_t temp_hash[NOISE_HASH_LEN];

	wg_kdf3(st->chaining_key, temp_hash, st->key, st->chaining_key, psk,
	        NOISE_SYMMETRIC_KEY_LEN);
	mix_hash(st, temp_hash, sizeof(temp_hash));
	wg_memzero(temp_hash, sizeof(temp_hash));
}

/* The psk variant of Noise also mixes each ephemeral into the chaining key. */
static void message_ephemeral(struct wg_noise_symmetric_state *st,
                              uint8_t dst[NOISE_PUBLIC_KEY_LEN],
                              const uint8_t src[NOISE_PUBLIC_KEY_LEN])
{
	if (dst != src)
		memcpy(dst, src, NOISE_PUBLIC_KEY_LEN);
	mix_hash(st, src, NOISE_PUBLIC_KEY_LEN);
	wg_kdf1(st->chaining_key, st->chaining_key, src, NOISE_PUBLIC_KEY_LEN);
}

/* Every key is used for exactly one message, so the nonce is always 0. */
static void message_encrypt(struct wg_noise_symmetric_state *st, uint8_t *dst, const void *src,
                            size_t len)
{
	wg_aead_seal(dst, src, len, st->hash, sizeof(st->hash), 0, st->key);
	mix_hash(st, dst, noise_encrypted_len(len));
}

static int message_decrypt(struct wg_noise_symmetric_state *st, uint8_t *dst, const uint8_t *src,
                           size_t plain_len)
{
	int ret = wg_aead_open(dst, src, noise_encrypted_len(plain_len), st->hash, sizeof(st->hash),
	                       0, st->key);

	if (!ret)
		mix_hash(st, src, noise_encrypted_len(plain_len));
	return ret;
}

int wg_noise_handshake_write_initiation(uint8_t *body, struct wg_noise_handshake *hs,
                                        const uint8_t ephemeral_private[NOISE_PUBLIC_KEY_LEN],
                                        const void *payload, size_t payload_len)
{
	const struct wg_noise_static_identity *id = hs->static_identity;
	uint8_t *ephemeral = body;
	uint8_t *encrypted_static = ephemeral + NOISE_PUBLIC_KEY_LEN;
	uint8_t *encrypted_payload = encrypted_static + noise_encrypted_len(NOISE_PUBLIC_KEY_LEN);
	struct wg_noise_symmetric_state st;
	int ret = -ENOKEY;

	if (!id->has_identity)
		goto out;
	ret = wg_pubkey(ephemeral, ephemeral_private);
	if (ret)
		goto out;
	symmetric_start(&st, id->prologue_hash, hs->remote_static);
	message_ephemeral(&st, ephemeral, ephemeral);
	ret = mix_dh(&st, ephemeral_private, hs->remote_static); /* es */
	if (ret)
		goto out;
	message_encrypt(&st, encrypted_static, id->static_public, NOISE_PUBLIC_KEY_LEN);
	ret = mix_precomputed_dh(&st, hs->precomputed_static_static); /* ss */
	if (ret)
		goto out;
	message_encrypt(&st, encrypted_payload, payload, payload_len);

	symmetric_commit(hs, &st);
	memcpy(hs->ephemeral_private, ephemeral_private, NOISE_PUBLIC_KEY_LEN);
	hs->remote_index = 0;
	hs->state = HANDSHAKE_CREATED_INITIATION;
out:
	wg_memzero(&st, sizeof(st));
	return ret;
}

/* Message 1 up to its static key: what our own key can open without knowing the sender. */
static int open_initiation(struct wg_noise_initiation *in, const uint8_t *body,
                           const struct wg_noise_static_identity *id)
{
	const uint8_t *encrypted_static = body + NOISE_PUBLIC_KEY_LEN;
	int ret = -ENOKEY;

	memset(in, 0, sizeof(*in));
	if (!id->has_identity)
		return ret;
	symmetric_start(&in->st, id->prologue_hash, id->static_public);
	message_ephemeral(&in->st, in->remote_ephemeral, body);
	ret = mix_dh(&in->st, id->static_private, in->remote_ephemeral); /* es */
	if (ret)
		return ret;
	return message_decrypt(&in->st, in->remote_static, encrypted_static, NOISE_PUBLIC_KEY_LEN);
}

/* The rest of message 1, with the sender's handshake: its payload, into a copy of the state,
 * so that nothing is committed before the caller accepts it. */
static int read_initiation_payload(const struct wg_noise_handshake *hs,
                                   const struct wg_noise_initiation *in,
                                   struct wg_noise_symmetric_state *st, const uint8_t *body,
                                   size_t payload_len, uint8_t *payload)
{
	const uint8_t *encrypted_payload =
	    body + NOISE_PUBLIC_KEY_LEN + noise_encrypted_len(NOISE_PUBLIC_KEY_LEN);
	int ret;

	if (!wg_ct_equal(in->remote_static, hs->remote_static, NOISE_PUBLIC_KEY_LEN))
		return -ENOENT;
	*st = in->st;
	ret = mix_precomputed_dh(st, hs->precomputed_static_static); /* ss */
	if (ret)
		return ret;
	return message_decrypt(st, payload, encrypted_payload, payload_len);
}

static void commit_initiation(struct wg_noise_handshake *hs, const struct wg_noise_initiation *in,
                              const struct wg_noise_symmetric_state *st, uint32_t remote_index)
{
	symmetric_commit(hs, st);
	memcpy(hs->remote_ephemeral, in->remote_ephemeral, NOISE_PUBLIC_KEY_LEN);
	wg_memzero(hs->ephemeral_private, sizeof(hs->ephemeral_private));
	hs->remote_index = remote_index;
	hs->state = HANDSHAKE_CONSUMED_INITIATION;
}

int wg_noise_handshake_read_initiation(const uint8_t *body, size_t payload_len, uint8_t *payload,
                                       const struct wg_noise_static_identity *id,
                                       wg_noise_lookup_fn lookup, void *ctx,
                                       struct wg_noise_handshake **hs)
{
	struct wg_noise_symmetric_state st;
	struct wg_noise_initiation in;
	struct wg_noise_handshake *found = NULL;
	int ret = open_initiation(&in, body, id);

	if (ret)
		goto out;
	ret = -ENOENT;
	found = lookup(ctx, in.remote_static);
	if (!found)
		goto out;
	ret = read_initiation_payload(found, &in, &st, body, payload_len, payload);
	if (ret)
		goto out;
	commit_initiation(found, &in, &st, 0);
	*hs = found;
out:
	wg_memzero(&st, sizeof(st));
	wg_memzero(&in, sizeof(in));
	return ret;
}

int wg_noise_handshake_write_response(uint8_t *body, struct wg_noise_handshake *hs,
                                      const uint8_t ephemeral_private[NOISE_PUBLIC_KEY_LEN],
                                      const void *payload, size_t payload_len)
{
	uint8_t *ephemeral = body;
	uint8_t *encrypted_payload = ephemeral + NOISE_PUBLIC_KEY_LEN;
	struct wg_noise_symmetric_state st;
	int ret = -EPROTO;

	symmetric_resume(&st, hs);
	if (hs->state != HANDSHAKE_CONSUMED_INITIATION)
		goto out;
	ret = wg_pubkey(ephemeral, ephemeral_private);
	if (ret)
		goto out;
	message_ephemeral(&st, ephemeral, ephemeral);
	ret = mix_dh(&st, ephemeral_private, hs->remote_ephemeral); /* ee */
	if (ret)
		goto out;
	ret = mix_dh(&st, ephemeral_private, hs->remote_static); /* se */
	if (ret)
		goto out;
	mix_psk(&st, hs->preshared_key);
	message_encrypt(&st, encrypted_payload, payload, payload_len);

	symmetric_commit(hs, &st);
	memcpy(hs->ephemeral_private, ephemeral_private, NOISE_PUBLIC_KEY_LEN);
	hs->state = HANDSHAKE_CREATED_RESPONSE;
out:
	wg_memzero(&st, sizeof(st));
	return ret;
}

int wg_noise_handshake_read_response(const uint8_t *body, size_t payload_len, uint8_t *payload,
                                     struct wg_noise_handshake *hs)
{
	const struct wg_noise_static_identity *id = hs->static_identity;
	uint8_t remote_ephemeral[NOISE_PUBLIC_KEY_LEN];
	struct wg_noise_symmetric_state st;
	int ret = -EPROTO;

	symmetric_resume(&st, hs);
	if (hs->state != HANDSHAKE_CREATED_INITIATION)
		goto out;
	ret = -ENOKEY;
	if (!id->has_identity)
		goto out;
	message_ephemeral(&st, remote_ephemeral, body);
	ret = mix_dh(&st, hs->ephemeral_private, remote_ephemeral); /* ee */
	if (ret)
		goto out;
	ret = mix_dh(&st, id->static_private, remote_ephemeral); /* se */
	if (ret)
		goto out;
	mix_psk(&st, hs->preshared_key);
	ret = message_decrypt(&st, payload, body + NOISE_PUBLIC_KEY_LEN, payload_len);
	if (ret)
		goto out;

	symmetric_commit(hs, &st);
	memcpy(hs->remote_ephemeral, remote_ephemeral, NOISE_PUBLIC_KEY_LEN);
	hs->state = HANDSHAKE_CONSUMED_RESPONSE;
out:
	wg_memzero(&st, sizeof(st));
	wg_memzero(remote_ephemeral, sizeof(remote_ephemeral));
	return ret;
}

#define body_of(msg) ((uint8_t *)(msg) + offsetof(__typeof__(*(msg)), unencrypted_ephemeral))

int wg_noise_handshake_create_initiation(struct wg_msg_initiation *msg,
                                         struct wg_noise_handshake *hs, uint32_t local_index,
                                         uint64_t unix_ns)
{
	uint8_t ephemeral_private[NOISE_PUBLIC_KEY_LEN];
	uint8_t timestamp[NOISE_TIMESTAMP_LEN];
	int ret;

	wg_keygen(ephemeral_private);
	wg_tai64n(timestamp, unix_ns);
	ret = wg_noise_handshake_write_initiation(body_of(msg), hs, ephemeral_private, timestamp,
	                                          sizeof(timestamp));
	if (!ret) {
		msg->header.type = htole32(MESSAGE_HANDSHAKE_INITIATION);
		msg->sender_index = htole32(local_index);
		memset(&msg->macs, 0, sizeof(msg->macs));
		hs->local_index = local_index;
	}
	wg_memzero(ephemeral_private, sizeof(ephemeral_private));
	return ret;
}

/* Replay: the timestamp must be newer than any accepted before. Flood: even fresh timestamps
 * are refused faster than INITIATIONS_PER_SECOND, as each one costs us a response. */
static int check_initiation(const struct wg_noise_handshake *hs,
                            const uint8_t timestamp[NOISE_TIMESTAMP_LEN], uint64_t now)
{
	if (memcmp(timestamp, hs->latest_timestamp, NOISE_TIMESTAMP_LEN) <= 0)
		return -ESTALE;
	if (hs->has_consumed_initiation &&
	    now < hs->last_initiation_consumption + NSEC_PER_SEC / INITIATIONS_PER_SECOND)
		return -EBUSY;
	return 0;
}

int wg_noise_initiation_open(struct wg_noise_initiation *in, const struct wg_msg_initiation *msg,
                             const struct wg_noise_static_identity *id)
{
	int ret = open_initiation(in, body_of(msg), id);

	if (ret)
		wg_memzero(in, sizeof(*in));
	return ret;
}

int wg_noise_handshake_accept_initiation(struct wg_noise_handshake *hs,
                                         const struct wg_noise_initiation *in,
                                         const struct wg_msg_initiation *msg, uint64_t now)
{
	uint8_t timestamp[NOISE_TIMESTAMP_LEN];
	struct wg_noise_symmetric_state st;
	int ret;

	ret = read_initiation_payload(hs, in, &st, body_of(msg), sizeof(timestamp), timestamp);
	if (ret)
		goto out;
	ret = check_initiation(hs, timestamp, now);
	if (ret)
		goto out;
	commit_initiation(hs, in, &st, le32toh(msg->sender_index));
	memcpy(hs->latest_timestamp, timestamp, sizeof(timestamp));
	hs->last_initiation_consumption = now;
	hs->has_consumed_initiation = true;
out:
	wg_memzero(&st, sizeof(st));
	wg_memzero(timestamp, sizeof(timestamp));
	return ret;
}

int wg_noise_handshake_consume_initiation(const struct wg_msg_initiation *msg,
                                          const struct wg_noise_static_identity *id,
                                          wg_noise_lookup_fn lookup, void *ctx, uint64_t now,
                                          struct wg_noise_handshake **hs)
{
	struct wg_noise_handshake *found = NULL;
	struct wg_noise_initiation in;
	int ret = wg_noise_initiation_open(&in, msg, id);

	if (ret)
		goto out;
	ret = -ENOENT;
	found = lookup(ctx, in.remote_static);
	if (found)
		ret = wg_noise_handshake_accept_initiation(found, &in, msg, now);
	if (!ret)
		*hs = found;
out:
	wg_memzero(&in, sizeof(in));
	return ret;
}

int wg_noise_handshake_create_response(struct wg_msg_response *msg, struct wg_noise_handshake *hs,
                                       uint32_t local_index)
{
	uint8_t ephemeral_private[NOISE_PUBLIC_KEY_LEN];
	int ret;

	wg_keygen(ephemeral_private);
	ret = wg_noise_handshake_write_response(body_of(msg), hs, ephemeral_private, NULL, 0);
	if (!ret) {
		msg->header.type = htole32(MESSAGE_HANDSHAKE_RESPONSE);
		msg->sender_index = htole32(local_index);
		msg->receiver_index = htole32(hs->remote_index);
		memset(&msg->macs, 0, sizeof(msg->macs));
		hs->local_index = local_index;
	}
	wg_memzero(ephemeral_private, sizeof(ephemeral_private));
	return ret;
}

int wg_noise_handshake_consume_response(const struct wg_msg_response *msg,
                                        struct wg_noise_handshake *hs)
{
	int ret;

	if (le32toh(msg->receiver_index) != hs->local_index)
		return -EPROTO;
	ret = wg_noise_handshake_read_response(body_of(msg), 0, NULL, hs);
	if (!ret)
		hs->remote_index = le32toh(msg->sender_index);
	return ret;
}

static void release(struct wg_noise_released *released, struct wg_noise_keypair *kp)
{
	if (kp)
		released->keypairs[released->count++] = kp;
}

/* An initiator's new keypair is confirmed by the response, so it becomes current at once; a
 * responder's waits in next until the initiator uses it (kernel add_new_keypair). */
static void add_new_keypair(struct wg_noise_keypairs *keypairs, struct wg_noise_keypair *kp,
                            struct wg_noise_released *released)
{
	if (kp->i_am_initiator) {
		if (keypairs->next) {
			/* The unconfirmed next keypair may still carry packets in flight. */
			release(released, keypairs->current);
			keypairs->current = keypairs->next;
			keypairs->next = NULL;
		}
		release(released, keypairs->previous);
		keypairs->previous = keypairs->current;
		keypairs->current = kp;
	} else {
		release(released, keypairs->next);
		release(released, keypairs->previous);
		keypairs->next = kp;
		keypairs->previous = NULL;
	}
}

int wg_noise_handshake_begin_session(struct wg_noise_handshake *hs,
                                     struct wg_noise_keypairs *keypairs,
                                     struct wg_noise_keypair *kp, uint64_t now,
                                     struct wg_noise_released *released)
{
	released->count = 0;
	if (hs->state != HANDSHAKE_CREATED_RESPONSE && hs->state != HANDSHAKE_CONSUMED_RESPONSE)
		return -EPROTO;
	wg_memzero(kp, sizeof(*kp));
	kp->i_am_initiator = hs->state == HANDSHAKE_CONSUMED_RESPONSE;
	/* Noise Split(): the initiator sends with the first key. */
	if (kp->i_am_initiator)
		wg_kdf2(kp->send_key, kp->recv_key, hs->chaining_key, NULL, 0);
	else
		wg_kdf2(kp->recv_key, kp->send_key, hs->chaining_key, NULL, 0);
	atomic_init(&kp->send_counter, 0);
	wg_replay_init(&kp->replay);
	kp->birth = now;
	kp->local_index = hs->local_index;
	kp->remote_index = hs->remote_index;
	wg_noise_handshake_clear(hs);
	add_new_keypair(keypairs, kp, released);
	return 0;
}

unsigned int wg_noise_keypair_take_nonces(struct wg_noise_keypair *kp, uint64_t now,
                                          unsigned int count, uint64_t *first)
{
	uint64_t counter;

	if (!count || wg_noise_keypair_is_expired(kp, now))
		return 0;
	counter = atomic_fetch_add(&kp->send_counter, count);
	if (counter >= REJECT_AFTER_MESSAGES || REJECT_AFTER_MESSAGES - counter < count) {
		/* Pin it so that concurrent senders can never wrap it around to reuse a nonce. */
		atomic_store(&kp->send_counter, REJECT_AFTER_MESSAGES);
		if (counter >= REJECT_AFTER_MESSAGES)
			return 0;
		count = (unsigned int)(REJECT_AFTER_MESSAGES - counter);
	}
	*first = counter;
	return count;
}

int wg_noise_keypair_next_nonce(struct wg_noise_keypair *kp, uint64_t now, uint64_t *nonce)
{
	return wg_noise_keypair_take_nonces(kp, now, 1, nonce) ? 0 : -EKEYEXPIRED;
}

bool wg_noise_keypair_is_expired(const struct wg_noise_keypair *kp, uint64_t now)
{
	return wg_timers_key_expired(kp->birth, now);
}

bool wg_noise_keypair_should_rekey_sending(const struct wg_noise_keypair *kp, uint64_t now)
{
	return wg_timers_rekey_on_send(atomic_load(&kp->send_counter), kp->i_am_initiator,
	                               kp->birth, now);
}

bool wg_noise_keypair_sending_stopped(struct wg_noise_keypair *kp)
{
	return atomic_load(&kp->send_counter) >= REJECT_AFTER_MESSAGES;
}

bool wg_noise_keypairs_received_with(struct wg_noise_keypairs *keypairs,
                                     struct wg_noise_keypair *kp,
                                     struct wg_noise_released *released)
{
	released->count = 0;
	if (!kp || kp != keypairs->next)
		return false;
	release(released, keypairs->previous);
	keypairs->previous = keypairs->current;
	keypairs->current = keypairs->next;
	keypairs->next = NULL;
	return true;
}

void wg_noise_keypairs_clear(struct wg_noise_keypairs *keypairs, struct wg_noise_released *released)
{
	released->count = 0;
	release(released, keypairs->next);
	release(released, keypairs->current);
	release(released, keypairs->previous);
	keypairs->next = keypairs->current = keypairs->previous = NULL;
}
