#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# cloud-a's leader a1 dies (SIGKILL: no clean-up, its annotations stay).
# Its last-seen goes stale, and once the 60-second readiness window since
# its last check-in has passed the others count it out: a2 takes over cloud-a and traffic from
# cloud-b to a2's pod flows again. Prints how long both took.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

e2e_setup
e2e_cluster location
e2e_pods_reach b1 a2
wait_for "a1 to lead cloud-a" 30 e2e_leader a1

log "a1's kg is killed"
kill -KILL "${NODE_PID[a1]}"
reap "${NODE_PID[a1]}" KILL
killed=$SECONDS
last_seen=$(annotation a1 last-seen)
reaches() { nsx "$E-pb1" ping -q -c 1 -W 1 10.2.2.2; }
wait_for "b1's pod to lose a2's pod" 10 eval '! reaches'
wait_for "a2 to lead cloud-a" 120 e2e_leader a2
leader_after=$((SECONDS - killed))
silent=$(($(date +%s) - last_seen))
wait_for "b1's pod to reach a2's pod again" 60 reaches
traffic_after=$((SECONDS - killed))
log "leadership moved ${leader_after}s after the kill (${silent}s after a1's last check-in), traffic recovered after ${traffic_after}s"
[ $silent -ge 59 ] || die "a2 took over ${silent}s after a1's last check-in, inside the readiness window"
e2e_pods_reach a2 b1 b2 n1
e2e_stop a2 b1 b2 n1
log "PASS"
