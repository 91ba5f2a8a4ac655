#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The Kubernetes backend (mesh/kube_*) against the test API server, changed
# with the real kubectl and read with `kgctl --backend kubernetes`: the same
# graph and configs as kgctl gives for a saved listing of the same cluster,
# readiness judged now, invalid Peers reported and skipped, a clear message
# when the Peer CRD is missing, failed requests reported by URL and reason,
# and every way a kubeconfig authenticates: bearer token, client
# certificate, and both as files or inline -data. Only 127.0.0.1 is contacted.
set -euo pipefail

SRC=${KILO_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
KGCTL=${KILO_BIN:-$SRC/build/cmd}/kgctl

for tool in kubectl openssl python3; do
	command -v $tool >/dev/null || { echo "FAIL: $tool is missing" >&2; exit 1; }
done
[ -x "$KGCTL" ] || { echo "FAIL: $KGCTL is not built" >&2; exit 1; }

WORK=$(mktemp -d /tmp/kilo-kube-backend.XXXXXX)
export HOME=$WORK KUBECONFIG=$WORK/kubeconfig APISERVER_LOG=$WORK/server.log
source "$SRC/tests/apiserver/server.sh"
cleanup() {
	[ -z "$APISERVER_PID" ] || apiserver_stop || true
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR

fail() {
	echo "FAIL: $*" >&2
	tail -n 20 "$APISERVER_LOG" >&2 || true
	exit 1
}

start_server() { apiserver_start "$@" || fail "no API server"; }

# kgctl_both NAME ARGS...: kgctl over the API and over a saved listing agree.
kgctl_both() {
	local name=$1
	shift
	"$KGCTL" --backend kubernetes --kubeconfig "$KUBECONFIG" "$@" >"$WORK/$name.api" \
		2>"$WORK/$name.err" || fail "kgctl --backend kubernetes $*: $(cat "$WORK/$name.err")"
	"$KGCTL" --cluster-file "$WORK/listing.json" "$@" >"$WORK/$name.file" ||
		fail "kgctl --cluster-file $*"
	[ -s "$WORK/$name.api" ] || fail "kgctl $*: no output"
	diff -u "$WORK/$name.file" "$WORK/$name.api" >&2 ||
		fail "kgctl $*: the API and the saved listing disagree"
}

expect_error() {
	local what=$1 needle=$2 out
	shift 2
	if out=$("$KGCTL" "$@" 2>&1); then fail "$what: kgctl $* succeeded: $out"; fi
	grep -qF -- "$needle" <<<"$out" || fail "$what: expected '$needle' in: $out"
}

load_cluster() {
	kubectl apply -f "$SRC/manifests/crds.yaml" >/dev/null
	# kubectl's cached discovery predates the CRD.
	rm -rf "$KUBECACHEDIR"
	# A List needs OpenAPI v2 for kubectl's own validation, which the server lacks.
	kubectl apply --validate=false -f "$SRC/tests/fixtures/cluster.yaml" >/dev/null
	# The fixture's heartbeats are old; a live cluster is judged now.
	kubectl annotate nodes --all --overwrite "kilo.squat.ai/last-seen=$(date +%s)" >/dev/null
}

test_missing_crd_is_named() {
	echo "== the Peer CRD is required"
	kubectl create -f - >/dev/null <<-'EOF2'
	{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "lone"}}
	EOF2
	expect_error "no CRD" "peers.kilo.squat.ai CRD not found: apply manifests/crds.yaml" \
		--backend kubernetes graph
	kubectl delete node lone >/dev/null
}

test_lists_agree_with_a_saved_listing() {
	echo "== kgctl over the API equals kgctl over the same listing saved"
	load_cluster
	kubectl get nodes,peers -o json >"$WORK/listing.json"
	kgctl_both graph graph
	grep -q '"aws-1"' "$WORK/graph.api" || fail "graph misses aws-1: $(cat "$WORK/graph.api")"
	kgctl_both full graph --mesh-granularity full
	kgctl_both node showconf node aws-1
	kgctl_both as-peer showconf node gcp-1 --as-peer -o yaml
	kgctl_both peer showconf peer phone
	# $KUBECONFIG is kgctl's default kubeconfig, as in Kilo.
	"$KGCTL" graph >"$WORK/default.api" || fail "kgctl with \$KUBECONFIG"
	cmp -s "$WORK/default.api" "$WORK/graph.api" || fail "kgctl with \$KUBECONFIG differs"
}

test_readiness_is_judged_now() {
	echo "== a node whose agent stopped checking in drops out"
	"$KGCTL" --backend kubernetes graph | grep -q '"gcp-3"' || fail "gcp-3 not in the graph"
	kubectl annotate node gcp-3 --overwrite "kilo.squat.ai/last-seen=$(($(date +%s) - 61))" \
		>/dev/null
	"$KGCTL" --backend kubernetes graph >"$WORK/stale.dot"
	! grep -q '"gcp-3"' "$WORK/stale.dot" || fail "a stale gcp-3 is still in the graph"
	expect_error "stale node" 'did not find any node named "gcp-3"' showconf node gcp-3
	kubectl annotate node gcp-3 --overwrite "kilo.squat.ai/last-seen=$(date +%s)" >/dev/null
}

test_invalid_peer_is_reported_and_skipped() {
	echo "== an invalid Peer is reported and skipped"
	kubectl apply -f - >/dev/null <<-'EOF2'
	{"apiVersion": "kilo.squat.ai/v1alpha1", "kind": "Peer", "metadata": {"name": "broken"},
	 "spec": {"allowedIPs": ["10.5.0.9/32"], "publicKey": "not-a-key"}}
	EOF2
	"$KGCTL" graph >"$WORK/with-broken.dot" 2>"$WORK/with-broken.err" ||
		fail "kgctl with an invalid peer: $(cat "$WORK/with-broken.err")"
	grep -q 'kgctl: peer "broken": spec.publicKey' "$WORK/with-broken.err" ||
		fail "no report of the invalid peer: $(cat "$WORK/with-broken.err")"
	cmp -s "$WORK/with-broken.dot" "$WORK/graph.api" || fail "the invalid peer changed the graph"
	kubectl delete peer broken >/dev/null
}

test_failures_name_the_request() {
	echo "== failed requests say which and why"
	curl -sf -XPOST "$URL/_admin/faults" \
		-d '{"fail": 1, "status": 500, "match": "/api/v1/nodes"}' >/dev/null
	expect_error "HTTP 500" "failed to list nodes:" graph
	curl -sf -XPOST "$URL/_admin/faults" -d '{}' >/dev/null
	sed "s|$URL|http://127.0.0.1:1|" "$KUBECONFIG" >"$WORK/dead"
	expect_error "no server" "failed to list nodes: GET http://127.0.0.1:1/api/v1/nodes:" \
		--kubeconfig "$WORK/dead" graph
	printf 'current-context: gone\n' >"$WORK/no-context"
	expect_error "bad kubeconfig" "kubeconfig $WORK/no-context: contexts: no entry named \"gone\"" \
		--kubeconfig "$WORK/no-context" graph
}

# inline FILE: the kubeconfig with every certificate and key file inlined as -data.
inline() {
	python3 - "$1" <<-'EOF2'
	import base64, re, sys
	def data(m):
	    with open(m.group(3), "rb") as f:
	        return "%s%s-data: %s" % (m.group(1), m.group(2), base64.b64encode(f.read()).decode())
	text = open(sys.argv[1]).read()
	fields = r"certificate-authority|client-certificate|client-key"
	sys.stdout.write(re.sub(r"^(\s*)(%s): [\"']?([^\"'\n]+)[\"']?$" % fields, data, text, flags=re.M))
	EOF2
}

test_https_with_a_token() {
	echo "== HTTPS with a bearer token, CA as a file, inline, or not checked"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
		-keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
	echo token-one >"$WORK/tokens"
	start_server --state "$WORK/state.json" --tls-cert "$WORK/tls.crt" \
		--tls-key "$WORK/tls.key" --token-file "$WORK/tokens"
	grep -q 'token: ' "$KUBECONFIG" || fail "the server wrote no token"
	kgctl_both https graph
	inline "$KUBECONFIG" >"$WORK/inline"
	grep -q 'certificate-authority-data: ' "$WORK/inline" || fail "no inline CA"
	"$KGCTL" --kubeconfig "$WORK/inline" graph | cmp -s - "$WORK/graph.api" ||
		fail "inline CA: another graph"
	sed 's/certificate-authority: .*/insecure-skip-tls-verify: true/' "$KUBECONFIG" >"$WORK/insecure"
	"$KGCTL" --kubeconfig "$WORK/insecure" graph | cmp -s - "$WORK/graph.api" ||
		fail "insecure-skip-tls-verify: another graph"
	echo token-two >"$WORK/tokens"
	expect_error "rotated-out token" "failed to list nodes: Unauthorized" graph
	out=$("$KGCTL" graph 2>&1 || true)
	! grep -q token-one <<<"$out" || fail "the token is in a message: $out"
	sed '/certificate-authority/d' "$KUBECONFIG" >"$WORK/no-ca"
	expect_error "unknown CA" "failed to list nodes: GET $URL/api/v1/nodes:" \
		--kubeconfig "$WORK/no-ca" graph
}

test_https_with_a_client_certificate() {
	echo "== HTTPS with a client certificate, as files and inline"
	local req=(openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
	"${req[@]}" -x509 -days 1 -subj /CN=test-ca -keyout "$WORK/ca.key" -out "$WORK/ca.crt" \
		2>/dev/null
	"${req[@]}" -subj /CN=kgctl -keyout "$WORK/client.key" -out "$WORK/client.csr" 2>/dev/null
	openssl x509 -req -in "$WORK/client.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" \
		-CAcreateserial -days 1 -out "$WORK/client.crt" 2>/dev/null
	start_server --state "$WORK/state.json" --tls-cert "$WORK/tls.crt" \
		--tls-key "$WORK/tls.key" --client-ca "$WORK/ca.crt" \
		--kubeconfig-client-cert "$WORK/client.crt" --kubeconfig-client-key "$WORK/client.key"
	kgctl_both client-cert graph
	inline "$KUBECONFIG" >"$WORK/inline"
	grep -q 'client-key-data: ' "$WORK/inline" || fail "no inline key"
	"$KGCTL" --kubeconfig "$WORK/inline" graph | cmp -s - "$WORK/graph.api" ||
		fail "inline client certificate: another graph"
	grep -v 'client-' "$KUBECONFIG" >"$WORK/anonymous"
	expect_error "no client certificate" "failed to list nodes: Unauthorized" \
		--kubeconfig "$WORK/anonymous" graph
}

start_server --state "$WORK/state.json" --quiet
test_missing_crd_is_named
test_lists_agree_with_a_saved_listing
test_readiness_is_judged_now
test_invalid_peer_is_reported_and_skipped
test_failures_name_the_request
test_https_with_a_token
test_https_with_a_client_certificate
echo "PASS"
