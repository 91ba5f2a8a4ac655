#!/usr/bin/env bash
# kwg <-> kwg with UDP: bursts of datagrams over both overlay families arrive
# intact and in order; where the kernel takes UDP super-packets (USO, 6.2),
# the receiving kwg writes runs of them to its TUN as one, so its TUN counts
# fewer packets than datagrams arrived; with KWG_NO_OFFLOAD=1 (which both
# daemons inherit) it writes each datagram alone. Uses the ep-* namespaces.
. "$(dirname "$0")/pair.sh"
exclusive ep
need_root

N=4000

# burst NS_FROM NS_TO ADDR: N datagrams to ADDR; adds how many arrived to
# ARRIVED.
ARRIVED=0
burst() {
	local from=$1 to=$2 addr=$3 rpid got received in_order intact
	ip netns exec "$to" "$PYTHON" "$LIB_DIR/udp_burst.py" recv "$addr" 5299 >"$TMP/burst" &
	rpid=$!
	sleep 0.5
	nsx "$from" "$PYTHON" "$LIB_DIR/udp_burst.py" send "$addr" 5299 $N ||
		die "udp burst to $addr: sender failed"
	wait $rpid || die "udp burst to $addr: receiver failed"
	read -r received in_order intact <"$TMP/burst"
	log "udp burst to $addr: $received of $N arrived, in order: $in_order, intact: $intact"
	[ "$in_order" = 1 ] || die "udp burst to $addr: datagrams were reordered"
	[ "$intact" = "$received" ] || die "udp burst to $addr: $((received - intact)) corrupted"
	# Bursts are paced for a quiet link; a busy machine may still drop a few.
	[ "$received" -ge $((N * 9 / 10)) ] || die "udp burst to $addr: only $received of $N arrived"
	ARRIVED=$((ARRIVED + received))
}

tun_rx_packets() {
	nsx "$1" cat "/sys/class/net/$2/statistics/rx_packets"
}

pair_net ep 192.168.98.
pair_tunnel ep "$KWG" "$KWG" 192.168.98.2:51821 10.98.0. fd98::
ping_ok ep-a 10.98.0.2

before=$(tun_rx_packets ep-b epb0)
burst ep-a ep-b 10.98.0.2
burst ep-a ep-b fd98::2
written=$(($(tun_rx_packets ep-b epb0) - before))
log "epb0 took $written TUN writes for its $ARRIVED datagrams"
IFS=. read -r major minor _ < <(uname -r)
if [ "${KWG_NO_OFFLOAD:-}" = 1 ]; then
	[ "$written" -ge "$ARRIVED" ] ||
		die "KWG_NO_OFFLOAD=1, yet kwg wrote $ARRIVED datagrams in $written TUN writes"
elif [ "$major" -gt 6 ] || { [ "$major" = 6 ] && [ "$minor" -ge 2 ]; }; then
	[ "$written" -lt $((ARRIVED * 3 / 4)) ] || die "kernel $(uname -r) has USO, yet kwg wrote datagrams one by one"
else
	log "kernel $(uname -r) has no USO: datagrams are written one by one"
fi
burst ep-b ep-a 10.98.0.1
daemon_stop "$PID_A" epa0
daemon_stop "$PID_B" epb0
echo "PASS: kwg <-> kwg UDP bursts"
