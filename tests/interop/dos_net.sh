# The network of the denial-of-service test (interop_dos) and benchmark (bench/flood); source
# it after lib.sh. Namespace ds-b holds the flooded kwg (dswg2, 10.73.0.2, port 51820) and is
# joined by one veth to each of:
#   ds-a   its established peer, kwg (dswg1, 10.73.0.1)
#   ds-c   a late peer that handshakes during the flood, kwg (dswg3, 10.73.0.3)
#   ds-d   another late peer, wireguard-go (dswg4, 10.73.0.4)
#   ds-fl  the flooder (10.71.2.1, flooding 10.71.2.2), whose random sources (10.72.0.0/16)
#          ds-b routes back to it, so the cookie replies to them go nowhere else
# Everything is removed at exit (lib.sh).

DOS_NAMES=(a b c d)
DOS_FLOOD_SOURCES=10.72.0.0/16
# Keyed by side: namespace, interface, underlay subnet (10.71.N.0/24), port, overlay address.
declare -A DOS_NS=([a]=ds-a [b]=ds-b [c]=ds-c [d]=ds-d)
declare -A DOS_IF=([a]=dswg1 [b]=dswg2 [c]=dswg3 [d]=dswg4)
declare -A DOS_NET=([a]=1 [c]=3 [d]=4 [fl]=2)
declare -A DOS_PORT=([a]=51821 [b]=51820 [c]=51823 [d]=51824)
declare -A DOS_OVER=([a]=10.73.0.1 [b]=10.73.0.2 [c]=10.73.0.3 [d]=10.73.0.4)
declare -A DOS_PID

# dos_net_up: the namespaces, the veths to ds-b (the other side is .1, ds-b is .2) and the
# keys, in DOS_KEYS (this $TMP, kept by subshells that make their own).
dos_net_up() {
	local side ns
	exclusive ds
	DOS_KEYS=$TMP
	ns_add ds-a ds-b ds-c ds-d ds-fl
	for side in a c d fl; do
		ns=ds-$side
		veth_add "$ns" "dsv-$side" ds-b "dsv-b$side"
		addr_add "$ns" "dsv-$side" "10.71.${DOS_NET[$side]}.1/24"
		addr_add ds-b "dsv-b$side" "10.71.${DOS_NET[$side]}.2/24"
	done
	nsx ds-b ip route add $DOS_FLOOD_SOURCES via 10.71.2.1
	for side in "${DOS_NAMES[@]}"; do
		key_new "$side" >/dev/null
	done
}

# dos_start SIDE IMPL: the daemon of SIDE (LOG_LEVEL=verbose, so that kwg logs its counters
# when it stops), up on its overlay address and listening on its port. Sets DOS_PID[SIDE].
dos_start() {
	local side=$1 ns=${DOS_NS[$1]} ifname=${DOS_IF[$1]}
	LOG_LEVEL=verbose daemon_start "$2" "$ns" "$ifname"
	DOS_PID[$side]=$DAEMON_PID
	nsx "$ns" wg set "$ifname" private-key "$DOS_KEYS/$side.key" listen-port "${DOS_PORT[$side]}"
	wg_if_up "$ns" "$ifname" "${DOS_OVER[$side]}/24"
}

# dos_peer SIDE: SIDE and the flooded b know each other; SIDE knows where b is.
dos_peer() {
	local side=$1
	nsx ds-b wg set dswg2 peer "$(cat "$DOS_KEYS/$side.pub")" allowed-ips "${DOS_OVER[$side]}/32"
	nsx "${DOS_NS[$side]}" wg set "${DOS_IF[$side]}" peer "$(cat "$DOS_KEYS/b.pub")" \
		endpoint "10.71.${DOS_NET[$side]}.2:${DOS_PORT[b]}" allowed-ips "${DOS_OVER[b]}/32"
}

# dos_flood MODE SECONDS [RATE] [KEY|FILE]: bench_flood_gen in ds-fl, in the background, its
# report in $TMP/flood.out. Sets DOS_FLOOD_PID.
dos_flood() {
	local gen=${FLOOD_GEN:-$KILO_BUILD/bench/bench_flood_gen} target=10.71.2.2:${DOS_PORT[b]}
	ip netns exec ds-fl "$gen" flood "$1" "$target" $DOS_FLOOD_SOURCES "$2" "${3:-0}" \
		${4:+"$4"} >"$TMP/flood.out" 2>&1 &
	DOS_FLOOD_PID=$!
	at_exit "kill $DOS_FLOOD_PID; wait $DOS_FLOOD_PID"
}

# dos_rx_packets: datagrams ds-fl has received, which during a flood are ds-b's cookie replies.
dos_rx_packets() {
	nsx ds-fl cat /sys/class/net/dsv-fl/statistics/rx_packets
}

# dos_answered N: ds-fl has received more than N datagrams.
dos_answered() { [ "$(dos_rx_packets)" -gt "$1" ]; }

# dos_counter SIDE NAME: a counter from the line kwg logged when it stopped.
dos_counter() {
	grep -o "$2=[0-9]*" "$TMP/${DOS_IF[$1]}.log" | tail -1 | cut -d= -f2
}
