#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# No private or preshared key ever leaves through what kg, kwg and kgctl
# print: a node (kg, a key it made itself) leads a mesh with a Kilo Peer that
# has a preshared key, the Peer (kwg) handshakes with it, every log at its
# most verbose, /metrics, /graph and kgctl's graph and showconf are searched
# for each secret in base64 and in hex. The preshared key may appear only
# where Kilo prints it: the WireGuard configurations of kgctl showconf. Key
# file 0600 in a 0700 directory, UAPI sockets 0600. kgctl connect logs no
# secret.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

need_root
exclusive hy-keys
command -v curl >/dev/null || die "curl is missing"
KGCTL=${KGCTL:-$KILO_BIN/kgctl}
KG_IF=hyk2
LAPTOP_IF=hyl0

# hy-a (the node, 192.168.73.1) and hy-b (the laptop, .2) on one veth.
ns_add hy-a hy-b
for ns in hy-a hy-b; do
	nsx $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
veth_add hy-a hyva hy-b hyvb
addr_add hy-a hyva 192.168.73.1/24
addr_add hy-b hyvb 192.168.73.2/24
key_new laptop >/dev/null
key_new roamer >/dev/null
wg genpsk >"$TMP/psk"
wg genpsk >"$TMP/roamer.psk"
n2_pub=$(wg genkey | wg pubkey)
now=$(date +%s)
node() {
	echo "{\"apiVersion\": \"v1\", \"kind\": \"Node\", \"metadata\": {\"name\": \"$1\",
	 \"labels\": {\"topology.kubernetes.io/region\": \"$2\"}, \"annotations\": {
	 \"kilo.squat.ai/endpoint\": \"$3:51820\", \"kilo.squat.ai/internal-ip\": \"$3/24\",
	 \"kilo.squat.ai/key\": \"$4\", \"kilo.squat.ai/last-seen\": \"$now\",
	 \"kilo.squat.ai/leader\": \"true\", \"kilo.squat.ai/granularity\": \"location\"}}, \"spec\": {\"podCIDR\": \"$5\"}}"
}

log "kg makes its key: 0600 in a 0700 directory"
# n1's key is kg's own, so the cluster file gets its public key once kg is up.
cluster() {
	cat >"$TMP/cluster.new" <<-EOF
	{"apiVersion": "v1", "kind": "List", "items": [
	 $(node n1 east 192.168.73.1 "$1" 10.2.1.0/24),
	 $(node n2 west 192.168.73.3 "$n2_pub" 10.2.2.0/24),
	 {"apiVersion": "kilo.squat.ai/v1alpha1", "kind": "Peer", "metadata": {"name": "laptop"},
	  "spec": {"allowedIPs": ["10.5.0.1/32"], "publicKey": "$(cat "$TMP/laptop.pub")",
	           "presharedKey": "$(cat "$TMP/psk")", "persistentKeepalive": 10}},
	 {"apiVersion": "kilo.squat.ai/v1alpha1", "kind": "Peer", "metadata": {"name": "roamer"},
	  "spec": {"allowedIPs": ["10.5.0.2/32"], "publicKey": "$(cat "$TMP/roamer.pub")",
	           "presharedKey": "$(cat "$TMP/roamer.psk")"}}]}
	EOF
	mv "$TMP/cluster.new" "$TMP/cluster.json"
}
cluster ""
kg_start hy-a n1 --backend file --cluster-file "$TMP/cluster.json" --interface $KG_IF \
	--listen 127.0.0.1:1107 --encapsulate never --cni=false
kilo_dir() { nsenter -t "$KG_PID" -m "$@"; }
wait_for "kg's key" 10 kilo_dir test -s /var/lib/kilo/key
kilo_dir cat /var/lib/kilo/key >"$TMP/n1.key"
[ "$(kilo_dir stat -c %a /var/lib/kilo/key)" = 600 ] || die "the key file is not 0600"
[ "$(kilo_dir stat -c %a /var/lib/kilo)" = 700 ] || die "/var/lib/kilo is not 0700"
cluster "$(wg pubkey <"$TMP/n1.key")"

log "the Peer, configured by kgctl showconf peer, handshakes with the preshared key"
LOG_LEVEL=debug daemon_start "$KWG" hy-b $LAPTOP_IF
kctl() { "$KGCTL" --backend file --cluster-file "$TMP/cluster.json" "$@"; }
kctl showconf peer laptop >"$TMP/laptop.conf"
grep -qxF "PresharedKey = $(cat "$TMP/psk")" "$TMP/laptop.conf" || die "showconf peer has no PSK"
wg setconf $LAPTOP_IF "$TMP/laptop.conf"
wg set $LAPTOP_IF private-key "$TMP/laptop.key"
wg_if_up hy-b $LAPTOP_IF 10.5.0.1/32
nsx hy-b ip route add 10.4.0.0/16 dev $LAPTOP_IF
has_peer() { wg show $KG_IF peers | grep -qF "$(cat "$TMP/laptop.pub")"; }
wait_for "the Peer on kg's device" 10 has_peer
wait_for "a ping through the tunnel" 10 nsx hy-b ping -c 1 -W 1 10.4.0.1
has_handshake $LAPTOP_IF "$(wg pubkey <"$TMP/n1.key")" || die "no handshake"
for dev in $KG_IF $LAPTOP_IF; do
	[ "$(stat -c %a "$UAPI_DIR/$dev.sock")" = 600 ] || die "$UAPI_DIR/$dev.sock is not 0600"
done

log "no secret in logs, /metrics, /graph, kgctl graph"
http hy-a http://127.0.0.1:1107/metrics >"$TMP/metrics.out"
http hy-a "http://127.0.0.1:1107/graph?format=dot" >"$TMP/graph-http.out"
kctl graph >"$TMP/graph.out"
for o in wireguard json yaml; do
	kctl showconf node n1 -o $o >"$TMP/showconf-node.$o"
	kctl showconf peer laptop -o $o >"$TMP/showconf-peer.$o"
done
grep -q "public_key=\"$(cat "$TMP/laptop.pub")\"" "$TMP/metrics.out" || die "/metrics lacks the Peer"
grep -q laptop "$TMP/graph.out" || die "kgctl graph lacks the Peer"

# secret_forms FILE: the key in FILE in base64 and in hex, one a line.
secret_forms() {
	local key
	key=$(cat "$1")
	echo "$key"
	base64 -d <<<"$key" | od -An -tx1 | tr -d ' \n'
	echo
}
for secret in n1.key laptop.key psk roamer.key roamer.psk; do
	secret_forms "$TMP/$secret"
done >"$TMP/secrets"
for secret in psk roamer.psk; do secret_forms "$TMP/$secret"; done >"$TMP/psk.forms"
leaks=$(grep -lF -f "$TMP/secrets" "$TMP/n1.log" "$TMP/$LAPTOP_IF.log" "$TMP/metrics.out" \
	"$TMP/graph-http.out" "$TMP/graph.out") && die "a secret in $leaks"
leaks=$(grep -lF -f <(grep -vxF -f "$TMP/psk.forms" "$TMP/secrets") "$TMP"/showconf-*) &&
	die "a private key in $leaks"
# Where Kilo prints it: the Peers' sections of the node's configuration.
grep -qxF "PresharedKey = $(cat "$TMP/psk")" "$TMP/showconf-node.wireguard" ||
	die "showconf node n1 lacks the Peer's PSK"
# The logs were at their most verbose: the handshake is there.
grep -qi handshake "$TMP/n1.log" || die "kg's log shows no handshake: is it verbose?"
grep -qi handshake "$TMP/$LAPTOP_IF.log" || die "kwg's log shows no handshake: is it verbose?"
kg_stop "$KG_PID" n1
daemon_stop "$DAEMON_PID" $LAPTOP_IF
grep -lF -f "$TMP/secrets" "$TMP/n1.log" "$TMP/$LAPTOP_IF.log" && die "a secret logged at exit"

log "kgctl connect, as the Peer roamer, logs no secret either"
# Last: it routes kg's private IP, the endpoint, into its tunnel.
ip netns exec hy-b "$KGCTL" --backend file --cluster-file "$TMP/cluster.json" connect roamer \
	--private-key "$TMP/roamer.key" --interface hyc0 --allowed-ip 10.5.0.2/32 \
	--log-level all >"$TMP/roamer.log" 2>&1 &
CONNECT_PID=$!
at_exit "kill $CONNECT_PID; wait $CONNECT_PID"
connected() { wg show hyc0 peers | grep -qF "$(wg pubkey <"$TMP/n1.key")"; }
wait_for "kgctl connect's peer" 10 connected
kill -TERM $CONNECT_PID
wait $CONNECT_PID || die "kgctl connect exited with $? on SIGTERM: $(cat "$TMP/roamer.log")"
sanitizer_clean $CONNECT_PID "$TMP/roamer.log" || die "kgctl connect has a sanitizer report"
grep -lF -f "$TMP/secrets" "$TMP/roamer.log" && die "kgctl connect logged a secret"
log "PASS"
