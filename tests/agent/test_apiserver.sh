#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The test API server (tests/apiserver) behaves like kube-apiserver for the
# real kubectl: discovery, Nodes, the Kilo Peer CRD, get/annotate/label/
# create/apply/patch/delete, watches with ordered resourceVersions, 410 on
# expired resourceVersions, persistence across a restart, injected faults,
# and HTTPS with bearer tokens. Only 127.0.0.1 is ever contacted.
set -euo pipefail

SRC=${KILO_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
SERVER=$SRC/tests/apiserver/kube_apiserver.py
CRDS=$SRC/manifests/crds.yaml
export PYTHONDONTWRITEBYTECODE=1

if ! command -v kubectl >/dev/null; then
	echo "FAIL: kubectl is missing: this test drives the server with the real kubectl" >&2
	echo "      (it is not in Debian's archive; see tests/apiserver/README.md)" >&2
	exit 1
fi
command -v curl >/dev/null || { echo "FAIL: curl is missing" >&2; exit 1; }
command -v openssl >/dev/null || { echo "FAIL: openssl is missing" >&2; exit 1; }

WORK=$(mktemp -d /tmp/kilo-apiserver.XXXXXX)
SERVER_PID=
cleanup() {
	[ "$BASHPID" = $$ ] || return 0     # not in background subshells
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
# kubectl keeps discovery per host:port in its cache; every server gets a fresh one.
export HOME=$WORK KUBECONFIG=$WORK/kubeconfig

fail() {
	echo "FAIL: $*" >&2
	echo "--- server log (tail)" >&2
	[ ! -f "$WORK/server.log" ] || tail -n 30 "$WORK/server.log" >&2
	exit 1
}

# start_server [server flags...]: runs the server, waits for its kubeconfig.
start_server() {
	rm -f "$KUBECONFIG" "$WORK/url"
	python3 "$SERVER" --kubeconfig "$KUBECONFIG" --url-file "$WORK/url" "$@" \
		>>"$WORK/server.log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 100); do
		[ -s "$WORK/url" ] && break
		kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited at start"
		sleep 0.1
	done
	[ -s "$WORK/url" ] || fail "server did not start"
	URL=$(cat "$WORK/url")
	export KUBECACHEDIR=$WORK/cache-${URL##*:}
}

stop_server() {
	kill -TERM "$SERVER_PID"
	wait "$SERVER_PID" || fail "server did not exit cleanly on SIGTERM (rc $?)"
	SERVER_PID=
}

# expect_output "what" "needle" command...: command succeeds and prints needle.
expect_output() {
	local what=$1 needle=$2 out
	shift 2
	out=$("$@" 2>&1) || fail "$what: '$*' failed: $out"
	grep -qF -- "$needle" <<<"$out" || fail "$what: expected '$needle' in: $out"
}

# expect_error "what" "needle" command...: command fails and prints needle.
expect_error() {
	local what=$1 needle=$2 out
	shift 2
	if out=$("$@" 2>&1); then fail "$what: '$*' succeeded: $out"; fi
	grep -qF -- "$needle" <<<"$out" || fail "$what: expected '$needle' in: $out"
}

# json FILE-or-- 'python expression over doc': prints the value.
json() {
	python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]) if sys.argv[1] != "-" else sys.stdin)
print(eval(sys.argv[2]))' "$@"
}

node_json() { kubectl get node "$1" -o json; }

write_manifests() {
	cat >"$WORK/node-a.yaml" <<-'EOF'
	apiVersion: v1
	kind: Node
	metadata:
	  name: node-a
	  labels: {topology.kubernetes.io/region: eu-west}
	spec:
	  podCIDR: 10.244.1.0/24
	status:
	  conditions: [{type: Ready, status: "True"}]
	  addresses: [{type: InternalIP, address: 192.168.1.10}]
	EOF
	sed 's/node-a/node-b/; s/10.244.1/10.244.2/; s/1.10/1.11/' "$WORK/node-a.yaml" >"$WORK/node-b.yaml"
	sed 's/podCIDR: .*/foo: bar/' "$WORK/node-a.yaml" >"$WORK/node-bad.yaml"
	cat >"$WORK/peer.yaml" <<-'EOF'
	apiVersion: kilo.squat.ai/v1alpha1
	kind: Peer
	metadata:
	  name: squat
	spec:
	  allowedIPs: [10.5.0.1/32]
	  publicKey: GY5aT1N9dTR/nJnT1N2f4ClZWVj0jOAld0r8ysWLyjg=
	  persistentKeepalive: 10
	EOF
	sed '/publicKey/d; s/name: squat/name: nokey/' "$WORK/peer.yaml" >"$WORK/peer-nokey.yaml"
}

test_discovery_reports_kubernetes_1_32() {
	expect_output "version" '"minor": "32"' curl -sf "$URL/version"
	expect_output "aggregated discovery" '"resource": "nodes"' \
		curl -sf -H 'Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' "$URL/api"
	expect_output "legacy discovery" '"kind": "APIResourceList"' curl -sf "$URL/api/v1"
}

test_peers_are_not_found_before_the_crd() {
	expect_error "get peers before CRD" "doesn't have a resource type \"peers\"" kubectl get peers
	local code
	code=$(curl -s -o "$WORK/out" -w '%{http_code}' "$URL/apis/kilo.squat.ai/v1alpha1/peers")
	[ "$code" = 404 ] || fail "peers before CRD: HTTP $code, want 404"
	[ "$(json "$WORK/out" 'doc["reason"]')" = NotFound ] || fail "peers before CRD: $(cat "$WORK/out")"
}

test_create_and_get_nodes() {
	expect_output "create node" "node/node-a created" kubectl create -f "$WORK/node-a.yaml"
	expect_error "create twice" 'nodes "node-a" already exists' kubectl create -f "$WORK/node-a.yaml"
	expect_error "strict validation" 'strict decoding error: unknown field "spec.foo"' \
		kubectl create -f "$WORK/node-bad.yaml"
	expect_output "get nodes" "node-a   Ready" kubectl get nodes
	expect_output "get nodes wide" "192.168.1.10" kubectl get nodes -o wide
	node_json node-a >"$WORK/a.json"
	[ "$(json "$WORK/a.json" 'doc["spec"]["podCIDR"]')" = 10.244.1.0/24 ] || fail "node json: $(cat "$WORK/a.json")"
	[ -n "$(json "$WORK/a.json" 'doc["metadata"]["resourceVersion"]')" ] || fail "node has no resourceVersion"
	expect_error "get missing node" 'nodes "nope" not found' kubectl get node nope
}

test_annotate_and_label_nodes() {
	expect_output "annotate" "node/node-a annotated" kubectl annotate node node-a kilo.squat.ai/location=gcp
	[ "$(kubectl get node node-a -o jsonpath='{.metadata.annotations.kilo\.squat\.ai/location}')" = gcp ] ||
		fail "annotation not stored"
	expect_output "remove annotation" "node/node-a annotated" kubectl annotate node node-a kilo.squat.ai/location-
	node_json node-a >"$WORK/a.json"
	[ "$(json "$WORK/a.json" '"annotations" in doc["metadata"]')" = False ] ||
		fail "removing the last annotation must leave none: $(cat "$WORK/a.json")"
	expect_output "label" "node/node-a labeled" kubectl label node node-a kilo.squat.ai/leader=true
	expect_output "labels shown" "kilo.squat.ai/leader=true" kubectl get nodes --show-labels
	local rv
	rv=$(kubectl get node node-a -o jsonpath='{.metadata.resourceVersion}')
	expect_output "no-op label" "not labeled" kubectl label --overwrite node node-a kilo.squat.ai/leader=true
	[ "$(kubectl get node node-a -o jsonpath='{.metadata.resourceVersion}')" = "$rv" ] ||
		fail "a patch that changes nothing must keep the resourceVersion"
	expect_error "stale resourceVersion" "the object has been modified" \
		kubectl annotate --resource-version=1 node node-a kilo.squat.ai/x=y
}

test_patch_types() {
	expect_output "strategic merge" "patched" kubectl patch node node-a --type=strategic \
		-p '{"metadata":{"annotations":{"kilo.squat.ai/key":"k1"}},
		     "spec":{"podCIDRs":["10.244.1.0/24"]},
		     "status":{"conditions":[{"type":"Ready","status":"False"}]}}'
	expect_output "json patch" "patched" kubectl patch node node-a --type=json \
		-p '[{"op":"add","path":"/metadata/annotations/kilo.squat.ai~1endpoint","value":"1.2.3.4:51820"},
		     {"op":"remove","path":"/metadata/annotations/kilo.squat.ai~1key"}]'
	expect_output "merge patch" "patched" kubectl patch node node-a --type=merge \
		-p '{"metadata":{"annotations":{"kilo.squat.ai/endpoint":null,"kilo.squat.ai/last-seen":"1700000000"}}}'
	node_json node-a >"$WORK/a.json"
	[ "$(json "$WORK/a.json" 'sorted(doc["metadata"]["annotations"])')" = "['kilo.squat.ai/last-seen']" ] ||
		fail "patches: $(cat "$WORK/a.json")"
	[ "$(json "$WORK/a.json" 'doc["spec"]["podCIDRs"]')" = "['10.244.1.0/24']" ] || fail "podCIDRs not merged"
	expect_error "json patch test op" "testing value" kubectl patch node node-a --type=json \
		-p '[{"op":"test","path":"/spec/podCIDR","value":"10.9.9.0/24"}]'
	expect_output "the main resource keeps the status" "node-a   Ready" kubectl get node node-a
	expect_output "the status subresource changes it" "patched" kubectl patch node node-a \
		--subresource=status --type=merge -p '{"status":{"conditions":[{"type":"Ready","status":"False"}]}}'
	expect_output "status changed" "node-a   NotReady" kubectl get node node-a
	kubectl patch node node-a --subresource=status --type=merge \
		-p '{"status":{"conditions":[{"type":"Ready","status":"True"}]}}' >/dev/null
}

test_apply_and_replace_nodes() {
	expect_output "apply over a created node" "node/node-a configured" kubectl apply -f "$WORK/node-a.yaml"
	sed 's/region: eu-west/region: us-east/' "$WORK/node-a.yaml" >"$WORK/node-a2.yaml"
	expect_output "apply a changed label" "node/node-a configured" kubectl apply -f "$WORK/node-a2.yaml"
	[ "$(kubectl get node node-a -o jsonpath='{.metadata.labels.topology\.kubernetes\.io/region}')" = us-east ] ||
		fail "apply did not change the label"
	node_json node-a | python3 -c '
import json, sys
node = json.load(sys.stdin)
node["spec"]["unschedulable"] = True
print(json.dumps(node))' >"$WORK/a.json"
	expect_output "replace" "node/node-a replaced" kubectl replace -f "$WORK/a.json"
	expect_output "replaced spec shown" "Ready,SchedulingDisabled" kubectl get node node-a
	expect_error "replace with a stale resourceVersion" "the object has been modified" \
		kubectl replace -f "$WORK/a.json"
	sed 's/node-a/node-c/' "$WORK/node-a.yaml" >"$WORK/node-c.yaml"
	expect_output "server-side apply creates" "node/node-c serverside-applied" \
		kubectl apply --server-side -f "$WORK/node-c.yaml"
	sed -i 's/region: eu-west/region: ap-south/' "$WORK/node-c.yaml"
	expect_output "server-side apply changes" "node/node-c serverside-applied" \
		kubectl apply --server-side -f "$WORK/node-c.yaml"
	expect_output "server-side applied label" "ap-south" kubectl get node node-c --show-labels
	expect_output "delete node" 'node "node-c" deleted' kubectl delete node node-c
}

test_apply_crd_and_peers() {
	expect_output "apply CRD" "customresourcedefinition.apiextensions.k8s.io/peers.kilo.squat.ai created" \
		kubectl apply -f "$CRDS"
	expect_output "get crd" "peers.kilo.squat.ai" kubectl get crd
	expect_output "apply peer" "peer.kilo.squat.ai/squat created" kubectl apply -f "$WORK/peer.yaml"
	expect_output "get peers" "squat" kubectl get peers
	expect_output "get peers yaml" "publicKey: GY5aT1N9dTR/nJnT1N2f4ClZWVj0jOAld0r8ysWLyjg=" kubectl get peers -o yaml
	sed -i 's/persistentKeepalive: 10/persistentKeepalive: 25/' "$WORK/peer.yaml"
	expect_output "re-apply peer" "peer.kilo.squat.ai/squat configured" kubectl apply -f "$WORK/peer.yaml"
	expect_output "apply unchanged" "peer.kilo.squat.ai/squat unchanged" kubectl apply -f "$WORK/peer.yaml"
	[ "$(kubectl get peer squat -o jsonpath='{.spec.persistentKeepalive}')" = 25 ] || fail "peer not updated"
	expect_error "peer without key" 'is invalid: spec.publicKey: Required value' \
		kubectl apply -f "$WORK/peer-nokey.yaml"
	expect_output "annotate peer" "peer.kilo.squat.ai/squat annotated" kubectl annotate peer squat note=1
	expect_output "delete peer" 'peer.kilo.squat.ai "squat" deleted' kubectl delete peer squat
	expect_error "peer gone" 'peers.kilo.squat.ai "squat" not found' kubectl get peer squat
}

# watch_to FILE RV SECONDS [extra query]: a background watch of nodes.
watch_to() {
	curl -sN "$URL/api/v1/nodes?watch=true&resourceVersion=$2&timeoutSeconds=$3${4:-}" >"$1" &
	WATCH_PID=$!
	sleep 0.5
}

test_watch_sees_changes_in_order() {
	local rv
	# kubectl prints lists without their resourceVersion, so ask for it directly.
	rv=$(curl -sf "$URL/api/v1/nodes" | json - 'doc["metadata"]["resourceVersion"]')
	watch_to "$WORK/watch" "$rv" 3
	kubectl create -f "$WORK/node-b.yaml" >/dev/null
	kubectl annotate node node-b kilo.squat.ai/location=aws >/dev/null
	kubectl delete node node-b >/dev/null
	wait "$WATCH_PID" || fail "watch stream failed"
	python3 - "$WORK/watch" "$rv" <<-'EOF' || fail "watch events: $(cat "$WORK/watch")"
	import json, sys
	events = [json.loads(line) for line in open(sys.argv[1])]
	kinds = [(e["type"], e["object"]["metadata"]["name"]) for e in events]
	assert kinds == [("ADDED", "node-b"), ("MODIFIED", "node-b"), ("DELETED", "node-b")], kinds
	rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
	assert rvs == sorted(set(rvs)) and rvs[0] > int(sys.argv[2]), rvs
	EOF
	watch_to "$WORK/watch0" 0 1 "&fieldSelector=metadata.name%3Dnode-a"
	wait "$WATCH_PID"
	[ "$(json - 'doc["type"], doc["object"]["metadata"]["name"]' <"$WORK/watch0")" = "('ADDED', 'node-a')" ] ||
		fail "watch from 0 must start with the current objects: $(cat "$WORK/watch0")"
}

test_watch_bookmarks_and_selectors() {
	local rv
	rv=$(curl -sf "$URL/api/v1/nodes" | json - 'doc["metadata"]["resourceVersion"]')
	watch_to "$WORK/marks" "$rv" 3 "&allowWatchBookmarks=true&labelSelector=tier%3Dedge"
	kubectl label node node-a tier=edge >/dev/null
	kubectl label --overwrite node node-a tier=core >/dev/null
	wait "$WATCH_PID"
	python3 - "$WORK/marks" "$rv" <<-'EOF' || fail "bookmarks/selectors: $(cat "$WORK/marks")"
	import json, sys
	events = [json.loads(line) for line in open(sys.argv[1])]
	changes = [e["type"] for e in events if e["type"] != "BOOKMARK"]
	assert changes == ["ADDED", "DELETED"], changes    # into and out of the selector
	marks = [int(e["object"]["metadata"]["resourceVersion"]) for e in events if e["type"] == "BOOKMARK"]
	assert marks and marks[-1] >= int(sys.argv[2]) + 2, marks
	EOF
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/v1/nodes?watch=true&resourceVersion=$((rv + 1000))")
	[ "$code" = 504 ] || fail "watch from a future resourceVersion: HTTP $code, want 504"
}

test_expired_resource_versions_are_410() {
	kubectl create -f "$WORK/node-b.yaml" >/dev/null
	curl -sf "$URL/api/v1/nodes?limit=1" >"$WORK/page"
	local token
	token=$(json "$WORK/page" 'doc["metadata"]["continue"]')
	[ "$(json "$WORK/page" 'len(doc["items"])')" = 1 ] || fail "limit=1 returned more"
	expect_output "next page" '"node-b"' curl -sf "$URL/api/v1/nodes?limit=1&continue=$token"
	local past exact="resourceVersionMatch=Exact"
	past=$(curl -sf "$URL/api/v1/nodes" | json - 'doc["metadata"]["resourceVersion"]')
	kubectl annotate node node-b moved=1 >/dev/null
	[ "$(curl -sf "$URL/api/v1/nodes?resourceVersion=$past&$exact" |
		json - '[i["metadata"].get("annotations", {}).get("moved") for i in doc["items"]]')" = \
		"[None, None]" ] || fail "an Exact list must show the objects as they were at $past"
	curl -sf -X POST "$URL/_admin/compact" >/dev/null
	watch_to "$WORK/expired" 1 2
	wait "$WATCH_PID"
	[ "$(json - 'doc["type"], doc["object"]["code"], doc["object"]["reason"]' <"$WORK/expired")" = \
		"('ERROR', 410, 'Expired')" ] || fail "expired watch: $(cat "$WORK/expired")"
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/v1/nodes?limit=1&continue=$token")
	[ "$code" = 410 ] || fail "expired continue: HTTP $code, want 410"
	code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/v1/nodes?resourceVersion=$past&$exact")
	[ "$code" = 410 ] || fail "expired Exact list: HTTP $code, want 410"
	kubectl delete node node-b >/dev/null
}

test_state_survives_a_restart() {
	local rv_before
	kubectl annotate node node-a kilo.squat.ai/key=persisted >/dev/null
	rv_before=$(kubectl get node node-a -o jsonpath='{.metadata.resourceVersion}')
	stop_server
	# Same address, as clients (kg) expect after an API server restart.
	start_server --state "$WORK/state.json" --listen "127.0.0.1:${URL##*:}"
	[ "$(kubectl get node node-a -o jsonpath='{.metadata.annotations.kilo\.squat\.ai/key}')" = persisted ] ||
		fail "annotation lost over restart"
	[ "$(kubectl get node node-a -o jsonpath='{.metadata.resourceVersion}')" = "$rv_before" ] ||
		fail "resourceVersion changed over restart"
	expect_output "CRD kept" "peers.kilo.squat.ai" kubectl get crd
	watch_to "$WORK/old" $((rv_before - 1)) 1
	wait "$WATCH_PID"
	grep -q '"code":410' "$WORK/old" || fail "history must not survive a restart: $(cat "$WORK/old")"
	kubectl annotate --overwrite node node-a kilo.squat.ai/key=after >/dev/null
	[ "$(kubectl get node node-a -o jsonpath='{.metadata.resourceVersion}')" -gt "$rv_before" ] ||
		fail "resourceVersion went back after restart"
}

test_injected_faults() {
	local rc
	curl -sf -X POST -d '{"fail":1,"status":500,"match":"/api/v1/nodes"}' "$URL/_admin/faults" >/dev/null
	expect_error "injected 500" "InternalError" kubectl get node node-a
	expect_output "fault used up" "node-a" kubectl get node node-a
	curl -sf -X POST -d '{"drop":1,"match":"/api/v1/nodes"}' "$URL/_admin/faults" >/dev/null
	if curl -s "$URL/api/v1/nodes" >/dev/null; then fail "dropped request got an answer"; fi
	curl -sf -X POST -d '{"watchTimeout":1}' "$URL/_admin/faults" >/dev/null
	SECONDS=0
	timeout 10 curl -sN "$URL/api/v1/nodes?watch=true" >/dev/null || fail "watch did not end after watchTimeout"
	[ "$SECONDS" -le 3 ] || fail "watch lasted ${SECONDS}s with watchTimeout 1"
	curl -sf -X POST -d '{}' "$URL/_admin/faults" >/dev/null
	watch_to "$WORK/closed" 0 30
	curl -sf -X POST "$URL/_admin/close-watches" >/dev/null
	timeout 5 tail --pid="$WATCH_PID" -f /dev/null || fail "close-watches left a watch open"
	wait "$WATCH_PID" || fail "close-watches must end the stream cleanly"
	watch_to "$WORK/cut" 0 30
	curl -sf -X POST -d '{"abort":true}' "$URL/_admin/close-watches" >/dev/null
	timeout 5 tail --pid="$WATCH_PID" -f /dev/null || fail "an aborted watch stayed open"
	if wait "$WATCH_PID"; then fail "an aborted watch must end without the final chunk"; fi
	watch_to "$WORK/left" 0 30
	[ "$(curl -sf "$URL/_admin/state" | json - 'doc["watches"]')" = 1 ] || fail "open watch not counted"
	kill "$WATCH_PID"
	rc=0
	wait "$WATCH_PID" || rc=$?
	[ $rc = 143 ] || fail "the watching curl ended with status $rc before it was killed"
	for _ in $(seq 30); do
		[ "$(curl -sf "$URL/_admin/state" | json - 'doc["watches"]')" = 0 ] && return
		sleep 0.1
	done
	fail "the server kept the watch of a client that left"
}

test_deleting_the_crd_deletes_its_peers() {
	kubectl apply -f "$WORK/peer.yaml" >/dev/null
	expect_output "delete CRD" "deleted" kubectl delete -f "$CRDS"
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/apis/kilo.squat.ai/v1alpha1/peers/squat")
	[ "$code" = 404 ] || fail "peer after CRD deletion: HTTP $code"
}

test_https_with_rotating_tokens() {
	stop_server
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
		-keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
	echo token-one >"$WORK/tokens"
	start_server --state "$WORK/state.json" --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key" \
		--token-file "$WORK/tokens"
	[[ $URL == https://127.0.0.1:* ]] || fail "TLS server URL: $URL"
	expect_output "kubectl over https with token" "node-a" kubectl get nodes
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/tls.crt" "$URL/api/v1/nodes")
	[ "$code" = 401 ] || fail "no token: HTTP $code, want 401"
	echo token-two >"$WORK/tokens"
	expect_error "rotated-out token" "Unauthorized" kubectl get nodes
	code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/tls.crt" \
		-H 'Authorization: Bearer token-two' "$URL/api/v1/nodes")
	[ "$code" = 200 ] || fail "rotated token: HTTP $code, want 200"
}

test_https_with_client_certificates() {
	stop_server
	local cert=(openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
	"${cert[@]}" -x509 -days 1 -subj /CN=test-ca -keyout "$WORK/ca.key" -out "$WORK/ca.crt" 2>/dev/null
	"${cert[@]}" -subj /CN=system:node:node-a -keyout "$WORK/client.key" -out "$WORK/client.csr" 2>/dev/null
	openssl x509 -req -in "$WORK/client.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" \
		-CAcreateserial -days 1 -out "$WORK/client.crt" 2>/dev/null
	start_server --state "$WORK/state.json" --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key" \
		--client-ca "$WORK/ca.crt" --kubeconfig-client-cert "$WORK/client.crt" \
		--kubeconfig-client-key "$WORK/client.key"
	expect_output "kubectl with a client certificate" "node-a" kubectl get nodes
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/tls.crt" "$URL/api/v1/nodes")
	[ "$code" = 401 ] || fail "no client certificate: HTTP $code, want 401"
}

test_patch_semantics_unit() {
	python3 -m unittest discover -s "$SRC/tests/apiserver" -p 'test_*.py' 2>"$WORK/unit.log" ||
		{ cat "$WORK/unit.log" >&2; fail "patch semantics unit tests"; }
}

write_manifests
test_patch_semantics_unit
start_server --state "$WORK/state.json" --history 100 --bookmark-interval 1
for t in test_discovery_reports_kubernetes_1_32 test_peers_are_not_found_before_the_crd \
	test_create_and_get_nodes test_annotate_and_label_nodes test_patch_types test_apply_and_replace_nodes \
	test_apply_crd_and_peers test_watch_sees_changes_in_order test_watch_bookmarks_and_selectors \
	test_expired_resource_versions_are_410 test_state_survives_a_restart \
	test_injected_faults test_deleting_the_crd_deletes_its_peers test_https_with_rotating_tokens \
	test_https_with_client_certificates; do
	echo "--- $t"
	"$t"
done
if grep -q Traceback "$WORK/server.log"; then fail "the server raised an exception"; fi
echo "PASS: test API server serves kubectl faithfully"
