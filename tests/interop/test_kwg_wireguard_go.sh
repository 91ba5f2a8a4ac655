#!/usr/bin/env bash
# kwg <-> Debian's wireguard-go, each side initiating in turn: handshake seen by
# both, pings both ways over both overlay families, and a 50 MB transfer with
# matching checksums, over IPv4 and IPv6 underlays, with and without a
# preshared key.
. "$(dirname "$0")/pair.sh"
exclusive kw
need_root

command -v "$WGGO" >/dev/null || skip "wireguard-go is not installed"
run_pair "$KWG" "$WGGO" 4 psk 6
run_pair "$WGGO" "$KWG" 4 nopsk 4
run_pair "$KWG" "$WGGO" 6 nopsk 4
run_pair "$WGGO" "$KWG" 6 psk 6
echo "PASS: kwg <-> wireguard-go"
