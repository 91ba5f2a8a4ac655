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
kv_spawn ip netns exec "$NS" timeout 20 tcpdump -i "$VM_TAP" -U -c 1 -w "$VM_RUN/data.pcap" \
	"udp and src host $VM_IP and udp[8] = 4" 2> "$VM_RUN/tcpdump.log"
capture=$SPAWNED
for i in $(seq 50); do grep -q 'listening on' "$VM_RUN/tcpdump.log" && break; sleep 0.1; done
kv_ping_vm "$HOST_TUN_IP"
wait "$capture" || kv_fail "no data packet of the kernel captured"
# pcap file and record headers, Ethernet, IPv4 (no options) and UDP: 82 bytes
tail -c +83 "$VM_RUN/data.pcap" > "$VM_RUN/data.msg"
on_host nc -u -w 1 -p "$((HOST_PORT + 100))" "$HOST_IP" "$HOST_PORT" < "$VM_RUN/data.msg" > /dev/null
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
