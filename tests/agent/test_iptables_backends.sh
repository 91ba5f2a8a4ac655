#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# kg writes its rules with the iptables the host already uses, legacy or
# nf_tables, as Kubernetes' iptables-wrappers decides (cmd/kg/README.md,
# "iptables: legacy or nf_tables"). On this host both are there, and each
# network namespace has both sets of tables, so every case is a node of its
# own: the tables seeded as a cluster would leave them, kg started on the
# file backend, and then its rules (KILO-NAT and the jump to it for the pod
# CIDR) must be in the backend chosen and in neither family of the other,
# and on SIGTERM leave only the seeded rules behind. The cases: kube-proxy's
# legacy rules; the kubelet's hint chain in nf_tables while a firewall holds
# more legacy rules; --iptables-backend=legacy and KILO_IPTABLES_BACKEND=nft
# against what is seeded; a node with nothing seeded (nf_tables on a tie),
# and a kg that finds its own legacy rules from before and stays with them.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

need_root
exclusive ib-iptables
for tool in iptables-legacy-save iptables-nft-save ip6tables-legacy-save ip6tables-nft-save; do
	command -v $tool >/dev/null || die "$tool is missing (Debian's iptables has both)"
done

FAR_KEY=$(key_new far)

# node NAME I: namespace ib-NAME with 192.168.7I.1/24 on eth0, its key, its
# conflist, and a cluster file: NAME in east (pod CIDR 10.2.I.0/24), far in west.
node() {
	local name=$1 i=$2 ns=ib-$1
	ns_add "$ns"
	ip link add eth0 netns "$ns" type veth peer name eth1 netns "$ns"
	nsx "$ns" ip addr add "192.168.7$i.1/24" dev eth0
	nsx "$ns" ip link set eth0 up
	nsx "$ns" ip link set eth1 up
	key_new "$name" >/dev/null
	mkdir -p "$TMP/cni-$name"
	echo '{"cniVersion":"0.4.0","name":"kilo","plugins":[{"type":"bridge","ipam":{"type":"host-local"}}]}' \
		>"$TMP/cni-$name/10-kilo.conflist"
	"$PYTHON" "$AGENT_LIB_DIR/cluster_file.py" "$TMP/$name.cluster.json" \
		"$name,east,192.168.7$i.1:51820,192.168.7$i.1/24,10.2.$i.0/24,$(cat "$TMP/$name.pub"),leader" \
		"far,west,192.168.79.2:51820,192.168.79.2/24,10.2.9.0/24,$FAR_KEY"
}

# saved NAME BACKEND: both families' tables of BACKEND (legacy or nft) on the
# node, whole (a -t of iptables-legacy-save would create the table).
saved() {
	nsx "ib-$1" "iptables-$2-save" 2>/dev/null
	nsx "ib-$1" "ip6tables-$2-save" 2>/dev/null
}
# start NAME I [kg flags...]: kg on the node (KG_PID), the rules there before
# it in $TMP/NAME.before-BACKEND.
start() {
	local name=$1 i=$2 backend
	shift 2
	for backend in legacy nft; do
		saved "$name" $backend >"$TMP/$name.saved-$backend" ||
			die "$name: cannot read the $backend tables"
		# No rule at all is an empty file (grep's status 1), not a failure.
		grep '^-' "$TMP/$name.saved-$backend" >"$TMP/$name.before-$backend" || [ $? = 1 ]
	done
	rm -f "$TMP/$name.log"
	kg_start "ib-$name" "$name" --backend file --cluster-file "$TMP/$name.cluster.json" \
		--interface "ibk$i" --listen 127.0.0.1:1107 --encapsulate never --resync-period 5s \
		--cni-path "$TMP/cni-$name/10-kilo.conflist" "$@"
}

has_kilo_jump() {
	grep -q -- "-A POSTROUTING -s 10.2.$3.0/24 .*Kilo: .*-j KILO-NAT" <<<"$(saved "$1" "$2")"
}
other() { [ "$1" = legacy ] && echo nft || echo legacy; }

# lands NAME I BACKEND WHY: kg says it uses BACKEND because of WHY, its rules
# land there and nowhere in the other; on SIGTERM they go, the rest stays.
lands() {
	local name=$1 i=$2 backend=$3 why=$4
	wait_for "$name: kg's rules in $backend" 20 has_kilo_jump "$name" "$backend" "$i"
	grep -qF "\"msg\":\"using the $backend iptables backend ($why)\"" "$TMP/$name.log" ||
		die "$name: kg does not say it uses $backend ($why): $(grep -i iptables "$TMP/$name.log")"
	grep -q -- '-A KILO-NAT ' <<<"$(saved "$name" "$backend")" ||
		die "$name: no KILO-NAT rules in $backend"
	! grep -q 'KILO' <<<"$(saved "$name" "$(other "$backend")")" ||
		die "$name: kg wrote to $(other "$backend") too: $(saved "$name" "$(other "$backend")")"
	kg_stop "$KG_PID" "$name"
	! grep -q KILO <<<"$(saved "$name" "$backend")" || die "$name: kg left rules in $backend"
	[ "$(saved "$name" "$backend" | grep '^-' || true)" = "$(cat "$TMP/$name.before-$backend")" ] ||
		die "$name: the rules that were there before kg changed: $(saved "$name" "$backend")"
}

log "kube-proxy's rules in the legacy tables: kg writes legacy"
node kube-legacy 1
nsx ib-kube-legacy sh -e -c '
	iptables-legacy -t nat -N KUBE-SERVICES
	iptables-legacy -t nat -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
	iptables-legacy -t nat -A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
	ip6tables-legacy -t nat -N KUBE-SERVICES
	ip6tables-legacy -t nat -A PREROUTING -j KUBE-SERVICES'
start kube-legacy 1
lands kube-legacy 1 legacy "3 rules of Kubernetes or Kilo in legacy, 0 in nft"

log "the kubelet's hint chain in nf_tables wins over a bigger legacy firewall"
node kubelet-nft 2
nsx ib-kubelet-nft sh -e -c '
	for port in 22 80 443 8080 9090; do iptables-legacy -A INPUT -p tcp --dport $port -j ACCEPT; done
	iptables-nft -t mangle -N KUBE-IPTABLES-HINT
	iptables-nft -t mangle -N KUBE-KUBELET-CANARY'
start kubelet-nft 2
lands kubelet-nft 2 nft "the kubelet's chains are in the nft tables"

log "--iptables-backend=legacy overrides what the node uses (nf_tables)"
node forced-legacy 3
nsx ib-forced-legacy iptables-nft -t mangle -N KUBE-IPTABLES-HINT
start forced-legacy 3 --iptables-backend=legacy
lands forced-legacy 3 legacy "--iptables-backend"

log "and so does KILO_IPTABLES_BACKEND=nft in kg's environment"
node env-nft 4
nsx ib-env-nft iptables-legacy -t nat -N KUBE-SERVICES
nsx ib-env-nft iptables-legacy -t nat -A PREROUTING -j KUBE-SERVICES
KILO_IPTABLES_BACKEND=nft start env-nft 4
lands env-nft 4 nft "--iptables-backend"

log "nothing anywhere: nf_tables; kg's own legacy rules from before keep it on legacy"
node restarted 5
start restarted 5
lands restarted 5 nft "0 rules in legacy, 0 in nft (nft on a tie)"
start restarted 5 --iptables-backend=legacy --clean-up=false
wait_for "restarted: kg's rules in legacy" 20 has_kilo_jump restarted legacy 5
kg_stop "$KG_PID" restarted
has_kilo_jump restarted legacy 5 || die "--clean-up=false took the rules away"
start restarted 5
wait_for "restarted: kg up again" 20 grep -q 'using the legacy iptables backend' "$TMP/restarted.log"
grep -qE 'using the legacy iptables backend \([1-9][0-9]* rules of Kubernetes or Kilo in legacy, 0 in nft\)' \
	"$TMP/restarted.log" || die "restarted: $(grep -i iptables "$TMP/restarted.log")"
sleep 1
! grep -q KILO <<<"$(saved restarted nft)" || die "restarted: kg wrote to nft after a restart"
kg_stop "$KG_PID" restarted
! grep -q KILO <<<"$(saved restarted legacy)" || die "restarted: kg left rules in legacy"
log "PASS"
