#!/usr/bin/env bash
# Hostile input leaves kwg running with its configuration and sessions intact:
# garbage on the UAPI socket (random bytes, partial and huge lines, unknown
# keys, bad hex, a hundred idle connections) gets the defined errors and
# changes nothing; malformed datagrams to the listen port (random sizes and
# types, handshake messages with a valid MAC1 and random bodies) are dropped.
# Afterwards the daemon answers, the configuration is the same, the session
# is the one from before (same handshake time) and pings go both ways.
. "$(dirname "$0")/pair.sh"
exclusive kw
need_root
command -v "$WGGO" >/dev/null || skip "wireguard-go is not installed"

pair_net kw 192.168.82. fd82::
pair_tunnel kw "$KWG" "$WGGO" 192.168.82.2:51821 10.82.0.
ping_ok kw-a 10.82.0.2
hs=$(handshake_time kwa0 "$PUB_B")
nsx kw-a wg showconf kwa0 >"$TMP/conf.before"

log "garbage on the UAPI socket"
"$PYTHON" "$LIB_DIR/garbage.py" uapi "$UAPI_DIR/kwa0.sock" ||
	die "the UAPI server answered garbage wrongly"
daemon_alive "$PID_A" kwa0

log "malformed datagrams to the listen port, over IPv4 and IPv6"
nsx kw-b "$PYTHON" "$LIB_DIR/garbage.py" udp 192.168.82.1 51820 "$PUB_A"
nsx kw-b "$PYTHON" "$LIB_DIR/garbage.py" udp fd82::1 51820 "$PUB_A"
daemon_alive "$PID_A" kwa0

nsx kw-a wg showconf kwa0 >"$TMP/conf.after"
diff -u "$TMP/conf.before" "$TMP/conf.after" >&2 || die "the configuration changed"
[ "$(handshake_time kwa0 "$PUB_B")" = "$hs" ] ||
	die "the session was replaced (handshake $hs -> $(handshake_time kwa0 "$PUB_B"))"
ping_ok kw-a 10.82.0.2
ping_ok kw-b 10.82.0.1
[ "$(handshake_time kwa0 "$PUB_B")" = "$hs" ] || die "the session did not survive the garbage"
daemon_stop "$PID_A" kwa0
echo "PASS: garbage leaves kwg and its session intact"
