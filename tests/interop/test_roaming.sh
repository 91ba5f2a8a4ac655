#!/usr/bin/env bash
# Roaming and persistent keepalive between two kwg daemons.
# - The initiator's underlay address moves (IPv4, then over to IPv6): the
#   responder follows it from authenticated packets and traffic keeps flowing.
# - With persistent-keepalive 2 and no traffic, keepalive packets (32-byte
#   WireGuard messages) appear on the wire every 2 s, the first one at once.
. "$(dirname "$0")/pair.sh"
exclusive kw
need_root
command -v tcpdump >/dev/null || skip "tcpdump is not installed"

pair_net kw 192.168.79. fd79::
pair_tunnel kw "$KWG" "$KWG" 192.168.79.2:51821 10.79.0.

endpoint_of_a() { nsx kw-b wg show kwb0 endpoints | awk '{ print $2 }'; }

ping_ok kw-a 10.79.0.2
[ "$(endpoint_of_a)" = 192.168.79.1:51820 ] || die "responder sees $(endpoint_of_a)"

log "the initiator's IPv4 address moves while it pings"
ip netns exec kw-a ping -q -c 40 -i 0.1 -W 1 10.79.0.2 >"$TMP/ping.log" 2>&1 &
ping_pid=$!
sleep 1
nsx kw-a ip addr del 192.168.79.1/24 dev kwva
addr_add kw-a kwva 192.168.79.11/24
ping_wait $ping_pid
received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$TMP/ping.log")
# The move costs the packets sent from the old address at most.
[ "${received:-0}" -ge 30 ] || die "only ${received:-0}/40 pings came back across the move"
[ "$(endpoint_of_a)" = 192.168.79.11:51820 ] ||
	die "responder did not roam to the new address: $(endpoint_of_a)"
ping_ok kw-b 10.79.0.1

log "the initiator moves over to the IPv6 underlay"
nsx kw-a wg set kwa0 peer "$PUB_B" endpoint "[fd79::2]:51821"
ping_ok kw-a 10.79.0.2
[ "$(endpoint_of_a)" = "[fd79::1]:51820" ] ||
	die "responder did not roam to IPv6: $(endpoint_of_a)"
ping_ok kw-b 10.79.0.1
daemon_alive "$PID_A" kwa0
daemon_alive "$PID_B" kwb0

log "persistent keepalive every 2 s"
# A keepalive is a data message with no payload: 32 bytes of UDP payload,
# so an IPv6 payload length of 40.
ip netns exec kw-b tcpdump -i kwvb -n -tt -l \
	'udp and src host fd79::1 and dst port 51821 and ip6[4:2] == 40' \
	>"$TMP/keepalives" 2>"$TMP/tcpdump.err" &
tcpdump_pid=$!
at_exit "kill $tcpdump_pid"
wait_for "tcpdump to listen" 10 grep -qs "listening on" "$TMP/tcpdump.err"
sleep 1 # quiet on the wire, so only keepalives follow
set_at=$(date +%s.%N)
nsx kw-a wg set kwa0 peer "$PUB_B" persistent-keepalive 2
set_done=$(date +%s.%N)
sleep 7.5
kill $tcpdump_pid
wait $tcpdump_pid || die "tcpdump failed: $(cat "$TMP/tcpdump.err")"
"$PYTHON" - "$set_at" "$set_done" "$TMP/keepalives" <<'PY' || die "keepalives: $(cat "$TMP/keepalives")"
import sys
set_at, set_done = float(sys.argv[1]), float(sys.argv[2])
times = [float(line.split()[0]) for line in open(sys.argv[3]) if line.strip()]
print("keepalives at +" + ", +".join("%.2f" % (t - set_at) for t in times), file=sys.stderr)
assert len(times) >= 4, "expected at least 4 keepalives in 7.5 s"
# At once, not a 2 s period later: before half a period has passed since
# `wg set` returned (a loaded machine can take a while to run `wg` itself).
assert times[0] - set_done < 1.0, "turning keepalive on did not send one at once"
gaps = [b - a for a, b in zip(times, times[1:])]
assert all(1.5 < g < 2.5 for g in gaps), "gaps %s are not 2 s" % gaps
PY
ping_ok kw-a 10.79.0.2
daemon_stop "$PID_A" kwa0
daemon_stop "$PID_B" kwb0
echo "PASS: roaming and persistent keepalive"
