/* SPDX-License-Identifier: MIT */
/*
 * resident_pages.h - how much of a batch's packet memory is in RAM (mincore), for the tests of
 * an idle ring giving its pages back. Each test program includes it once (static inline).
 */
#ifndef KILO_TESTS_RESIDENT_PAGES_H
#define KILO_TESTS_RESIDENT_PAGES_H

#include <sys/mman.h>
#include <unistd.h>

#include "wg/queue.h"

static inline size_t batch_resident_pages(const struct wg_batch *batch)
{
	static unsigned char vec[(size_t)WG_PACKET_SLOT * WG_BATCH_SIZE / 4096 + 1];
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const size_t pages = ((size_t)WG_PACKET_SLOT * WG_BATCH_SIZE + page - 1) / page;
	size_t i, resident = 0;

	assert_true(pages <= sizeof(vec));
	assert_int_equal(mincore(batch->memory, pages * page, vec), 0);
	for (i = 0; i < pages; i++)
		resident += vec[i] & 1;
	return resident;
}

static inline size_t ring_resident_pages(const struct wg_ring *ring)
{
	size_t resident = 0;
	unsigned int i;

	for (i = 0; i < WG_RING_SIZE; i++)
		resident += batch_resident_pages(ring->batches[i]);
	return resident;
}

#endif /* KILO_TESTS_RESIDENT_PAGES_H */
