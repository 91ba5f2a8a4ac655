# Time-based rekey with the Linux kernel's WireGuard (VM), at the real
# REKEY_AFTER_TIME (120 s), in both roles at once: the implementation under
# test (host) initiated the session with the kernel's wg0 and must renew it
# itself; the kernel's wg1 initiated its own session and renews it, and the
# IUT must answer. A ping a second runs through each for 135 s: at most one
# may be lost, and both sides' `wg show` must show the new handshakes.
. "$(dirname "$0")/../harness.sh"
kv_begin
kv_configure
kv_key_pair vm2
kv_vm_put vm2.key
vm_pub=$(cat "$KEYS/vm.pub")
vm2_pub=$(cat "$KEYS/vm2.pub")
host_pub=$(cat "$KEYS/host.pub")
on_host ip addr add 10.78.0.1/24 dev "$IFACE" &&
	on_host wg set "$IFACE" peer "$vm2_pub" allowed-ips 10.78.0.2/32 endpoint "$VM_IP:$((VM_PORT + 2))" ||
	kv_fail "cannot add $IMPL's second peer"
vm_exec "ip link add wg1 type wireguard && ip addr add 10.78.0.2/24 dev wg1 && ip link set wg1 up &&
	wg set wg1 private-key /tmp/vm2.key listen-port $((VM_PORT + 2)) peer $host_pub \
		allowed-ips 10.78.0.1/32 endpoint $HOST_IP:$HOST_PORT" || kv_fail "cannot create the kernel's wg1"

# kv_handshakes: "IUT-wg0 kernel-wg0 IUT-wg1 kernel-wg1" latest handshake times.
kv_handshakes() {
	echo "$(kv_peer_line host "$vm_pub" | cut -f5)" \
		"$(vm_exec wg show wg0 latest-handshakes | cut -f2)" \
		"$(kv_peer_line host "$vm2_pub" | cut -f5)" \
		"$(vm_exec wg show wg1 latest-handshakes | cut -f2)"
}

# kv_lost PING_OUTPUT: transmitted minus received (iputils and busybox).
kv_lost() {
	sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) .*/\1 - \2/p' <<< "$1" | { read -r expr && echo $((expr)); }
}

kv_case "$IMPL initiates the session with wg0, the kernel the one of wg1"
kv_ping_host "$VM_TUN_IP"
kv_ping_vm 10.78.0.1
[ "$(kv_vm_log_count 'wg0: Receiving handshake initiation')" = 1 ] || kv_fail "$IMPL did not initiate wg0's session"
[ "$(kv_vm_log_count 'wg1: Receiving handshake response')" = 1 ] || kv_fail "the kernel did not initiate wg1's session"
read -r -a first <<< "$(kv_handshakes)"

kv_case "135 s of pings through both sessions across REKEY_AFTER_TIME"
on_host ping -c 135 -i 1 "$VM_TUN_IP" > "$VM_RUN/host.ping" 2>&1 &
pinger=$!
vm_out=$(VM_EXEC_TIMEOUT=200 vm_exec "ping -c 135 -i 1 10.78.0.1")
wait "$pinger"
host_out=$(cat "$VM_RUN/host.ping")
kv_log "host: $(grep transmitted <<< "$host_out")"
kv_log "VM:   $(grep transmitted <<< "$vm_out")"
[ "$(kv_lost "$host_out")" -le 1 ] || kv_fail "$IMPL -> wg0 lost more than one ping"
[ "$(kv_lost "$vm_out")" -le 1 ] || kv_fail "wg1 -> $IMPL lost more than one ping"
[ "$(kv_vm_log_count 'wg0: Receiving handshake initiation')" -ge 1 ] || kv_fail "$IMPL did not rekey wg0's session"
[ "$(kv_vm_log_count 'wg1: Receiving handshake response')" -ge 1 ] || kv_fail "$IMPL did not answer wg1's rekey"
read -r -a now <<< "$(kv_handshakes)"
kv_log "latest handshakes before: ${first[*]}, after: ${now[*]}"
for i in 0 1 2 3; do
	((now[i] >= first[i] + 120)) || kv_fail "no new handshake in wg show (${first[*]} -> ${now[*]})"
done
kv_log "PASS"
