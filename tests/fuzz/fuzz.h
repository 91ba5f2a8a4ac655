/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - what the libFuzzer targets in tests/fuzz share.
 *
 * A target is one LLVMFuzzerTestOneInput() over one parser of untrusted bytes. Besides "no crash,
 * no leak, no undefined behaviour" (ASan and UBSan see to that), a target checks the parser's
 * promises with FUZZ_CHECK: a broken promise aborts, so libFuzzer keeps the input as a crash.
 */
#ifndef TESTS_FUZZ_H
#define TESTS_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fuzz_fail(__FILE__, __LINE__, #cond);                                      \
	} while (0)

static inline _Noreturn void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: broken promise: %s\n", file, line, what);
	abort();
}

/* The input as a C string, cut at its first NUL as a C caller would see it. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (text) {
		memcpy(text, data, size);
		text[size] = '\0';
	}
	return text;
}

/*
 * Cuts the next '\n'-terminated line off *text (in place) and returns it, or NULL at the end.
 * Lets one input carry several fields or protocol lines.
 */
static inline char *fuzz_next_line(char **text)
{
	char *line = *text, *end;

	if (!line)
		return NULL;
	end = strchr(line, '\n');
	if (end)
		*end++ = '\0';
	*text = end;
	return line;
}

#endif /* TESTS_FUZZ_H */
