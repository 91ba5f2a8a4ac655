#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Kubeconfig exec credential plugins (mesh/k8s/kube_exec.h), the way EKS, GKE
# and AKS kubeconfigs authenticate, against the test API server requiring
# bearer tokens. A bash plugin (found in PATH) hands out the token the test
# gives it and counts its runs. kgctl graph works with it (one run for all
# its requests, the cluster info passed), re-runs it for a token that
# expired, and recovers from a token the server refuses (401); a client
# certificate from the plugin works over HTTPS. kg lists and patches its
# Node with it, re-runs the plugin when the token expires, and once when
# the server's accepted token rotates (one run for both watches), then
# carries on. A failing plugin (its stderr in the message), one printing
# junk and one that hangs (killed after 30 s, with its children) fail kgctl
# or kg with a clear error and no request sent. No token is ever printed.
# Every server listens on the loopback of one network namespace.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

need_root
exclusive ex-exec
for tool in curl kubectl openssl; do
	command -v $tool >/dev/null || die "$tool is missing"
done
KGCTL=$KILO_BIN/kgctl
SERVER=$AGENT_LIB_DIR/../apiserver/kube_apiserver.py
SRC=$AGENT_LIB_DIR/../..
PLUGIN=$TMP/plugin
export PYTHONDONTWRITEBYTECODE=1 HOME=$TMP PATH=$TMP/bin:$PATH

ns_add ex-n1
# kg wants an address that is not loopback for its node.
nsx ex-n1 ip link add eth0 type veth peer name eth1
nsx ex-n1 ip addr add 192.168.73.1/24 dev eth0
nsx ex-n1 ip link set eth0 up
key_new n1 >/dev/null

mkdir -p "$TMP/bin" "$PLUGIN"
cat >"$TMP/bin/kilo-test-plugin" <<'EOF'
#!/bin/bash
# $PLUGIN_DIR/mode says what to do, $PLUGIN_DIR/token is the token to hand
# out, $PLUGIN_DIR/runs counts the runs; what it got is kept beside them.
set -eu
cd "$PLUGIN_DIR"
printf '%s\n' "$KUBERNETES_EXEC_INFO" >exec-info
printf '%s\n' "$*" >args
runs=$(($(cat runs) + 1))
echo $runs >runs
credential() {
	date -u -d "$2" +%s >expiry
	printf '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1",'
	printf '"status":{"token":"%s","expirationTimestamp":"%s"}}\n' "$1" "$(date -u -d "$2" +%FT%TZ)"
}
case $(cat mode) in
token) credential "$(cat token)" '+1 hour' ;;
expired) credential "$(cat token)" '-1 minute' ;;
short) credential "$(cat token)" "+$(cat seconds) seconds" ;;
stale-first) if [ $runs = 1 ]; then credential rotated-out-token '+1 hour'; else credential "$(cat token)" '+1 hour'; fi ;;
cert) python3 -c 'import json, sys
print(json.dumps({"kind": "ExecCredential", "apiVersion": "client.authentication.k8s.io/v1",
                  "status": {"clientCertificateData": open(sys.argv[1]).read(),
                             "clientKeyData": open(sys.argv[2]).read()}}))' client.crt client.key ;;
fail) echo "error: the SSO session has expired;" >&2; echo "run 'kilo-login'" >&2; exit 3 ;;
junk) echo '<html>Please sign in</html>' ;;
hang) sleep 3600 & echo $! >hang-child; wait ;;
esac
EOF
chmod +x "$TMP/bin/kilo-test-plugin"

# plugin MODE [TOKEN]: how the next runs behave, counted from 0.
plugin() {
	echo "$1" >"$PLUGIN/mode"
	[ -z "${2-}" ] || echo "$2" >"$PLUGIN/token"
	echo 0 >"$PLUGIN/runs"
}
runs() { cat "$PLUGIN/runs"; }

# The servers' certificate: HTTPS everywhere, as kubectl sends no bearer token over http.
req=(openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
"${req[@]}" -x509 -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$TMP/tls.key" -out "$TMP/tls.crt" 2>/dev/null

# api_start NAME ARGS...: a test API server NAME in ex-n1 (HTTPS) requiring a
# token of $TMP/tokens (the first line is kubectl's), its kubeconfig for kubectl.
api_start() {
	local name=$1
	shift
	rm -f "$TMP/$name.url"
	ip netns exec ex-n1 "$PYTHON" "$SERVER" --kubeconfig "$TMP/$name.kubeconfig" \
		--url-file "$TMP/$name.url" --token-file "$TMP/tokens" --tls-cert "$TMP/tls.crt" \
		--tls-key "$TMP/tls.key" "$@" >>"$TMP/api.log" 2>&1 &
	API_PID=$!
	at_exit "kill $API_PID; wait $API_PID"
	wait_for "the API server $name" 20 test -s "$TMP/$name.url"
	URL=$(cat "$TMP/$name.url")
	API=$name
	export KUBECACHEDIR=$TMP/kube-cache-$name
}
api_stop() {
	kill -TERM "$API_PID"
	wait "$API_PID" || die "the API server exited with $?"
}
k() { nsx ex-n1 kubectl --kubeconfig "$TMP/$API.kubeconfig" "$@"; }
admin() { nsx ex-n1 curl -sf --max-time 5 --cacert "$TMP/tls.crt" "$URL/_admin/$1" "${@:2}"; }
watches() { admin state | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["watches"])'; }
# Requests to the API (not the admin API) and refusals so far.
requests() { grep -cE '"(GET|POST|PUT|PATCH|DELETE) /[^_]' "$TMP/api.log" || true; }
refusals() { grep -cE '"(GET|POST|PUT|PATCH|DELETE) /[^_].*" 401 ' "$TMP/api.log" || true; }

# exec_kubeconfig: $TMP/exec.kubeconfig, for the server $URL, user the plugin.
exec_kubeconfig() {
	cat >"$TMP/exec.kubeconfig" <<-EOF
	apiVersion: v1
	kind: Config
	current-context: exec
	clusters:
	- name: exec
	  cluster:
	    server: $URL
	    certificate-authority: $TMP/tls.crt
	contexts:
	- name: exec
	  context: {cluster: exec, user: plugin}
	users:
	- name: plugin
	  user:
	    exec:
	      apiVersion: client.authentication.k8s.io/v1
	      command: kilo-test-plugin
	      args: [--cluster, kilo test]
	      env:
	      - {name: PLUGIN_DIR, value: "$PLUGIN"}
	      interactiveMode: Never
	      provideClusterInfo: true
	EOF
}
kgctl() { nsx ex-n1 "$KGCTL" --kubeconfig "$TMP/exec.kubeconfig" "$@"; }

no_secret() {
	! grep -qE 'token-[0-9]|rotated-out-token|PRIVATE KEY' <<<"$1" || die "a secret was printed: $1"
}

# kgctl_fails WHAT NEEDLE: kgctl graph fails saying NEEDLE, and sent no request.
kgctl_fails() {
	local before out
	before=$(requests)
	if out=$(kgctl graph 2>&1); then die "$1: kgctl graph succeeded: $out"; fi
	grep -qF -- "$2" <<<"$out" || die "$1: expected '$2' in: $out"
	[ "$(requests)" = "$before" ] || die "$1: a request was sent: $(tail -n 3 "$TMP/api.log")"
	no_secret "$out"
}

printf 'admin-token-0\nkgctl-token-1\n' >"$TMP/tokens"
api_start kgctl --state "$TMP/kgctl-state.json"
exec_kubeconfig
k apply -f "$SRC/manifests/crds.yaml" >/dev/null
rm -rf "$KUBECACHEDIR"
k apply --validate=false -f "$SRC/tests/fixtures/cluster.yaml" >/dev/null
k annotate nodes --all --overwrite "kilo.squat.ai/last-seen=$(date +%s)" >/dev/null
nsx ex-n1 "$KGCTL" --kubeconfig "$TMP/kgctl.kubeconfig" graph >"$TMP/graph.static" ||
	die "kgctl with a static token failed"

log "kgctl graph with an exec plugin: one run for all its requests"
plugin token kgctl-token-1
kgctl graph >"$TMP/graph.exec" 2>"$TMP/graph.err" || die "kgctl graph: $(cat "$TMP/graph.err")"
cmp -s "$TMP/graph.static" "$TMP/graph.exec" || die "another graph with the exec plugin"
[ "$(runs)" = 1 ] || die "the plugin ran $(runs) times for one kgctl graph"
[ "$(cat "$PLUGIN/args")" = "--cluster kilo test" ] || die "the plugin's args: $(cat "$PLUGIN/args")"
"$PYTHON" - "$PLUGIN/exec-info" "$URL" "$TMP/tls.crt" <<-'EOF' || die "KUBERNETES_EXEC_INFO: $(cat "$PLUGIN/exec-info")"
	import base64, json, sys
	info = json.load(open(sys.argv[1]))
	assert info["kind"] == "ExecCredential", info
	assert info["apiVersion"] == "client.authentication.k8s.io/v1", info
	ca = base64.b64decode(info["spec"]["cluster"].pop("certificate-authority-data"))
	assert ca == open(sys.argv[3], "rb").read(), ca
	assert info["spec"] == {"interactive": False, "cluster": {"server": sys.argv[2]}}, info
	EOF
no_secret "$(cat "$TMP/graph.err")"

log "an expired token is fetched again for every request"
plugin expired kgctl-token-1
kgctl graph | cmp -s "$TMP/graph.static" - || die "kgctl graph with expiring tokens"
# The Nodes, the CRD check, the Peers.
[ "$(runs)" = 3 ] || die "the plugin ran $(runs) times, not once a request"

log "a refused token is dropped and the plugin asked once more"
plugin stale-first kgctl-token-1
before=$(refusals)
kgctl graph | cmp -s "$TMP/graph.static" - || die "kgctl graph after a refused token"
[ "$(runs)" = 2 ] || die "the plugin ran $(runs) times, not twice"
[ "$(refusals)" = $((before + 1)) ] || die "not one refused request: $(refusals) - $before"

log "failing, junk and hanging plugins: a clear error, no request"
plugin fail
kgctl_fails "failing" "kgctl: failed to list nodes: exec plugin kilo-test-plugin: exited with status 3: error: the SSO session has expired; run 'kilo-login'"
plugin junk
kgctl_fails "junk" "exec plugin kilo-test-plugin: stdout is not JSON (line 1, column 1)"
plugin hang
start=$SECONDS
kgctl_fails "hanging" "exec plugin kilo-test-plugin: no credential within 30000 ms; killed it"
[ $((SECONDS - start)) -lt 45 ] || die "the hanging plugin took $((SECONDS - start)) s to kill"
child=$(cat "$PLUGIN/hang-child")
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:.*[ZX]' "/proc/$1/status" 2>/dev/null; }
wait_for "the hanging plugin's child to die" 5 eval "! alive $child"
plugin token kgctl-token-2
if out=$(kgctl graph 2>&1); then die "a token the server does not know: kgctl graph succeeded"; fi
grep -qF "failed to list nodes: Unauthorized" <<<"$out" || die "an unknown token: $out"
[ "$(runs)" = 2 ] || die "an unknown token: the plugin ran $(runs) times, not twice"
no_secret "$out"
api_stop

log "kgctl graph with the plugin's client certificate"
"${req[@]}" -x509 -days 1 -subj /CN=test-ca -keyout "$TMP/ca.key" -out "$TMP/ca.crt" 2>/dev/null
"${req[@]}" -subj /CN=kgctl -keyout "$PLUGIN/client.key" -out "$TMP/client.csr" 2>/dev/null
openssl x509 -req -in "$TMP/client.csr" -CA "$TMP/ca.crt" -CAkey "$TMP/ca.key" \
	-CAcreateserial -days 1 -out "$PLUGIN/client.crt" 2>/dev/null
api_start certs --state "$TMP/kgctl-state.json" --client-ca "$TMP/ca.crt"
exec_kubeconfig
plugin cert
kgctl graph 2>"$TMP/cert.err" | cmp -s "$TMP/graph.static" - ||
	die "kgctl graph with a client certificate: $(cat "$TMP/cert.err")"
[ "$(runs)" = 1 ] || die "the plugin ran $(runs) times for one kgctl graph"
plugin junk
plugin fail
kgctl_fails "failing, for a certificate" "exec plugin kilo-test-plugin: exited with status 3"
api_stop

log "kg lists and patches its Node with the plugin's token"
printf 'admin-token-0\nkg-token-1\n' >"$TMP/tokens"
api_start kg --state "$TMP/kg-state.json"
exec_kubeconfig
k apply -f "$SRC/manifests/crds.yaml" >/dev/null
k create -f - >/dev/null <<-'EOF'
	{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}, "spec": {"podCIDR": "10.2.1.0/24"}}
	EOF
key() { k get node n1 -o 'jsonpath={.metadata.annotations.kilo\.squat\.ai/key}'; }
has_key() { [ "$(key)" = "$(cat "$TMP/n1.pub")" ]; }
plugin short kg-token-1
echo 4 >"$PLUGIN/seconds"
kg_start ex-n1 n1 --kubeconfig "$TMP/exec.kubeconfig" --interface exk1 \
	--listen 127.0.0.1:1107 --encapsulate never --cni=false --resync-period 5s
KG_RUN=$KG_PID
wait_for "n1's key annotation" 20 has_key
wait_for "kg to watch" 20 eval '[ "$(watches)" = 2 ]'

log "kg runs the plugin again when the token expired"
echo token >"$PLUGIN/mode"
ran=$(runs)
while [ "$(date +%s)" -le "$(cat "$PLUGIN/expiry")" ]; do sleep 0.2; done
admin close-watches -X POST >/dev/null
wait_for "kg to run the plugin again" 10 eval '[ "$(runs)" -gt "$ran" ]'
wait_for "kg to watch again" 10 eval '[ "$(watches)" = 2 ]'
kg_alive "$KG_RUN" n1

log "kg recovers from a rotated token with one more run"
ran=$(runs)
refused=$(refusals)
echo kg-token-2 >"$PLUGIN/token"
printf 'admin-token-0\nkg-token-2\n' >"$TMP/tokens"
admin close-watches -X POST >/dev/null
wait_for "kg to run the plugin again" 10 eval '[ "$(runs)" -gt "$ran" ]'
wait_for "kg to watch again" 10 eval '[ "$(watches)" = 2 ]'
[ "$(refusals)" -gt "$refused" ] || die "the old token was not refused"
sleep 1
[ "$(runs)" = $((ran + 1)) ] || die "kg ran the plugin $(($(runs) - ran)) times, not once"
# kg sees the change through its watch and puts its key back with the new token.
k annotate node n1 kilo.squat.ai/key- >/dev/null
wait_for "n1's key annotation again" 20 has_key
kg_alive "$KG_RUN" n1
kg_stop "$KG_RUN" n1
no_secret "$(cat "$TMP/n1.log")"

log "kg with a failing plugin stops at once with the plugin's error"
plugin fail
before=$(requests)
rc=0
ip netns exec ex-n1 unshare --mount --propagation private sh -c '
	mount -t tmpfs -o mode=0700 tmpfs /var/lib/kilo && shift && exec "$@"' sh - \
	"$KG" --hostname n1 --kubeconfig "$TMP/exec.kubeconfig" --interface exk2 \
	--listen 127.0.0.1:1107 --encapsulate never --cni=false >"$TMP/fail.log" 2>&1 || rc=$?
[ $rc = 1 ] || die "kg with a failing plugin exited $rc; log: $(cat "$TMP/fail.log")"
grep -qF "exec plugin kilo-test-plugin: exited with status 3: error: the SSO session has expired;" \
	"$TMP/fail.log" || die "no clear message: $(cat "$TMP/fail.log")"
[ "$(requests)" = "$before" ] || die "kg sent a request: $(tail -n 3 "$TMP/api.log")"
! nsx ex-n1 ip link show exk2 >/dev/null 2>&1 || die "kg left exk2 behind"
api_stop
log "PASS"
