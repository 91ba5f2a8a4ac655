#!/usr/bin/env bash
# Changing one peer never disturbs another peer's session. A hub (kwg) sends
# 50 MB to peer B while peer C's allowed IPs, endpoint, keepalive and
# preshared key are changed over and over, and B's own allowed IPs grow and
# shrink around its tunnel address: the transfer completes with a matching
# checksum and without a stall, B's session is the one from before (no new
# handshake), and C is still reachable afterwards.
. "$(dirname "$0")/lib.sh"
exclusive kw
need_root

ns_add kw-a kw-b kw-c
veth_add kw-a kwvab kw-b kwvba
veth_add kw-a kwvac kw-c kwvca
addr_add kw-a kwvab 192.168.80.1/24
addr_add kw-b kwvba 192.168.80.2/24
addr_add kw-a kwvac 192.168.81.1/24
addr_add kw-c kwvca 192.168.81.2/24
addr_add kw-c kwvca 192.168.81.3/24

pa=$(key_new a)
pb=$(key_new b)
pc=$(key_new c)
wg genpsk >"$TMP/psk"
daemon_start "$KWG" kw-a kwa0
pid_a=$DAEMON_PID
daemon_start "$KWG" kw-b kwb0
daemon_start "$KWG" kw-c kwc0
nsx kw-a wg set kwa0 private-key "$TMP/a.key" listen-port 51820 \
	peer "$pb" endpoint 192.168.80.2:51821 allowed-ips 10.80.0.2/32 \
	peer "$pc" endpoint 192.168.81.2:51822 allowed-ips 10.80.0.3/32
nsx kw-b wg set kwb0 private-key "$TMP/b.key" listen-port 51821 \
	peer "$pa" endpoint 192.168.80.1:51820 allowed-ips 10.80.0.0/24
nsx kw-c wg set kwc0 private-key "$TMP/c.key" listen-port 51822 \
	peer "$pa" endpoint 192.168.81.1:51820 allowed-ips 10.80.0.0/24
wg_if_up kw-a kwa0 10.80.0.1/24
wg_if_up kw-b kwb0 10.80.0.2/24
wg_if_up kw-c kwc0 10.80.0.3/24

ping_ok kw-a 10.80.0.2
ping_ok kw-a 10.80.0.3
hs_b=$(handshake_time kwa0 "$pb")

log "50 MB to B, paced over ~6 s, while C is reconfigured"
transfer kw-a kw-b 10.80.0.2 $((50 << 20)) $((8 << 20)) &
xfer_pid=$!
i=0
while kill -0 $xfer_pid 2>/dev/null; do
	i=$((i + 1))
	nsx kw-a wg set kwa0 peer "$pc" allowed-ips "10.80.0.3/32,10.99.$((i % 200)).0/24" \
		endpoint "192.168.81.$((2 + i % 2)):51822" persistent-keepalive $((i % 3))
	if [ $((i % 2)) = 0 ]; then
		nsx kw-a wg set kwa0 peer "$pc" preshared-key /dev/null \
			peer "$pb" allowed-ips 10.80.0.2/32
	else
		nsx kw-a wg set kwa0 peer "$pc" preshared-key "$TMP/psk" \
			peer "$pb" allowed-ips "10.80.0.2/32,10.98.$((i % 200)).0/24"
	fi
	sleep 0.05
done
wait $xfer_pid || die "the transfer to B failed while C changed"
[ $i -ge 20 ] || die "only $i changes happened during the transfer"
gap=$(awk '{ print $3 }' "$TMP/xfer.recv")
log "$i rounds of changes; longest pause in the stream: $gap s"
awk -v g="$gap" 'BEGIN { exit !(g < 1.0) }' || die "the transfer to B stalled for $gap s"
[ "$(handshake_time kwa0 "$pb")" = "$hs_b" ] ||
	die "B's session was replaced by a new handshake"

log "C's final configuration works"
nsx kw-a wg set kwa0 peer "$pc" endpoint 192.168.81.2:51822 preshared-key /dev/null \
	allowed-ips 10.80.0.3/32 persistent-keepalive 0
ping_ok kw-a 10.80.0.3
ping_ok kw-c 10.80.0.1
daemon_stop "$pid_a" kwa0
echo "PASS: changing one peer leaves another peer's transfer alone"
