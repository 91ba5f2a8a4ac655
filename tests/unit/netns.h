/* SPDX-License-Identifier: MIT */
/*
 * A network namespace of the test process's own, for tests that talk to the kernel: links
 * made there (veth pairs named with the "an" prefix) and whatever iptables or routes the test
 * writes vanish with the process and never meet another test's. Needs root (as CI has).
 */
#ifndef TESTS_NETNS_H
#define TESTS_NETNS_H

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Enter the namespace, then run the shell commands (may be NULL) in it. 0 or -1. */
static inline int netns_enter(const char *commands)
{
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "unshare(CLONE_NEWNET): %s (these tests need root)\n",
		        strerror(errno));
		return -1;
	}
	if (commands && system(commands) != 0) {
		fprintf(stderr, "setting up the test namespace failed: %s\n", commands);
		return -1;
	}
	return 0;
}

#endif /* TESTS_NETNS_H */
