#!/usr/bin/env bash
# kwg over a bad underlay: a relay of our own (relay.c) in a namespace between the two
# WireGuard ends drops 5 % of the datagrams, holds 5 % back behind later ones, sends 3 %
# twice and delays every one by a fixed and a random part (impair.sh's "all"), both ways,
# handshakes included. Through it, kwg <-> kwg, kwg <-> Debian's wireguard-go and
# wireguard-go <-> kwg (A initiates) each carry 200 MB over TCP from A to B, and:
# - what arrives is what was sent (SHA-256);
# - the session survives: no handshake during the transfer (the relay counts the
#   initiations it sees, and both ends' latest handshake stays), unless the transfer
#   outlasts REKEY_AFTER_TIME (120 s), when the handshakes must be rekeys: the latest
#   one at least 120 s after the first;
# - each kwg refuses as replays the data messages the relay duplicated towards it (kwg logs
#   its counters when it stops with LOG_LEVEL=verbose): no more, and fewer only by what its
#   socket's full receive buffer dropped before kwg read it;
# - both daemons and the relay stop cleanly.
# The TCP of both ends is BBR where the kernel allows it (see tcp_bbr in impair.sh); where
# it does not, the transfers are of 20 MB, since Reno or CUBIC move about 1 MB/s through
# these impairments. Speed is printed, never asserted. IU_BYTES, IU_SEED and IU_IMPAIRMENT
# (a name of impair.sh) change the defaults, for trying things by hand.
# ctest: alone (it loads both cores)
. "$(dirname "$0")/pair.sh"
. "$(dirname "$0")/impair.sh"
exclusive iu
need_root
command -v "$WGGO" >/dev/null || skip "wireguard-go is not installed"
[ -x "$RELAY" ] || die "no relay at $RELAY: build the impair_relay target (or set RELAY)"

BYTES=${IU_BYTES:-$((200 << 20))}
SEED=${IU_SEED:-$((RANDOM + 1))}
IMPAIRMENT=${IU_IMPAIRMENT:-all}
impairment_args "$IMPAIRMENT" >/dev/null || die "no impairment '$IMPAIRMENT' in: ${IMPAIRMENTS[*]}"
read -r -a IMPAIR <<<"$(impairment_args "$IMPAIRMENT")"
REKEY_AFTER_TIME=120
# The underlay: iu-a (192.168.85.1) - iu-r (192.168.85.2, 192.168.86.1) - iu-b (192.168.86.2).
RELAY_A=192.168.85.2:51900 RELAY_B=192.168.86.1:51901
REAL_A=192.168.85.1:51820 REAL_B=192.168.86.2:51821

# underlay: the three namespaces, and the relay in the middle one (RELAY_PID, its counters
# in $TMP/relay.stats).
underlay() {
	ns_add iu-a iu-r iu-b
	veth_add iu-a iuva iu-r iuvra
	veth_add iu-r iuvrb iu-b iuvb
	addr_add iu-a iuva 192.168.85.1/24
	addr_add iu-r iuvra 192.168.85.2/24
	addr_add iu-r iuvrb 192.168.86.1/24
	addr_add iu-b iuvb 192.168.86.2/24
	CC=$(tcp_bbr nsx iu-a)
	log "TCP congestion control: $CC in iu-a, $(tcp_bbr nsx iu-b) in iu-b"
	if [ "$CC" != bbr ] && [ -z "${IU_BYTES:-}" ]; then
		BYTES=$((20 << 20))
		log "without BBR, only $((BYTES >> 20)) MB, to stay within the test's time"
	fi
	log "relay: ${IMPAIR[*]} --seed $SEED"
	ip netns exec iu-r "$RELAY" "${IMPAIR[@]}" --seed "$SEED" --stats "$TMP/relay.stats" \
		"$RELAY_A" "$REAL_A" "$RELAY_B" "$REAL_B" >"$TMP/relay.log" 2>&1 &
	RELAY_PID=$!
	supervise "$RELAY_PID" "$TMP/relay.log"
	wait_for "the relay" 10 relay_ready "$TMP/relay.stats"
}

# session_up NS ADDR: a ping gets through (the first handshake may need a retry or two when
# the relay drops or holds its messages).
session_up() { wait_for "a session to $2" 60 nsx "$1" ping -c 1 -W 1 "$2"; }

# initiations: handshake initiations the relay has seen, both ways.
initiations() {
	relay_dump "$RELAY_PID" "$TMP/relay.stats" || die "the relay did not write its counters"
	echo $(($(relay_count "$TMP/relay.stats" 'a>b' initiation) +
		$(relay_count "$TMP/relay.stats" 'b>a' initiation)))
}

# check_replays SIDE IFNAME NS DIRECTION: kwg on IFNAME (stopped) refused as replays the
# data messages the relay duplicated in DIRECTION, less what NS's full socket buffers dropped.
check_replays() {
	local replayed dups lost
	replayed=$(kwg_counter "$TMP/$2.log" data_replayed)
	dups=$(relay_count "$TMP/relay.stats" "$4" duplicated_data)
	lost=$(udp_rcvbuf_errors nsx "$3")
	log "$1 ($2): kwg counted $replayed replays; the relay sent $dups duplicate data" \
		"messages its way; its namespace's full UDP buffers dropped $lost datagrams;" \
		"unauthenticated: $(kwg_counter "$TMP/$2.log" data_unauthenticated)"
	[ -n "$replayed" ] || die "$2 logged no counters when it stopped: $(tail -n 3 "$TMP/$2.log")"
	[ "$replayed" -le "$dups" ] && [ "$replayed" -ge $((dups - lost)) ] ||
		die "$2 counted $replayed replays for $dups duplicates ($lost datagrams lost to full buffers)"
}

# impaired_pair IMPL_A IMPL_B: A initiates and sends 200 MB to B through the relay.
impaired_pair() {
	(_impaired_pair "$@") || exit $?
}

_impaired_pair() {
	local impl_a=$1 impl_b=$2 first_a first_b start took init_before init_after last_a last_b
	lib_scope
	log "impaired underlay ($IMPAIRMENT): $(basename "$impl_a") initiates to $(basename "$impl_b")"
	underlay
	LOG_LEVEL=verbose pair_tunnel iu "$impl_a" "$impl_b" "$RELAY_A" 10.85.0. fd85::
	session_up iu-a 10.85.0.2
	session_up iu-b fd85::1
	[ "$(nsx iu-b wg show iub0 endpoints | awk '{ print $2 }')" = "$RELAY_B" ] ||
		die "B does not see A at the relay: $(nsx iu-b wg show iub0 endpoints)"

	first_a=$(handshake_time iua0 "$PUB_B") first_b=$(handshake_time iub0 "$PUB_A")
	init_before=$(initiations)
	start=$(date +%s.%N)
	transfer iu-a iu-b 10.85.0.2 "$BYTES"
	took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
	init_after=$(initiations)
	last_a=$(handshake_time iua0 "$PUB_B") last_b=$(handshake_time iub0 "$PUB_A")
	log "$((BYTES >> 20)) MB in $took s ($(awk -v b="$BYTES" -v t="$took" \
		'BEGIN { printf "%.1f", b / t / 1e6 }') MB/s, longest stall" \
		"$(awk '{ print $3 }' "$TMP/xfer.recv") s)"
	log "handshakes: A's latest $first_a -> $last_a, B's $first_b -> $last_b;" \
		"initiations through the relay during the transfer: $((init_after - init_before))"
	relay_summary "$TMP/relay.stats" >&2

	if [ $(($(date +%s) - first_a)) -lt $REKEY_AFTER_TIME ]; then
		[ "$init_after" = "$init_before" ] && [ "$last_a" = "$first_a" ] &&
			[ "$last_b" = "$first_b" ] || die "a handshake during the transfer, before any rekey was due"
	else
		((last_a >= first_a + REKEY_AFTER_TIME - 1 || last_a == first_a)) &&
			((last_b >= first_b + REKEY_AFTER_TIME - 1 || last_b == first_b)) ||
			die "a handshake during the transfer sooner than REKEY_AFTER_TIME after the first"
	fi

	daemon_stop "$PID_A" iua0
	daemon_stop "$PID_B" iub0
	kill -TERM "$RELAY_PID"
	wait "$RELAY_PID" || die "the relay exited with status $?: $(tail -n 5 "$TMP/relay.log")"
	sanitizer_clean "$RELAY_PID" "$TMP/relay.log" || die "the relay has a sanitizer report (above)"
	[ "$impl_a" != "$KWG" ] || check_replays A iua0 iu-a 'b>a'
	[ "$impl_b" != "$KWG" ] || check_replays B iub0 iu-b 'a>b'
}

impaired_pair "$KWG" "$KWG"
impaired_pair "$KWG" "$WGGO"
impaired_pair "$WGGO" "$KWG"
echo "PASS: kwg over an impaired underlay"
