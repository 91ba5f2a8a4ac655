/* SPDX-License-Identifier: MIT */
/*
 * thread.h - the engine's threads, named for what they do.
 *
 * wg_thread_start() is pthread_create() that also names the thread ("wg-rx", "wg-crypt/0"; cut
 * to the kernel's 15 characters), so that top -H, ps -T and perf tell the engine's threads apart.
 * Returns 0 or -errno.
 */
#ifndef WG_THREAD_H
#define WG_THREAD_H

#include <pthread.h>

int wg_thread_start(pthread_t *thread, const char *name, void *(*fn)(void *), void *arg);

#endif /* WG_THREAD_H */
