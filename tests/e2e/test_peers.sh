#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# What lies outside the nodes, reached through the mesh, on the demo's
# cluster. Peers: the laptop, a Peer created with kubectl and configured
# with `kgctl showconf peer` fed to `wg setconf` on kwg, reaches the pods of
# every location; deleting the Peer cuts it off. `kgctl connect` does the
# same in one command (the Peer, the interface, the routes) and, stopped,
# takes it all away again. allowed-location-ips: a
# database on cloud-a's LAN, which cloud-a's gateway keeps from the
# outside, becomes reachable from cloud-b's pods when a2 announces it, and
# unreachable again when the annotation goes.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

e2e_setup
DB=172.16.1.50

e2e_cluster location

log "the laptop, a Kilo Peer, reaches the pods of every location"
for n in "${NODES[@]}"; do
	wait_for "laptop -> pod of $n" 30 nsx "$E-lap" ping -q -c 1 -W 1 "10.2.${NODE_IDX[$n]}.2"
done
handshake=$(wg show "$KWG_LAPTOP" latest-handshakes | awk '$2 > 0' | wc -l)
[ "$handshake" -ge 3 ] || die "the laptop has handshakes with $handshake leaders, not 3"

log "deleting the Peer cuts the laptop off"
k c1 delete peer laptop >/dev/null
cut_off() { ! nsx "$E-lap" ping -q -c 1 -W 1 "$1"; }
for n in "${NODES[@]}"; do
	wait_for "laptop cut off from pod of $n" 30 cut_off "10.2.${NODE_IDX[$n]}.2"
done

log "kgctl connect: the laptop joins again as Peer roamer, in one command"
e2e_laptop_connect c1 roamer 10.5.0.2
for n in "${NODES[@]}"; do
	wait_for "laptop -> pod of $n through kgctl connect" 30 \
		nsx "$E-lap" ping -q -c 1 -W 1 "10.2.${NODE_IDX[$n]}.2"
done
# wg show reaches connect's engine as it reaches a kernel interface.
handshake=$(wg show "$CONNECT_LAPTOP" latest-handshakes | awk '$2 > 0' | wc -l)
[ "$handshake" -ge 3 ] || die "kgctl connect has handshakes with $handshake leaders, not 3"

log "stopping kgctl connect removes the Peer and the interface: cut off"
kill -TERM "$CONNECT_PID"
rc=0
wait "$CONNECT_PID" || rc=$?
sanitizer_clean "$CONNECT_PID" "$TMP/roamer.log" || die "kgctl connect has a sanitizer report"
[ $rc = 0 ] || die "kgctl connect exited with status $rc: $(tail -n 20 "$TMP/roamer.log")"
! k c1 get peer roamer >/dev/null 2>&1 || die "kgctl connect left the Peer roamer behind"
! nsx "$E-lap" ip link show "$CONNECT_LAPTOP" >/dev/null 2>&1 ||
	die "kgctl connect left $CONNECT_LAPTOP behind"
[ ! -e "/var/run/wireguard/$CONNECT_LAPTOP.sock" ] || die "kgctl connect left its socket behind"
cut_off 10.2.4.2 >/dev/null || die "the laptop still reaches the pod of b2"

log "a database on cloud-a's LAN that the outside cannot reach"
ns_add "$E-db"
ip link add eth0 netns "$E-db" type veth peer name "${E}db" netns "$E-gwa"
nsx "$E-gwa" ip link set "${E}db" master "${E}lan" up
addr_add "$E-db" eth0 "$DB/24"
nsx "$E-db" ip link set eth0 up
nsx "$E-db" ip route add default via 172.16.1.254
# The way back to the pods, as cloud-a's route table would give it.
leader=$(e2e_leader_among a1 a2)
nsx "$E-db" ip route add 10.2.0.0/16 via "172.16.1.${NODE_IDX[$leader]}"
nsx "$E-gwa" iptables -A FORWARD -i "${E}up" -d "$DB" -j DROP
ping_ok "$E-pa2" "$DB"

nsx "$E-pb1" ping -q -c 1 -W 1 "$DB" >/dev/null && die "cloud-b reaches the database without Kilo"

log "a2 announces it: cloud-b's pods reach it through the mesh"
k c1 annotate node a2 "kilo.squat.ai/allowed-location-ips=$DB/32" >/dev/null
wait_for "pod of b1 -> database" 30 nsx "$E-pb1" ping -q -c 1 -W 1 "$DB"
ping_ok "$E-pb2" "$DB"

log "the annotation goes: unreachable again"
k c1 annotate node a2 kilo.squat.ai/allowed-location-ips- >/dev/null
unreachable_from_b1() { ! nsx "$E-pb1" ping -q -c 1 -W 1 "$DB"; }
wait_for "pod of b1 cut off from the database" 30 unreachable_from_b1
e2e_stop_all
log "PASS"
