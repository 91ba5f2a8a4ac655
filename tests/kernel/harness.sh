# harness.sh - the fixture of the kernel interop tests (sourced by test_*.sh).
#
# Host side: network namespace kv-PID with instances of the implementation
# under test ($IMPL, default $KILO_BIN/kwg); the main one is on $IFACE
# (kvwgPID), $HOST_IP:$HOST_PORT, tunnel 10.77.0.1/24 + fd77::1/64, MTU 1420.
# VM side: the kernel's wg0 on $VM_IP:$VM_PORT, tunnel 10.77.0.2/24 +
# fd77::2/64. kv_begin boots both and arranges the cleanup; kv_fail prints
# both sides' state, the kernel log and the IUT's log, then exits 1.
# The kernel logs every handshake message it sends and receives (dynamic
# debug), which is how the tests tell who initiated.
# Another implementation can stand in for kwg to check the tests themselves:
#   IMPL=/usr/bin/wireguard-go bash tests/kernel/test_traffic.sh

set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/vm.sh"

IMPL=${IMPL:-${KILO_BIN:-}/kwg}
IUT=$(basename "$IMPL")
NS=kv-$$
IFACE=kvwg$$
HOST_IP=${VM_HOST_ADDR%/*}
VM_IP=${VM_ADDR%/*}
HOST_PORT=51820
VM_PORT=51821
HOST_TUN_IP=10.77.0.1
VM_TUN_IP=10.77.0.2
HOST_TUN_IP6=fd77::1
VM_TUN_IP6=fd77::2
VM_ALLOWED=$VM_TUN_IP/32,$VM_TUN_IP6/128
HOST_ALLOWED=$HOST_TUN_IP/32,$HOST_TUN_IP6/128
KEYS=$VM_RUN/keys
KV_SPAWNED=()
KV_IMPLS=()

kv_log() { printf '[kernel %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
on_host() { ip netns exec "$NS" "$@"; }

kv_diag() {
	local VM_EXEC_TIMEOUT=10 impl
	for impl in "${KV_IMPLS[@]}"; do
		kv_log "--- wg show (host, $IUT)"
		on_host wg show "${impl#*:}" >&2
	done
	kv_log "--- wg show (VM, kernel)"
	vm_exec wg show >&2
	kv_log "--- kernel log (VM dmesg, tail)"
	vm_exec 'dmesg | tail -n 40' >&2
	kv_log "--- VM console (tail)"
	vm_console_tail 20 >&2
	for impl in "${KV_IMPLS[@]}"; do
		kv_log "--- $IUT ${impl#*:} log (tail)"
		tail -n 30 "$VM_RUN/${impl#*:}.log" >&2
	done
}

kv_fail() {
	local impl
	kv_log "FAIL: $*"
	for impl in "${KV_IMPLS[@]}"; do
		kill -0 "${impl%%:*}" 2> /dev/null || kv_log "NOTE: $IUT on ${impl#*:} is not running any more"
	done
	kv_diag
	exit 1
}

# kv_case TITLE: starts a case; kv_vm_log_count counts from here.
kv_case() {
	kv_log "=== $*"
	vm_exec 'echo KV-CASE > /dev/kmsg' || kv_fail "VM shell unreachable"
}

# kv_vm_log_count REGEX [MARK]: matching kernel log lines since the last
# line with MARK (default: the start of the case).
kv_vm_log_count() {
	vm_exec "dmesg | awk '/${2:-KV-CASE}/ { n = 0 } /$1/ { n++ } END { print n + 0 }'"
}

kv_key_pair() {
	wg genkey > "$KEYS/$1.key" && wg pubkey < "$KEYS/$1.key" > "$KEYS/$1.pub"
}

# kv_spawn CMD...: runs the command (not a function) in the background in a
# process group of its own, which kv_end kills if it is still running, and
# sets SPAWNED to its pid.
kv_spawn() {
	setsid "$@" &
	SPAWNED=$!
	KV_SPAWNED+=("$SPAWNED")
}

# kv_start_impl IFNAME CIDR...: an instance of the IUT on IFNAME, up with
# MTU 1420 and the addresses.
kv_start_impl() {
	local ifname=$1 i
	shift
	[ -x "$IMPL" ] || kv_fail "implementation under test '$IMPL' is not an executable (set IMPL or KILO_BIN)"
	kv_spawn ip netns exec "$NS" env WG_PROCESS_FOREGROUND=1 "$IMPL" -f "$ifname" > "$VM_RUN/$ifname.log" 2>&1
	KV_IMPLS+=("$SPAWNED:$ifname")
	for i in $(seq 50); do
		on_host wg show "$ifname" > /dev/null 2>&1 && break
		sleep 0.1
	done
	on_host ip link set "$ifname" mtu 1420 up || kv_fail "$IUT did not bring up $ifname"
	for i in "$@"; do
		on_host ip addr add "$i" dev "$ifname" || kv_fail "cannot add $i to $ifname"
	done
}

# Every IUT instance must also exit cleanly on SIGTERM: status 0 and no
# sanitizer report in its log.
kv_stop_impls() {
	local impl pid rc status=0
	for impl in "${KV_IMPLS[@]}"; do
		pid=${impl%%:*}
		kill "$pid" 2> /dev/null
		wait "$pid"
		rc=$?
		rm -f "/var/run/wireguard/${impl#*:}.sock"
		if [ $rc != 0 ] || grep -E -A 30 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
			"$VM_RUN/${impl#*:}.log" >&2; then
			kv_log "FAIL: $IUT on ${impl#*:} did not exit cleanly (status $rc)"
			status=1
		fi
	done
	KV_IMPLS=()
	return $status
}

kv_end() {
	local status=$? pid
	kv_stop_impls || status=1
	for pid in "${KV_SPAWNED[@]}"; do kill -- "-$pid" 2> /dev/null; done
	vm_stop
	ip netns del "$NS" 2> /dev/null
	rm -rf "$VM_RUN"
	exit "$status"
}

# kv_vm_iface NAME CIDR...: a kernel WireGuard interface in the VM, up.
kv_vm_iface() {
	local name=$1 cmd="ip link add $1 type wireguard" cidr
	shift
	for cidr in "$@"; do cmd+=" && ip addr add $cidr dev $name"; done
	vm_exec "$cmd && ip link set $name up" || kv_fail "cannot create the kernel's $name"
}

# kv_vm_put NAME: copies $KEYS/NAME into the VM as /tmp/NAME.
kv_vm_put() {
	vm_exec "echo '$(cat "$KEYS/$1")' > /tmp/$1" || kv_fail "cannot copy $1 into the VM"
}

# Boots the VM with the kernel's wg0 and starts the IUT on $IFACE, no peers.
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
	kv_vm_iface wg0 "$VM_TUN_IP/24" "$VM_TUN_IP6/64"
	kv_start_impl "$IFACE" "$HOST_TUN_IP/24" "$HOST_TUN_IP6/64"
}

# kv_configure [psk]: wg0 and $IFACE get a fresh peer (removed and added
# again, so no session survives) for each other, with or without a
# preshared key.
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
			endpoint "$VM_IP:$VM_PORT" || kv_fail "cannot configure $IUT's peer"
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

# kv_peer_line SIDE PUBKEY: the `wg show dump` line of peer PUBKEY on $IFACE
# (SIDE host) or wg0 (SIDE vm), fields: key psk endpoint allowed-ips
# latest-handshake rx tx keepalive.
kv_peer_line() {
	local dump
	if [ "$1" = host ]; then dump=$(on_host wg show "$IFACE" dump); else dump=$(vm_exec wg show wg0 dump); fi
	awk -v key="$2" 'NR > 1 && $1 == key' <<< "$dump"
}

# kv_capture_kernel_data OUT CMD...: runs CMD while capturing the first
# WireGuard data message the kernel sends; OUT gets the message.
kv_capture_kernel_data() {
	local out=$1 capture i
	shift
	kv_spawn ip netns exec "$NS" timeout 20 tcpdump -i "$VM_TAP" -U -c 1 -w "$out.pcap" \
		"udp and src host $VM_IP and udp[8] = 4" 2> "$out.log"
	capture=$SPAWNED
	for i in $(seq 50); do
		grep -q 'listening on' "$out.log" && break
		sleep 0.1
	done
	"$@"
	wait "$capture" || kv_fail "no data message of the kernel captured"
	# pcap file and record headers, Ethernet, IPv4 (no options), UDP: 82 bytes
	tail -c +83 "$out.pcap" > "$out"
}

# kv_inject FILE PORT: FILE as one datagram from $HOST_IP:PORT to $IFACE.
kv_inject() {
	on_host nc -u -w 1 -p "$2" "$HOST_IP" "$HOST_PORT" < "$1" > /dev/null
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
	[ ${#h[@]} = 8 ] || kv_fail "$IUT has no peer with the kernel's public key $vpub"
	[ ${#v[@]} = 8 ] || kv_fail "the kernel has no peer with $IUT's public key $hpub"
	[ "${h[1]}" = "$psk" ] && [ "${v[1]}" = "$psk" ] || kv_fail "preshared keys are not the configured ones"
	[ "${h[2]}" = "$VM_IP:$vport" ] || kv_fail "$IUT's endpoint ${h[2]}, expected $VM_IP:$vport"
	[ "${v[2]}" = "$HOST_IP:$hport" ] || kv_fail "kernel's endpoint ${v[2]}, expected $HOST_IP:$hport"
	now=$(date +%s)
	((now - h[4] <= 30)) || kv_fail "$IUT's latest handshake ${h[4]} is not recent (now $now)"
	now=$(vm_exec date +%s)
	((now - v[4] <= 30)) || kv_fail "kernel's latest handshake ${v[4]} is not recent (now $now)"
}
