#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The IPv6 side of the host appliers under kg (file backend, dual stack,
# --subnet 10.4.0.0/16,fd00:4::/64): two leaders in two locations (n1 leads
# east, where n3 runs no agent). n1's kilo0 holds a WireGuard IP of each
# family; its IPv6 routes go to west through west's IPv6 WireGuard IP from
# n1's IPv6 private IP, and to n3's IPv6 pods over the LAN; ip6tables holds
# KILO-NAT with both pod CIDRs' jumps beside iptables; the CNI conflist gets
# both ranges. A resync with nothing changed writes nothing; an IPv6 route
# someone deletes comes back at once, an ip6tables rule at the next resync;
# the pods of n1 and n2 reach each other over IPv6 through WireGuard; the
# clean-up on SIGTERM leaves no ip6tables rule and no IPv6 route of ours.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

need_root
exclusive a6-agent
command -v ip6tables-save >/dev/null || die "ip6tables is missing"
[ "$(cat /proc/sys/net/ipv6/conf/all/disable_ipv6)" = 0 ] || skip "IPv6 is disabled"

NODES=(n1 n2)
declare -A LOC=([n1]=east [n2]=west [n3]=east) IDX=([n1]=1 [n2]=2 [n3]=3)

ns_add a6-sw
nsx a6-sw ip link add a6sw type bridge
nsx a6-sw ip link set a6sw up
specs=()
for n in n1 n2 n3; do
	i=${IDX[$n]}
	key_new "$n" >/dev/null
	specs+=("$n,${LOC[$n]},192.168.73.$i:51820,192.168.73.$i/24,10.2.$i.0/24,$(cat "$TMP/$n.pub"),pod6=fd00:2:$i::/64,internal-ipv6=fd00:73::$i/64")
	[ "$n" = n3 ] && continue
	ns_add "a6-$n"
	ip link add eth0 netns "a6-$n" type veth peer name "a6s$i" netns a6-sw
	nsx a6-sw ip link set "a6s$i" master a6sw up
	nsx "a6-$n" ip addr add "192.168.73.$i/24" dev eth0
	# nodad: a tentative address is no route source yet, and this test has no time for DAD.
	nsx "a6-$n" ip addr add "fd00:73::$i/64" dev eth0 nodad
	nsx "a6-$n" ip link set eth0 up
	nsx "a6-$n" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	pod_add "a6-$n" "a6-p$i" kube-bridge "10.2.$i"
	nsx "a6-$n" ip addr add "fd00:2:$i::1/64" dev kube-bridge nodad
	nsx "a6-p$i" ip addr add "fd00:2:$i::2/64" dev eth0 nodad
	nsx "a6-p$i" ip -6 route add default via "fd00:2:$i::1"
	mkdir -p "$TMP/cni-$n"
	echo '{"plugins":[{"type":"bridge","ipam":{"type":"host-local"}}]}' \
		>"$TMP/cni-$n/10-kilo.conflist"
done
specs[0]+=",leader"
CLUSTER=$TMP/cluster.json
"$PYTHON" "$AGENT_LIB_DIR/cluster_file.py" "$CLUSTER" "${specs[@]}"
"$PYTHON" "$AGENT_LIB_DIR/cluster_file.py" "$CLUSTER" --every 10 "${specs[@]}" &
at_exit "kill $!"

declare -A PID
for n in "${NODES[@]}"; do
	i=${IDX[$n]}
	kg_start "a6-$n" "$n" --backend file --cluster-file "$CLUSTER" --interface "a6k$i" \
		--listen "127.0.0.1:1107" --encapsulate never --resync-period 3s \
		--subnet 10.4.0.0/16,fd00:4::/64 --cni-path "$TMP/cni-$n/10-kilo.conflist"
	PID[$n]=$KG_PID
done

# Output is read whole before grep: see test_appliers.sh.
route6_on() { grep -q -- "$3" <<<"$(nsx "$1" ip -6 route show "$2")"; }
nat6_has() { grep -q -- "$2" <<<"$(nsx "$1" ip6tables -t nat -S)"; }
west6() { route6_on a6-n1 fd00:2:2::/64 "via fd00:4::2 dev a6k1 .*src fd00:73::1"; }

log "n1 routes west's IPv6 pods over WireGuard from its IPv6 private IP, and n3's over the LAN"
wait_for "n1's IPv6 route to west" 20 west6
route6_on a6-n1 fd00:73::2/128 "via fd00:4::2 dev a6k1" || die "n1 has no route to n2's IPv6 host IP"
route6_on a6-n1 fd00:2:3::/64 "via fd00:73::3 dev eth0" || die "n1 has no IPv6 route to n3's pods"
route_on a6-n1 10.2.2.0/24 "via 10.4.0.2 dev a6k1" || die "n1 lost its IPv4 route to west"
addresses=$(nsx a6-n1 ip addr show dev a6k1)
grep -q "inet 10.4.0.1/16" <<<"$addresses" || die "n1's kilo0 lacks 10.4.0.1/16: $addresses"
grep -q "inet6 fd00:4::1/64" <<<"$addresses" || die "n1's kilo0 lacks fd00:4::1/64: $addresses"

log "ip6tables: KILO-NAT for the IPv6 pods, WireGuard IPs exempt, the rest masqueraded"
wait_for "n1's ip6tables KILO-NAT jump" 20 nat6_has a6-n1 "-A POSTROUTING -s fd00:2:1::/64 .*-j KILO-NAT"
nat6_has a6-n1 "-A KILO-NAT -d fd00:4::2/128 .*-j RETURN" || die "fd00:4::2 is NAT'ed"
nat6_has a6-n1 "-A KILO-NAT -d fd00:2:2::/64 .*-j RETURN" || die "west's IPv6 pods are NAT'ed"
nat6_has a6-n1 "-A KILO-NAT .*-j MASQUERADE" || die "no IPv6 MASQUERADE"
grep -q -- "-A POSTROUTING -s 10.2.1.0/24 .*-j KILO-NAT" <<<"$(nsx a6-n1 iptables -t nat -S)" ||
	die "n1 lost its IPv4 KILO-NAT jump"

log "the CNI conflist holds a range per family"
"$PYTHON" - "$TMP/cni-n1/10-kilo.conflist" <<'PY' || die "conflist: $(cat "$TMP/cni-n1/10-kilo.conflist")"
import json, sys
ranges = json.load(open(sys.argv[1]))["plugins"][0]["ipam"]["ranges"]
assert ranges == [[{"subnet": "10.2.1.0/24"}], [{"subnet": "fd00:2:1::/64"}]], ranges
PY

log "the pods of n1 and n2 reach each other over IPv6 through WireGuard"
wait_for "pod of n1 -> pod of n2 over IPv6" 30 nsx a6-p1 ping -6 -q -c 1 -W 1 fd00:2:2::2
ping_ok a6-p2 fd00:2:1::2

log "resyncs with nothing changed write no route and no rule"
quiet_resyncs n1

log "an IPv6 route deleted behind kg's back comes back at once"
restored=$(log_count n1 'restored deleted routes')
for _ in 1 2 3; do
	restored=$(log_count n1 'restored deleted routes')
	nsx a6-n1 ip -6 route del fd00:2:2::/64
	wait_for "n1's IPv6 route to west again" 2 west6
	[ "$(log_count n1 'restored deleted routes')" -gt "$restored" ] && break
	# A resync that began just before the deletion put it back first: try again.
done
[ "$(log_count n1 'restored deleted routes')" -gt "$restored" ] ||
	die "the IPv6 route was not restored by the route watch"

log "an ip6tables rule comes back at the next resync"
nsx a6-n1 ip6tables -t nat -D POSTROUTING -s fd00:2:1::/64 \
	-m comment --comment "Kilo: jump to KILO-NAT chain" -j KILO-NAT
wait_for "n1's ip6tables KILO-NAT jump again" 10 \
	nat6_has a6-n1 "-A POSTROUTING -s fd00:2:1::/64 .*-j KILO-NAT"

log "SIGTERM leaves no ip6tables rule and no IPv6 route of ours"
kg_stop "${PID[n1]}" n1
saved=$(nsx a6-n1 ip6tables-save)
grep -q 'KILO-\|Kilo:' <<<"$saved" && die "n1 left ip6tables rules behind: $saved"
[ -z "$(nsx a6-n1 ip -6 route show proto 107)" ] || die "n1 left IPv6 routes of its protocol"
grep -q "table 1107" <<<"$(nsx a6-n1 ip -6 route show table all)" &&
	die "n1 left IPv6 routes in table 1107"
kg_stop "${PID[n2]}" n2
log "PASS"
