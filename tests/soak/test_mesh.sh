#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Kilo's default mesh under load for $KILO_SOAK_SECONDS (60 by default; 900
# for the long run, past seven 120-second rekeys): cloud a (a1, a2) and
# cloud b (b1, b2), one leader each, the laptop as a Peer. Pings flow pod to
# pod across the clouds (member to member through both leaders too) and from
# the laptop, a TCP stream runs from a1's pod to b2's, kg resyncs every 5 s,
# and every 3 s the Peers change through the API server: a Peer added (the
# oldest of four removed), the roamer re-keyed, removed and added again
# (each reaching both clouds at once). Nothing of the clouds' or the laptop's
# configuration changes, so: no ping lost, no session between the leaders or
# with the laptop lost or reset, the stream intact, kg's and kwg's fds,
# threads and RSS flat, and a clean exit without a sanitizer report.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

e2e_setup
soak_cluster location
la=$(e2e_leader_among a1 a2)
lb=$(e2e_leader_among b1 b2)
LEADERS=("$la" "$lb")
log "leaders $la and $lb; soaking for ${SOAK_SECONDS}s"

laptop_pub=$(cat "$TMP/$LAPTOP_PEER.pub")
soak_watch "$(dev "$la")" "$(cat "$TMP/$lb.pub")" "$la -> $lb"
soak_watch "$(dev "$lb")" "$(cat "$TMP/$la.pub")" "$lb -> $la"
soak_watch "$(dev "$la")" "$laptop_pub" "$la -> laptop"
soak_watch "$(dev "$lb")" "$laptop_pub" "$lb -> laptop"
soak_watch "$KWG_LAPTOP" "$(cat "$TMP/$la.pub")" "laptop -> $la"
soak_watch "$KWG_LAPTOP" "$(cat "$TMP/$lb.pub")" "laptop -> $lb"
soak_sessions_check

soak_ping "$E-pa1" 10.2.3.2
soak_ping "$E-pa2" 10.2.4.2
soak_ping "$E-pb1" 10.2.2.2
soak_ping "$E-pb2" 10.2.1.2
soak_ping "$E-lap" 10.2.2.2
soak_ping "$E-lap" 10.2.4.2
soak_stream "$E-pa1" "$E-pb2" 10.2.4.2
soak_run

soak_pings_check
soak_stream_check
soak_sessions_check
soak_settle "$laptop_pub" "$(cat "$TMP"/{a1,a2,b1,b2}.pub)"
soak_sessions_report
soak_report
soak_proc_report
e2e_stop_all
daemon_stop "${PROC_PID[kwg roamer]}" "$ROAMER_IF"
daemon_stop "${PROC_PID[kwg laptop]}" "$KWG_LAPTOP"
log "PASS in ${SECONDS}s"
