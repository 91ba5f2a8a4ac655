#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# kg with the Kubernetes backend against the test API server, driven with
# the real kubectl: three nodes (network namespaces on one LAN, the API
# server on the LAN's switch namespace) in two locations. Shows the
# annotations written as Kilo writes them, pods reaching each other across
# locations through WireGuard, a `kubectl annotate` that moves a node to the
# other location re-converging the mesh, and an API server restart that
# leaves traffic flowing and the watches resumed.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

need_root
exclusive am-agent
for tool in curl kubectl iptables-save; do
	command -v $tool >/dev/null || die "$tool is missing"
done
SERVER=$AGENT_LIB_DIR/../apiserver/kube_apiserver.py
CRDS=$AGENT_LIB_DIR/../../manifests/crds.yaml
export PYTHONDONTWRITEBYTECODE=1 HOME=$TMP KUBECONFIG=$TMP/kubeconfig KUBECACHEDIR=$TMP/kube-cache

NODES=(n1 n2 n3)
declare -A LOC=([n1]=east [n2]=east [n3]=west) IDX=([n1]=1 [n2]=2 [n3]=3)
API=192.168.70.254:6443

lan_add
for n in "${NODES[@]}"; do
	node_add "$n" "${IDX[$n]}"
done

# api_start: the API server in the switch namespace, its state kept across restarts.
api_start() {
	rm -f "$KUBECONFIG"
	ip netns exec am-sw "$PYTHON" "$SERVER" --listen "$API" --state "$TMP/api-state.json" \
		--kubeconfig "$KUBECONFIG" --quiet >>"$TMP/api.log" 2>&1 &
	API_PID=$!
	at_exit "kill $API_PID; wait $API_PID"
	wait_for "the API server" 20 test -s "$KUBECONFIG"
}
k() { nsx am-sw kubectl "$@"; }
annotation() { k get node "$1" -o "jsonpath={.metadata.annotations.kilo\.squat\.ai/$2}"; }

api_start
log "without the Peer CRD kg stops with a clear message"
rc=0
ip netns exec am-n1 unshare --mount --propagation private sh -c '
	mount -t tmpfs -o mode=0700 tmpfs /var/lib/kilo && shift && exec "$@"' sh - \
	"$KG" --hostname n1 --kubeconfig "$KUBECONFIG" --interface amk1 --encapsulate never \
	--listen 127.0.0.1:1107 --cni=false >"$TMP/no-crd.log" 2>&1 || rc=$?
[ $rc = 1 ] || die "kg without the CRD exited $rc; log: $(cat "$TMP/no-crd.log")"
grep -q 'peers.kilo.squat.ai CRD not found' "$TMP/no-crd.log" ||
	die "no clear message without the CRD: $(cat "$TMP/no-crd.log")"
k apply -f "$CRDS" >/dev/null
for n in "${NODES[@]}"; do
	leader=
	[ "$n" != n2 ] && leader='"kilo.squat.ai/leader": "true"'
	k create -f - >/dev/null <<-EOF
	{"apiVersion": "v1", "kind": "Node",
	 "metadata": {"name": "$n", "labels": {"topology.kubernetes.io/region": "${LOC[$n]}"},
	              "annotations": {$leader}},
	 "spec": {"podCIDR": "10.2.${IDX[$n]}.0/24"}}
	EOF
done

declare -A PID
for n in "${NODES[@]}"; do
	i=${IDX[$n]}
	kg_start "am-$n" "$n" --kubeconfig "$KUBECONFIG" --interface "amk$i" \
		--listen 127.0.0.1:1107 --encapsulate never --resync-period 5s \
		--cni-path "$TMP/cni-$n/10-kilo.conflist"
	PID[$n]=$KG_PID
done

log "annotations as Kilo writes them"
declare -A FIRST_SEEN
has_annotation() { [ -n "$(annotation "$1" "$2")" ]; }
for n in "${NODES[@]}"; do
	i=${IDX[$n]}
	wait_for "$n's key" 20 has_annotation "$n" key
	[ "$(annotation "$n" key)" = "$(cat "$TMP/$n.pub")" ] || die "$n's key is not its public key"
	[ "$(annotation "$n" endpoint)" = "192.168.70.$i:51820" ] ||
		die "$n's endpoint: $(annotation "$n" endpoint)"
	[ "$(annotation "$n" internal-ip)" = "192.168.70.$i/24" ] ||
		die "$n's internal-ip: $(annotation "$n" internal-ip)"
	[ "$(annotation "$n" granularity)" = location ] || die "$n's granularity"
	seen=$(annotation "$n" last-seen)
	[[ "$seen" =~ ^[0-9]+$ ]] && [ $(($(date +%s) - seen)) -lt 60 ] ||
		die "$n's last-seen is not a recent Unix time: $seen"
	FIRST_SEEN[$n]=$seen
done
wireguard_ip_is() { [ "$(annotation "$1" wireguard-ip)" = "$2" ]; }
wait_for "n1's wireguard-ip" 20 wireguard_ip_is n1 10.4.0.1/16
wait_for "n3's wireguard-ip" 20 wireguard_ip_is n3 10.4.0.2/16
k get node n2 -o json | grep -q '"kilo.squat.ai/wireguard-ip": ""' ||
	die "the follower n2 has a WireGuard IP: $(annotation n2 wireguard-ip)"

log "pods reach each other across locations through WireGuard"
wait_for "p2 -> p3" 30 nsx am-p2 ping -q -c 1 -W 1 10.2.3.2
ping_ok am-p1 10.2.3.2
ping_ok am-p3 10.2.2.2
metrics=$(http am-n1 http://127.0.0.1:1107/metrics)
grep -q '^kilo_nodes 3$' <<<"$metrics" || die "kilo_nodes is not 3"

log "a Peer applied with kubectl joins every leader's WireGuard device"
laptop=$(key_new laptop)
k apply -f - >/dev/null <<-EOF
{"apiVersion": "kilo.squat.ai/v1alpha1", "kind": "Peer", "metadata": {"name": "laptop"},
 "spec": {"allowedIPs": ["10.5.0.1/32"], "publicKey": "$laptop", "persistentKeepalive": 10}}
EOF
peer_configured() { http "$1" http://127.0.0.1:1107/metrics | grep -qF "public_key=\"$laptop\""; }
wait_for "the Peer on n1" 10 peer_configured am-n1
wait_for "the Peer on n3" 10 peer_configured am-n3
http am-n1 http://127.0.0.1:1107/metrics | grep -q '^kilo_peers 1$' || die "kilo_peers is not 1"
wait_for "n2 routes the Peer through n1" 10 route_on am-n2 10.5.0.1 "via 192.168.70.1"

log "a node behind NAT (keepalive): its leader peer publishes where it sees it"
k annotate node n3 kilo.squat.ai/persistent-keepalive=5 >/dev/null
discovered() {
	annotation n1 discovered-endpoints |
		grep -qF "\"$(cat "$TMP/n3.pub")\":{\"IP\":\"192.168.70.3\",\"Port\":51820,\"Zone\":\"\"}"
}
wait_for "n1's discovered-endpoints" 10 discovered

log "kubectl annotate moves n2 to west: the mesh re-converges"
k annotate node n2 kilo.squat.ai/location=west --overwrite >/dev/null
wait_for "n1 routes n2's pods over WireGuard" 30 route_on am-n1 10.2.2.0/24 "dev amk1"
wait_for "n2 routes east through n3" 30 route_on am-n2 10.2.1.0/24 "via 192.168.70.3"
wait_for "p1 -> p2 through WireGuard" 30 nsx am-p1 ping -q -c 1 -W 1 10.2.2.2
ping_ok am-p2 10.2.1.2
ping_ok am-p3 10.2.2.2

log "an API server restart leaves traffic flowing"
nsx am-p1 ping -q -i 0.2 -w 20 10.2.3.2 >"$TMP/ping.log" 2>&1 &
PING=$!
sleep 2
kill "$API_PID"
# The server shuts down cleanly on SIGTERM (it keeps its state for the restart).
wait "$API_PID" || die "the API server exited with status $? on SIGTERM"
sleep 5
api_start
wait $PING || die "traffic stopped while the API server restarted: $(cat "$TMP/ping.log")"
grep -q ' 0% packet loss' "$TMP/ping.log" || die "packets lost: $(cat "$TMP/ping.log")"
log "and the agents follow the API again: moving n2 back to east"
k annotate node n2 kilo.squat.ai/location- >/dev/null
wait_for "n2 routes west through n1 again" 40 route_on am-n2 10.2.3.0/24 "via 192.168.70.1"
wait_for "p2 -> p3 again" 30 nsx am-p2 ping -q -c 1 -W 1 10.2.3.2
for n in "${NODES[@]}"; do kg_alive "${PID[$n]}" "$n"; done
log "every node checks in every 30 s"
checked_in_since() { [ "$(annotation "$1" last-seen)" -gt "$2" ]; }
for n in "${NODES[@]}"; do
	wait_for "$n's check-in" 35 checked_in_since "$n" "${FIRST_SEEN[$n]}"
done

log "kubectl delete node n3: the others drop it"
k delete node n3 >/dev/null
n3_gone() {
	! http am-n1 http://127.0.0.1:1107/metrics | grep -qF "public_key=\"$(cat "$TMP/n3.pub")\"" &&
		! nsx am-n1 ip route show 10.2.3.0/24 | grep -q .
}
wait_for "n3 gone from n1" 15 n3_gone
http am-n2 http://127.0.0.1:1107/metrics | grep -q '^kilo_nodes 2$' || die "n2 still counts n3"

log "SIGTERM removes the agent's annotations"
kg_stop "${PID[n2]}" n2
for a in key endpoint internal-ip last-seen wireguard-ip discovered-endpoints granularity; do
	k get node n2 -o json | grep -q "\"kilo.squat.ai/$a\"" && die "n2 left $a behind"
done
kg_stop "${PID[n1]}" n1
kg_stop "${PID[n3]}" n3
log "PASS"
