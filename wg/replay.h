/* SPDX-License-Identifier: MIT */
/*
 * replay.h - replay protection for transport data: the kernel's sliding window
 * (RFC 6479 style) over the 64-bit receive counter of one keypair.
 *
 * Contract: wg_replay_check() accepts a counter at most once, and only while
 * it is below REJECT_AFTER_MESSAGES and no more than COUNTER_WINDOW_SIZE (8128)
 * below the highest counter accepted so far; an accepted counter is recorded.
 * Call it only after the packet authenticated, or a forger could burn
 * counters. Pure and not thread-safe: the receive path serialises per keypair.
 */
#ifndef WG_REPLAY_H
#define WG_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "wg/messages.h"

struct wg_replay {
	/* One past the highest counter accepted, so that 0 is a valid first counter. */
	uint64_t counter;
	uint64_t backtrack[COUNTER_BITS_TOTAL / 64];
};

void wg_replay_init(struct wg_replay *r);
bool wg_replay_check(struct wg_replay *r, uint64_t counter);

#endif
