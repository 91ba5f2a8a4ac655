#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# An IPv6-only mesh (Kilo #94): no IPv4 address on any link of the underlay,
# the nodes or the pods (only loopback, where each node reaches the test API
# server). cloud-a (a1, a2) and cloud-b (b1) behind the router, ULA LANs,
# public addresses from 2001:db8::/32, pod CIDRs fd00:2:I::/64 in
# spec.podCIDR, kg --subnet fd00:4::/64 --encapsulate always: IPIP carries
# IPv4 only, so nothing is encapsulated and no tunnel is made. Every pod
# reaches every other pod, a2 through its leader over the LAN; WireGuard runs
# over IPv6 endpoints; Kilo's own annotations hold the IPv6 values (and no
# -ipv6 ones are written); a laptop joined with `kgctl connect -a
# fd00:5::1/128` reaches every pod and the pods reach it; a pod reaches the
# router outside the mesh, masqueraded by ip6tables.
E=${E:-v6}
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

e2e_setup
NODES=(a1 a2 b1)
declare -gA SITE_INDEX=([a]=1 [b]=2)

# v6_uplink NS IF RTIF I: NS's link to the router, fd00:99:I::2 and ::1.
v6_uplink() {
	veth_add "$1" "$2" "$E-rt" "$3"
	addr_add "$1" "$2" "fd00:99:$4::2/64"
	addr_add "$E-rt" "$3" "fd00:99:$4::1/64"
	nsx "$1" ip -6 route add default via "fd00:99:$4::1"
}

v6_underlay() {
	local s
	ns_add "$E-rt" "$E-gwa" "$E-gwb" "$E-lap"
	nsx "$E-rt" sysctl -qw net.ipv6.conf.all.forwarding=1
	for s in a b; do
		local i=${SITE_INDEX[$s]} gw=$E-gw$s
		v6_uplink "$gw" "${E}up" "${E}r$s" "$i"
		nsx "$gw" ip link add "${E}lan" type bridge
		addr_add "$gw" "${E}lan" "fd00:16:$i::254/64"
		nsx "$gw" ip link set "${E}lan" up
		nsx "$gw" sysctl -qw net.ipv6.conf.all.forwarding=1
	done
	veth_add "$E-lap" eth0 "$E-rt" "${E}rl"
	addr_add "$E-lap" eth0 2001:db8:4::2/64
	addr_add "$E-rt" "${E}rl" 2001:db8:4::1/64
	nsx "$E-lap" ip -6 route add default via 2001:db8:4::1
}

# v6_node_add NAME SITE I: node $E-NAME at fd00:16:S::I on SITE's LAN, public
# 2001:db8:100::I, the pod $E-pNAME at fd00:2:I::2 on kube-bridge, a key.
v6_node_add() {
	local name=$1 site=$2 i=$3 ns=$E-$1 pod=$E-p$1 s=${SITE_INDEX[$2]}
	ns_add "$ns" "$pod"
	ip link add eth0 netns "$ns" type veth peer name "${E}s$i" netns "$E-gw$site"
	nsx "$E-gw$site" ip link set "${E}s$i" master "${E}lan" up
	addr_add "$ns" eth0 "fd00:16:$s::$i/64"
	addr_add "$ns" eth0 "2001:db8:100::$i/128"
	nsx "$ns" ip link set eth0 up
	nsx "$ns" ip -6 route add default via "fd00:16:$s::254" src "2001:db8:100::$i"
	nsx "$E-gw$site" ip -6 route add "2001:db8:100::$i/128" dev "${E}lan"
	nsx "$E-rt" ip -6 route add "2001:db8:100::$i/128" via "fd00:99:$s::2"
	nsx "$ns" sysctl -qw net.ipv6.conf.all.forwarding=1
	nsx "$ns" ip link add kube-bridge type bridge
	addr_add "$ns" kube-bridge "fd00:2:$i::1/64"
	nsx "$ns" ip link set kube-bridge up
	ip link add eth0 netns "$pod" type veth peer name "v$pod" netns "$ns"
	nsx "$ns" ip link set "v$pod" master kube-bridge up
	addr_add "$pod" eth0 "fd00:2:$i::2/64"
	nsx "$pod" ip link set eth0 up
	nsx "$pod" ip -6 route add default via "fd00:2:$i::1"
	key_new "$name" >/dev/null
	cat >"$TMP/$name.conflist" <<-EOF
	{"cniVersion":"0.4.0","name":"kilo","plugins":[{"type":"bridge","bridge":"kube-bridge",
	 "ipam":{"type":"host-local"}},{"type":"portmap","capabilities":{"portMappings":true}}]}
	EOF
	NODE_IDX[$name]=$i
}

# v6_node_join C NAME LOCATION: the Node (an IPv6 pod CIDR) and kg.
v6_node_join() {
	local c=$1 name=$2 location=$3 i=${NODE_IDX[$2]}
	k "$c" create -f - >/dev/null <<-EOF
	{"apiVersion": "v1", "kind": "Node",
	 "metadata": {"name": "$name", "labels": {"topology.kubernetes.io/region": "$location"}},
	 "spec": {"podCIDR": "fd00:2:$i::/64", "podCIDRs": ["fd00:2:$i::/64"]}}
	EOF
	e2e_api_proxy "$c" "$name"
	e2e_kg_start "$c" "$name" --subnet fd00:4::/64 --encapsulate always
}

v6_underlay
v6_node_add a1 a 1
v6_node_add a2 a 2
v6_node_add b1 b 3
for ns in "$E-rt" "$E-gwa" "$E-gwb" "$E-lap" "$E-a1" "$E-a2" "$E-b1" "$E-pa1" "$E-pa2" "$E-pb1"; do
	[ -z "$(nsx "$ns" ip -4 addr show scope global)" ] || die "$ns has an IPv4 address"
done
e2e_cluster_start c1
v6_node_join c1 a1 cloud-a
v6_node_join c1 a2 cloud-a
v6_node_join c1 b1 cloud-b
for n in "${NODES[@]}"; do wait_for "$n's key annotation" 30 has_annotation "$n" key; done

log "every pod reaches every other pod"
e2e_pods_reach -6 "${NODES[@]}"

log "Kilo's annotations hold the IPv6 values; no IPv4 on kilo0; WireGuard over IPv6"
e2e_leader a1 || die "a1 does not lead cloud-a"
[ "$(annotation a1 wireguard-ip)" = fd00:4::1/64 ] || die "a1's wireguard-ip: $(annotation a1 wireguard-ip)"
[ "$(annotation a1 internal-ip)" = fd00:16:1::1/64 ] || die "a1's internal-ip: $(annotation a1 internal-ip)"
[ "$(annotation a1 endpoint)" = "[2001:db8:100::1]:51820" ] || die "a1's endpoint: $(annotation a1 endpoint)"
[ "$(annotation b1 wireguard-ip)" = fd00:4::2/64 ] || die "b1's wireguard-ip: $(annotation b1 wireguard-ip)"
for a in internal-ipv6 wireguard-ipv6; do
	! has_annotation a1 "$a" || die "a single-stack node writes $a"
done
addresses=$(nsx "$E-a1" ip addr show dev "${E}k1")
grep -q "inet6 fd00:4::1/64" <<<"$addresses" || die "a1's kilo0: $addresses"
! grep -q "inet " <<<"$addresses" || die "a1's kilo0 has an IPv4 address: $addresses"
wg_b1() { grep -qF "$(cat "$TMP/b1.pub")	[2001:db8:100::3]:51820" <<<"$(wg show "${E}k1" endpoints)"; }
wait_for "a1's WireGuard peer b1 at its IPv6 endpoint" 10 wg_b1

log "--encapsulate always encapsulates nothing: IPIP carries IPv4 only"
grep -q "via fd00:16:1::1 dev eth0" <<<"$(nsx "$E-a2" ip -6 route show fd00:2:3::/64)" ||
	die "a2 does not route b1's pods to a1 on eth0: $(nsx "$E-a2" ip -6 route)"
for n in "${NODES[@]}"; do
	! nsx "$E-$n" ip link show tunl0 >/dev/null 2>&1 || die "$n made tunl0"
	! grep -q tunnel "$TMP/$n.log" || die "$n logged about a tunnel: $(grep tunnel "$TMP/$n.log")"
	grep -q "KILO-IPIP" <<<"$(nsx "$E-$n" ip6tables-save)$(nsx "$E-$n" iptables-save)" &&
		die "$n has IPIP rules"
	[ -z "$(nsx "$E-$n" ip -6 rule show table 1107)" ] || die "$n has rules for table 1107"
done

log "a laptop joins with kgctl connect and reaches every pod; the pods reach it"
e2e_api_proxy c1 lap
ip netns exec "$E-lap" "$KGCTL" --kubeconfig "$TMP/c1.kubeconfig" connect laptop \
	--interface "$CONNECT_LAPTOP" --allowed-ip fd00:5::1/128 --resync-period 5s \
	>"$TMP/laptop.log" 2>&1 &
CONNECT_PID=$!
supervise "$CONNECT_PID" "$TMP/laptop.log"
wait_for "the Peer laptop" 10 e2e_connect_ready c1 laptop
for n in "${NODES[@]}"; do
	wait_for "laptop -> pod of $n" 30 nsx "$E-lap" ping -6 -q -c 1 -W 1 "fd00:2:${NODE_IDX[$n]}::2"
	ping_ok "$E-p$n" fd00:5::1
done
conf=$(kgctl c1 showconf peer laptop)
grep -qF "AllowedIPs = fd00:2:1::/64, fd00:16:1::1/128, fd00:2:2::/64, fd00:16:1::2/128, fd00:4::1/128" <<<"$conf" ||
	die "the laptop's showconf: $conf"
grep -qF "Endpoint = [2001:db8:100::3]:51820" <<<"$conf" || die "the laptop's showconf: $conf"

log "a pod reaches the router outside the mesh, masqueraded by ip6tables"
ping_ok "$E-pa2" 2001:db8:4::1

kill -TERM "$CONNECT_PID"
rc=0
wait "$CONNECT_PID" || rc=$?
[ $rc = 0 ] || die "kgctl connect exited with status $rc: $(tail -n 20 "$TMP/laptop.log")"
sanitizer_clean "$CONNECT_PID" "$TMP/laptop.log" || die "kgctl connect has a sanitizer report"
e2e_stop_all
log "PASS"
