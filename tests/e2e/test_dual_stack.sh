#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# A dual-stack mesh (Kilo #94): the demo's two clouds with an IPv6 underlay
# beside the IPv4 one, cloud-a (a1, a2) and cloud-b (b1) joined by the
# router, every node with an IPv4 and an IPv6 pod CIDR (spec.podCIDRs) and
# kg --subnet 10.4.0.0/16,fd00:4::/64. b1 is dialled over IPv6 (its
# force-endpoint is [2001:db8:100::3]:51820), a1 over IPv4. Every pod
# reaches every other pod over both families, the member a2 through its
# leader; a laptop joined with `kgctl connect -a 10.5.0.1/32,fd00:5::1/128`
# reaches every pod over both and the pods reach it; a pod reaches the
# router's IPv6 address masqueraded; leaders hold both WireGuard IPs and
# publish internal-ipv6 and wireguard-ipv6; kgctl showconf on the cluster
# has both families of every location.
E=${E:-ds}
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

e2e_setup
NODES=(a1 a2 b1)
declare -gA SITE_INDEX=([a]=1 [b]=2)

# The IPv6 underlay beside lib.sh's IPv4 one: ULA LANs and uplinks, public
# addresses from the documentation prefix, routed by $E-rt alone.
dual_underlay() {
	local s
	e2e_underlay
	nsx "$E-rt" sysctl -qw net.ipv6.conf.all.forwarding=1
	for s in a b; do
		local i=${SITE_INDEX[$s]} gw=${SITE_NS[$s]}
		addr_add "$gw" "${E}up" "fd00:99:$i::2/64"
		addr_add "$E-rt" "${E}r$s" "fd00:99:$i::1/64"
		nsx "$gw" ip -6 route add default via "fd00:99:$i::1"
		addr_add "$gw" "${E}lan" "fd00:16:$i::254/64"
		nsx "$gw" sysctl -qw net.ipv6.conf.all.forwarding=1
	done
	addr_add "$E-lap" eth0 2001:db8:4::2/64
	addr_add "$E-rt" "${E}rl" 2001:db8:4::1/64
	nsx "$E-lap" ip -6 route add default via 2001:db8:4::1
}

# dual_node_add NAME SITE I: lib.sh's node, plus fd00:16:S::I on the LAN,
# the public 2001:db8:100::I and the pod's fd00:2:I::2 on kube-bridge's
# fd00:2:I::/64.
dual_node_add() {
	local name=$1 site=$2 i=$3 ns=$E-$1 s=${SITE_INDEX[$2]}
	e2e_node_add "$name" "$site" "$i"
	addr_add "$ns" eth0 "fd00:16:$s::$i/64"
	addr_add "$ns" eth0 "2001:db8:100::$i/128"
	nsx "$ns" ip -6 route add default via "fd00:16:$s::254" src "2001:db8:100::$i"
	nsx "${SITE_NS[$site]}" ip -6 route add "2001:db8:100::$i/128" dev "${E}lan"
	nsx "$E-rt" ip -6 route add "2001:db8:100::$i/128" via "fd00:99:$s::2"
	nsx "$ns" sysctl -qw net.ipv6.conf.all.forwarding=1
	addr_add "$ns" kube-bridge "fd00:2:$i::1/64"
	addr_add "$E-p$name" eth0 "fd00:2:$i::2/64"
	nsx "$E-p$name" ip -6 route add default via "fd00:2:$i::1"
}

# dual_node_join C NAME LOCATION [ANNOTATIONS_JSON]: the Node with both pod
# CIDRs, and kg with both WireGuard subnets.
dual_node_join() {
	local c=$1 name=$2 location=$3 annotations=${4:-"{}"} i=${NODE_IDX[$2]}
	k "$c" create -f - >/dev/null <<-EOF
	{"apiVersion": "v1", "kind": "Node",
	 "metadata": {"name": "$name", "annotations": $annotations,
	              "labels": {"topology.kubernetes.io/region": "$location"}},
	 "spec": {"podCIDR": "10.2.$i.0/24", "podCIDRs": ["10.2.$i.0/24", "fd00:2:$i::/64"]}}
	EOF
	e2e_api_proxy "$c" "$name"
	e2e_kg_start "$c" "$name" --subnet 10.4.0.0/16,fd00:4::/64
}

dual_underlay
dual_node_add a1 a 1
dual_node_add a2 a 2
dual_node_add b1 b 3
e2e_cluster_start c1
dual_node_join c1 a1 cloud-a
dual_node_join c1 a2 cloud-a
dual_node_join c1 b1 cloud-b '{"kilo.squat.ai/force-endpoint": "[2001:db8:100::3]:51820"}'
for n in "${NODES[@]}"; do wait_for "$n's key annotation" 30 has_annotation "$n" key; done

log "every pod reaches every other pod over IPv4 and over IPv6"
e2e_pods_reach "${NODES[@]}"
e2e_pods_reach -6 "${NODES[@]}"

log "a1 leads cloud-a with a WireGuard IP of each family, and dials b1 over IPv6"
e2e_leader a1 || die "a1 does not lead cloud-a"
addresses=$(nsx "$E-a1" ip addr show dev "${E}k1")
grep -q "inet 10.4.0.1/16" <<<"$addresses" || die "a1's kilo0: $addresses"
grep -q "inet6 fd00:4::1/64" <<<"$addresses" || die "a1's kilo0: $addresses"
wg_b1() { grep -qF "$(cat "$TMP/b1.pub")	[2001:db8:100::3]:51820" <<<"$(wg show "${E}k1" endpoints)"; }
wait_for "a1's WireGuard peer b1 at its IPv6 endpoint" 10 wg_b1
[ "$(annotation a1 wireguard-ipv6)" = fd00:4::1/64 ] || die "a1's wireguard-ipv6: $(annotation a1 wireguard-ipv6)"
[ "$(annotation a1 internal-ipv6)" = fd00:16:1::1/64 ] || die "a1's internal-ipv6: $(annotation a1 internal-ipv6)"
[ "$(annotation a1 wireguard-ip)" = 10.4.0.1/16 ] || die "a1's wireguard-ip: $(annotation a1 wireguard-ip)"
[ "$(annotation a2 wireguard-ipv6)" = "" ] || die "a2, a member, publishes a WireGuard IP"
grep -q "via fd00:16:1::1 dev eth0" <<<"$(nsx "$E-a2" ip -6 route show fd00:2:3::/64)" ||
	die "a2 does not route b1's IPv6 pods to a1: $(nsx "$E-a2" ip -6 route)"

log "kgctl showconf: both families of every location, for the leaders and for a Peer"
conf=$(kgctl c1 showconf node a1)
grep -qF "AllowedIPs = 10.2.3.0/24, fd00:2:3::/64, 172.16.2.3/32, fd00:16:2::3/128, 10.4.0.2/32, fd00:4::2/128" <<<"$conf" ||
	die "a1's showconf: $conf"
grep -qF "Endpoint = [2001:db8:100::3]:51820" <<<"$conf" || die "a1's showconf dials b1 over IPv4: $conf"

log "a laptop joins with kgctl connect, an address of each family, and reaches every pod"
e2e_api_proxy c1 lap
ip netns exec "$E-lap" "$KGCTL" --kubeconfig "$TMP/c1.kubeconfig" connect laptop \
	--interface "$CONNECT_LAPTOP" --allowed-ip 10.5.0.1/32,fd00:5::1/128 --resync-period 5s \
	>"$TMP/laptop.log" 2>&1 &
CONNECT_PID=$!
supervise "$CONNECT_PID" "$TMP/laptop.log"
wait_for "the Peer laptop" 10 e2e_connect_ready c1 laptop
[ "$(k c1 get peer laptop -o 'jsonpath={.spec.allowedIPs}')" = '["10.5.0.1/32","fd00:5::1/128"]' ] ||
	die "the Peer's allowed IPs: $(k c1 get peer laptop -o 'jsonpath={.spec.allowedIPs}')"
for n in "${NODES[@]}"; do
	wait_for "laptop -> pod of $n" 30 nsx "$E-lap" ping -q -c 1 -W 1 "10.2.${NODE_IDX[$n]}.2"
	wait_for "laptop -> pod of $n over IPv6" 30 \
		nsx "$E-lap" ping -6 -q -c 1 -W 1 "fd00:2:${NODE_IDX[$n]}::2"
	ping_ok "$E-p$n" 10.5.0.1
	ping_ok "$E-p$n" fd00:5::1
done
conf=$(kgctl c1 showconf peer laptop)
grep -qF "AllowedIPs = 10.2.1.0/24, fd00:2:1::/64, 172.16.1.1/32, fd00:16:1::1/128, 10.2.2.0/24, fd00:2:2::/64, 172.16.1.2/32, fd00:16:1::2/128, 10.4.0.1/32, fd00:4::1/128" <<<"$conf" ||
	die "the laptop's showconf: $conf"

log "a pod reaches the router's IPv6 address outside the mesh, masqueraded"
nat6() { grep -q -- "-A KILO-NAT .*-j MASQUERADE" <<<"$(nsx "$E-a2" ip6tables -t nat -S)"; }
nat6 || die "a2 has no IPv6 MASQUERADE"
ping_ok "$E-pa2" 2001:db8:4::1

kill -TERM "$CONNECT_PID"
rc=0
wait "$CONNECT_PID" || rc=$?
[ $rc = 0 ] || die "kgctl connect exited with status $rc: $(tail -n 20 "$TMP/laptop.log")"
sanitizer_clean "$CONNECT_PID" "$TMP/laptop.log" || die "kgctl connect has a sanitizer report"
e2e_stop_all
log "PASS"
