#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# kg --compatibility=cilium with the add-on manifest's flags (--local=false
# --encapsulate=crosssubnet) on two nodes of one location, file backend.
# Each node has Cilium's links: cilium_host (a veth with cilium_net) holding
# the node's Cilium router IP, which the cluster file publishes as
# kilo.squat.ai/cni-compatibility-ip, and cilium_tunl, left down by Cilium.
# This kernel has no ipip module, so a veth stands in for cilium_tunl and no
# packet goes through it: what is shown is the host state kg makes. The
# leader n1 returns WireGuard traffic for n2's host IP through cilium_tunl
# to n2's cilium_host IP (table 1107, iif kilo0), the member n2 reaches its
# leader's WireGuard IP through cilium_tunl at n1's cilium_host IP; both set
# cilium_tunl up and leave it (and take their routes and rules) on SIGTERM.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

need_root
exclusive ci-cilium

ns_add ci-n1 ci-n2
ip link add eth0 netns ci-n1 type veth peer name eth0 netns ci-n2
for i in 1 2; do
	nsx "ci-n$i" ip addr add "192.168.72.$i/24" dev eth0
	nsx "ci-n$i" ip link set eth0 up
	nsx "ci-n$i" ip link add cilium_host type veth peer name cilium_net
	nsx "ci-n$i" ip addr add "10.2.$i.77/32" dev cilium_host
	nsx "ci-n$i" ip link set cilium_host up
	nsx "ci-n$i" ip link add cilium_tunl type veth peer name ci-tunl-peer
	key_new "n$i" >/dev/null
done

# node I: n<I> as kubectl prints it, with its Cilium router IP.
node() {
	local i=$1
	printf '{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n%s", "annotations": {
	 "kilo.squat.ai/endpoint": "192.168.72.%s:51820", "kilo.squat.ai/internal-ip": "192.168.72.%s/24",
	 "kilo.squat.ai/key": "%s", "kilo.squat.ai/last-seen": "%s",
	 "kilo.squat.ai/cni-compatibility-ip": "10.2.%s.77/32"}},
	 "spec": {"podCIDR": "10.2.%s.0/24"}}' "$i" "$i" "$i" "$(cat "$TMP/n$i.pub")" \
		"$(date +%s)" "$i" "$i"
}
CLUSTER=$TMP/cluster.json
echo "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [$(node 1), $(node 2)]}" >"$CLUSTER"

declare -A PID
for i in 1 2; do
	kg_start "ci-n$i" "n$i" --backend file --cluster-file "$CLUSTER" --interface "cik$i" \
		--listen 127.0.0.1:1107 --cni=false --compatibility=cilium --local=false \
		--encapsulate=crosssubnet --internal-cidr "192.168.72.$i/32" --resync-period 5s
	PID[$i]=$KG_PID
done

# Read whole before grep -q, so that no writer dies of SIGPIPE under pipefail
# (table 1107 does not exist until kg makes it).
has() { grep -q -- "$2" <<<"$(nsx "$1" "${@:3}" 2>/dev/null)"; }

log "the leader n1 returns to n2's host IP through cilium_tunl, at n2's cilium_host IP"
wait_for "n1's route to n2 in table 1107" 20 has ci-n1 \
	"^192.168.72.2 via 10.2.2.77 dev cilium_tunl .*onlink" ip route show table 1107
wait_for "n1's rule for WireGuard traffic to n2" 20 has ci-n1 \
	"from all to 192.168.72.2 iif cik1 lookup 1107" ip rule show
log "the member n2 reaches n1's WireGuard IP through cilium_tunl, at n1's cilium_host IP"
wait_for "n2's route to 10.4.0.1" 20 has ci-n2 \
	"^10.4.0.1 via 10.2.1.77 dev cilium_tunl .*onlink" ip route show
has ci-n2 "lookup 1107" ip rule show && die "n2, a member, has a table-1107 rule"
for i in 1 2; do
	has "ci-n$i" '[<,]UP[,>]' ip link show cilium_tunl || die "n$i did not set cilium_tunl up"
	has "ci-n$i" tunl0 ip link show && die "n$i made tunl0 although Cilium's tunnel is there"
done

log "SIGTERM takes the routes and rules and leaves Cilium's cilium_tunl"
for i in 1 2; do
	kg_stop "${PID[$i]}" "n$i"
	nsx "ci-n$i" ip link show cilium_tunl >/dev/null || die "n$i removed cilium_tunl"
	has "ci-n$i" cilium_tunl ip route show table all && die "n$i left a route through cilium_tunl"
	has "ci-n$i" "lookup 1107" ip rule show && die "n$i left its table-1107 rule"
done
log "PASS"
