#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The full mesh under load for $KILO_SOAK_SECONDS: a1, a2 (cloud a), b1, b2
# (cloud b) and n1 at home behind NAT, every node its own segment, the
# laptop as a Peer. Pings flow between the pods of every pair of the four
# cloud nodes and from the laptop, a TCP stream runs from a2's pod to b1's,
# kg resyncs every 5 s, and every 3 s the Peers change as in soak_mesh (a
# Peer added and the oldest removed, the roamer re-keyed, removed, added
# again); every eighth step n1's kg stops (clean-up: it leaves the mesh) and
# starts again (it rejoins and greets every node). What the four cloud nodes
# and the laptop hold of each other never changes, so: no ping among them
# lost, none of their 20 session ends lost or reset, the stream intact, fds,
# threads and RSS flat, n1 back every time, and every kg (n1's at each stop)
# exits cleanly without a sanitizer report.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

e2e_setup
soak_cluster full n1
CLOUD=(a1 a2 b1 b2)
LEADERS=("${CLOUD[@]}")
log "soaking the full mesh for ${SOAK_SECONDS}s"

laptop_pub=$(cat "$TMP/$LAPTOP_PEER.pub")
for from in "${CLOUD[@]}"; do
	for to in "${CLOUD[@]}"; do
		[ "$from" = "$to" ] || soak_watch "$(dev "$from")" "$(cat "$TMP/$to.pub")" "$from -> $to"
	done
	soak_watch "$(dev "$from")" "$laptop_pub" "$from -> laptop"
	soak_watch "$KWG_LAPTOP" "$(cat "$TMP/$from.pub")" "laptop -> $from"
done
soak_sessions_check

soak_ping "$E-pa1" 10.2.2.2
soak_ping "$E-pa1" 10.2.3.2
soak_ping "$E-pa1" 10.2.4.2
soak_ping "$E-pa2" 10.2.3.2
soak_ping "$E-pa2" 10.2.4.2
soak_ping "$E-pb1" 10.2.4.2
soak_ping "$E-lap" 10.2.2.2
soak_ping "$E-lap" 10.2.4.2
soak_stream "$E-pa2" "$E-pb1" 10.2.3.2

# n1_rejoin: n1's kg stops cleanly and every node drops it; it starts again,
# every node takes it back and a1's pod reaches n1's pod.
N1_REJOINS=0
n1_rejoin() {
	local pub
	pub=$(cat "$TMP/n1.pub")
	e2e_stop n1
	converged "n1 gone" lacks_peer "$pub"
	e2e_kg_start c1 n1 --mesh-granularity full
	converged "n1 back" has_peer "$pub"
	wait_for "pod of a1 -> pod of n1" $SOAK_CONVERGE nsx "$E-pa1" ping -q -c 1 -W 1 10.2.5.2
	N1_REJOINS=$((N1_REJOINS + 1))
}

full_mesh_step() {
	soak_churn "$1"
	[ $(($1 % 8)) != 7 ] || n1_rejoin
}
soak_run full_mesh_step

soak_pings_check
soak_stream_check
soak_sessions_check
soak_settle "$laptop_pub" "$(cat "$TMP"/{a1,a2,b1,b2,n1}.pub)"
soak_sessions_report
soak_report
log "n1 left the mesh and rejoined it $N1_REJOINS times"
soak_proc_report
e2e_stop_all
daemon_stop "${PROC_PID[kwg roamer]}" "$ROAMER_IF"
daemon_stop "${PROC_PID[kwg laptop]}" "$KWG_LAPTOP"
log "PASS in ${SECONDS}s"
