# Two WireGuard daemons in two namespaces joined by one veth: the
# scenario shared by the kwg <-> kwg and kwg <-> wireguard-go tests.
#
# run_pair IMPL_A IMPL_B UNDERLAY PSK XFER
#   IMPL_A initiates: only it knows the other side's endpoint, so IMPL_B can
#   only answer and must learn A's endpoint from the handshake.
#   UNDERLAY = 4|6: the veth addresses the tunnel runs over.
#   PSK = psk|nopsk: whether both sides share a preshared key.
#   XFER = 4|6: the overlay family of the 50 MB transfer from A to B.
# Both overlay families are always configured and pinged both ways.
# Each scenario runs in a subshell with its own cleanup.

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
exclusive kw
need_root

_pair() {
	local impl_a=$1 impl_b=$2 under=$3 psk=$4 xfer=$5
	local ua ub pa pb psk_args=()
	lib_scope
	log "pair: $(basename "$impl_a") initiates to $(basename "$impl_b")," \
		"IPv$under underlay, $psk, transfer over IPv$xfer"

	ns_add kw-a kw-b
	veth_add kw-a kwva kw-b kwvb
	if [ "$under" = 6 ]; then
		ua=fd00:77::1 ub=fd00:77::2
		addr_add kw-a kwva $ua/64
		addr_add kw-b kwvb $ub/64
		ua="[$ua]" ub="[$ub]"
	else
		ua=192.168.77.1 ub=192.168.77.2
		addr_add kw-a kwva $ua/24
		addr_add kw-b kwvb $ub/24
	fi

	pa=$(key_new a)
	pb=$(key_new b)
	if [ "$psk" = psk ]; then
		wg genpsk >"$TMP/psk"
		psk_args=(preshared-key "$TMP/psk")
	fi
	daemon_start "$impl_a" kw-a kwa0
	local pid_a=$DAEMON_PID
	daemon_start "$impl_b" kw-b kwb0
	local pid_b=$DAEMON_PID

	nsx kw-a wg set kwa0 private-key "$TMP/a.key" listen-port 51820 \
		peer "$pb" "${psk_args[@]}" endpoint "$ub:51821" \
		allowed-ips 10.77.0.2/32,fd77::2/128
	nsx kw-b wg set kwb0 private-key "$TMP/b.key" listen-port 51821 \
		peer "$pa" "${psk_args[@]}" allowed-ips 10.77.0.1/32,fd77::1/128
	wg_if_up kw-a kwa0 10.77.0.1/24 fd77::1/64
	wg_if_up kw-b kwb0 10.77.0.2/24 fd77::2/64

	ping_ok kw-a 10.77.0.2
	has_handshake kwa0 "$pb" || die "initiator shows no handshake"
	has_handshake kwb0 "$pa" || die "responder shows no handshake"
	[ "$(wg show kwb0 endpoints | awk '{ print $2 }')" = "$ua:51820" ] ||
		die "responder did not learn the initiator's endpoint: $(wg show kwb0 endpoints)"
	ping_ok kw-a fd77::2
	ping_ok kw-b 10.77.0.1
	ping_ok kw-b fd77::1

	if [ "$xfer" = 6 ]; then
		transfer kw-a kw-b fd77::2 $((50 << 20))
	else
		transfer kw-a kw-b 10.77.0.2 $((50 << 20))
	fi
	daemon_stop "$pid_a" kwa0
	daemon_stop "$pid_b" kwb0
}

run_pair() {
	(_pair "$@") || exit $?
}
