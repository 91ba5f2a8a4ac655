#!/usr/bin/env bash
# kwg <-> kwg: handshake seen by both, pings both ways over both overlay
# families, and a 50 MB transfer with matching checksums, over an IPv4 and an
# IPv6 underlay, with and without a preshared key, with the TUN offloads on and off.
. "$(dirname "$0")/pair.sh"
exclusive kw
need_root

run_pair "$KWG" "$KWG" 4 psk 6
run_pair "$KWG" "$KWG" 6 nopsk 4
# The same with the TUN offloads off on both sides (plain packets, no super-packets).
KWG_NO_OFFLOAD=1 run_pair "$KWG" "$KWG" 4 nopsk 6
echo "PASS: kwg <-> kwg"
