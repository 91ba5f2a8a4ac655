#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# A whole multi-cloud Kilo cluster on this machine (Debian 12, root):
#
#   bash scripts/demo.sh [up]    install what is missing, build, bring it up
#   bash scripts/demo.sh down    tear it down
#
# Two clouds (locations cloud-a: a1 a2, cloud-b: b1 b2) joined by a router,
# and n1 at home behind a NAT router, each node a network namespace running
# kg with its in-process WireGuard device, pods as namespaces on each node's
# bridge, a laptop connected as a Kilo Peer through kwg, a second one
# that joins in one command with kgctl connect, and the test API server so
# that kubectl works. Everything lives in namespaces kilo-* and
# in /run/kilo-demo; `up` on a running demo replaces it. With KILO_BIN set
# (a directory holding kg, kgctl and kwg) nothing is installed or built.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=/run/kilo-demo

demo_down() {
	local ns pid pids=()
	for pid in $(cat "$STATE"/*.pid 2>/dev/null); do pids+=("$pid"); done
	for ns in $(ip netns list | awk '$1 ~ /^kilo-/ { print $1 }'); do
		for pid in $(ip netns pids "$ns"); do pids+=("$pid"); done
	done
	[ ${#pids[@]} = 0 ] || kill "${pids[@]}" 2>/dev/null || true
	# kg removes its routes and rules on SIGTERM; give it the time to.
	for _ in $(seq 150); do
		kill -0 "${pids[@]}" 2>/dev/null || break
		sleep 0.1
	done
	for ns in $(ip netns list | awk '$1 ~ /^kilo-/ { print $1 }'); do ip netns del "$ns"; done
	# Each namespace's hosts and resolv.conf (ns_add in tests/interop/lib.sh).
	rm -rf "$STATE" /etc/netns/kilo-*
}

# show TITLE CMD...: a titled step, the command as the reader would type it.
show() {
	printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"
}

demo_up() {
	[ "$(id -u)" = 0 ] || { echo "demo: run it as root (network namespaces)" >&2; exit 1; }
	demo_down
	if [ -z "${KILO_BIN:-}" ]; then
		bash scripts/deps.sh
		bash scripts/build.sh release kg kgctl kwg
		KILO_BIN=$PWD/build/release/cmd
	fi
	command -v kubectl >/dev/null ||
		{ echo "demo: kubectl is missing (Debian has none; see tests/apiserver/README.md)" >&2; exit 1; }
	export KILO_BIN E=kilo
	# shellcheck source=../tests/e2e/lib.sh
	source tests/e2e/lib.sh
	rm -rf "$TMP"
	TMP=$STATE
	mkdir -p "$TMP"
	echo "demo: bringing up the cluster (logs in $STATE)"
	e2e_cluster location
	demo_tour
	# Success: the cluster outlives this script.
	trap - EXIT
	demo_footer
}

demo_tour() {
	local leader
	e2e_laptop_add lap2 5
	show "a second laptop joins in one command" \
		"ip netns exec $E-lap2 kgctl connect roamer --allowed-ip 10.5.0.2/32 &"
	e2e_laptop_connect c1 roamer 10.5.0.2 lap2
	echo "(it created the Peer roamer, its WireGuard interface and routes; log in $STATE/roamer.log)"
	show "kubectl works against the demo cluster" "kubectl get nodes,peers"
	k c1 get nodes,peers
	show "the topology Kilo computed" "kgctl graph"
	kgctl c1 graph | tee "$STATE/graph.dot"
	if command -v dot >/dev/null; then
		dot -Tsvg "$STATE/graph.dot" >"$STATE/graph.svg"
		echo "(rendered to $STATE/graph.svg)"
	fi
	e2e_pods_reach a2 b2 n1
	show "a pod in cloud-a pings a pod in cloud-b" "ip netns exec $E-pa2 ping -c 3 10.2.4.2"
	nsx "$E-pa2" ping -c 3 -i 0.2 10.2.4.2
	show "and the pod at home behind NAT" "ip netns exec $E-pb2 ping -c 3 10.2.5.2"
	nsx "$E-pb2" ping -c 3 -i 0.2 10.2.5.2
	wait_for "laptop -> pod of b2" 30 nsx "$E-lap" ping -q -c 1 -W 1 10.2.4.2
	show "the laptop (a Kilo Peer through kwg) pings a pod" "ip netns exec $E-lap ping -c 3 10.2.4.2"
	nsx "$E-lap" ping -c 3 -i 0.2 10.2.4.2
	wait_for "second laptop -> pod of a1" 30 nsx "$E-lap2" ping -q -c 1 -W 1 10.2.1.2
	show "the second laptop (kgctl connect) pings a pod" "ip netns exec $E-lap2 ping -c 3 10.2.1.2"
	nsx "$E-lap2" ping -c 3 -i 0.2 10.2.1.2
	show "its WireGuard interface, driven by kgctl itself" "wg show $CONNECT_LAPTOP"
	wg show "$CONNECT_LAPTOP"
	leader=$(e2e_leader_among a1 a2)
	show "cloud-a's leader $leader: its WireGuard device" "wg show ${E}k${NODE_IDX[$leader]}"
	wg show "${E}k${NODE_IDX[$leader]}"
}

demo_footer() {
	cat <<-EOF

	The cluster keeps running. Use it:
	  export KUBECONFIG=$STATE/c1.kubeconfig
	  kubectl get nodes -o yaml; $KGCTL graph
	  ip netns exec $E-pa1 ping 10.2.3.2        # pods: $E-p{a1,a2,b1,b2,n1}, 10.2.{1..5}.2
	  ip netns exec $E-lap ping 10.2.3.2        # laptops: $E-lap (kwg), $E-lap2 (kgctl connect)
	  ip netns exec $E-a1 curl -s 127.0.0.1:1107/metrics
	Tear it down:
	  bash scripts/demo.sh down
	EOF
}

case "${1:-up}" in
up) demo_up ;;
down) demo_down && echo "demo: torn down" ;;
*)
	echo "usage: bash scripts/demo.sh [up|down]" >&2
	exit 2
	;;
esac
