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
 * The programs only write this text, for wg(8) to read; the tests read it
 * back with tests/unit/ini_parse.h.
 */
#ifndef MESH_INI_H
#define MESH_INI_H

#include "mesh/view/wgconfig.h"

char *mesh_ini_render(const struct mesh_wg_config *config);

#endif /* MESH_INI_H */
