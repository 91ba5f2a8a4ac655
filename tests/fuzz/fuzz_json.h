/* SPDX-License-Identifier: MIT */
/*
 * fuzz_json.h - for targets that check that a secret read from a document is never quoted.
 *
 * Such a check holds only for a secret that looks like key material (so no word of a message's
 * own text) and that the document holds nowhere else (a message may quote that other place).
 */
#ifndef TESTS_FUZZ_JSON_H
#define TESTS_FUZZ_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <string.h>

/* How many strings and keys of value hold text. */
static inline size_t fuzz_json_mentions(const json_t *value, const char *text)
{
	const char *key;
	json_t *member;
	size_t i, n = 0;

	if (json_is_string(value))
		return strstr(json_string_value(value), text) != NULL;
	json_array_foreach (value, i, member)
		n += fuzz_json_mentions(member, text);
	json_object_foreach ((json_t *)value, key, member)
		n += (strstr(key, text) != NULL) + fuzz_json_mentions(member, text);
	return n;
}

/*
 * Is secret, a string somewhere in document, one that no message may quote: 16 or more
 * characters of a token or base64, a digit among them, held by no other string or key?
 */
static inline bool fuzz_json_is_lone_secret(const json_t *document, const char *secret)
{
	static const char token[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                            "0123456789-._~+/=";

	return secret && strlen(secret) >= 16 && !secret[strspn(secret, token)] &&
	       strpbrk(secret, "0123456789") && fuzz_json_mentions(document, secret) == 1;
}

#endif /* TESTS_FUZZ_JSON_H */
