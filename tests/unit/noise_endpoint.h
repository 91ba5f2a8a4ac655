/* SPDX-License-Identifier: MIT */
/*
 * noise_endpoint.h - one side of a pair of in-memory WireGuard peers, for the noise tests:
 * an identity, the handshake and keypair slots toward the other side, and the engine's part
 * (peer lookup, keypair memory) done the simplest way.
 */
#ifndef KILO_TESTS_NOISE_ENDPOINT_H
#define KILO_TESTS_NOISE_ENDPOINT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "wg/noise.h"

/* One side of a pair of peers: its identity, its handshake and keypairs toward the other. */
struct endpoint {
	struct wg_noise_static_identity id;
	struct wg_noise_handshake hs;
	struct wg_noise_keypairs keypairs;
	uint32_t next_index;
};

static inline struct wg_noise_handshake *lookup(void *ctx, const uint8_t key[NOISE_PUBLIC_KEY_LEN])
{
	struct endpoint *self = ctx;

	return wg_ct_equal(key, self->hs.remote_static, NOISE_PUBLIC_KEY_LEN) ? &self->hs : NULL;
}

static inline void free_released(struct wg_noise_released *released)
{
	unsigned int i;

	for (i = 0; i < released->count; ++i)
		free(released->keypairs[i]);
	released->count = 0;
}

static inline void endpoint_destroy(struct endpoint *e)
{
	struct wg_noise_released released;

	wg_noise_keypairs_clear(&e->keypairs, &released);
	free_released(&released);
}

static inline int receive_initiation(struct endpoint *to, const struct wg_msg_initiation *msg,
                                     uint64_t now)
{
	struct wg_noise_handshake *hs = NULL;
	int ret = wg_noise_handshake_consume_initiation(msg, &to->id, lookup, to, now, &hs);

	if (!ret)
		assert_ptr_equal(hs, &to->hs);
	return ret;
}

static inline void begin_session(struct endpoint *e, uint64_t now)
{
	struct wg_noise_keypair *kp = malloc(sizeof(*kp));
	struct wg_noise_released released;

	assert_non_null(kp);
	assert_int_equal(wg_noise_handshake_begin_session(&e->hs, &e->keypairs, kp, now, &released),
	                 0);
	free_released(&released);
}

#endif
