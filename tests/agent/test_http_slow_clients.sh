#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Slow clients hold none of kg's HTTP servers: kg's --listen (/health,
# /metrics, /graph), and kg webhook's HTTPS --listen and --listen-metrics.
# Against each, slow_clients.py (loopback only) connects 12 clients that
# trickle a request head (a ClientHello on HTTPS) one byte a second and 4
# that never read, while an honest GET must be answered within 5 s; each
# trickler is cut at its 10 s deadline from accept. Then the connection cap:
# a quarter of the 128 from one address at most, the 129th closed at once
# while 128 are held, a held one still answered, and a new one in the slot
# it left. About 30 s, most of it the deadlines, the servers side by side.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

need_root
exclusive hs-http
for tool in curl openssl wg; do
	command -v $tool >/dev/null || die "$tool is missing"
done
CLIENTS=$AGENT_LIB_DIR/slow_clients.py
HOST=peer-validation.kilo.svc

# hs-a (the node, 192.168.76.1) and hs-b on one veth, for kg's IP detection.
ns_add hs-a hs-b
veth_add hs-a hsva hs-b hsvb
addr_add hs-a hsva 192.168.76.1/24
addr_add hs-b hsvb 192.168.76.2/24
key_new n1 >/dev/null
"$PYTHON" "$AGENT_LIB_DIR/cluster_file.py" "$TMP/cluster.json" \
	"n1,east,192.168.76.1:51820,192.168.76.1/24,10.2.1.0/24,$(cat "$TMP/n1.pub"),leader"
kg_start hs-a n1 --backend file --cluster-file "$TMP/cluster.json" --interface hsk1 \
	--listen 127.0.0.1:1107 --encapsulate never --cni=false
wait_for "kg's /health" 10 http hs-a http://127.0.0.1:1107/health

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
	-subj "/CN=$HOST" -addext "subjectAltName=DNS:$HOST" \
	-keyout "$TMP/tls.key" -out "$TMP/tls.crt" 2>/dev/null
# Not through nsx: $! must be kg itself (ip execs it).
ip netns exec hs-a "$KG" webhook --cert-file "$TMP/tls.crt" --key-file "$TMP/tls.key" \
	--listen 127.0.0.1:8443 --listen-metrics 127.0.0.1:1108 >"$TMP/webhook.log" 2>&1 &
WH_PID=$!
supervise $WH_PID "$TMP/webhook.log"
wait_for "the webhook's metrics" 10 http hs-a http://127.0.0.1:1108/metrics
wait_for "the webhook's HTTPS" 10 nsx hs-a curl -sS --max-time 5 --cacert "$TMP/tls.crt" \
	--resolve "$HOST:8443:127.0.0.1" -o /dev/null "https://$HOST:8443/"

# scenario NAME ARGS...: slow_clients.py in hs-a, in the background, its
# output in $TMP/NAME; run_all waits for every one, shows what each said,
# and fails naming those that failed.
runs=()
scenario() {
	local name=$1
	shift
	nsx hs-a "$PYTHON" "$CLIENTS" "$@" >"$TMP/$name" 2>&1 &
	runs+=("$name:$!")
}
run_all() {
	local run failed=()
	for run in "${runs[@]}"; do
		wait "${run#*:}" || failed+=("${run%%:*}")
		sed "s/^/  ${run%%:*}: /" "$TMP/${run%%:*}" >&2
	done
	runs=()
	[ ${#failed[@]} = 0 ] || die "slow clients held ${failed[*]}"
}

log "trickling clients and readers that never read: an honest GET is answered, they are cut"
scenario kg slow 127.0.0.1:1107 --path /health
scenario webhook slow 127.0.0.1:8443 --tls "$TMP/tls.crt,$HOST" --path /health
scenario webhook-metrics slow 127.0.0.1:1108 --path /metrics
run_all

log "the connection cap: a quarter from one address, no more than the cap, no one inside starves"
scenario kg-cap cap 127.0.0.1:1107 --path /health
scenario webhook-cap cap 127.0.0.1:8443 --tls "$TMP/tls.crt,$HOST" --path /health
run_all

log "both still serve, and stop with status 0"
[ "$(http_status hs-a http://127.0.0.1:1107/health)" = 200 ] || die "kg's /health is not 200"
kg_stop $WH_PID webhook
kg_stop "$KG_PID" n1
log PASS
