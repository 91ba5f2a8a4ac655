// SPDX-License-Identifier: MIT
#include "mesh/model/key.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

int mesh_key_decode(const char *text, uint8_t key[MESH_KEY_LEN])
{
	uint8_t bin[MESH_KEY_LEN + 1];
	size_t len = strlen(text), bin_len = 0;
	const char *end = NULL;
	int ret = -EINVAL;

	if (!sodium_base642bin(bin, sizeof(bin), text, len, NULL, &bin_len, &end,
	                       sodium_base64_VARIANT_ORIGINAL) &&
	    end == text + len && bin_len == MESH_KEY_LEN) {
		memcpy(key, bin, MESH_KEY_LEN);
		ret = 0;
	}
	sodium_memzero(bin, sizeof(bin));
	return ret;
}

char *mesh_key_encode(const uint8_t key[MESH_KEY_LEN], char text[MESH_KEY_B64_SIZE])
{
	return sodium_bin2base64(text, MESH_KEY_B64_SIZE, key, MESH_KEY_LEN,
	                         sodium_base64_VARIANT_ORIGINAL);
}
