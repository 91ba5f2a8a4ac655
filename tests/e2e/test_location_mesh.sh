#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The demo's cluster with Kilo's default granularity, location: cloud-a
# (a1, a2) and cloud-b (b1, b2) joined by a router, n1 at home behind a NAT
# router with persistent-keepalive. Every pod reaches every other pod; a
# capture on the link between the clouds holds only WireGuard (UDP to port
# 51820), neither the pods' addresses nor their payload in clear; the node
# behind NAT is known by its mapped address (discovered-endpoints); every
# kg answers /health, /metrics and /graph.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

e2e_setup curl tcpdump

e2e_cluster location

log "every pod reaches every other pod"
e2e_pods_reach "${NODES[@]}"

log "the link between the clouds carries WireGuard only"
SECRET=kilo-in-clear!
hex=$(printf %s "$SECRET" | od -An -tx1 | tr -d ' \n')
ip netns exec "$E-rt" tcpdump -i "${E}ra" -U -w "$TMP/between.pcap" >"$TMP/between.log" 2>&1 &
CAPTURE=$!
ip netns exec "$E-a1" tcpdump -i "v$E-pa1" -U -w "$TMP/pod.pcap" >"$TMP/pod.log" 2>&1 &
POD_CAPTURE=$!
at_exit "kill $CAPTURE $POD_CAPTURE"
wait_for "the capture between the clouds" 10 grep -q listening "$TMP/between.log"
wait_for "the capture at the pod" 10 grep -q listening "$TMP/pod.log"
for from in a1 a2; do
	for to in b1 b2 n1; do
		nsx "$E-p$from" ping -q -c 3 -i 0.2 -s 100 -p "$hex" "10.2.${NODE_IDX[$to]}.2" >/dev/null ||
			die "pod of $from -> pod of $to with the marked payload"
	done
done
sleep 0.5
kill -INT $CAPTURE $POD_CAPTURE
# tcpdump writes out what it caught and exits 0 on SIGINT.
wait $CAPTURE || die "the capture between the clouds failed"
wait $POD_CAPTURE || die "the pod's capture failed"
grep -qa "$SECRET" "$TMP/pod.pcap" || die "the marked payload is not in the pod's own capture"
pods=()
for n in "${NODES[@]}"; do pods+=("10.2.${NODE_IDX[$n]}.2"); done
"$PYTHON" "$E2E_DIR/pcap_check.py" "$TMP/between.pcap" 51820 "$SECRET" "${pods[@]}" ||
	die "the capture between the clouds: $(tcpdump -nn -r "$TMP/between.pcap" 2>/dev/null | head)"

log "n1 behind NAT: cloud-a's leader knows it by the NAT's address"
leader=$(e2e_leader_among a1 a2)
mapped() {
	annotation "$leader" discovered-endpoints |
		grep -qF "\"$(cat "$TMP/n1.pub")\":{\"IP\":\"10.99.3.2\",\"Port\":"
}
wait_for "$leader's discovered-endpoints for n1" 30 mapped

log "handlers: /health, /metrics, /graph on every node"
for n in "${NODES[@]}"; do
	[ "$(http_status "$E-$n" http://127.0.0.1:1107/health)" = 200 ] || die "$n: /health"
	nodes=$(http "$E-$n" http://127.0.0.1:1107/metrics | awk '$1 == "kilo_nodes" { print $2 }')
	[ "${nodes:-0}" -gt 0 ] || die "$n: kilo_nodes is '$nodes'"
	[ "$nodes" = 5 ] || die "$n: kilo_nodes is $nodes, not 5"
	grep -q '^digraph kilo {' <<<"$(http "$E-$n" "http://127.0.0.1:1107/graph?format=dot")" ||
		die "$n: /graph?format=dot is not DOT"
done
if command -v dot >/dev/null; then
	grep -q '<svg' <<<"$(http "$E-a1" http://127.0.0.1:1107/graph)" || die "/graph is not SVG"
fi
e2e_stop_all
log "PASS"
