# harness.sh - the fixture of the kernel interop tests (sourced by test_*.sh).
#
# Host side: network namespace kv-PID holding the implementation under test
# ($IMPL, default $KILO_BIN/kwg) on interface kvwgPID, listening on
# $HOST_IP:$HOST_PORT, tunnel 10.77.0.1/24 + fd77::1/64, MTU 1420.
# VM side: the kernel's wg0 on $VM_IP:$VM_PORT, tunnel 10.77.0.2/24 +
# fd77::2/64. kv_begin boots both and arranges the cleanup; kv_fail prints
# both sides' state, the kernel log and the IUT's log, then exits 1.
# The kernel logs every handshake message it sends and receives (dynamic
# debug), which is how the tests tell who initiated.
# Another implementation can stand in for kwg to check the tests themselves:
#   IMPL=/usr/bin/wireguard-go bash tests/kernel/test_handshake.sh

set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/vm.sh"

IMPL=${IMPL:-${KILO_BIN:-}/kwg}
NS=kv-$$
IFACE=kvwg$$
HOST_IP=10.99.0.1
VM_IP=10.99.0.2
HOST_PORT=51820
VM_PORT=51821
HOST_TUN_IP=10.77.0.1
VM_TUN_IP=10.77.0.2
HOST_TUN_IP6=fd77::1
VM_TUN_IP6=fd77::2
VM_ALLOWED=$VM_TUN_IP/32,$VM_TUN_IP6/128
HOST_ALLOWED=$HOST_TUN_IP/32,$HOST_TUN_IP6/128
KEYS=$VM_RUN/keys

kv_log() { printf '[kernel %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
on_host() { ip netns exec "$NS" "$@"; }

kv_diag() {
	local VM_EXEC_TIMEOUT=10
	kv_log "--- wg show (host, $IMPL)"
	on_host wg show "$IFACE" >&2
	kv_log "--- wg show (VM, kernel)"
	vm_exec wg show >&2
	kv_log "--- kernel log (VM dmesg, tail)"
	vm_exec 'dmesg | tail -n 40' >&2
	kv_log "--- VM console (tail)"
	vm_console_tail 20 >&2
	kv_log "--- $IMPL log (tail)"
	tail -n 30 "$VM_RUN/impl.log" >&2
}

kv_fail() {
	kv_log "FAIL: $*"
	kv_diag
	exit 1
}

# kv_case TITLE: starts a case with an empty kernel log.
kv_case() {
	kv_log "=== $*"
	vm_exec 'dmesg -c > /dev/null' || kv_fail "VM shell unreachable"
}

kv_key_pair() {
	wg genkey > "$KEYS/$1.key" && wg pubkey < "$KEYS/$1.key" > "$KEYS/$1.pub"
}

kv_start_impl() {
	[ -x "$IMPL" ] || kv_fail "implementation under test '$IMPL' is not an executable (set IMPL or KILO_BIN)"
	on_host env WG_PROCESS_FOREGROUND=1 "$IMPL" -f "$IFACE" > "$VM_RUN/impl.log" 2>&1 &
	IMPL_PID=$!
	local i
	for i in $(seq 50); do
		on_host wg show "$IFACE" > /dev/null 2>&1 && break
		sleep 0.1
	done
	on_host ip link set "$IFACE" mtu 1420 up &&
		on_host ip addr add "$HOST_TUN_IP/24" dev "$IFACE" &&
		on_host ip addr add "$HOST_TUN_IP6/64" dev "$IFACE" nodad ||
		kv_fail "$IMPL did not bring up $IFACE"
}

# The IUT must also exit cleanly: a sanitizer report in its log fails the test.
kv_stop_impl() {
	[ -n "${IMPL_PID:-}" ] || return 0
	kill "$IMPL_PID" 2> /dev/null && wait "$IMPL_PID"
	IMPL_PID=
	rm -f "/var/run/wireguard/$IFACE.sock"
	! grep -E -A 30 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$VM_RUN/impl.log" >&2
}

kv_end() {
	local status=$?
	kv_stop_impl || { kv_log "FAIL: $IMPL reported memory errors"; status=1; }
	vm_stop
	ip netns del "$NS" 2> /dev/null
	rm -rf "$VM_RUN"
	exit "$status"
}

# Boots the VM, starts the IUT, and creates the kernel's wg0 (no peer yet).
kv_begin() {
	trap kv_end EXIT
	umask 077
	mkdir -p "$KEYS" && kv_key_pair host && kv_key_pair vm && wg genpsk > "$KEYS/psk" ||
		kv_fail "cannot make keys"
	vm_prepare || kv_fail "cannot prepare the VM image"
	ip netns add "$NS" && ip -n "$NS" link set lo up || kv_fail "cannot create netns $NS"
	vm_start "$NS"
	case $? in
	0) ;;
	77) exit 77 ;;
	*) kv_fail "VM did not boot" ;;
	esac
	vm_exec "ip link add wg0 type wireguard &&
		ip addr add $VM_TUN_IP/24 dev wg0 && ip addr add $VM_TUN_IP6/64 dev wg0 &&
		ip link set wg0 up" || kv_fail "cannot create the kernel's wg0"
	kv_start_impl
}

# kv_vm_put NAME: copies $KEYS/NAME into the VM as /tmp/NAME.
kv_vm_put() {
	vm_exec "echo '$(cat "$KEYS/$1")' > /tmp/$1" || kv_fail "cannot copy $1 into the VM"
}

# kv_configure [psk]: both sides get a fresh peer (removed and added again,
# so no session survives) for each other, with or without a preshared key.
kv_configure() {
	local host_psk=() vm_psk=
	if [ "${1:-}" = psk ]; then
		host_psk=(preshared-key "$KEYS/psk")
		vm_psk="preshared-key /tmp/psk"
		kv_vm_put psk
	fi
	kv_vm_put vm.key
	vm_exec "wg set wg0 peer $(cat "$KEYS/host.pub") remove &&
		wg set wg0 private-key /tmp/vm.key listen-port $VM_PORT \
		peer $(cat "$KEYS/host.pub") $vm_psk allowed-ips $HOST_ALLOWED \
		endpoint $HOST_IP:$HOST_PORT" || kv_fail "cannot configure the kernel's peer"
	on_host wg set "$IFACE" peer "$(cat "$KEYS/vm.pub")" remove &&
		on_host wg set "$IFACE" private-key "$KEYS/host.key" listen-port "$HOST_PORT" \
			peer "$(cat "$KEYS/vm.pub")" "${host_psk[@]}" allowed-ips "$VM_ALLOWED" \
			endpoint "$VM_IP:$VM_PORT" || kv_fail "cannot configure $IMPL's peer"
}

# kv_ping_host ADDR [ping args]: from the IUT's side; every reply must come.
kv_ping_host() {
	local out
	out=$(on_host ping -c 3 -i 0.5 -W 5 "$@" 2>&1)
	grep -q ' 0% packet loss' <<< "$out" || { echo "$out" >&2; kv_fail "ping $* from the host"; }
}

# kv_ping_vm ADDR [busybox ping args]: from the kernel's side.
kv_ping_vm() {
	local out
	out=$(vm_exec ping -c 3 -i 0.5 -W 5 "$@")
	grep -q ' 0% packet loss' <<< "$out" || { echo "$out" >&2; kv_fail "ping $* from the VM"; }
}

# kv_vm_log_count REGEX: matching lines in the kernel log of this case.
kv_vm_log_count() {
	vm_exec "dmesg | grep -c -E '$1'"
}

# kv_peer_line SIDE PUBKEY: the `wg show dump` peer line of PUBKEY on SIDE
# (host or vm), fields: key psk endpoint allowed-ips handshake rx tx keepalive.
kv_peer_line() {
	local dump
	if [ "$1" = host ]; then dump=$(on_host wg show "$IFACE" dump); else dump=$(vm_exec wg show wg0 dump); fi
	awk -v key="$2" 'NR > 1 && $1 == key' <<< "$dump"
}

# kv_check_agreement [psk]: each side's peer is the other's public key at
# the other's address and port, the preshared keys are the same (or both
# absent), and both had a handshake in the last 30 s by their own clock.
kv_check_agreement() {
	local hpub vpub hport vport h v psk="(none)" now
	hpub=$(cat "$KEYS/host.pub")
	vpub=$(vm_exec wg show wg0 public-key)
	hport=$(on_host wg show "$IFACE" listen-port)
	vport=$(vm_exec wg show wg0 listen-port)
	[ "${1:-}" = psk ] && psk=$(cat "$KEYS/psk")
	read -r -a h <<< "$(kv_peer_line host "$vpub")"
	read -r -a v <<< "$(kv_peer_line vm "$hpub")"
	[ ${#h[@]} = 8 ] || kv_fail "$IMPL has no peer with the kernel's public key $vpub"
	[ ${#v[@]} = 8 ] || kv_fail "the kernel has no peer with $IMPL's public key $hpub"
	[ "${h[1]}" = "$psk" ] && [ "${v[1]}" = "$psk" ] || kv_fail "preshared keys are not the configured ones"
	[ "${h[2]}" = "$VM_IP:$vport" ] || kv_fail "$IMPL's endpoint ${h[2]}, expected $VM_IP:$vport"
	[ "${v[2]}" = "$HOST_IP:$hport" ] || kv_fail "kernel's endpoint ${v[2]}, expected $HOST_IP:$hport"
	now=$(date +%s)
	((now - h[4] <= 30)) || kv_fail "$IMPL's latest handshake ${h[4]} is not recent (now $now)"
	now=$(vm_exec date +%s)
	((now - v[4] <= 30)) || kv_fail "kernel's latest handshake ${v[4]} is not recent (now $now)"
}
