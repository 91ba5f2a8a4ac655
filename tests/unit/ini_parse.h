/* SPDX-License-Identifier: MIT */
/*
 * For the tests: the wg(8) INI text of mesh/view/ini.h read back the way
 * `wg setconf` does (keys are case-insensitive, '#' starts a comment,
 * AllowedIPs may repeat and a bare address means a single host), so a test
 * can check what the renderer wrote. It rejects what a struct
 * mesh_wg_config cannot represent, PrivateKey included, with -EINVAL and
 * "line N: ..." in err. The config is released by the caller on success
 * and by ini_parse() on failure.
 */
#ifndef TESTS_INI_PARSE_H
#define TESTS_INI_PARSE_H

#include <stddef.h>

#include "mesh/view/wgconfig.h"

int ini_parse(const char *text, struct mesh_wg_config *config, char *err, size_t err_size);

#endif /* TESTS_INI_PARSE_H */
