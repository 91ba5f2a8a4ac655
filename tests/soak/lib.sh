# SPDX-License-Identifier: MIT
#
# The soak: the e2e cluster (tests/e2e/lib.sh) kept under traffic for
# $KILO_SOAK_SECONDS (default 60: the short run of the suite; 900 for the
# long one, past seven of WireGuard's 120-second rekeys) while Peers come
# and go through the API server, with every name under the prefix
# $E (default "sk", so a soak never waits for the e2e stage's "ee").
#
#   soak_cluster GRANULARITY [n1]
#                              cloud a (a1, a2) and cloud b (b1, b2) (and
#                              with "n1" the node n1 behind NAT), the laptop
#                              as the Peer "laptop", and the roamer: a kwg in
#                              $E-roam (10.99.6.2) whose Peer is re-keyed,
#                              removed and added again.
#   soak_watch DEV PUB LABEL   a session that nothing changes: sampled by
#                              soak_sessions_check, it must keep its peer
#                              (its byte counters never go back), have a
#                              handshake never older than REJECT_AFTER_TIME
#                              and never going back.
#   soak_ping NS ADDR          a ping stream for the whole soak (5 a second),
#                              every reply expected (soak_pings_check).
#   soak_stream FROM TO ADDR   a paced TCP stream for the whole soak, its
#                              SHA-256 checked at the end.
#   soak_proc LABEL PID        a daemon whose VmRSS, open fds and threads
#                              soak_proc_sample records; soak_proc_report
#                              prints them and fails on clear growth.
#   soak_churn CYCLE           one step of the Peer churn (soak_cluster's
#                              roamer, and Peers with no device behind them).
#   soak_run [STEP]            STEP (soak_churn) and a sample of the sessions
#                              every 3 s for the soak; the daemons sampled
#                              after the warm-up, at the middle, at the end.
#
# Nothing is timed against a bound: the figures are printed, the failures are
# correctness (a lost ping, a lost session, a leak, a sanitizer report).
E=${E:-sk}
# shellcheck source=../e2e/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../e2e/lib.sh"

SOAK_SECONDS=${KILO_SOAK_SECONDS:-60}
# KILO_SOAK_LOGS=DIR keeps the daemons' and the API server's logs there.
if [ -n "${KILO_SOAK_LOGS:-}" ]; then
	mkdir -p "$KILO_SOAK_LOGS"
	at_exit "cp $TMP/*.log $KILO_SOAK_LOGS/"
fi
[[ $SOAK_SECONDS =~ ^[0-9]+$ ]] && [ "$SOAK_SECONDS" -ge 30 ] ||
	die "KILO_SOAK_SECONDS: '$SOAK_SECONDS' is not a whole number of seconds, 30 or more"
# A session whose latest handshake is older than REJECT_AFTER_TIME has no
# keypair left that may carry data: it is lost.
SOAK_STALE=180
# The churn's period, and the bound on an apply reaching every leader (not a
# figure: a Peer that has not arrived in this long never will).
SOAK_CYCLE=3
SOAK_CONVERGE=30
PING_INTERVAL=0.2 # 5 a second
# Growth after the warm-up that is a leak, not noise.
SOAK_FD_GROWTH=50
SOAK_THREAD_GROWTH=20
ROAMER_NS=$E-roam
ROAMER_IF=${E}k8
ROAMER_IP=10.5.0.8
LAPTOP_PEER=laptop

declare -gA WATCH_LABEL WATCH_HS WATCH_RX WATCH_REKEYS WATCH_MAXAGE
declare -gA PROC_PID PROC_RSS PROC_FD PROC_THR
declare -ga WATCHES=() PROCS=() PINGS=() CHURN_PEERS=() LEADERS=()
declare -gA PING_PID PING_WHAT SOAK_LOCATION
CHURN_ADDED=0 CHURN_REMOVED=0 ROAMER_KEYS=0 APPLY_MAX=0 APPLY_SUM=0 APPLY_N=0
ROAMER_REACH_MAX=0

# soak_sanitized: kg and kwg of this build run under ASan, whose quarantine
# holds freed memory back (up to 256 MiB), so RSS says nothing about leaks
# there; LeakSanitizer's report at exit does.
soak_sanitized() { grep -qs '^KILO_SANITIZE:BOOL=ON' "${KILO_BUILD:-/nonexistent}/CMakeCache.txt"; }

# soak_cluster GRANULARITY [n1]: the two clouds, every node's kg, the laptop
# and the roamer, and with n1 the node n1 at home behind NAT (persistent
# keepalive, as in the demo; its kg is not sampled, since it may be
# restarted); returns once every pod reaches every other.
soak_cluster() {
	local g=$1 n
	NODES=(a1 a2 b1 b2)
	SOAK_GRANULARITY=$g
	SOAK_LOCATION=([a1]=cloud-a [a2]=cloud-a [b1]=cloud-b [b2]=cloud-b)
	e2e_underlay
	e2e_node_add a1 a 1
	e2e_node_add a2 a 2
	e2e_node_add b1 b 3
	e2e_node_add b2 b 4
	e2e_cluster_start c1
	for n in a1 a2; do e2e_node_join c1 "$n" cloud-a --mesh-granularity "$g"; done
	for n in b1 b2; do e2e_node_join c1 "$n" cloud-b --mesh-granularity "$g"; done
	for n in "${NODES[@]}"; do soak_proc "kg $n" "${NODE_PID[$n]}"; done
	if [ "${2:-}" = n1 ]; then
		NODES+=(n1)
		e2e_node_add n1 nat 5
		e2e_node_join c1 n1 home --mesh-granularity "$g"
		k c1 annotate node n1 kilo.squat.ai/persistent-keepalive=5 >/dev/null
	fi
	for n in "${NODES[@]}"; do
		wait_for "$n's key annotation" 30 has_annotation "$n" key
	done
	e2e_laptop_join c1 "$LAPTOP_PEER"
	soak_proc "kwg laptop" "$DAEMON_PID"
	e2e_laptop_add roam 6
	key_new roamer >/dev/null
	daemon_start "$KWG" "$ROAMER_NS" "$ROAMER_IF"
	soak_proc "kwg roamer" "$DAEMON_PID"
	wg set "$ROAMER_IF" private-key "$TMP/roamer.key"
	wg_if_up "$ROAMER_NS" "$ROAMER_IF" "$ROAMER_IP/32"
	nsx "$ROAMER_NS" ip route add 10.2.0.0/16 dev "$ROAMER_IF"
	e2e_pods_reach "${NODES[@]}"
	for n in "${NODES[@]}"; do
		wait_for "laptop -> pod of $n" 30 nsx "$E-lap" ping -q -c 1 -W 1 "10.2.${NODE_IDX[$n]}.2"
	done
}

# dev NODE: the WireGuard device of a node.
dev() { echo "${E}k${NODE_IDX[$1]}"; }

# has_peer DEV PUB
has_peer() { grep -qxF "$2" <<<"$(wg show "$1" peers)"; }
lacks_peer() { ! has_peer "$@"; }

soak_watch() {
	local id="$1|$2"
	WATCHES+=("$id")
	WATCH_LABEL[$id]=$3
	WATCH_HS[$id]=0
	WATCH_RX[$id]=0
	WATCH_REKEYS[$id]=0
	WATCH_MAXAGE[$id]=0
}

# soak_sessions_check: one sample of every watched session (one dump per
# device).
soak_sessions_check() {
	local id dev pub label line hs rx age now
	local -A dump=()
	now=$(date +%s)
	for id in "${WATCHES[@]}"; do
		dev=${id%%|*} pub=${id#*|} label=${WATCH_LABEL[$id]}
		[ -n "${dump[$dev]:-}" ] || dump[$dev]=$(wg show "$dev" dump)
		line=$(awk -v k="$pub" 'NR > 1 && $1 == k' <<<"${dump[$dev]}")
		[ -n "$line" ] || die "$label: $dev has lost the peer"
		read -r _ _ _ _ hs rx _ <<<"$line"
		[ "$hs" -gt 0 ] || die "$label: no handshake on $dev"
		[ "$rx" -ge "${WATCH_RX[$id]}" ] ||
			die "$label: $dev's received bytes went back from ${WATCH_RX[$id]} to $rx (the peer was removed and added again)"
		[ "$hs" -ge "${WATCH_HS[$id]}" ] ||
			die "$label: $dev's latest handshake went back from ${WATCH_HS[$id]} to $hs"
		age=$((now - hs))
		[ $age -le $SOAK_STALE ] || die "$label: $dev's latest handshake is ${age}s old: the session is lost"
		[ "${WATCH_HS[$id]}" = 0 ] || [ "$hs" = "${WATCH_HS[$id]}" ] ||
			WATCH_REKEYS[$id]=$((WATCH_REKEYS[$id] + 1))
		[ $age -le "${WATCH_MAXAGE[$id]}" ] || WATCH_MAXAGE[$id]=$age
		WATCH_HS[$id]=$hs WATCH_RX[$id]=$rx
	done
}

soak_sessions_report() {
	local id
	log "untouched sessions: handshakes after the first, oldest latest-handshake seen"
	for id in "${WATCHES[@]}"; do
		printf '   %-34s %3d handshakes, oldest %3ds\n' "${WATCH_LABEL[$id]}" \
			"${WATCH_REKEYS[$id]}" "${WATCH_MAXAGE[$id]}" >&2
	done
}

# soak_ping NS ADDR: pings for the whole soak, in the background.
soak_ping() {
	local id="$1>$2"
	nsx "$1" ping -q -c $((SOAK_SECONDS * 5)) -i $PING_INTERVAL -W 10 "$2" \
		>"$TMP/ping.${#PINGS[@]}" 2>&1 &
	PINGS+=("$id")
	PING_PID[$id]=$!
	PING_WHAT[$id]=$TMP/ping.$((${#PINGS[@]} - 1))
	at_exit "kill ${PING_PID[$id]}"
}

# soak_pings_check: every stream got every reply.
soak_pings_check() {
	local id out sent got rtt
	log "untouched ping streams: replies, RTT min/avg/max"
	for id in "${PINGS[@]}"; do
		ping_wait "${PING_PID[$id]}"
		out=$(cat "${PING_WHAT[$id]}")
		sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<<"$out")
		got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
		rtt=$(sed -n 's|^rtt [^=]*= \([^/]*\)/\([^/]*\)/\([^/]*\)/.*|\1/\2/\3|p' <<<"$out")
		printf '   %-34s %5s/%-5s %s ms\n' "$id" "${got:-?}" "${sent:-?}" "${rtt:--}" >&2
		[ -n "$sent" ] && [ "$got" = "$sent" ] || die "ping $id lost $((sent - got)) of $sent: $out"
	done
}

# soak_stream FROM TO ADDR: a TCP stream paced to 200 kB/s for the soak.
STREAM_RATE=200000
soak_stream() {
	local bytes=$((STREAM_RATE * SOAK_SECONDS))
	ip netns exec "$2" "$PYTHON" "$LIB_DIR/xfer.py" recv "$3" 5201 >"$TMP/stream.recv" &
	STREAM_RECV=$!
	at_exit "kill $STREAM_RECV"
	ip netns exec "$1" "$PYTHON" "$LIB_DIR/xfer.py" send "$3" 5201 "$bytes" "$STREAM_RATE" \
		>"$TMP/stream.send" &
	STREAM_SEND=$!
	at_exit "kill $STREAM_SEND"
	STREAM_WHAT="$1>$3"
}

soak_stream_check() {
	local sent sum got gap
	wait "$STREAM_SEND" || die "stream $STREAM_WHAT: the sender failed (the connection broke)"
	wait "$STREAM_RECV" || die "stream $STREAM_WHAT: the receiver failed"
	sent=$(cat "$TMP/stream.send")
	read -r sum got gap <"$TMP/stream.recv"
	[ "$sent" = "$sum $got" ] || die "stream $STREAM_WHAT: sent '$sent', received '$sum $got'"
	log "TCP stream $STREAM_WHAT: $got bytes, checksum matches, longest gap between reads ${gap}s"
}

soak_proc() {
	PROCS+=("$1")
	PROC_PID[$1]=$2
}

# soak_proc_sample PHASE: VmRSS (kB), open fds and threads of every daemon.
soak_proc_sample() {
	local p pid
	for p in "${PROCS[@]}"; do
		pid=${PROC_PID[$p]}
		daemon_alive "$pid" "$p"
		PROC_RSS[$p.$1]=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
		PROC_THR[$p.$1]=$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status")
		PROC_FD[$p.$1]=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l)
	done
}

# soak_proc_report: the samples after the warm-up ("start"), at the middle and
# at the end; fails on fds +SOAK_FD_GROWTH, threads +SOAK_THREAD_GROWTH, or (not
# under ASan) RSS more than doubled. (A device's packet slots stay resident
# once touched, bench/README.md: at the soak's 200 kB/s a leader grows by about
# 2 MB in 900 s that way, far from doubling in the runs this stage is for.)
soak_proc_report() {
	local p s=start m=middle e=end
	log "daemons after the warm-up / at the middle / at the end"
	printf '   %-12s %22s %14s %12s\n' "" "VmRSS kB" "open fds" "threads" >&2
	for p in "${PROCS[@]}"; do
		printf '   %-12s %6s %7s %7s  %4s %4s %4s  %3s %3s %3s\n' "$p" \
			"${PROC_RSS[$p.$s]}" "${PROC_RSS[$p.$m]}" "${PROC_RSS[$p.$e]}" \
			"${PROC_FD[$p.$s]}" "${PROC_FD[$p.$m]}" "${PROC_FD[$p.$e]}" \
			"${PROC_THR[$p.$s]}" "${PROC_THR[$p.$m]}" "${PROC_THR[$p.$e]}" >&2
	done
	for p in "${PROCS[@]}"; do
		[ $((PROC_FD[$p.$e] - PROC_FD[$p.$s])) -le $SOAK_FD_GROWTH ] ||
			die "$p: open fds grew from ${PROC_FD[$p.$s]} to ${PROC_FD[$p.$e]}"
		[ $((PROC_THR[$p.$e] - PROC_THR[$p.$s])) -le $SOAK_THREAD_GROWTH ] ||
			die "$p: threads grew from ${PROC_THR[$p.$s]} to ${PROC_THR[$p.$e]}"
		soak_sanitized || [ "${PROC_RSS[$p.$e]}" -le $((2 * PROC_RSS[$p.$s])) ] ||
			die "$p: VmRSS grew from ${PROC_RSS[$p.$s]} kB to ${PROC_RSS[$p.$e]} kB"
	done
	! soak_sanitized || log "(ASan build: RSS not bounded, its quarantine holds freed memory; LeakSanitizer reports at exit)"
	soak_publications
}

# soak_publications: how often each kg wrote its own node to the backend, beyond
# its check-ins (every 30 s): a figure, since changes of its own (the
# discovered endpoints of the Peers, the WireGuard IP) are legitimate ones.
soak_publications() {
	local n line=
	for n in "${NODES[@]}"; do
		line+=" $n $(grep -c 'reconciled local node' "$TMP/$n.log" || true),"
	done
	log "kg's own-node publications beyond check-ins:${line%,}"
}

# soak_peer_apply NAME PUB ADDR: the Peer NAME with one allowed IP.
soak_peer_apply() {
	k c1 apply -f - >/dev/null <<-EOF
	{"apiVersion": "kilo.squat.ai/v1alpha1", "kind": "Peer", "metadata": {"name": "$1"},
	 "spec": {"allowedIPs": ["$3/32"], "publicKey": "$2", "persistentKeepalive": 10}}
	EOF
}

# now_ms: the wall clock in milliseconds.
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }

# converged WHAT CHECK PUB: every leader's device passes CHECK (has_peer,
# lacks_peer) for PUB; records how long that took (ms).
converged() {
	local what=$1 check=$2 pub=$3 n t0 took
	t0=$(now_ms)
	for n in "${LEADERS[@]}"; do
		wait_for "$what on $n" $SOAK_CONVERGE "$check" "$(dev "$n")" "$pub"
	done
	took=$(($(now_ms) - t0))
	APPLY_N=$((APPLY_N + 1)) APPLY_SUM=$((APPLY_SUM + took))
	[ $took -le $APPLY_MAX ] || APPLY_MAX=$took
}

# churn_add: a Peer with no device behind it; the oldest of four goes.
churn_add() {
	local n=$CHURN_ADDED name pub
	name=churn-$n
	pub=$(wg genkey | wg pubkey)
	soak_peer_apply "$name" "$pub" "10.5.1.$((n % 200 + 10))"
	converged "Peer $name" has_peer "$pub"
	CHURN_PEERS+=("$name:$pub")
	CHURN_ADDED=$((CHURN_ADDED + 1))
	[ ${#CHURN_PEERS[@]} -gt 3 ] || return 0
	churn_remove
}

churn_remove() {
	local old=${CHURN_PEERS[0]}
	CHURN_PEERS=("${CHURN_PEERS[@]:1}")
	k c1 delete peer "${old%%:*}" >/dev/null
	converged "Peer ${old%%:*} gone" lacks_peer "${old#*:}"
	CHURN_REMOVED=$((CHURN_REMOVED + 1))
}

# roamer_rekey: the roamer under a new key (its Peer created again if it was
# removed, else changed), configured from kgctl, reaching a pod in each cloud.
roamer_rekey() {
	local t0 took
	key_new roamer >/dev/null
	soak_peer_apply roamer "$(cat "$TMP/roamer.pub")" "$ROAMER_IP"
	converged "the roamer's new key" has_peer "$(cat "$TMP/roamer.pub")"
	kgctl c1 showconf peer roamer >"$TMP/roamer.conf"
	wg setconf "$ROAMER_IF" "$TMP/roamer.conf"
	wg set "$ROAMER_IF" private-key "$TMP/roamer.key"
	t0=$(now_ms)
	wait_for "roamer -> pod of a1" $SOAK_CONVERGE nsx "$ROAMER_NS" ping -q -c 1 -W 1 10.2.1.2
	wait_for "roamer -> pod of b1" $SOAK_CONVERGE nsx "$ROAMER_NS" ping -q -c 1 -W 1 10.2.3.2
	took=$(($(now_ms) - t0))
	[ $took -le $ROAMER_REACH_MAX ] || ROAMER_REACH_MAX=$took
	ROAMER_KEYS=$((ROAMER_KEYS + 1))
}

roamer_leave() {
	k c1 delete peer roamer >/dev/null
	converged "the roamer gone" lacks_peer "$(cat "$TMP/roamer.pub")"
}

# soak_churn CYCLE: Peers come and go: a Peer added (and the oldest removed),
# the roamer re-keyed, another Peer, the roamer removed.
soak_churn() {
	case $(($1 % 4)) in
	0 | 2) churn_add ;;
	1) roamer_rekey ;;
	3) roamer_leave ;;
	esac
}

# soak_run [STEP]: STEP CYCLE (default soak_churn) and a sample of the
# sessions every SOAK_CYCLE seconds until SOAK_SECONDS have passed since the
# streams started; the daemons are sampled after the first round of churn, at
# the middle and at the end.
soak_run() {
	local step=${1:-soak_churn} start=$SECONDS cycle=0 next
	while [ $((SECONDS - start)) -lt "$SOAK_SECONDS" ]; do
		next=$((SECONDS + SOAK_CYCLE))
		"$step" $cycle
		soak_sessions_check
		cycle=$((cycle + 1))
		[ $cycle != 4 ] || soak_proc_sample start
		[ -n "${PROC_RSS[kg a1.middle]:-}" ] || [ $((SECONDS - start)) -lt $((SOAK_SECONDS / 2)) ] ||
			soak_proc_sample middle
		while [ $SECONDS -lt $next ]; do sleep 0.5; done
	done
	[ $cycle -ge 4 ] || soak_proc_sample start
	[ -n "${PROC_RSS[kg a1.middle]:-}" ] || soak_proc_sample middle
	soak_proc_sample end
	SOAK_CYCLES=$cycle
}

# peers_are DEV PUB...: the device holds exactly these peers.
peers_are() {
	local dev=$1
	shift
	[ "$(wg show "$dev" peers | sort)" = "$(printf '%s\n' "$@" | sort)" ]
}

# own_keys N: N's key and, in location granularity, those of the other nodes
# of its location (which it reaches without WireGuard).
own_keys() {
	local m
	cat "$TMP/$1.pub"
	[ "$SOAK_GRANULARITY" = location ] || return 0
	for m in "${!SOAK_LOCATION[@]}"; do
		[ "${SOAK_LOCATION[$m]}" != "${SOAK_LOCATION[$1]}" ] || cat "$TMP/$m.pub"
	done
}

# soak_settle PUB...: the churn's Peers and the roamer go; every leader's
# device keeps exactly the peers among PUB that are not its own (own_keys):
# the location mesh's leaders keep the other location's standbys too, as
# peers without allowed IPs (mesh/README.md, "Leaders that stop forwarding").
soak_settle() {
	local n want
	while [ ${#CHURN_PEERS[@]} -gt 0 ]; do churn_remove; done
	k c1 delete peer roamer --ignore-not-found >/dev/null
	for n in "${LEADERS[@]}"; do
		mapfile -t want < <(printf '%s\n' "$@" | grep -vxF -f <(own_keys "$n"))
		wait_for "$n's device to hold only the untouched peers" $SOAK_CONVERGE \
			peers_are "$(dev "$n")" "${want[@]}"
	done
}

soak_report() {
	log "$SOAK_CYCLES churn cycles in ${SOAK_SECONDS}s: $CHURN_ADDED Peers added, $CHURN_REMOVED removed, the roamer re-keyed $ROAMER_KEYS times (a new handshake with both clouds within $ROAMER_REACH_MAX ms each time)"
	log "changes reaching every leader's device: $APPLY_N, $((APPLY_N ? APPLY_SUM / APPLY_N : 0)) ms on average, the slowest $APPLY_MAX ms"
}
