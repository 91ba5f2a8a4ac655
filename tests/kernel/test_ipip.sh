#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# kg's IPIP tunnel (mesh/ipip, what --encapsulate uses) against a kernel that
# has ipip, which the development host's lacks: unit_ipip runs in the
# kernel-peer VM (Debian's kernel, with ipip.ko and veth.ko loaded at boot),
# where its real-tunnel tests, skipped on the host, must run and pass. Twice:
# as the kernel comes (every namespace has a fallback tunl0, which is adopted)
# and with net.core.fb_tunnels_only_for_init_net=1 (none, so our netlink
# request creates tunl0); each real test must pass in at least one of them
# and fail in neither. Then traffic through kg's own IPIP routes: kg on two
# nodes of one location in the VM (namespaces on its LAN, the file backend,
# --encapsulate=always, kernel WireGuard), where kg makes tunl0 itself (no
# fallback tunnel any more); their pods ping each other both ways, the
# routes between them are dev tunl0, and tunl0 counts every packet.
set -uo pipefail
# shellcheck disable=SC2034 # read by vm.sh
VM_TAP=aftap$$
# shellcheck source=vm.sh
. "$(dirname "$0")/vm.sh"
# shellcheck source=kg.sh
. "$(dirname "$0")/kg.sh"

NS=af-kv$$
UNIT=${KILO_BUILD:?}/tests/unit_ipip
REAL_TESTS=(test_tunl0_is_created_up_at_private_mtu_minus_20
	test_fallback_tunl0_is_adopted_up_at_private_mtu_minus_20
	test_second_tunnel_from_and_to_any_address_is_refused_by_name
	test_clean_up_leaves_nothing_of_ours_on_tunl0)

fail() {
	echo "FAIL: $*" >&2
	kg_vm_diag a1 a2
	exit 1
}

cleanup() {
	vm_stop
	ip netns del "$NS" 2>/dev/null
	rm -rf "$VM_RUN"
}
trap cleanup EXIT

[ -x "$UNIT" ] || fail "$UNIT is not built"
ip netns add "$NS" || fail "cannot make namespace $NS"
kg_vm_boot "$NS" "$UNIT"
rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || fail "the VM did not boot"
out=
for fallback in 0 1; do
	run=$(vm_exec "echo $fallback > /proc/sys/net/core/fb_tunnels_only_for_init_net && unit_ipip")
	rc=$?
	printf '%s\n' "$run"
	[ $rc = 0 ] || fail "unit_ipip exited $rc in the VM (fb_tunnels_only_for_init_net=$fallback)"
	out+=$run$'\n'
done
for test in "${REAL_TESTS[@]}"; do
	grep -q "^\[       OK \] $test\$" <<<"$out" || fail "$test did not run and pass in the VM"
done

echo "kg on a1 and a2 of cloud-a: their pods through kg's IPIP routes" >&2
umask 077
mkdir -p "$KG_KEYS" || fail "cannot make $KG_KEYS"
for n in a1 a2; do
	wg genkey > "$KG_KEYS/$n.key" && wg pubkey < "$KG_KEYS/$n.key" > "$KG_KEYS/$n.pub" ||
		fail "cannot make keys"
done
kg_vm_cluster_file "$VM_RUN/cluster.tmpl" a1,cloud-a,1,10.2.1 a2,cloud-a,2,10.2.2
kg_vm "kv_node a1 1 10.2.1 && kv_node a2 2 10.2.2" || fail "cannot make the VM's nodes"
kg_vm_put "$VM_RUN/cluster.tmpl" /kv/cluster.tmpl && kg_vm kv_cluster_refresh &&
	kg_vm_put "$KG_KEYS/a1.key" /kv/a1/key && kg_vm_put "$KG_KEYS/a2.key" /kv/a2/key ||
	fail "cannot copy the cluster and the keys into the VM"
for n in a1 a2; do
	kg_vm "kv_kg $n --backend file --cluster-file /kv/cluster.json --encapsulate always" ||
		fail "cannot start kg on $n"
done
deadline=$((SECONDS + 60))
until kg_vm "ip netns exec pa2 ping -c 1 -W 1 10.2.1.2 && ip netns exec pa1 ping -c 1 -W 1 10.2.2.2" \
	> /dev/null 2>&1; do
	[ $SECONDS -lt $deadline ] || fail "the pods of a1 and a2 do not reach each other"
	sleep 0.5
done
kg_vm "ip -n a2 route get 10.2.1.2 | grep -q 'dev tunl0' && ip -n a1 route get 10.2.2.2 | grep -q 'dev tunl0'" ||
	fail "kg routes the pods of cloud-a elsewhere than over tunl0"
counters() {
	kg_vm "for n in a1 a2; do for c in rx_packets tx_packets; do
		ip netns exec \$n cat /sys/class/net/tunl0/statistics/\$c; done; done" | tr '\n' ' '
}
read -r -a before <<< "$(counters)"
kg_vm "ip netns exec pa2 ping -c 10 -i 0.2 -W 2 10.2.1.2 | grep -q ' 0% packet loss'" ||
	fail "pings pod of a2 -> pod of a1 were lost"
read -r -a after <<< "$(counters)"
# Ten requests and ten replies: each node sent and received at least ten over tunl0.
for i in 0 1 2 3; do
	((after[i] >= before[i] + 10)) ||
		fail "tunl0 did not carry the pings (a1 rx tx, a2 rx tx: ${before[*]} -> ${after[*]})"
done
echo "tunl0 (a1 rx tx, a2 rx tx): ${before[*]} -> ${after[*]}" >&2
for n in a1 a2; do kg_vm "kv_kill $n TERM" || fail "kg on $n did not stop"; done
kg_vm "! grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' /kv/a1/log /kv/a2/log" ||
	fail "a sanitizer report in kg's logs"
echo "PASS"
