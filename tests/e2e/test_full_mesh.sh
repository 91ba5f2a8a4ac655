#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The demo's cluster as a full mesh: every node is its own segment, leads
# it with a WireGuard IP of its own and peers with every other node, the one
# of its own cloud included; every pod reaches every other pod.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

e2e_setup
e2e_cluster full

log "every node leads and has a WireGuard IP"
for n in "${NODES[@]}"; do
	wait_for "$n to lead" 30 e2e_leader "$n"
	wait_for "$n's wireguard-ip" 30 has_annotation "$n" wireguard-ip
done

log "a2 peers with every other node, a1 of its own cloud too"
e2e_peers_are a2 a1 b1 b2 n1
wait_for "a2 routes a1's pods over WireGuard" 30 route_on "$E-a2" 10.2.1.0/24 "dev ${E}k2"

log "every pod reaches every other pod"
e2e_pods_reach "${NODES[@]}"
e2e_stop_all
log "PASS"
