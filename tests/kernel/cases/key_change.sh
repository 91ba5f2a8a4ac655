# Cases on the main pair (sourced by test_sessions.sh), a key change: the
# kernel's wg0 gets a new private key; the implementation under test must
# refuse the new identity until its peer is updated, then handshake with
# it, and then refuse the old session's data and the old identity (given
# to the kernel's wg9).
kv_configure psk
old_pub=$(cat "$KEYS/vm.pub")
kv_ping_host "$VM_TUN_IP"
# A data message of the old session that the IUT has never seen, for later.
on_host iptables -I INPUT -p udp -s "$VM_IP" --sport "$VM_PORT" -j DROP || kv_fail "cannot hide the kernel's packets"
kv_capture_kernel_data "$VM_RUN/unseen.msg" vm_exec "ping -c 1 -W 1 $HOST_TUN_IP" > /dev/null
on_host iptables -D INPUT -p udp -s "$VM_IP" --sport "$VM_PORT" -j DROP

kv_case "a new kernel key is refused while $IUT knows the old one"
kv_key_pair vm2
kv_vm_put vm2.key
before=$(kv_peer_line host "$old_pub" | cut -f5,6)
vm_exec 'wg set wg0 private-key /tmp/vm2.key' || kv_fail "cannot change the kernel's key"
vm_exec "ping -c 2 -W 2 $HOST_TUN_IP" > /dev/null && kv_fail "traffic passed with the kernel's unknown new key"
[ "$(kv_vm_log_count 'wg0: Sending handshake initiation')" -ge 1 ] ||
	kv_fail "the kernel did not try to handshake with its new key"
[ "$(kv_vm_log_count 'wg0: Receiving handshake response')" = 0 ] ||
	kv_fail "$IUT answered a handshake from an unknown key"
[ "$(kv_peer_line host "$old_pub" | cut -f5,6)" = "$before" ] ||
	kv_fail "$IUT's old peer got a handshake or traffic from the new key"

kv_case "$IUT handshakes with the new key once its peer is updated"
mv "$KEYS/vm2.key" "$KEYS/vm.key" && mv "$KEYS/vm2.pub" "$KEYS/vm.pub"
on_host wg set "$IFACE" peer "$old_pub" remove peer "$(cat "$KEYS/vm.pub")" \
	preshared-key "$KEYS/psk" allowed-ips "$VM_ALLOWED" endpoint "$VM_IP:$VM_PORT" ||
	kv_fail "cannot replace $IUT's peer"
kv_ping_host "$VM_TUN_IP"
kv_ping_vm "$HOST_TUN_IP"
kv_check_agreement psk

kv_case "after the update, the old session's data is refused"
tun_rx=$(on_host cat "/sys/class/net/$IFACE/statistics/rx_packets")
kv_inject "$VM_RUN/unseen.msg" "$VM_PORT"
sleep 0.5
[ "$(on_host cat "/sys/class/net/$IFACE/statistics/rx_packets")" = "$tun_rx" ] ||
	kv_fail "$IUT delivered a packet of the removed peer's session"

kv_case "after the update, the old kernel key is refused"
# /tmp/vm.key in the VM still holds the old key, /tmp/psk the preshared key.
kv_vm_iface wg9 10.76.0.2/24
vm_exec "wg set wg9 private-key /tmp/vm.key listen-port $((VM_PORT + 2)) peer $(cat "$KEYS/host.pub") \
		preshared-key /tmp/psk allowed-ips 10.76.0.1/32 endpoint $HOST_IP:$HOST_PORT" ||
	kv_fail "cannot give the old key to the kernel's wg9"
vm_exec "ping -c 2 -W 2 10.76.0.1" > /dev/null && kv_fail "traffic passed from the old key"
[ "$(kv_vm_log_count 'wg9: Sending handshake initiation')" -ge 1 ] ||
	kv_fail "the kernel's wg9 did not try to handshake with the old key"
[ "$(kv_vm_log_count 'wg9: Receiving handshake response')" = 0 ] ||
	kv_fail "$IUT answered a handshake from the removed old key"
[ "$(on_host wg show "$IFACE" peers)" = "$(cat "$KEYS/vm.pub")" ] ||
	kv_fail "$IUT's peers are not just the new key"
