# Sessions between the implementation under test (host) and the Linux
# kernel's WireGuard (VM): handshakes, roaming and a key change (cases/*.sh,
# on the main pair $IFACE <-> wg0), and a time-based rekey at the real
# REKEY_AFTER_TIME (120 s) on a pair of its own, in both roles at once: the
# IUT's $REKEY_IFACE initiated the session with the kernel's wg1 and must
# renew it itself; the kernel's wg2 initiated its session and renews it,
# and the IUT must answer. A ping a second runs through each for 135 s,
# while the other cases (a few pings each) run: at most one may be lost,
# and both sides' `wg show` must show the new handshakes.
. "$(dirname "$0")/harness.sh"

REKEY_IFACE=kvrk$$
REKEY_PORT=51830
REKEY_PINGS=135

# "IUT-wg1 kernel-wg1 IUT-wg2 kernel-wg2" latest handshake times
rekey_handshakes() {
	local host
	host=$(on_host wg show "$REKEY_IFACE" latest-handshakes)
	echo "$(grep "^$(cat "$KEYS/wg1.pub")" <<< "$host" | cut -f2)" \
		"$(vm_exec wg show wg1 latest-handshakes | cut -f2)" \
		"$(grep "^$(cat "$KEYS/wg2.pub")" <<< "$host" | cut -f2)" \
		"$(vm_exec wg show wg2 latest-handshakes | cut -f2)"
}

# rekey_lost PING_OUTPUT: transmitted minus received (iputils and busybox).
rekey_lost() {
	sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) .*/\1 - \2/p' <<< "$1" |
		{ read -r expr && echo $((expr)); }
}

rekey_begin() {
	local n
	kv_case "rekey pair: $IUT initiates the session with wg1, the kernel the one of wg2"
	kv_key_pair rekey && kv_key_pair wg1 && kv_key_pair wg2 || kv_fail "cannot make keys"
	kv_start_impl "$REKEY_IFACE" 10.78.0.1/24 10.79.0.1/24
	on_host wg set "$REKEY_IFACE" private-key "$KEYS/rekey.key" listen-port "$REKEY_PORT" \
		peer "$(cat "$KEYS/wg1.pub")" allowed-ips 10.78.0.2/32 endpoint "$VM_IP:$((REKEY_PORT + 1))" \
		peer "$(cat "$KEYS/wg2.pub")" allowed-ips 10.79.0.2/32 endpoint "$VM_IP:$((REKEY_PORT + 2))" ||
		kv_fail "cannot configure $REKEY_IFACE"
	for n in 1 2; do
		kv_vm_iface "wg$n" "10.7$((7 + n)).0.2/24"
		kv_vm_put "wg$n.key"
		vm_exec "wg set wg$n private-key /tmp/wg$n.key listen-port $((REKEY_PORT + n)) \
			peer $(cat "$KEYS/rekey.pub") allowed-ips 10.7$((7 + n)).0.1/32 \
			endpoint $HOST_IP:$REKEY_PORT" || kv_fail "cannot configure the kernel's wg$n"
	done
	kv_ping_host 10.78.0.2
	kv_ping_vm 10.79.0.1
	[ "$(kv_vm_log_count 'wg1: Receiving handshake initiation')" = 1 ] || kv_fail "$IUT did not initiate wg1's session"
	[ "$(kv_vm_log_count 'wg2: Receiving handshake response')" = 1 ] || kv_fail "the kernel did not initiate wg2's session"
	read -r -a REKEY_FIRST <<< "$(rekey_handshakes)"
	vm_exec "echo KV-REKEY > /dev/kmsg
		ping -c $REKEY_PINGS -i 1 10.79.0.1 > /tmp/rekey.ping 2>&1 &" || kv_fail "cannot start the VM's ping"
	kv_spawn ip netns exec "$NS" ping -c "$REKEY_PINGS" -i 1 10.78.0.2 > "$VM_RUN/rekey.ping" 2>&1
	REKEY_PINGER=$SPAWNED
}

rekey_check() {
	local host_out vm_out now i
	kv_case "$REKEY_PINGS s of pings through both rekey sessions across REKEY_AFTER_TIME"
	wait "$REKEY_PINGER"
	for i in $(seq 100); do
		vm_out=$(vm_exec cat /tmp/rekey.ping)
		grep -q transmitted <<< "$vm_out" && break
		sleep 0.2
	done
	host_out=$(cat "$VM_RUN/rekey.ping")
	kv_log "$IUT: $(grep transmitted <<< "$host_out")"
	kv_log "kernel: $(grep transmitted <<< "$vm_out")"
	[ "$(rekey_lost "$host_out")" -le 1 ] || kv_fail "$IUT -> wg1 lost more than one ping"
	[ "$(rekey_lost "$vm_out")" -le 1 ] || kv_fail "wg2 -> $IUT lost more than one ping"
	[ "$(kv_vm_log_count 'wg1: Receiving handshake initiation' KV-REKEY)" -ge 1 ] ||
		kv_fail "$IUT did not rekey wg1's session"
	[ "$(kv_vm_log_count 'wg2: Receiving handshake response' KV-REKEY)" -ge 1 ] ||
		kv_fail "$IUT did not answer wg2's rekey"
	read -r -a now <<< "$(rekey_handshakes)"
	kv_log "latest handshakes before: ${REKEY_FIRST[*]}, after: ${now[*]}"
	for i in 0 1 2 3; do
		((now[i] >= REKEY_FIRST[i] + 120)) ||
			kv_fail "no new handshake in wg show (${REKEY_FIRST[*]} -> ${now[*]})"
	done
}

kv_begin
rekey_begin
. "$(dirname "$0")/cases/handshake.sh"
. "$(dirname "$0")/cases/roaming.sh"
. "$(dirname "$0")/cases/key_change.sh"
rekey_check
kv_log "PASS"
