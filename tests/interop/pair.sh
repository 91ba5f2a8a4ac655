# Two namespaces joined by one veth with a WireGuard daemon in each: the
# network most interop tests start from, and the scenario shared by the
# kwg <-> kwg and kwg <-> wireguard-go tests. Source it instead of lib.sh.
#
# Names follow a prefix P: namespaces P-a and P-b, veth ends Pva and Pvb,
# WireGuard interfaces Pa0 (port 51820) and Pb0 (port 51821).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# pair_net P NET...: P-a and P-b joined by the veth Pva/Pvb; in each NET
# (three octets and a dot like 192.168.79., or a /64 prefix like fd79::) A's
# end is host 1 and B's end host 2.
pair_net() {
	local p=$1 net len
	shift
	ns_add "$p-a" "$p-b"
	veth_add "$p-a" "${p}va" "$p-b" "${p}vb"
	for net in "$@"; do
		case "$net" in
		*:*) len=64 ;;
		*) len=24 ;;
		esac
		addr_add "$p-a" "${p}va" "${net}1/$len"
		addr_add "$p-b" "${p}vb" "${net}2/$len"
	done
}

# pair_tunnel [--psk] P IMPL_A IMPL_B ENDPOINT NET...: a daemon of IMPL_A
# serving Pa0 in P-a and one of IMPL_B serving Pb0 in P-b (PID_A, PID_B),
# each with a fresh key ($TMP/a.key, $TMP/b.key; public keys in PUB_A and
# PUB_B) and, with --psk, one preshared key. A knows B at ENDPOINT (host:port);
# B only answers, so it must learn A's endpoint from the handshake. In each
# overlay NET (as for pair_net) A is host 1 and B host 2; both are up.
pair_tunnel() {
	local psk=() p impl_a impl_b endpoint net len host_len ips_a= ips_b= addrs_a=() addrs_b=()
	if [ "$1" = --psk ]; then
		wg genpsk >"$TMP/psk"
		psk=(preshared-key "$TMP/psk")
		shift
	fi
	p=$1 impl_a=$2 impl_b=$3 endpoint=$4
	shift 4
	for net in "$@"; do
		case "$net" in
		*:*) len=64 host_len=128 ;;
		*) len=24 host_len=32 ;;
		esac
		ips_a+="${ips_a:+,}${net}1/$host_len"
		ips_b+="${ips_b:+,}${net}2/$host_len"
		addrs_a+=("${net}1/$len")
		addrs_b+=("${net}2/$len")
	done
	PUB_A=$(key_new a)
	PUB_B=$(key_new b)
	daemon_start "$impl_a" "$p-a" "${p}a0"
	PID_A=$DAEMON_PID
	daemon_start "$impl_b" "$p-b" "${p}b0"
	PID_B=$DAEMON_PID
	nsx "$p-a" wg set "${p}a0" private-key "$TMP/a.key" listen-port 51820 \
		peer "$PUB_B" "${psk[@]}" endpoint "$endpoint" allowed-ips "$ips_b"
	nsx "$p-b" wg set "${p}b0" private-key "$TMP/b.key" listen-port 51821 \
		peer "$PUB_A" "${psk[@]}" allowed-ips "$ips_a"
	wg_if_up "$p-a" "${p}a0" "${addrs_a[@]}"
	wg_if_up "$p-b" "${p}b0" "${addrs_b[@]}"
}

# run_pair IMPL_A IMPL_B UNDERLAY PSK XFER
#   IMPL_A initiates (see pair_tunnel) to IMPL_B.
#   UNDERLAY = 4|6: the veth addresses the tunnel runs over.
#   PSK = psk|nopsk: whether both sides share a preshared key.
#   XFER = 4|6: the overlay family of the 50 MB transfer from A to B.
# Both overlay families are always configured and pinged both ways.
# Each scenario runs in a subshell with its own cleanup. Uses the kw prefix.
run_pair() {
	(_pair "$@") || exit $?
}

_pair() {
	local impl_a=$1 impl_b=$2 under=$3 psk=$4 xfer=$5
	local ua=192.168.77.1 ub=192.168.77.2 psk_opt=()
	lib_scope
	log "pair: $(basename "$impl_a") initiates to $(basename "$impl_b")," \
		"IPv$under underlay, $psk, transfer over IPv$xfer"

	if [ "$under" = 6 ]; then
		pair_net kw fd00:77::
		ua="[fd00:77::1]" ub="[fd00:77::2]"
	else
		pair_net kw 192.168.77.
	fi
	[ "$psk" = nopsk ] || psk_opt=(--psk)
	pair_tunnel "${psk_opt[@]}" kw "$impl_a" "$impl_b" "$ub:51821" 10.77.0. fd77::

	ping_ok kw-a 10.77.0.2
	has_handshake kwa0 "$PUB_B" || die "initiator shows no handshake"
	has_handshake kwb0 "$PUB_A" || die "responder shows no handshake"
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
	daemon_stop "$PID_A" kwa0
	daemon_stop "$PID_B" kwb0
}
