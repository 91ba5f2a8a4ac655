#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The demo's cluster as a cross mesh: every node leads a segment of its own
# and peers with the nodes of the other locations, but reaches the nodes of
# its own cloud over the cloud's private network, without WireGuard; every
# pod reaches every other pod.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

e2e_setup
e2e_cluster cross

log "every node leads"
for n in "${NODES[@]}"; do wait_for "$n to lead" 30 e2e_leader "$n"; done

log "a1 peers with the other locations' nodes, not with a2 of its own cloud"
e2e_peers_are a1 b1 b2 n1
wait_for "a1 routes a2's pods over the LAN" 30 route_on "$E-a1" 10.2.2.0/24 "via 172.16.1.2 dev eth0"
wait_for "a1 routes b1's pods over WireGuard" 30 route_on "$E-a1" 10.2.3.0/24 "dev ${E}k1"

log "every pod reaches every other pod"
e2e_pods_reach "${NODES[@]}"
e2e_stop_all
log "PASS"
