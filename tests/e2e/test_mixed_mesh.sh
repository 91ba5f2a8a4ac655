#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# A mixed topology out of the demo's cluster, changed with kubectl while it
# runs: cloud-a keeps two nodes but a2 is made its leader with the leader
# annotation, b2 moves to a location of its own (cloud-c) with the location
# annotation, n1 stays alone at home behind NAT. Leadership and routes
# follow, and every pod reaches every other pod again.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

e2e_setup
e2e_cluster location
e2e_pods_reach "${NODES[@]}"
wait_for "a1 to lead cloud-a (first by name)" 30 e2e_leader a1

log "a2 is annotated leader of cloud-a, b2 moves to cloud-c"
k c1 annotate node a2 kilo.squat.ai/leader=true >/dev/null
k c1 annotate node b2 kilo.squat.ai/location=cloud-c >/dev/null
not_leader() { ! e2e_leader "$1"; }
wait_for "a2 to lead cloud-a" 30 e2e_leader a2
wait_for "a1 to follow" 30 not_leader a1
wait_for "b2 to lead cloud-c" 30 e2e_leader b2
wait_for "a1 routes b2's pods through a2" 30 route_on "$E-a1" 10.2.4.0/24 "via 172.16.1.2 dev eth0"
wait_for "a2 routes b2's pods over WireGuard" 30 route_on "$E-a2" 10.2.4.0/24 "dev ${E}k2"
[ "$(kgctl c1 graph | grep -c '^	subgraph "cluster_location_')" = 4 ] ||
	die "the graph does not show 4 locations: $(kgctl c1 graph)"

log "every pod reaches every other pod"
e2e_pods_reach "${NODES[@]}"
e2e_stop_all
log "PASS"
