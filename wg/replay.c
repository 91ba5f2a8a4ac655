// SPDX-License-Identifier: MIT
/*
 * replay.c - the receive window keeps COUNTER_BITS_TOTAL bits in a ring of 64-bit words.
 * Advancing clears whole words rather than shifting bits, so the ring always
 * holds one partly stale word: hence a usable window of COUNTER_WINDOW_SIZE =
 * COUNTER_BITS_TOTAL - 64 counters (the kernel's receive.c:counter_validate).
 */
#include "wg/replay.h"

#include <string.h>

enum {
	WORD_BITS = 64,
	WORD_SHIFT = 6,
	RING_WORDS = COUNTER_BITS_TOTAL / WORD_BITS,
};

_Static_assert((RING_WORDS & (RING_WORDS - 1)) == 0, "the ring index is masked");

void wg_replay_init(struct wg_replay *r)
{
	memset(r, 0, sizeof(*r));
}

/* Moves the top of the window to counter, clearing the words it passes over. */
static void advance(struct wg_replay *r, uint64_t counter)
{
	uint64_t index = counter >> WORD_SHIFT;
	uint64_t current = r->counter >> WORD_SHIFT;
	uint64_t top = index - current;

	if (top > RING_WORDS)
		top = RING_WORDS;
	for (uint64_t i = 1; i <= top; i++)
		r->backtrack[(current + i) & (RING_WORDS - 1)] = 0;
	r->counter = counter;
}

bool wg_replay_check(struct wg_replay *r, uint64_t counter)
{
	uint64_t *word, bit;

	if (r->counter > REJECT_AFTER_MESSAGES || counter >= REJECT_AFTER_MESSAGES)
		return false;
	/* Shifted by one so that the zeroed state does not claim counter 0. */
	counter++;
	if (counter + COUNTER_WINDOW_SIZE < r->counter)
		return false;
	if (counter > r->counter)
		advance(r, counter);
	word = &r->backtrack[(counter >> WORD_SHIFT) & (RING_WORDS - 1)];
	bit = UINT64_C(1) << (counter & (WORD_BITS - 1));
	if (*word & bit)
		return false;
	*word |= bit;
	return true;
}
