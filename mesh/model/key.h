/* SPDX-License-Identifier: MIT */
/* WireGuard keys as they are written: standard base64 of exactly MESH_KEY_LEN bytes. */
#ifndef MESH_KEY_H
#define MESH_KEY_H

#include <stdint.h>

#include "mesh/model/model.h"

/* 44 characters and a NUL. */
#define MESH_KEY_B64_SIZE 45

int mesh_key_decode(const char *text, uint8_t key[MESH_KEY_LEN]);
char *mesh_key_encode(const uint8_t key[MESH_KEY_LEN], char text[MESH_KEY_B64_SIZE]);

#endif /* MESH_KEY_H */
