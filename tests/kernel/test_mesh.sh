#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# One mesh, both WireGuards (kernel_mesh): kg on two nodes of the kernel VM,
# k1 and k2 of location vm (namespaces on the VM's LAN, --encapsulate=always,
# so IPIP carries their pods' traffic between them), and kg on two nodes of
# this host, h1 and h2 of location host (namespaces; the host's kernel has
# neither WireGuard nor IPIP, so --encapsulate=never), all on one test API
# server. The server listens on the host's 127.0.0.1; the host's nodes reach
# it through e2e's proxy on their own loopback, the VM's through a proxy on
# the tap's host side (10.99.0.1), which also routes between the host's LAN
# (172.16.90.0/24) and the VM's (192.168.80.0/24). Every node has a public
# address too (198.51.100.I/32, its endpoint, as in e2e's clouds): a Peer
# routes the nodes' private IPs into its tunnel, so an endpoint that is a
# private IP would be routed into the tunnel it carries.
#
# Checked: --wireguard=auto (the default) picks kernel WireGuard in the VM and
# the in-process engine on the host, in the start-up line and in /metrics;
# pods ping each other both ways across the locations (through both leaders,
# and on to the members) and inside the VM's location, where the packets
# cross kg's IPIP routes (tunl0's counters grow, the route is dev tunl0);
# `wg show` in the VM shows the kernel peer kg configured, with the host
# leader's key, the host's pod CIDRs and a handshake, and kg's /metrics show
# that peer's counters read from the kernel; a resync changes nothing
# there; kgctl connect on a laptop of the VM's LAN joins over kernel
# WireGuard too; every kg publishes tunnel-health up (mesh/README.md,
# "Leaders that stop forwarding"): in the VM the leader and its standby
# sample the kernel's peers, and the leaders' probes cross kernel WireGuard
# and the engine, long after the pings stopped. unit_wg_device runs in the VM, where its kernel-link tests
# must pass. On the host: --wireguard=kernel, in kg and in kgctl connect, is
# one error, exit 1, with no link and no key file left behind.
E=kn
# shellcheck source=../e2e/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../e2e/lib.sh"

e2e_setup
VM_RUN=$TMP/vm
mkdir -p "$VM_RUN"
# shellcheck disable=SC2034 # read by vm.sh
VM_TAP=kntap$$
# shellcheck source=vm.sh
. "$(dirname "${BASH_SOURCE[0]}")/vm.sh"
# shellcheck source=kg.sh
. "$(dirname "${BASH_SOURCE[0]}")/kg.sh"
GW=$E-gw
UNIT=${KILO_BUILD:?}/tests/unit_wg_device
VM_NODES=(k1 k2)

die() {
	echo "FAIL: $*" >&2
	vm_alive && kg_vm_diag "${VM_NODES[@]}" lap
	exit 1
}

# vm_wait DESCRIPTION SECONDS CMD: CMD (in the VM, with vm-kg.sh) until it succeeds.
vm_wait() {
	local deadline=$((SECONDS + $2))
	until kg_vm "$3" > /dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || die "timed out waiting for $1"
		sleep 0.5
	done
}

host_only_refusals() {
	local ns=$E-x out rc
	log "host: --wireguard=kernel without the module is one error, exit 1, nothing left"
	ns_add "$ns"
	out=$(nsx "$ns" unshare --mount --propagation private sh -c '
		mount -t tmpfs -o mode=0700 tmpfs /var/lib/kilo &&
		{ "$@"; echo "rc=$?"; echo "files:$(ls -A /var/lib/kilo)"; }' sh "$KG" --hostname x \
		--backend file --cluster-file /dev/null --listen 127.0.0.1:0 --wireguard kernel 2>&1)
	grep -q '"msg":"kernel WireGuard is not available: this kernel cannot create a link of kind wireguard for kilo0' <<< "$out" ||
		die "no clear error from kg --wireguard=kernel: $out"
	grep -qx 'rc=1' <<< "$out" || die "kg --wireguard=kernel did not exit 1: $out"
	[ "$(grep -c '"level":"error"' <<< "$out")" = 1 ] || die "kg said more than one error: $out"
	grep -qx 'files:' <<< "$out" || die "kg --wireguard=kernel left a file in /var/lib/kilo: $out"
	e2e_api_proxy c1 x
	rc=0
	out=$(nsx "$ns" "$KGCTL" --kubeconfig "$TMP/c1.kubeconfig" connect x --wireguard kernel 2>&1) || rc=$?
	[ $rc = 1 ] && grep -q 'kernel WireGuard is not available' <<< "$out" ||
		die "kgctl connect --wireguard=kernel: status $rc, $out"
	[ "$(nsx "$ns" ip -o link | wc -l)" = 1 ] || die "a link was left behind: $(nsx "$ns" ip -o link)"
	! k c1 get peer x > /dev/null 2>&1 || die "kgctl connect left its Peer x behind"
}

# The host's side: its LAN bridge in $GW, the router to the VM's LAN.
host_underlay() {
	ns_add "$GW"
	nsx "$GW" ip link add "${E}lan" type bridge
	addr_add "$GW" "${E}lan" 172.16.90.254/24
	nsx "$GW" ip link set "${E}lan" up
	nsx "$GW" sysctl -qw net.ipv4.ip_forward=1
}

# host_node NAME I: namespace $E-NAME on the host's LAN as 172.16.90.I (and
# 198.51.100.I/32), its pod $E-pNAME 10.2.I.2, a key, a CNI conflist.
host_node() {
	local name=$1 i=$2 ns=$E-$1
	ns_add "$ns"
	ip link add eth0 netns "$ns" type veth peer name "${E}s$i" netns "$GW"
	nsx "$GW" ip link set "${E}s$i" master "${E}lan" up
	addr_add "$ns" eth0 "172.16.90.$i/24"
	addr_add "$ns" eth0 "198.51.100.$i/32"
	nsx "$ns" ip link set eth0 up
	nsx "$ns" ip route add default via 172.16.90.254 src "198.51.100.$i"
	nsx "$GW" ip route add "198.51.100.$i/32" via "172.16.90.$i"
	nsx "$ns" sysctl -qw net.ipv4.ip_forward=1
	pod_add "$ns" "$E-p$name" kube-bridge "10.2.$i"
	key_new "$name" > /dev/null
	cat > "$TMP/$name.conflist" <<-EOF
	{"cniVersion":"0.4.0","name":"kilo","plugins":[{"type":"bridge","bridge":"kube-bridge",
	 "ipam":{"type":"host-local"}}]}
	EOF
	NODE_IDX[$name]=$i
}

# vm_node NAME I: the Node object (location vm, pod CIDR 10.2.I.0/24) and
# namespace NAME on the VM's LAN as 192.168.80.I (and 198.51.100.I/32), kg
# on it.
vm_node() {
	NODE_CLUSTER[$1]=c1
	k c1 create -f - > /dev/null <<-EOF
	{"apiVersion": "v1", "kind": "Node",
	 "metadata": {"name": "$1", "labels": {"topology.kubernetes.io/region": "vm"}},
	 "spec": {"podCIDR": "10.2.$2.0/24"}}
	EOF
	nsx "$GW" ip route add "198.51.100.$2/32" via "${VM_ADDR%/*}"
	kg_vm "kv_node $1 $2 10.2.$2 198.51.100.$2 && kv_kg $1 --kubeconfig /kv/kubeconfig \
		--encapsulate always --resync-period 5s" || die "cannot start kg on $1 in the VM"
}

metric() { grep -x "$2" <<< "$1" > /dev/null; }

e2e_cluster_start c1
host_only_refusals

log "the VM (kernel WireGuard, IPIP) on the tap of $GW, routed to the host's LAN"
host_underlay
rc=0
kg_vm_boot "$GW" "$UNIT" "$KGCTL" || rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || die "the VM did not boot with kg"
at_exit vm_stop
nsx "$GW" ip route add 192.168.80.0/24 via "${VM_ADDR%/*}"
kg_vm "ip route add default via ${VM_HOST_ADDR%/*}" || die "no route from the VM to the host's side"
"$PYTHON" "$E2E_DIR/apiproxy.py" "$GW" "$(e2e_api_port c1)" "${VM_HOST_ADDR%/*}" > "$TMP/gw.proxy.log" 2>&1 &
at_exit "kill $!; wait $!"
wait_for "the API proxy for the VM" 10 grep -qs ready "$TMP/gw.proxy.log"
sed "s#127.0.0.1:#${VM_HOST_ADDR%/*}:#" "$TMP/c1.kubeconfig" > "$TMP/vm.kubeconfig"
kg_vm_put "$TMP/vm.kubeconfig" /kv/kubeconfig || die "cannot copy the kubeconfig into the VM"

log "unit_wg_device in the VM: kernel links configured, dumped and adopted"
out=$(vm_exec unit_wg_device 2>&1) || { echo "$out" >&2; die "unit_wg_device failed in the VM"; }
grep -q '^\[       OK \] test_kernel_link_is_configured_in_many_messages_and_adopted_as_it_is$' <<< "$out" ||
	{ echo "$out" >&2; die "the kernel-link test did not run and pass in the VM"; }

log "nodes: k1, k2 (location vm) in the VM; h1, h2 (location host) here"
vm_node k1 11
vm_node k2 12
host_node h1 1
host_node h2 2
for n in h1 h2; do e2e_node_join c1 "$n" host; done
for n in k1 k2 h1 h2; do wait_for "$n's key annotation" 60 has_annotation "$n" key; done

log "auto picked kernel WireGuard in the VM, the engine on the host"
for n in k1 k2; do
	kg_vm "grep -q 'agent started on kilo0 as node $n with kernel WireGuard' /kv/$n/log" ||
		die "kg on $n did not start with kernel WireGuard"
	metric "$(kg_vm "kv_metrics $n")" 'kilo_wireguard_mode{mode="kernel"} 1' ||
		die "$n's /metrics do not say kernel"
done
for n in h1 h2; do
	grep -q "agent started on ${E}k${NODE_IDX[$n]} as node $n with userspace WireGuard" "$TMP/$n.log" ||
		die "kg on $n did not start with the engine"
	metric "$(http "$E-$n" http://127.0.0.1:1107/metrics)" 'kilo_wireguard_mode{mode="userspace"} 1' ||
		die "$n's /metrics do not say userspace"
done

log "pods across the locations, both ways, through both leaders and on to the members"
for pair in h1:11 h2:11 h1:12 h2:12; do
	wait_for "pod of ${pair%:*} -> 10.2.${pair#*:}.2" 90 \
		nsx "$E-p${pair%:*}" ping -q -c 1 -W 1 "10.2.${pair#*:}.2"
done
for k in k1 k2; do
	for i in 1 2; do
		vm_wait "pod of $k -> pod of h$i" 60 "ip netns exec p$k ping -c 1 -W 1 10.2.$i.2"
	done
done

log "inside the VM's location, through kg's IPIP routes"
kg_vm "ip -n k1 route get 10.2.12.2 | grep -q 'dev tunl0'" || die "k1 does not route k2's pods over tunl0"
kg_vm "ip -n k2 route get 10.2.11.2 | grep -q 'dev tunl0'" || die "k2 does not route k1's pods over tunl0"
tunl_rx() { kg_vm "ip netns exec $1 cat /sys/class/net/tunl0/statistics/rx_packets"; }
rx1=$(tunl_rx k1) rx2=$(tunl_rx k2)
kg_vm "ip netns exec pk1 ping -c 5 -i 0.2 -W 2 10.2.12.2 | grep -q ' 0% packet loss'" || die "pod of k1 -> pod of k2"
kg_vm "ip netns exec pk2 ping -c 5 -i 0.2 -W 2 10.2.11.2 | grep -q ' 0% packet loss'" || die "pod of k2 -> pod of k1"
(($(tunl_rx k1) >= rx1 + 10 && $(tunl_rx k2) >= rx2 + 10)) ||
	die "the pings inside vm did not cross tunl0 (rx k1 $rx1 -> $(tunl_rx k1), k2 $rx2 -> $(tunl_rx k2))"

log "wg show in the VM: the kernel peer kg configured; its counters in kg's /metrics"
leader=$(e2e_leader_among h1 h2)
key=$(annotation "$leader" key)
dump=$(kg_vm "ip netns exec k1 wg show kilo0 dump")
read -r -a peer <<< "$(awk -v key="$key" '$1 == key' <<< "$dump")"
[ ${#peer[@]} = 8 ] || die "k1's kilo0 has no peer $leader ($key): $dump"
[[ ${peer[3]} == *10.2.1.0/24* && ${peer[3]} == *10.2.2.0/24* ]] ||
	die "k1's peer $leader lacks the host's pod CIDRs: ${peer[3]}"
[ "${peer[4]}" != 0 ] || die "k1's peer $leader has had no handshake"
[ "$(kg_vm "ip netns exec k1 wg show kilo0 public-key")" = "$(annotation k1 key)" ] ||
	die "k1's kilo0 key is not the one it published"
metrics=$(kg_vm "kv_metrics k1")
sample() { awk -v name="$1{interface=\"kilo0\",public_key=\"$key\"}" '$1 == name { print $2 }' <<< "$metrics"; }
[ "$(sample wireguard_latest_handshake_seconds)" = "${peer[4]}" ] &&
	(($(sample wireguard_received_bytes_total) > 0 && $(sample wireguard_sent_bytes_total) > 0)) ||
	die "k1's /metrics lack the kernel's counters of $leader: $(grep '^wireguard_' <<< "$metrics")"

log "resyncs change nothing on the kernel links"
reconciles() { kg_vm "kv_metrics $1" | sed -n 's/^kilo_reconciles_total //p'; }
kg_vm "echo '=== resyncs' >> /kv/k1/log"
n=$(reconciles k1)
vm_wait "two resyncs on k1" 60 "[ \$(kv_metrics k1 | sed -n 's/^kilo_reconciles_total //p') -ge $((n + 2)) ]"
! kg_vm "sed -n '/=== resyncs/,\$p' /kv/k1/log | grep -q 'WireGuard configuration updated'" ||
	die "a resync reconfigured k1's WireGuard"

log "kgctl connect on a laptop of the VM's LAN, over kernel WireGuard"
kg_vm "kv_node lap 9 10.2.19 && setsid /usr/sbin/ip netns exec lap kgctl --kubeconfig /kv/kubeconfig \
	connect laptop --allowed-ip 10.5.0.1/32 --resync-period 5s > /kv/lap/log 2>&1 < /dev/null &" ||
	die "cannot start kgctl connect in the VM"
vm_wait "the laptop -> pod of h1" 90 "ip netns exec lap ping -c 1 -W 1 10.2.1.2"
kg_vm "grep -q 'created kernel WireGuard interface kilo0' /kv/lap/log" ||
	die "kgctl connect did not pick kernel WireGuard"
nsx "$E-ph1" ping -q -c 2 -W 2 10.5.0.1 > /dev/null || die "pod of h1 -> the laptop"

log "tunnel-health: kg on kernel WireGuard and on the engine judge their tunnels up"
health_up() { grep -q '"state":"up"' <<< "$(annotation "$1" tunnel-health)"; }
for n in k1 k2 h1 h2; do wait_for "$n to say its tunnels are up" 240 health_up "$n"; done

log "SIGTERM everywhere; every kg exits cleanly"
e2e_stop h1 h2
for n in k1 k2; do kg_vm "kv_kill $n TERM" || die "kg on $n did not stop"; done
kg_vm "! grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' /kv/*/log" ||
	die "a sanitizer report in a log of the VM"
echo "PASS"
