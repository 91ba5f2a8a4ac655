/* SPDX-License-Identifier: MIT */
/*
 * The node's WireGuard identity on disk, where Kilo keeps it:
 * /var/lib/kilo/key holds the base64 private key (no newline, as Kilo writes
 * it; trailing newlines are accepted on read, as `wg genkey` leaves one).
 *
 * mesh_keyfile_load() creates the directory (0700) if needed, reads the key
 * and derives the public key. A missing file, or one that does not hold a
 * usable key (not base64 of 32 bytes, or all zero), is replaced by a freshly
 * generated key, as Kilo 0.7.0 does (mesh.New: "no private key found on
 * disk; generating one now"): the node then simply rejoins with a new
 * public key, which is better than refusing to start on a host whose disk
 * mangled the file. The file is rewritten 0600 through a temporary file and
 * rename(), so a crash never leaves half a key and a failed write (disk
 * full, read-only) leaves the old file as it was. *outcome tells the caller
 * which case happened so it can log it; the key itself is never logged. On
 * error, err says what failed (creating the directory, reading the file or
 * writing the new key) and on which path.
 *
 * Every buffer that held the private key is zeroed with sodium_memzero().
 */
#ifndef MESH_KEYFILE_H
#define MESH_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "mesh/model/model.h"

#define MESH_KEYFILE_PATH "/var/lib/kilo/key"

enum mesh_keyfile_outcome {
	MESH_KEYFILE_LOADED = 0, /* a valid key was there */
	MESH_KEYFILE_CREATED,    /* there was no key file */
	MESH_KEYFILE_REPLACED,   /* the file held no valid key and was overwritten */
};

int mesh_keyfile_load(const char *path, uint8_t private_key[MESH_KEY_LEN],
                      uint8_t public_key[MESH_KEY_LEN], enum mesh_keyfile_outcome *outcome,
                      char *err, size_t err_size);

/*
 * Only read a key file, as kgctl connect --private-key does: 0 with a valid
 * key, -EINVAL for a file without one, -errno if it cannot be read. Nothing
 * is created or replaced.
 */
int mesh_keyfile_read(const char *path, uint8_t private_key[MESH_KEY_LEN]);

/* A new clamped Curve25519 private key, as `wg genkey`. */
void mesh_key_generate(uint8_t private_key[MESH_KEY_LEN]);
/* 0, or -EINVAL for a key whose public key would be all zero. */
int mesh_key_public(const uint8_t private_key[MESH_KEY_LEN], uint8_t public_key[MESH_KEY_LEN]);

#endif /* MESH_KEYFILE_H */
