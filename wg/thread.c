// SPDX-License-Identifier: MIT
/* thread.c - start and name an engine thread. */

#include "wg/thread.h"

#include <stdio.h>

/* The kernel's limit (TASK_COMM_LEN), terminating zero included. */
enum { THREAD_NAME_LEN = 16 };

int wg_thread_start(pthread_t *thread, const char *name, void *(*fn)(void *), void *arg)
{
	char comm[THREAD_NAME_LEN];
	int ret = pthread_create(thread, NULL, fn, arg);

	/* The name is only for people and profilers: failing to set it fails nothing. */
	if (ret == 0) {
		snprintf(comm, sizeof(comm), "%s", name);
		pthread_setname_np(*thread, comm);
	}
	return -ret;
}
