#!/usr/bin/env bash
# Hostile input leaves kwg running with its configuration and sessions intact:
# garbage on the UAPI socket (random bytes, partial and huge lines, unknown
# keys, bad hex, a hundred idle connections) gets the defined errors and
# changes nothing; malformed datagrams to the listen port (random sizes and
# types, handshake messages with a valid MAC1 and random bodies) are dropped.
# Afterwards the daemon answers, the configuration is the same, the session
# is the one from before (same handshake time) and pings go both ways.
. "$(dirname "$0")/lib.sh"
exclusive kw
need_root
command -v "$WGGO" >/dev/null || skip "wireguard-go is not installed"

ns_add kw-a kw-b
veth_add kw-a kwva kw-b kwvb
addr_add kw-a kwva 192.168.82.1/24
addr_add kw-b kwvb 192.168.82.2/24
addr_add kw-a kwva fd82::1/64
addr_add kw-b kwvb fd82::2/64

pa=$(key_new a)
pb=$(key_new b)
daemon_start "$KWG" kw-a kwa0
pid_a=$DAEMON_PID
daemon_start "$WGGO" kw-b kwb0
nsx kw-a wg set kwa0 private-key "$TMP/a.key" listen-port 51820 \
	peer "$pb" endpoint 192.168.82.2:51821 allowed-ips 10.82.0.2/32
nsx kw-b wg set kwb0 private-key "$TMP/b.key" listen-port 51821 \
	peer "$pa" allowed-ips 10.82.0.1/32
wg_if_up kw-a kwa0 10.82.0.1/24
wg_if_up kw-b kwb0 10.82.0.2/24
ping_ok kw-a 10.82.0.2
hs=$(handshake_time kwa0 "$pb")
nsx kw-a wg showconf kwa0 >"$TMP/conf.before"

log "garbage on the UAPI socket"
"$PYTHON" "$LIB_DIR/garbage.py" uapi "$UAPI_DIR/kwa0.sock" ||
	die "the UAPI server answered garbage wrongly"
daemon_alive "$pid_a" kwa0

log "malformed datagrams to the listen port, over IPv4 and IPv6"
nsx kw-b "$PYTHON" "$LIB_DIR/garbage.py" udp 192.168.82.1 51820 "$pa"
nsx kw-b "$PYTHON" "$LIB_DIR/garbage.py" udp fd82::1 51820 "$pa"
daemon_alive "$pid_a" kwa0

nsx kw-a wg showconf kwa0 >"$TMP/conf.after"
diff -u "$TMP/conf.before" "$TMP/conf.after" >&2 || die "the configuration changed"
[ "$(handshake_time kwa0 "$pb")" = "$hs" ] ||
	die "the session was replaced (handshake $hs -> $(handshake_time kwa0 "$pb"))"
ping_ok kw-a 10.82.0.2
ping_ok kw-b 10.82.0.1
[ "$(handshake_time kwa0 "$pb")" = "$hs" ] || die "the session did not survive the garbage"
daemon_stop "$pid_a" kwa0
echo "PASS: garbage leaves kwg and its session intact"
