# The implementation under test (host) and the Linux kernel's WireGuard (VM) over an
# impaired underlay: the relay of tests/interop/relay.c runs in the host's namespace, and
# each side's endpoint for the other is one of its ports (10.99.0.1:51900 for the IUT,
# 10.99.0.1:51901 for the kernel), so every datagram between the two passes it and it
# drops 5 %, holds 5 % back behind later ones, sends 3 % twice and delays each by a fixed
# and a random part, both ways (impair.sh's "all"). Through it, 200 MB over TCP to the VM and
# 20 MB back:
# - what arrives is what was sent (SHA-256 on both ends);
# - the session survives: no handshake during the transfers (the relay counts the
#   initiations, the kernel logs every handshake message, both sides' latest handshake
#   stays), unless they outlast REKEY_AFTER_TIME (120 s), when the latest handshake must be
#   at least that long after the first;
# - the IUT refuses as replays (kwg's data_replayed, logged when it stops) the data
#   messages the relay duplicated towards it, no more, and the kernel logs an invalid
#   nonce for each one duplicated towards it, no more; both counts are printed beside the
#   relay's.
# The VM has 256 MB of memory and a slow /dev/urandom: it hashes what it receives as it
# comes, and sends one random 4 MiB block again and again, hashed beforehand. Speed is
# printed, never asserted. KV_IMPAIR_TO_VM, KV_IMPAIR_FROM_VM (bytes, the latter a multiple
# of 4 MiB), KV_IMPAIRMENT (a name of impair.sh) and KV_IMPAIR_SEED change the defaults, for
# trying things by hand.
# ctest: alone (it loads both cores)
. "$(dirname "$0")/harness.sh"
. "$(dirname "$0")/../interop/impair.sh"

# To the VM the host's TCP sends, BBR where the kernel allows it (tcp_bbr in impair.sh); from
# the VM the VM's CUBIC, which the dropped datagrams hold to about 0.5 MB/s here (the VM
# runs under TCG), so that way carries less.
BYTES_TO_VM=${KV_IMPAIR_TO_VM:-$((200 << 20))}
BYTES_FROM_VM=${KV_IMPAIR_FROM_VM:-$((20 << 20))}
VM_BLOCK=$((4 << 20))
SEED=${KV_IMPAIR_SEED:-$((RANDOM + 1))}
IMPAIRMENT=${KV_IMPAIRMENT:-all}
XFER=$VM_DIR/../interop/xfer.py
PYTHON=$(command -v /usr/bin/python3 || command -v python3)
RELAY_IUT=$HOST_IP:51900 RELAY_KERNEL=$HOST_IP:51901
REKEY_AFTER_TIME=120
# kwg logs its counters (data_replayed) when it stops, at this level.
export LOG_LEVEL=verbose

RELAY_PID=
# relay_start: the relay in the host's namespace (RELAY_PID, counters in $VM_RUN/relay.stats).
relay_start() {
	local args
	[ -x "$RELAY" ] || kv_fail "no relay at $RELAY: build the impair_relay target (or set RELAY)"
	impairment_args "$IMPAIRMENT" > /dev/null ||
		kv_fail "no impairment '$IMPAIRMENT' in: ${IMPAIRMENTS[*]}"
	read -r -a args <<< "$(impairment_args "$IMPAIRMENT")"
	kv_log "relay: ${args[*]} --seed $SEED"
	kv_spawn ip netns exec "$NS" "$RELAY" "${args[@]}" --seed "$SEED" --stats "$VM_RUN/relay.stats" \
		"$RELAY_IUT" "$HOST_IP:$HOST_PORT" "$RELAY_KERNEL" "$VM_IP:$VM_PORT" > "$VM_RUN/relay.log" 2>&1
	RELAY_PID=$SPAWNED
	for _ in $(seq 100); do
		relay_ready "$VM_RUN/relay.stats" && return
		sleep 0.1
	done
	kv_fail "the relay did not start: $(cat "$VM_RUN/relay.log")"
}

# On a failure, the relay's counters and log too, after the harness's diagnostics.
eval "harness_$(declare -f kv_diag)"
kv_diag() {
	harness_kv_diag
	kv_log "--- relay (counters now, then its log)"
	relay_dump "$RELAY_PID" "$VM_RUN/relay.stats" && relay_summary "$VM_RUN/relay.stats" >&2
	kill -0 "$RELAY_PID" 2> /dev/null || kv_log "NOTE: the relay is not running any more"
	tail -n 20 "$VM_RUN/relay.log" >&2
}

# stats: the relay writes its counters now.
stats() {
	relay_dump "$RELAY_PID" "$VM_RUN/relay.stats" || kv_fail "the relay did not write its counters"
}

# initiations: handshake initiations the relay has seen, both ways.
initiations() {
	stats
	echo $(($(relay_count "$VM_RUN/relay.stats" 'a>b' initiation) +
		$(relay_count "$VM_RUN/relay.stats" 'b>a' initiation)))
}

# session_up: a ping from each side gets through (the first handshake may need a retry when
# the relay drops or holds its messages).
session_up() {
	local i
	for i in $(seq 60); do
		on_host ping -c 1 -W 1 "$VM_TUN_IP" > /dev/null && break
		[ "$i" != 60 ] || kv_fail "no ping through the relay in 60 tries"
	done
	for i in $(seq 60); do
		vm_exec "ping -c 1 -W 1 $HOST_TUN_IP" > /dev/null && break
		[ "$i" != 60 ] || kv_fail "no ping from the VM through the relay in 60 tries"
	done
}

# to_vm BYTES: random bytes from the host to a busybox nc in the VM, hashed on both ends.
to_vm() {
	local sent got
	vm_exec 'rm -f /tmp/received.sum
		(nc -l -p 5001 < /dev/null | sha256sum > /tmp/received.sum) > /dev/null 2>&1 &' ||
		kv_fail "cannot start nc in the VM"
	sent=$(on_host "$PYTHON" "$XFER" send "$VM_TUN_IP" 5001 "$1") ||
		kv_fail "TCP transfer to the VM failed"
	for _ in $(seq 100); do
		got=$(vm_exec 'cat /tmp/received.sum 2> /dev/null' | cut -d' ' -f1)
		[ ${#got} = 64 ] && break
		sleep 0.2
	done
	[ "$got" = "${sent% *}" ] ||
		kv_fail "the VM received other bytes than sent (${sent% *}, got '$got')"
}

# vm_stream BYTES: the VM's command that writes BYTES: a random block of $VM_BLOCK bytes
# (/tmp/block) again and again (/dev/urandom is slow in the VM, and its memory small).
vm_stream() {
	echo "i=0; while [ \$i -lt $(($1 / VM_BLOCK)) ]; do cat /tmp/block; i=\$((i + 1)); done"
}

# from_vm_prepare BYTES: the block, and the hash of the stream in /tmp/sent.sum.
from_vm_prepare() {
	VM_EXEC_TIMEOUT=300 vm_exec "head -c $VM_BLOCK /dev/urandom > /tmp/block &&
		{ $(vm_stream "$1"); } | sha256sum > /tmp/sent.sum" || kv_fail "cannot make the VM's data"
}

# from_vm BYTES: the VM's stream from busybox nc to the host over IPv6, hashed on the host.
from_vm() {
	local receiver sent got
	sent=$(vm_exec 'cat /tmp/sent.sum' | cut -d' ' -f1)
	kv_spawn ip netns exec "$NS" "$PYTHON" "$XFER" recv "$HOST_TUN_IP6" 5002 > "$VM_RUN/from_vm"
	receiver=$SPAWNED
	for _ in $(seq 50); do
		on_host ss -Htln "sport = 5002" | grep -q . && break
		sleep 0.1
	done
	VM_EXEC_TIMEOUT=900 vm_exec "{ $(vm_stream "$1"); } | nc $HOST_TUN_IP6 5002" ||
		kv_fail "TCP transfer from the VM failed"
	wait "$receiver" || kv_fail "the host's receiver failed"
	got=$(cut -d' ' -f1,2 "$VM_RUN/from_vm")
	[ "$got" = "$sent $1" ] || kv_fail "the host received other bytes than sent ($sent $1, got '$got')"
}

# timed WHAT CMD BYTES: runs CMD BYTES and logs how long it took and how fast it went.
timed() {
	local start=$(date +%s.%N)
	"$2" "$3"
	kv_log "$1: $(($3 >> 20)) MB in $(awk -v s="$start" -v e="$(date +%s.%N)" -v b="$3" \
		'BEGIN { printf "%.1f s (%.1f MB/s)", e - s, b / (e - s) / 1e6 }')"
}

# check_replays WHO COUNTED DIRECTION [LOST]: WHO refused COUNTED data messages as replays;
# the relay duplicated those of DIRECTION towards it; LOST datagrams (default: all) may have
# been dropped by a full socket buffer before WHO read them.
check_replays() {
	local dups lost=
	dups=$(relay_count "$VM_RUN/relay.stats" "$3" duplicated_data)
	[ -z "${4:-}" ] || lost="; full UDP buffers in the host's namespace dropped $4 datagrams"
	kv_log "$1 counted $2 replays; the relay sent $dups duplicate data messages its way$lost"
	[ -n "$2" ] && [ "$2" -le "$dups" ] && [ "$2" -ge $((dups - ${4:-dups})) ] &&
		{ [ "$dups" = 0 ] || [ "$2" -gt 0 ]; } || kv_fail "$1 counted '$2' replays for $dups duplicates"
}

kv_begin
kv_log "TCP congestion control: $(tcp_bbr on_host) on the host," \
	"$(vm_exec cat /proc/sys/net/ipv4/tcp_congestion_control) in the VM"
relay_start
kv_configure
on_host wg set "$IFACE" peer "$(cat "$KEYS/vm.pub")" endpoint "$RELAY_IUT" &&
	vm_exec "wg set wg0 peer $(cat "$KEYS/host.pub") endpoint $RELAY_KERNEL" ||
	kv_fail "cannot point the endpoints at the relay"
# Every kernel log line from here on, for the handshakes and invalid nonces: a busy ring
# buffer would lose the oldest.
vm_exec '(cat /proc/kmsg > /tmp/kmsg) > /dev/null 2>&1 &' ||
	kv_fail "cannot follow the VM's kernel log"

kv_case "a session through the relay"
session_up
[ "$(kv_peer_line host "$(cat "$KEYS/vm.pub")" | cut -f3)" = "$RELAY_IUT" ] &&
	[ "$(kv_peer_line vm "$(cat "$KEYS/host.pub")" | cut -f3)" = "$RELAY_KERNEL" ] ||
	kv_fail "the endpoints are not the relay's"

kv_case "$((BYTES_TO_VM >> 20)) MB to the VM, $((BYTES_FROM_VM >> 20)) MB back, through the relay"
from_vm_prepare "$BYTES_FROM_VM"
first_host=$(kv_peer_line host "$(cat "$KEYS/vm.pub")" | cut -f5)
first_vm=$(kv_peer_line vm "$(cat "$KEYS/host.pub")" | cut -f5)
init_before=$(initiations)
kmsg_before=$(vm_exec 'grep -c "handshake" /tmp/kmsg')
timed "to the VM (IPv4)" to_vm "$BYTES_TO_VM"
timed "from the VM (IPv6)" from_vm "$BYTES_FROM_VM"
init_after=$(initiations)
kmsg_after=$(vm_exec 'grep -c "handshake" /tmp/kmsg')
last_host=$(kv_peer_line host "$(cat "$KEYS/vm.pub")" | cut -f5)
last_vm=$(kv_peer_line vm "$(cat "$KEYS/host.pub")" | cut -f5)
kv_log "handshakes: $IUT's latest $first_host -> $last_host, the kernel's $first_vm -> $last_vm;" \
	"initiations through the relay during the transfers: $((init_after - init_before));" \
	"handshake lines in the kernel log: $((kmsg_after - kmsg_before))"
relay_summary "$VM_RUN/relay.stats" >&2
if (($(date +%s) - first_host < REKEY_AFTER_TIME)); then
	[ "$init_after" = "$init_before" ] && [ "$kmsg_after" = "$kmsg_before" ] &&
		[ "$last_host" = "$first_host" ] && [ "$last_vm" = "$first_vm" ] ||
		kv_fail "a handshake during the transfers, before any rekey was due"
else
	((last_host >= first_host + REKEY_AFTER_TIME - 1 || last_host == first_host)) &&
		((last_vm >= first_vm + REKEY_AFTER_TIME - 1 || last_vm == first_vm)) ||
		kv_fail "a handshake during the transfers sooner than REKEY_AFTER_TIME after the first"
fi

kv_case "replays refused on both sides"
kernel_replays=$(vm_exec 'grep -c "Packet has invalid nonce" /tmp/kmsg')
kv_stop_impls || kv_fail "$IUT did not exit cleanly"
kill -TERM "$RELAY_PID" && wait "$RELAY_PID" &&
	! grep -Eq 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$VM_RUN/relay.log" ||
	kv_fail "the relay did not exit cleanly: $(cat "$VM_RUN/relay.log")"
relay_summary "$VM_RUN/relay.stats" >&2
check_replays "the kernel" "$kernel_replays" 'a>b'
if [ "$IUT" = kwg ]; then
	check_replays "$IUT" "$(kwg_counter "$VM_RUN/$IFACE.log" data_replayed)" 'b>a' \
		"$(udp_rcvbuf_errors on_host)"
fi
kv_log "PASS"
