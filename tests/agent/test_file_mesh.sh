#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# kg with the file backend: three nodes (network namespaces on one LAN) in
# two locations, east (n1 leads, n2) and west (n3), each running kg with its
# in-process WireGuard device. Shows the leaders' devices up with their
# WireGuard IPs and the followers' down, the routes and iptables rules the
# topology asks for (a deleted route back at once, a deleted leader's device
# recreated), the CNI conflist getting the pod CIDR, pods in east
# reaching the pod in west through WireGuard (handshake in /metrics), the
# HTTP endpoints, and the clean-up on SIGTERM.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

need_root
exclusive am-agent
command -v curl >/dev/null || die "curl is missing"
command -v iptables-save >/dev/null || die "iptables is missing"

NODES=(n1 n2 n3)
declare -A LOC=([n1]=east [n2]=east [n3]=west) IDX=([n1]=1 [n2]=2 [n3]=3)

lan_add
specs=()
for n in "${NODES[@]}"; do
	i=${IDX[$n]}
	node_add "$n" "$i"
	spec="$n,${LOC[$n]},192.168.70.$i:51820,192.168.70.$i/24,10.2.$i.0/24,$(cat "$TMP/$n.pub")"
	[ "$n" = n1 ] && spec+=",leader"
	specs+=("$spec")
done

CLUSTER=$TMP/cluster.json
"$PYTHON" "$AGENT_LIB_DIR/cluster_file.py" "$CLUSTER" "${specs[@]}"
"$PYTHON" "$AGENT_LIB_DIR/cluster_file.py" "$CLUSTER" --every 10 "${specs[@]}" &
at_exit "kill $!"

declare -A PID
for n in "${NODES[@]}"; do
	i=${IDX[$n]}
	clean_up=(--clean-up=true)
	[ "$n" = n1 ] && clean_up+=(--clean-up-interface)
	[ "$n" = n3 ] && clean_up=(--clean-up=false)
	kg_start "am-$n" "$n" --backend file --cluster-file "$CLUSTER" --interface "amk$i" \
		--listen "127.0.0.1:1107" --encapsulate never --resync-period 5s \
		--cni-path "$TMP/cni-$n/10-kilo.conflist" "${clean_up[@]}"
	PID[$n]=$KG_PID
done

# Output is read whole before grep -q: one that stops reading early makes the
# writer die of SIGPIPE, and pipefail turns a match into a failure.
has_address() { grep -q "inet $3 " <<<"$(nsx "$1" ip -o addr show dev "$2")"; }
is_up() { grep -q '[<,]UP[,>]' <<<"$(nsx "$1" ip -o link show dev "$2")"; }
is_down() { grep -vq '[<,]UP[,>]' <<<"$(nsx "$1" ip -o link show dev "$2")"; }

log "leaders get their WireGuard IP (east 10.4.0.1, west 10.4.0.2) and are up"
wait_for "amk1 address" 20 has_address am-n1 amk1 10.4.0.1/16
wait_for "amk3 address" 20 has_address am-n3 amk3 10.4.0.2/16
is_up am-n1 amk1 || die "amk1 is not up"
is_up am-n3 amk3 || die "amk3 is not up"
log "the follower n2 keeps its device down"
wait_for "amk2 down" 10 is_down am-n2 amk2
for n in "${NODES[@]}"; do kg_alive "${PID[$n]}" "$n"; done

log "routes: leaders route the other location over WireGuard, n2 through its leader"
wait_for "n1 route to west" 20 route_on am-n1 10.2.3.0/24 "via 10.4.0.2 dev amk1"
wait_for "n3 route to east" 20 route_on am-n3 10.2.1.0/24 "via 10.4.0.1 dev amk3"
wait_for "n2 route to west" 20 route_on am-n2 10.2.3.0/24 "via 192.168.70.1 dev eth0"

log "a route someone deletes comes back at once"
nsx am-n2 ip route del 10.2.3.0/24
wait_for "n2's route to west again" 2 route_on am-n2 10.2.3.0/24 "via 192.168.70.1 dev eth0"

log "iptables: the pod CIDR is masqueraded through KILO-NAT, except towards the mesh"
nat_has() { grep -q -- "$2" <<<"$(nsx "$1" iptables -t nat -S)"; }
wait_for "KILO-NAT jump on n2" 20 nat_has am-n2 "-A POSTROUTING -s 10.2.2.0/24 .*-j KILO-NAT"
nat_has am-n2 "-A KILO-NAT -d 10.2.3.0/24 .*-j RETURN" || die "n2 NATs traffic to west's pods"
nat_has am-n2 "-A KILO-NAT .*-j MASQUERADE" || die "n2 has no MASQUERADE in KILO-NAT"

log "the CNI conflist carries each node's pod CIDR"
cni_has() { grep -q "\"subnet\": *\"$2\"" "$TMP/cni-$1/10-kilo.conflist"; }
for n in "${NODES[@]}"; do
	wait_for "CNI range on $n" 10 cni_has "$n" "10.2.${IDX[$n]}.0/24"
done

log "pods in east reach the pod in west, and back, through WireGuard"
wait_for "p1 -> p3" 20 nsx am-p1 ping -q -c 1 -W 1 10.2.3.2
ping_ok am-p1 10.2.3.2
ping_ok am-p2 10.2.3.2
ping_ok am-p3 10.2.2.2
log "and pods inside east talk directly"
ping_ok am-p2 10.2.1.2

log "/metrics: Kilo's metrics and the handshake with west's leader"
metrics=$(http am-n1 http://127.0.0.1:1107/metrics)
grep -q '^kilo_nodes 3$' <<<"$metrics" || die "kilo_nodes is not 3: $(grep kilo_nodes <<<"$metrics")"
grep -q '^kilo_leader 1$' <<<"$metrics" || die "n1 is not reported leader"
grep -q '^kilo_reconciles_total [1-9]' <<<"$metrics" || die "no reconcile counted"
grep -q '^kilo_errors_total{event="apply"} 0$' <<<"$metrics" || die "apply errors: $metrics"
iptables_ops='^kilo_iptables_operations_total{chain="POSTROUTING",operation="Insert",protocol="IPv4",table="nat"} [1-9]'
grep -q "$iptables_ops" <<<"$metrics" || die "no iptables insert counted: $(grep iptables <<<"$metrics")"
grep -q '^kilo_iptables_operations_total{chain="\*",operation="List",protocol="IPv4",table="nat"} [1-9]' \
	<<<"$metrics" || die "no iptables read counted"
for name in process_cpu_seconds_total process_open_fds process_max_fds process_resident_memory_bytes \
	process_start_time_seconds process_virtual_memory_bytes process_virtual_memory_max_bytes; do
	grep -q "^# TYPE $name \(counter\|gauge\)$" <<<"$metrics" && grep -q "^$name [0-9]" <<<"$metrics" ||
		die "$name is missing from /metrics"
done
n3_pub=$(cat "$TMP/n3.pub")
hs=$(awk -v k="public_key=\"$n3_pub\"}" 'index($0, "wireguard_latest_handshake_seconds{") == 1 &&
	index($0, k) { print $2 }' <<<"$metrics")
[ -n "$hs" ] && [ "$hs" -gt 0 ] || die "no handshake with n3 in n1's metrics"
grep -q "PrivateKey\|$(cat "$TMP/n1.key")" <<<"$metrics" && die "a private key in /metrics"
grep -q '^kilo_leader 0$' <<<"$(http am-n2 http://127.0.0.1:1107/metrics)" ||
	die "n2 is reported leader"

log "wg show sees the in-process device through its UAPI socket, like a kernel interface"
wg_hs=$(wg show amk1 latest-handshakes | awk -v k="$n3_pub" '$1 == k { print $2 }')
[ -n "$wg_hs" ] && [ "$wg_hs" -gt 0 ] || die "wg show amk1: no handshake with n3: $(wg show amk1)"
[ "$(wg show amk1 public-key)" = "$(wg pubkey <"$TMP/n1.key")" ] ||
	die "wg show amk1 public-key is not n1's"

log "/health, /graph"
[ "$(http_status am-n1 http://127.0.0.1:1107/health)" = 200 ] || die "/health is not 200"
dot=$(http am-n1 "http://127.0.0.1:1107/graph?format=dot")
grep -q '^digraph kilo {' <<<"$dot" || die "/graph?format=dot is not DOT: $dot"
grep -q '"n1"->"n3"\|"n3"->"n1"' <<<"$dot" || die "/graph has no edge between the leaders"
if command -v dot >/dev/null; then
	grep -q '<svg' <<<"$(http am-n1 http://127.0.0.1:1107/graph)" || die "/graph is not SVG"
fi
[ "$(http_status am-n1 'http://127.0.0.1:1107/graph?format=bogus')" = 500 ] ||
	die "an unsupported format is not a 500"
[ "$(http_status am-n1 'http://127.0.0.1:1107/graph?layout=bogus')" = 500 ] ||
	die "an unsupported layout is not a 500"

log "resyncs with nothing changed reconfigure nothing"
before=$(grep -c 'WireGuard configuration updated' "$TMP/n1.log" || true)
sleep 12
after=$(grep -c 'WireGuard configuration updated' "$TMP/n1.log" || true)
[ "$before" = "$after" ] || die "n1 reconfigured WireGuard on a resync without change"
grep -q 'PRIVATE\|'"$(cat "$TMP/n1.key")" "$TMP/n1.log" && die "n1 logged its private key"

log "n3 restarted without clean-up adopts its interface, routes and iptables rules"
kg_stop "${PID[n3]}" n3
nat_has am-n3 "-A POSTROUTING -s 10.2.3.0/24 .*-j KILO-NAT" || die "n3 cleaned up without --clean-up"
has_address am-n3 amk3 10.4.0.2/16 || die "amk3 went with kg without --clean-up-interface"
route_on am-n3 10.2.1.0/24 "via 10.4.0.1 dev amk3" || die "n3's routes through amk3 went"
kg_start am-n3 n3 --backend file --cluster-file "$CLUSTER" --interface amk3 \
	--listen 127.0.0.1:1107 --encapsulate never --resync-period 5s \
	--cni-path "$TMP/cni-n3/10-kilo.conflist" --clean-up=false --log-level info
PID[n3]=$KG_PID
wait_for "p1 -> p3 after the restart" 30 nsx am-p1 ping -q -c 1 -W 1 10.2.3.2
ping_ok am-p3 10.2.2.2
grep -q 'iptables rules updated' "$TMP/n3.log" && die "the restarted n3 rewrote its iptables rules"
grep -q 'routes updated' "$TMP/n3.log" && die "the restarted n3 rewrote its routes"
grep -q 'CNI config .* updated' "$TMP/n3.log" && die "the restarted n3 rewrote its CNI config"
grep -q '"msg":"agent started on amk3 as node n3 with userspace WireGuard"' "$TMP/n3.log" ||
	die "n3 logs no info lines, or not that auto chose the engine on a host without WireGuard"
grep -q '"level":"debug"' "$TMP/n3.log" && die "n3 logs debug lines at --log-level info"

log "amk3 deleted under n3's kg comes back with its address, MTU and routes; traffic passes again"
mtu() { nsx "$1" cat "/sys/class/net/$2/mtu"; }
mtu3=$(mtu am-n3 amk3)
nsx am-n3 ip link del amk3
wait_for "amk3 recreated with its address" 5 has_address am-n3 amk3 10.4.0.2/16
wait_for "n3's route to east through the new amk3" 5 \
	route_on am-n3 10.2.1.0/24 "via 10.4.0.1 dev amk3"
is_up am-n3 amk3 || die "the recreated amk3 is not up"
[ "$(mtu am-n3 amk3)" = "$mtu3" ] || die "the recreated amk3 has MTU $(mtu am-n3 amk3), not $mtu3"
grep -q '"msg":"interface amk3 was deleted; recreating it"' "$TMP/n3.log" ||
	die "n3 did not log the deletion of amk3"
[ "$(wg show amk3 public-key)" = "$(wg pubkey <"$TMP/n3.key")" ] ||
	die "wg show cannot see the recreated amk3"
# The new engine has no session: n3's first packet to east starts a handshake.
wait_for "p3 -> p1 through the new amk3" 15 nsx am-p3 ping -q -c 1 -W 1 10.2.1.2
ping_ok am-p1 10.2.3.2
kg_alive "${PID[n3]}" n3

log "SIGTERM cleans up routes and iptables rules"
kg_stop "${PID[n2]}" n2
[ -n "$(nsx am-n2 ip route show 10.2.3.0/24)" ] && die "n2 left its route to west behind"
nat_has am-n2 KILO-NAT && die "n2 left KILO-NAT behind"
grep -q '"msg":"cleaned up"' "$TMP/n2.log" || die "n2 did not log its clean-up"
has_address am-n2 amk2 10.4.0.1/16 && die "the follower n2 got a WireGuard IP"
nsx am-n2 ip link show amk2 >/dev/null || die "amk2 went without --clean-up-interface"
kg_stop "${PID[n1]}" n1
nsx am-n1 ip link show amk1 >/dev/null 2>&1 && die "amk1 stayed with --clean-up-interface"
kg_stop "${PID[n3]}" n3
log "PASS"
