# Traffic between the implementation under test (host) and the Linux
# kernel's WireGuard (VM) through a 1420-byte MTU tunnel: full-size packets
# both ways over IPv4 and IPv6, and 20 MB over TCP each way with matching
# SHA-256 sums; then the same with the IUT restarted with its TUN offloads
# off (KWG_NO_OFFLOAD=1: plain packets, checksums complete), with 4 MB.
# ctest: alone (it loads both cores)
. "$(dirname "$0")/harness.sh"
kv_begin
kv_configure psk

TRANSFER=$VM_DIR/tcp_transfer.py

# make_blobs MB: MB random megabytes on each side, to send to the other.
make_blobs() {
	head -c "$1M" /dev/urandom > "$VM_RUN/blob"
	vm_exec "head -c $(($1 << 20)) /dev/urandom > /tmp/blob" || kv_fail "cannot make the VM's data"
}

# tcp_to_vm ADDR: the host's blob to a busybox nc listener in the VM.
tcp_to_vm() {
	local sum i
	vm_exec 'rm -f /tmp/received.sum
		(nc -l -p 5001 < /dev/null | sha256sum > /tmp/received.sum) > /dev/null 2>&1 &' ||
		kv_fail "cannot start nc in the VM"
	on_host python3 "$TRANSFER" send "$1" 5001 "$VM_RUN/blob" ||
		kv_fail "TCP transfer to the VM ($1) failed"
	for i in $(seq 50); do
		sum=$(vm_exec 'cat /tmp/received.sum' | cut -d' ' -f1)
		[ ${#sum} = 64 ] && break
		sleep 0.2
	done
	[ "$sum" = "$(sha256sum < "$VM_RUN/blob" | cut -d' ' -f1)" ] ||
		kv_fail "the VM received other bytes than sent ($1)"
}

# tcp_from_vm ADDR: the VM's blob from busybox nc to the host.
tcp_from_vm() {
	local receiver i
	kv_spawn ip netns exec "$NS" python3 "$TRANSFER" receive "$1" 5002 > "$VM_RUN/host.sum"
	receiver=$SPAWNED
	for i in $(seq 50); do
		on_host ss -Htln "sport = 5002" | grep -q . && break
		sleep 0.1
	done
	VM_EXEC_TIMEOUT=120 vm_exec "nc $1 5002 < /tmp/blob" ||
		kv_fail "TCP transfer from the VM to $1 failed"
	wait "$receiver" || kv_fail "the host's listener on $1 failed"
	[ "$(cat "$VM_RUN/host.sum")" = "$(vm_exec sha256sum /tmp/blob | cut -d' ' -f1)" ] ||
		kv_fail "the host received other bytes than sent ($1)"
}

# traffic MB: full-size packets both ways over both families, then MB
# megabytes over TCP each way (to the VM over IPv4, from it over IPv6).
traffic() {
	local start

	kv_case "full-size IPv4 packets both ways (1392 + 28 = 1420)"
	kv_ping_host "$VM_TUN_IP" -M "do" -s 1392
	kv_ping_vm "$HOST_TUN_IP" -s 1392
	on_host ping -c 1 -M "do" -s 1393 "$VM_TUN_IP" > /dev/null 2>&1 &&
		kv_fail "$IUT's interface takes packets above 1420 bytes with DF set"

	kv_case "full-size IPv6 packets both ways (1372 + 48 = 1420)"
	kv_ping_host "$VM_TUN_IP6" -M "do" -s 1372
	kv_ping_vm "$HOST_TUN_IP6" -s 1372

	kv_case "$1 MB over TCP each way, IPv4 and IPv6"
	make_blobs "$1"
	start=$SECONDS
	tcp_to_vm "$VM_TUN_IP"
	tcp_from_vm "$HOST_TUN_IP6"
	kv_log "$(($1 * 2)) MB in $((SECONDS - start)) s"
}

traffic 20

kv_log "=== $IUT again with its TUN offloads off (KWG_NO_OFFLOAD=1)"
kv_stop_impls || kv_fail "$IUT did not exit cleanly"
KWG_NO_OFFLOAD=1 kv_start_impl "$IFACE" "$HOST_TUN_IP/24" "$HOST_TUN_IP6/64"
kv_configure psk
traffic 4
kv_log "PASS"
