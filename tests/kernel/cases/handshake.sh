# Cases on the main pair (sourced by test_sessions.sh): each side initiates
# in turn, with and without a preshared key; a preshared key on one side
# only gets no session; persistent keepalives reach the idle kernel.

kv_case "the kernel initiates, no preshared key"
kv_configure
kv_ping_vm "$HOST_TUN_IP"
kv_ping_host "$VM_TUN_IP"
[ "$(kv_vm_log_count 'wg0: Receiving handshake response from peer')" = 1 ] ||
	kv_fail "the kernel did not complete exactly one handshake as initiator"
[ "$(kv_vm_log_count 'wg0: Receiving handshake initiation')" = 0 ] ||
	kv_fail "$IUT initiated although it had a fresh session"
kv_check_agreement

kv_case "$IUT initiates, with a preshared key"
kv_configure psk
kv_ping_host "$VM_TUN_IP"
kv_ping_vm "$HOST_TUN_IP"
[ "$(kv_vm_log_count 'wg0: Receiving handshake initiation from peer')" = 1 ] ||
	kv_fail "$IUT did not initiate exactly one handshake"
[ "$(kv_vm_log_count 'wg0: Receiving handshake response')" = 0 ] ||
	kv_fail "the kernel initiated although it had a fresh session"
kv_check_agreement psk

kv_case "a preshared key only the kernel has gets no session"
kv_configure psk
on_host wg set "$IFACE" peer "$(cat "$KEYS/vm.pub")" preshared-key /dev/null
on_host ping -c 2 -W 2 "$VM_TUN_IP" > /dev/null && kv_fail "ping passed with mismatched preshared keys"
[ "$(kv_vm_log_count 'wg0: Sending handshake response')" -ge 1 ] ||
	kv_fail "the kernel never answered $IUT's initiation"
[ "$(kv_peer_line host "$(cat "$KEYS/vm.pub")" | cut -f5)" = 0 ] ||
	kv_fail "$IUT accepted a handshake response made with another preshared key"

kv_case "persistent keepalives of $IUT reach the idle kernel"
kv_configure
kv_ping_host "$VM_TUN_IP"
on_host wg set "$IFACE" peer "$(cat "$KEYS/vm.pub")" persistent-keepalive 1
rx=$(kv_peer_line vm "$(cat "$KEYS/host.pub")" | cut -f6)
vm_exec 'echo KV-IDLE > /dev/kmsg; sleep 4'
[ "$(kv_vm_log_count 'wg0: Receiving keepalive packet from peer' KV-IDLE)" -ge 3 ] ||
	kv_fail "the kernel got fewer than 3 keepalives in 4 s with persistent-keepalive 1"
((rx + 3 * 32 <= $(kv_peer_line vm "$(cat "$KEYS/host.pub")" | cut -f6))) ||
	kv_fail "the kernel's rx counter did not grow by 3 keepalives"
