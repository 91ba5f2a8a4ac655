# Cases on the main pair (sourced by test_sessions.sh), roaming: the
# kernel's wg0 moves to another listen port; the implementation under test
# must send to the new port as soon as an authenticated packet comes from
# it, and not when a captured packet is replayed from elsewhere.
kv_configure
vm_pub=$(cat "$KEYS/vm.pub")

kv_case "a session from the kernel's first port"
kv_ping_vm "$HOST_TUN_IP"
[ "$(kv_peer_line host "$vm_pub" | cut -f3)" = "$VM_IP:$VM_PORT" ] ||
	kv_fail "$IUT's endpoint is not the kernel's first port"

kv_case "a replayed data packet from another port does not move $IUT's endpoint"
kv_capture_kernel_data "$VM_RUN/data.msg" kv_ping_vm "$HOST_TUN_IP"
kv_inject "$VM_RUN/data.msg" "$((HOST_PORT + 100))"
[ "$(kv_peer_line host "$vm_pub" | cut -f3)" = "$VM_IP:$VM_PORT" ] ||
	kv_fail "$IUT moved its endpoint for a replayed packet"
kv_ping_host "$VM_TUN_IP"

kv_case "the kernel moves to port $((VM_PORT + 1)): $IUT follows its next packet"
vm_exec "wg set wg0 listen-port $((VM_PORT + 1))" || kv_fail "cannot change the kernel's port"
vm_exec "ping -c 1 -W 5 $HOST_TUN_IP" > /dev/null || kv_fail "no reply to the kernel's first packet from its new port"
[ "$(kv_peer_line host "$vm_pub" | cut -f3)" = "$VM_IP:$((VM_PORT + 1))" ] ||
	kv_fail "$IUT's endpoint did not follow the kernel to port $((VM_PORT + 1))"
kv_ping_host "$VM_TUN_IP"
kv_ping_vm "$HOST_TUN_IP"
[ "$(kv_vm_log_count 'wg0: (Sending|Receiving) handshake initiation')" = 0 ] ||
	kv_fail "roaming needed a new handshake; the session should have carried on"
kv_check_agreement
