/* SPDX-License-Identifier: MIT */
/*
 * WireGuard configurations (mesh/view/wgconfig.h) as the INI text of wg(8).
 *
 * mesh_ini_render() prints exactly what Kilo's wireguard.Conf.Bytes() prints:
 * "[Interface]" with ListenPort when the config has an interface (never a
 * PrivateKey line: kgctl knows no private key), then one "[Peer]" section per
 * peer, sections separated by a blank line, keys in the order AllowedIPs
 * (joined by ", "; absent when empty), Endpoint (when set),
 * PersistentKeepalive (always, 0 when off), PresharedKey (when set),
 * PublicKey. The caller frees the text; NULL means out of memory.
 *
 * mesh_ini_parse() reads such text back the way `wg setconf` does (keys are
 * case-insensitive, '#' starts a comment, AllowedIPs may repeat and a bare
 * address means a single host) so tests can check what the renderer wrote.
 * It rejects what it cannot represent, PrivateKey included, with -EINVAL and
 * "line N: ..." in err.
 */
#ifndef MESH_INI_H
#define MESH_INI_H

#include <stddef.h>

#include "mesh/view/wgconfig.h"

char *mesh_ini_render(const struct mesh_wg_config *config);
int mesh_ini_parse(const char *text, struct mesh_wg_config *config, char *err, size_t err_size);

#endif /* MESH_INI_H */
