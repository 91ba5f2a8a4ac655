#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Kilo #489: a leader that stays Ready but stops forwarding. Two locations,
# cloud-a (a1, a2) and cloud-b (b1, b2), joined by the router $E-rt; a1 and
# b1 lead (first by name), a2 and b2 stand by. The router drops a1's
# WireGuard traffic (UDP to and from its port 51820) while a1's kg keeps
# its API connection (over the node's loopback) and keeps checking in:
#   - cross-location pod pings resume through a2, once a1 has said it is
#     down (T_down without contact) and everyone applied; the test prints
#     how long they were out and fails only if they do not resume within
#     four times the bound of mesh/README.md;
#   - a1 is Ready all along, kgctl graph draws it passed over, /metrics
#     counts the failover in cloud-a and none in cloud-b, whose leader b1
#     lost its only peer as well but is not passed over: nobody in cloud-b
#     reached a1 either;
#   - once the router forwards again, a1 is back in contact, says so after
#     T_up and leads again; pings keep flowing through that switch (the
#     longest silence is printed; one as long as T_down would be an outage).
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

NODES=(a1 a2 b1 b2)
PING_INTERVAL=0.2
# The constants of the rule, from the source (mesh/view/tunnel_health.h).
constant() { awk -v n="$1" '$1 == "#define" && $2 == n { print $3 }' "$KILO_SRC/mesh/view/tunnel_health.h"; }
T_DOWN=$(constant MESH_HEALTH_DOWN_AFTER)
T_UP=$(constant MESH_HEALTH_UP_AFTER)
PERIOD=$(constant MESH_HEALTH_PERIOD)
[ -n "$T_DOWN" ] && [ -n "$T_UP" ] && [ -n "$PERIOD" ] || die "no constants in tunnel_health.h"
# mesh/README.md: T_down + one sample + one apply (a few seconds, generously).
BOUND=$((T_DOWN + PERIOD + 5))

e2e_setup iptables
e2e_underlay
e2e_node_add a1 a 1
e2e_node_add a2 a 2
e2e_node_add b1 b 3
e2e_node_add b2 b 4
A1=198.51.100.${NODE_IDX[a1]}
e2e_cluster_start c1
for n in a1 a2; do e2e_node_join c1 "$n" cloud-a; done
for n in b1 b2; do e2e_node_join c1 "$n" cloud-b; done
e2e_pods_reach "${NODES[@]}"
wait_for "a1 to lead cloud-a" 30 e2e_leader a1
wait_for "b1 to lead cloud-b" 30 e2e_leader b1

health() { annotation "$1" tunnel-health; }
health_is() { grep -q "\"state\":\"$2\"" <<<"$(health "$1")"; }
for n in "${NODES[@]}"; do
	wait_for "$n to say its tunnels are up" $((4 * T_UP)) health_is "$n" up
done

failovers() {
	http "$E-$1" http://127.0.0.1:1107/metrics | awk '$1 == "kilo_leader_failovers_total" { print $2 }'
}
reaches() { nsx "$E-p$1" ping -q -c 1 -W 1 "10.2.${NODE_IDX[$2]}.2"; }
blackhole() {
	nsx "$E-rt" iptables "$1" FORWARD -p udp -d "$A1" --dport 51820 -j DROP
	nsx "$E-rt" iptables "$1" FORWARD -p udp -s "$A1" --sport 51820 -j DROP
}

# replied NAME: the ping has had a few replies (so its log holds the outage's start).
replied() { [ "$(grep -c 'bytes from' "$TMP/ping-$1")" -ge 5 ]; }

log "the router drops a1's WireGuard traffic; a1 stays Ready"
ping_start to-a1 b1 a1
ping_start to-a2 b1 a2
wait_for "pings to a1's and a2's pods" 10 eval 'replied to-a1 && replied to-a2'
blackhole -I
at_exit "ip netns exec $E-rt iptables -F FORWARD"
broken=$SECONDS
wait_for "b1's pod to lose a2's pod" 20 eval '! reaches b1 a2'
wait_for "a2 to lead cloud-a (within 4x the bound of ${BOUND}s)" $((4 * BOUND)) e2e_leader a2
led_after=$((SECONDS - broken))
wait_for "pings to resume through a2 (within 4x the bound of ${BOUND}s)" \
	$((4 * BOUND - led_after + 10)) reaches b1 a2
wait_for "b1's pod to reach a1's pod through a2" 20 reaches b1 a1
sleep 1
ping_stop to-a2
log "pod of b1 -> pod of a2: out for ${GAP}s (bound ${BOUND}s), $LOST of $SENT pings lost; a2 led after ${led_after}s"
gap_a2=$GAP
ping_stop to-a1
log "pod of b1 -> pod of a1: out for ${GAP}s, $LOST of $SENT pings lost"
awk -v g="$gap_a2" -v b=$((4 * BOUND)) 'BEGIN { exit !(g < b) }' ||
	die "the outage of ${gap_a2}s is longer than 4x the bound of ${BOUND}s"

kg_alive "${NODE_PID[a1]}" a1
seen=$(annotation a1 last-seen)
[ $(($(date +%s) - seen)) -lt 60 ] || die "a1 stopped checking in: last-seen $seen"
health_is a1 down || die "a1 does not say it is down: $(health a1)"
e2e_leader b1 || die "b1 no longer leads cloud-b"
graph=$(kgctl c1 graph)
grep -q '"a1" \[ label=.*passed over: no tunnel since [0-9]*", shape=ellipse, style=dashed \]' \
	<<<"$graph" || die "kgctl graph does not show a1 passed over: $graph"
grep -q '"a2"->"a1"\[ dir=both \]' <<<"$graph" || die "kgctl graph: a2 does not lead a1: $graph"
for n in a1 a2; do
	[ "$(failovers "$n")" = 1 ] || die "$n counted $(failovers "$n") failovers, not 1"
done
for n in b1 b2; do
	[ "$(failovers "$n")" = 0 ] || die "$n counted $(failovers "$n") failovers in cloud-b"
done
e2e_pods_reach "${NODES[@]}"

log "the router forwards again: a1 leads again after T_up (${T_UP}s) of contact"
ping_start settle b1 a2
wait_for "pings to a2's pod" 10 replied settle
blackhole -D
healed=$SECONDS
wait_for "a1 to say it is up again" $((4 * (T_UP + BOUND))) health_is a1 up
wait_for "a1 to lead cloud-a again" 30 e2e_leader a1
back_after=$((SECONDS - healed))
wait_for "a2 to follow" 30 eval '! e2e_leader a2'
sleep 2
ping_stop settle
log "a1 led again ${back_after}s after the heal; meanwhile the longest silence was ${GAP}s, $LOST of $SENT pings lost"
awk -v g="$GAP" -v t="$T_DOWN" 'BEGIN { exit !(g < t) }' ||
	die "an outage of ${GAP}s while leadership went back to a1"
e2e_leader b1 || die "b1 no longer leads cloud-b"
! grep -q 'passed over' <<<"$(kgctl c1 graph)" || die "kgctl graph still shows a node passed over"
for n in b1 b2; do
	[ "$(failovers "$n")" = 0 ] || die "$n counted $(failovers "$n") failovers in cloud-b"
done
e2e_pods_reach "${NODES[@]}"
e2e_stop_all
log "PASS"
