#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# kg killed and started again on a kernel-mode leader (kernel_restart): two
# nodes of the kernel VM, a1 in cloud-a and b1 in cloud-b (namespaces on the
# VM's LAN, the file backend, --wireguard=auto, which must pick the kernel),
# a pod on each. b1's pod pings a1's pod five times a second through both
# kernel WireGuard links while a1's kg is killed with SIGKILL and started
# again with the same key. Kernel WireGuard forwards on while no kg runs, and
# the new kg adopts kilo0 with its peer as it is: not one ping lost, the same
# public key, the same session (the kernel's latest handshake with b1 is the
# one from before, no handshake was sent, no peer created or destroyed: its
# byte counters only grew), and no WireGuard, route or iptables change
# logged. Then kilo0 deleted under kg is made again as a kernel link with its
# peer, and --clean-up-interface: kg leaves kilo0 at a SIGTERM without it
# (Kilo's default), deletes it with it.
set -uo pipefail
# shellcheck disable=SC2034 # read by vm.sh
VM_TAP=krtap$$
# shellcheck source=vm.sh
. "$(dirname "$0")/vm.sh"
# shellcheck source=kg.sh
. "$(dirname "$0")/kg.sh"

NS=kr-kv$$
KG_FLAGS="--backend file --cluster-file /kv/cluster.json --resync-period 5s"

log() { printf '[kernel %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
fail() {
	log "FAIL: $*"
	kg_vm_diag a1 b1
	exit 1
}
cleanup() {
	vm_stop
	ip netns del "$NS" 2> /dev/null
	rm -rf "$VM_RUN"
}
trap cleanup EXIT

# wait_vm DESCRIPTION SECONDS CMD: CMD (in the VM, with vm-kg.sh) until it succeeds.
wait_vm() {
	local deadline=$((SECONDS + $2))
	until kg_vm "$3" > /dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || fail "$1: not within $2 s"
		sleep 0.5
	done
}

# dmesg_count REGEX [MARK]: the VM's kernel log lines matching REGEX since
# the last line with MARK (none: all of them).
dmesg_count() {
	vm_exec "dmesg | awk '/${2:-^\$}/ { n = 0 } /$1/ { n++ } END { print n + 0 }'"
}

# peer_line: a1's `wg show kilo0 dump` line of its peer b1: key, psk,
# endpoint, allowed IPs, latest handshake, rx, tx, keepalive.
peer_line() {
	kg_vm "ip netns exec a1 wg show kilo0 dump" | awk -v key="$(cat "$KG_KEYS/b1.pub")" '$1 == key'
}

umask 077
mkdir -p "$KG_KEYS" || fail "cannot make $KG_KEYS"
for n in a1 b1; do
	wg genkey > "$KG_KEYS/$n.key" && wg pubkey < "$KG_KEYS/$n.key" > "$KG_KEYS/$n.pub" ||
		fail "cannot make keys"
done
ip netns add "$NS" || fail "cannot make namespace $NS"
kg_vm_boot "$NS"
case $? in
0) ;;
77) exit 77 ;;
*) fail "the VM did not boot with kg" ;;
esac

log "two leaders in the VM: a1 (cloud-a), b1 (cloud-b), a pod each"
kg_vm_cluster_file "$VM_RUN/cluster.tmpl" a1,cloud-a,1,10.2.1 b1,cloud-b,2,10.2.2
kg_vm "kv_node a1 1 10.2.1 && kv_node b1 2 10.2.2" || fail "cannot make the VM's nodes"
kg_vm_put "$VM_RUN/cluster.tmpl" /kv/cluster.tmpl && kg_vm kv_cluster_refresh &&
	kg_vm_put "$KG_KEYS/a1.key" /kv/a1/key && kg_vm_put "$KG_KEYS/b1.key" /kv/b1/key ||
	fail "cannot copy the cluster and the keys into the VM"
kg_vm "kv_kg a1 $KG_FLAGS && kv_kg b1 $KG_FLAGS" || fail "cannot start kg in the VM"
wait_vm "b1's pod reaches a1's pod" 60 "ip netns exec pb1 ping -c 1 -W 1 10.2.1.2"
for n in a1 b1; do
	kg_vm "grep -q 'agent started on kilo0 as node $n with kernel WireGuard' /kv/$n/log" ||
		fail "auto did not pick kernel WireGuard on $n"
done
# Read whole before grep: grep -q leaving early would fail the pipe (pipefail).
metrics=$(kg_vm "kv_metrics a1")
grep -qx 'kilo_wireguard_mode{mode="kernel"} 1' <<< "$metrics" ||
	fail "a1's /metrics does not say kernel"

log "a continuous ping b1's pod -> a1's pod; kg on a1 killed (SIGKILL) and started again"
kg_vm 'setsid /usr/sbin/ip netns exec pb1 ping -i 0.2 10.2.1.2 > /kv/ping.log 2>&1 < /dev/null &
	echo $! > /kv/ping.pid' || fail "cannot start the ping"
wait_vm "the first replies" 20 "[ \$(grep -c 'bytes from' /kv/ping.log) -ge 5 ]"
read -r -a before <<< "$(peer_line)"
[ ${#before[@]} = 8 ] && [ "${before[4]}" != 0 ] || fail "a1 has no session with b1: ${before[*]}"
# The kernel logs its peers and handshakes (dynamic debug): these are a1's and b1's.
(($(dmesg_count 'Peer [0-9]+ created') >= 2 && $(dmesg_count 'handshake initiation') >= 1)) ||
	fail "the kernel log shows no peers or handshakes to compare with"
key_before=$(kg_vm "ip netns exec a1 wg show kilo0 public-key")
vm_exec 'echo KV-RESTART > /dev/kmsg' || fail "VM shell unreachable"
kg_vm "kv_kill a1 KILL" || fail "cannot kill kg on a1"
kg_vm "ip netns exec a1 wg show kilo0 peers | grep -qx '$(cat "$KG_KEYS/b1.pub")'" ||
	fail "kilo0 lost its peer with kg"
replies=$(kg_vm "grep -c 'bytes from' /kv/ping.log")
wait_vm "pings through a1 while no kg runs" 20 \
	"[ \$(grep -c 'bytes from' /kv/ping.log) -ge $((replies + 5)) ]"
kg_vm "echo '=== restarted' >> /kv/a1/log && kv_kg a1 $KG_FLAGS" || fail "cannot start kg on a1 again"
wait_vm "the restarted kg's first apply" 60 \
	"kv_metrics a1 | grep -q '^kilo_reconciles_total [1-9]'"
replies=$(kg_vm "grep -c 'bytes from' /kv/ping.log")
wait_vm "pings after the restart" 20 "[ \$(grep -c 'bytes from' /kv/ping.log) -ge $((replies + 10)) ]"
kg_vm 'kill -INT $(cat /kv/ping.pid); while [ -d /proc/$(cat /kv/ping.pid) ]; do sleep 0.1; done'
stats=$(kg_vm "grep 'packets transmitted' /kv/ping.log")
log "ping: $stats"
# The echo in flight when ping was stopped counts as lost in its summary:
# judge by the replies' sequence numbers instead, which must have no gap.
missing=$(kg_vm "grep -o 'seq=[0-9]*' /kv/ping.log" | cut -d= -f2 | sort -n |
	awk 'NR == 1 { prev = $1; next } { for (s = prev + 1; s < $1; s++) printf "%d ", s; prev = $1 }')
[ -z "$missing" ] || fail "pings were lost across the restart (no reply to seq $missing): $stats"

log "the session is the one from before: no new key, handshake or peer; nothing rewritten"
read -r -a after <<< "$(peer_line)"
[ "$(kg_vm "ip netns exec a1 wg show kilo0 public-key")" = "$key_before" ] ||
	fail "a1's public key changed"
[ "${after[4]}" = "${before[4]}" ] ||
	fail "a1's latest handshake with b1 moved from ${before[4]} to ${after[4]}: a new session"
((after[5] > before[5] && after[6] > before[6])) ||
	fail "a1's byte counters with b1 did not grow on (${before[5]}/${before[6]} -> ${after[5]}/${after[6]}): the peer was made anew"
[ "$(dmesg_count 'Peer [0-9]+ (created|.*destroyed)' KV-RESTART)" = 0 ] ||
	fail "a kernel peer was created or destroyed"
[ "$(dmesg_count 'handshake (initiation|response)' KV-RESTART)" = 0 ] ||
	fail "a handshake was sent or received"
log "latest handshake ${before[4]} before and after; bytes from b1 ${before[5]} -> ${after[5]}, to b1 ${before[6]} -> ${after[6]}"
new_log=$(kg_vm "sed -n '/=== restarted/,\$p' /kv/a1/log")
grep -q 'adopted kernel WireGuard interface kilo0' <<< "$new_log" || fail "kg did not adopt kilo0"
for change in 'WireGuard configuration updated' 'routes updated' 'iptables rules updated' \
	'failed to' '"level":"error"'; do
	! grep -q "$change" <<< "$new_log" || fail "the restarted kg logged: $(grep "$change" <<< "$new_log")"
done

log "kilo0 deleted under kg: made again as a kernel link, with its peer; pings pass again"
kg_vm "echo '=== deleted' >> /kv/a1/log && ip -n a1 link del kilo0" || fail "cannot delete kilo0"
wait_vm "kilo0 back with its peer" 60 \
	"ip netns exec a1 wg show kilo0 peers | grep -qx '$(cat "$KG_KEYS/b1.pub")'"
wait_vm "b1's pod reaches a1's pod again" 60 "ip netns exec pb1 ping -c 1 -W 1 10.2.1.2"
kg_vm "sed -n '/=== deleted/,\$p' /kv/a1/log | grep -q 'created kernel WireGuard interface kilo0'" ||
	fail "kilo0 was not made again as a kernel link"

log "SIGTERM: kilo0 stays without --clean-up-interface, goes with it"
kg_vm "kv_kill a1 TERM" || fail "kg on a1 did not stop"
kg_vm "ip -n a1 link show kilo0 > /dev/null" || fail "kilo0 went without --clean-up-interface"
kg_vm "kv_kg a1 $KG_FLAGS --clean-up-interface" || fail "cannot start kg on a1 again"
wait_vm "the third kg's first apply" 60 "kv_metrics a1 | grep -q '^kilo_reconciles_total [1-9]'"
kg_vm "kv_kill a1 TERM" || fail "kg on a1 did not stop"
! kg_vm "ip -n a1 link show kilo0" > /dev/null 2>&1 || fail "kilo0 stayed with --clean-up-interface"
kg_vm "kv_kill b1 TERM" || fail "kg on b1 did not stop"
kg_vm "! grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' /kv/a1/log /kv/b1/log" ||
	fail "a sanitizer report in kg's logs"
echo "PASS"
