#!/usr/bin/env bash
# A kwg device under a flood of valid-mac1 initiations from random sources (another
# namespace, 100 000 a second): it answers with cookie replies, its established session
# keeps carrying pings without a new handshake, and two late peers, kwg and wireguard-go,
# complete their first handshake during the flood by honouring the cookie. Behaviour only:
# the figures are bench/flood's.
# ctest: alone (it loads both cores)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dos_net.sh"

need_root
command -v "$WGGO" >/dev/null || skip "wireguard-go is not installed"
FLOOD_GEN=${FLOOD_GEN:-$KILO_BUILD/bench/bench_flood_gen}
[ -x "$FLOOD_GEN" ] || die "$FLOOD_GEN is not built"

dos_net_up
dos_start b "$KWG"
dos_start a "$KWG"
dos_start c "$KWG"
dos_start d "$WGGO"
for side in a c d; do
	dos_peer $side
done
ping_ok ds-a 10.73.0.2
before=$(handshake_time dswg1 "$(cat "$TMP/b.pub")")

log "flooding ds-b with valid-mac1 initiations"
dos_flood valid-mac1 45 100000 "$(cat "$TMP/b.pub")"
wait_for "cookie replies to the flood" 5 dos_answered 1000

# The established session pings on while the late peers knock.
nsx ds-a ping -q -c 25 -i 0.2 -W 1 10.73.0.2 >"$TMP/ping.out" 2>&1 &
ping_pid=$!
for side in c d; do
	nsx "${DOS_NS[$side]}" ping -c 1 -W 1 10.73.0.2 >/dev/null 2>&1 &
done
# An initiation without a cookie may be lost to the full handshake queue like the flood's,
# and each retry comes REKEY_TIMEOUT (5 s) later: a loaded machine may need several.
for side in c d; do
	wait_for "$side's handshake under the flood" 30 \
		has_handshake "${DOS_IF[$side]}" "$(cat "$TMP/b.pub")"
	kill -0 "$DOS_FLOOD_PID" 2>/dev/null || die "the flood ended before $side's handshake"
	ping_ok "${DOS_NS[$side]}" 10.73.0.2
	log "$side (${DOS_IF[$side]}) completed its handshake during the flood"
done
ping_wait $ping_pid
received=$(awk '/received/ { print $4 }' "$TMP/ping.out")
log "established session during the flood: $received of 25 pings"
[ "${received:-0}" -ge 20 ] || die "the established session lost pings: $(cat "$TMP/ping.out")"
[ "$(handshake_time dswg1 "$(cat "$TMP/b.pub")")" = "$before" ] ||
	die "the established session was handshaken again during the flood"
kill -0 "$DOS_FLOOD_PID" 2>/dev/null || die "the flood ended before the pings did"
kill "$DOS_FLOOD_PID"

daemon_stop "${DOS_PID[c]}" dswg3
daemon_stop "${DOS_PID[b]}" dswg2
taken=$(dos_counter c cookie_replies_taken)
sent=$(dos_counter b cookie_replies_sent)
log "b sent $sent cookie replies and spent $(dos_counter b handshake_dh) Diffie-Hellmans;" \
	"c took $taken"
[ "${sent:-0}" -gt 0 ] || die "b sent no cookie replies under the flood"
[ "${taken:-0}" -gt 0 ] || die "c got through without a cookie: b was not under load"
echo "PASS: a flooded kwg answers with cookies and keeps old and new peers"
