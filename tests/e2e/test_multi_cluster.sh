#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Kilo's multi-cluster recipe: cloud-a's nodes form cluster c1 (subnet
# 10.4.0.0/16) and cloud-b's form c2 (10.6.0.0/16), each with its own API
# server. Every location leader of one is registered as a Peer of the other with
# `kgctl showconf node --as-peer -o yaml | kubectl apply -f -`, and pods
# reach each other across the clusters.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

e2e_setup
e2e_underlay
e2e_node_add a1 a 1
e2e_node_add a2 a 2
e2e_node_add b1 b 3
e2e_node_add b2 b 4
e2e_cluster_start c1
e2e_cluster_start c2
for n in a1 a2; do e2e_node_join c1 "$n" cloud-a; done
for n in b1 b2; do e2e_node_join c2 "$n" cloud-b --subnet 10.6.0.0/16; done
for n in a1 a2 b1 b2; do wait_for "$n's key annotation" 30 has_annotation "$n" key; done
e2e_pods_reach a1 a2
e2e_pods_reach b1 b2
wait_for "c2's leader WireGuard IP" 30 has_annotation b1 wireguard-ip

log "each cluster's nodes become Peers of the other"
# register FROM TO: FROM's location leaders as Peers in TO (in location
# granularity a leader carries its location's pod CIDRs; kgctl refuses a
# follower, "not a leader node").
register() {
	local n
	for n in $(k "$1" get nodes -o name); do
		e2e_leader "${n#node/}" || continue
		kgctl "$1" showconf node "${n#node/}" --as-peer -o yaml | k "$2" apply -f - >/dev/null ||
			die "registering ${n#node/} of $1 in $2"
	done
}
register c1 c2
register c2 c1
[ "$(k c1 get peers -o name)" = peer.kilo.squat.ai/b1 ] || die "c1's peers: $(k c1 get peers)"
[ "$(k c2 get peers -o name)" = peer.kilo.squat.ai/a1 ] || die "c2's peers: $(k c2 get peers)"

log "pods reach each other across the clusters"
e2e_pods_reach a1 a2 b1 b2
e2e_stop a1 a2 b1 b2
log "PASS"
