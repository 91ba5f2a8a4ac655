#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# kg webhook, Kilo's validating admission webhook for Peers, as the API
# server meets it: HTTPS with a certificate the client verifies for the
# Service's name, POST /validate?timeout=5s with AdmissionReviews. A valid
# Peer is allowed (sent chunked too), an invalid one denied with the reason,
# garbage and a wrong Content-Type are a 400, a body over 1 MiB a 413, plain
# HTTP gets no answer, TLS 1.1 is refused; /metrics counts them with Kilo's
# names; stalled clients hold no one else up (test_http_slow_clients.sh has
# more); a key that cannot be read or does not match stops it with the file
# named; SIGTERM ends it with status 0.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

need_root
exclusive wh
for tool in openssl curl; do
	command -v $tool >/dev/null || die "$tool is missing"
done
NS=wh-node HOST=peer-validation.kilo.svc
UID_=705ab4f5-6393-11e8-b7cc-42010a800002
KEY=GY5aT1N9dTR/nJnT1N2f4ClZWVj0jOAld0r8ysWLyjg=
ns_add $NS

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
	-subj "/CN=$HOST" -addext "subjectAltName=DNS:peer-validation,DNS:$HOST" \
	-keyout "$TMP/tls.key" -out "$TMP/tls.crt" 2>/dev/null

# webhook ARGS...: kg webhook in the namespace, on loopback.
webhook() {
	nsx $NS "$KG" webhook --listen 127.0.0.1:8443 --listen-metrics 127.0.0.1:1107 "$@"
}

log "Kilo's flags and defaults"
help=$("$KG" webhook --help)
for flag in 'cert-file string' 'key-file string' 'listen string .*\(default ":8443"\)' \
	'listen-metrics string .*\(default ":1107"\)' 'log-level string .*\(default "info"\)'; do
	grep -Eq -- "^ +--$flag" <<<"$help" || die "kg webhook --help lacks --$flag: $help"
done

log "a key that cannot be read stops it, naming the file"
out=$(webhook --cert-file "$TMP/tls.crt" --key-file "$TMP/none.key" 2>&1) &&
	die "kg webhook started without its key"
grep -q "failed to load key $TMP/none.key" <<<"$out" || die "the key file is not named: $out"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$TMP/other.key" 2>/dev/null
out=$(webhook --cert-file "$TMP/tls.crt" --key-file "$TMP/other.key" 2>&1) &&
	die "kg webhook started with a key that is not the certificate's"
grep -q "failed to load certificate $TMP/tls.crt with key $TMP/other.key: .*do not match" <<<"$out" ||
	die "a key that does not match is not named: $out"
out=$(webhook --key-file "$TMP/tls.key" 2>&1) && die "kg webhook started without --cert-file"
grep -q -- "--cert-file" <<<"$out" || die "--cert-file is not named: $out"

# Not through nsx: $! must be kg itself (ip execs it).
ip netns exec $NS "$KG" webhook --cert-file "$TMP/tls.crt" --key-file "$TMP/tls.key" \
	--listen 127.0.0.1:8443 --listen-metrics 127.0.0.1:1107 --log-level debug \
	>"$TMP/webhook.log" 2>&1 &
WH_PID=$!
at_exit "kill $WH_PID; wait $WH_PID"
_daemon_logs+=("$TMP/webhook.log")

# https ARGS...: curl to the webhook as the API server reaches it, printing
# the body, then the status on a line of its own.
https() {
	nsx $NS curl -sS --max-time 5 --cacert "$TMP/tls.crt" --resolve "$HOST:8443:127.0.0.1" \
		-w '\n%{http_code}' "$@"
}
serving() {
	kill -0 $WH_PID || die "kg webhook died: $(cat "$TMP/webhook.log")"
	https -o /dev/null "https://$HOST:8443/" 2>/dev/null
}
wait_for "the webhook's HTTPS" 10 serving

# review OPERATION SPEC: an AdmissionReview v1 of a Peer "squat" with SPEC.
review() {
	printf '{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"%s",%s' \
		"$UID_" '"kind":{"group":"kilo.squat.ai","version":"v1alpha1","kind":"Peer"},'
	printf '"operation":"%s","object":{"apiVersion":"kilo.squat.ai/v1alpha1","kind":"Peer",' "$1"
	printf '"metadata":{"name":"squat"},"spec":{%s}}}}' "$2"
}
# validate BODY [CONTENT_TYPE]: POST /validate.
validate() {
	https -H "Content-Type: ${2:-application/json}" --data-binary "$1" \
		"https://$HOST:8443/validate?timeout=5s"
}
# expect WHAT GOT WANT
expect() {
	[ "$2" = "$3" ] || die "$1: got
$2
expected
$3"
}
answer() {
	printf '{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","response":{"uid":"%s",%s}}\n200' \
		"$UID_" "$1"
}

log "a valid Peer is allowed"
expect "a valid Peer" "$(validate "$(review CREATE \
	"\"allowedIPs\":[\"10.5.0.1/32\"],\"publicKey\":\"$KEY\",\"persistentKeepalive\":10")")" \
	"$(answer '"allowed":true')"

log "an invalid Peer is denied, the reason in status.message"
expect "an invalid Peer" "$(validate "$(review UPDATE "\"allowedIPs\":[\"10.5.0.1/32\"],\
\"endpoint\":{\"dnsOrIP\":{\"ip\":\"192.168.0.1\"},\"port\":0},\"publicKey\":\"$KEY\"")")" \
	"$(answer '"allowed":false,"status":{"metadata":{},"message":"peer \"squat\": spec.endpoint.port: invalid value 0: must be a UDP port 1..65535"}')"

log "garbage and a wrong Content-Type are a 400 that says why"
expect garbage "$(validate '{"kind": garbage')" \
	"Request could not be decoded: invalid token near 'garbage' (line 1, column 16)

400"
expect "a text body" "$(validate "$(review CREATE '')" text/plain)" \
	"received Content-Type=text/plain, expected application/json

400"

log "a body too large is refused before it is read, a chunked one is taken as Go takes it"
expect "2 MB announced" "$(https -H 'Content-Type: application/json' -H 'Content-Length: 2000000' \
	--data-binary x "https://$HOST:8443/validate")" "request body larger than 1048576 bytes

413"
chunked() {
	https -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary "$1" \
		"https://$HOST:8443/validate"
}
expect "a chunked review" "$(chunked "$(review CREATE \
	"\"allowedIPs\":[\"10.5.0.2/32\"],\"publicKey\":\"$KEY\"")")" "$(answer '"allowed":true')"
head -c 1100000 /dev/zero | tr '\0' ' ' >"$TMP/large"
expect "2 MB chunked" "$(chunked @"$TMP/large")" "request body larger than 1048576 bytes

413"

log "a client that does not know the CA, and plain HTTP, are refused"
rc=0
nsx $NS curl -sS --max-time 5 --resolve "$HOST:8443:127.0.0.1" -o /dev/null \
	"https://$HOST:8443/validate" 2>/dev/null || rc=$?
[ $rc = 60 ] || die "curl without the CA exited $rc, not 60 (certificate not verified)"
rc=0
out=$(nsx $NS curl -sS --max-time 5 http://127.0.0.1:8443/validate 2>&1) || rc=$?
[ $rc = 52 ] || die "plain HTTP: curl exited $rc, not 52 (no answer): $out"

log "TLS 1.2 and 1.3, not 1.1"
for version in tls1_2 tls1_3; do
	nsx $NS openssl s_client -connect 127.0.0.1:8443 -servername $HOST -$version \
		</dev/null >"$TMP/s_client" 2>&1 || die "a $version handshake failed: $(cat "$TMP/s_client")"
done
nsx $NS openssl s_client -connect 127.0.0.1:8443 -servername $HOST -tls1_1 \
	-cipher 'DEFAULT@SECLEVEL=0' </dev/null >"$TMP/s_client" 2>&1 &&
	die "a TLS 1.1 handshake succeeded: $(cat "$TMP/s_client")"

log "stalled clients hold no one else up; many at once are all answered"
# Not through nsx: $! must be python itself.
ip netns exec $NS "$PYTHON" -c '
import socket, sys, time
# From another address: one may hold a quarter of the 128 connections.
held = [socket.create_connection(("127.0.0.1", 8443), source_address=("127.0.0.2", 0))
        for _ in range(24)]
for i, s in enumerate(held):
    s.send([b"", b"\x16\x03\x01", b"GET"][i % 3])  # nothing, half a TLS record, plain text
print("stalled", flush=True)
time.sleep(30)
' >"$TMP/stalled" &
STALLED=$!
at_exit "kill $STALLED"
wait_for "the stalled clients" 10 grep -q stalled "$TMP/stalled"
clients=()
for i in $(seq 16); do
	validate "$(review CREATE "\"allowedIPs\":[\"10.6.$i.0/24\"],\"publicKey\":\"$KEY\"")" \
		>"$TMP/concurrent.$i" 2>&1 &
	clients+=($!)
done
for i in $(seq 16); do
	wait "${clients[i - 1]}" || die "concurrent review $i: curl failed: $(cat "$TMP/concurrent.$i")"
	expect "concurrent review $i" "$(cat "$TMP/concurrent.$i")" "$(answer '"allowed":true')"
done
kill $STALLED

log "/metrics counts reviews, requests and errors with Kilo's names"
metrics=$(http $NS http://127.0.0.1:1107/metrics)
for line in 'admission_requests_total{operation="CREATE",response="allowed"} 18' \
	'admission_requests_total{operation="UPDATE",response="denied"} 1' \
	'errors_total 2' 'http_requests_total{handler="/validate",method="POST"} 21' \
	'# TYPE process_start_time_seconds gauge'; do
	grep -qxF "$line" <<<"$metrics" || die "/metrics lacks '$line': $metrics"
done
grep -q '"msg":"got invalid peer spec: peer \\"squat\\": spec.endpoint.port' "$TMP/webhook.log" ||
	die "the denial is not logged at debug level: $(cat "$TMP/webhook.log")"

log "SIGTERM ends it with status 0"
kg_stop $WH_PID webhook
log PASS
