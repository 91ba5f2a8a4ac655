#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The image, deployed the way a cluster deploys it: scripts/image.sh builds
# localhost/kilo-c:VERSION (or finds it built from the same inputs), and each
# node of the demo's underlay (a1, a2 in cloud-a, b1 in cloud-b) runs it as
# manifests/kilo-kubeadm.yaml's DaemonSet does, with podman: the install-cni
# init container first, then kg, privileged, on the node's network, with the
# manifest's image, command, arguments, environment and volumes, all read
# from the manifest (tests/e2e/manifest_podman.py), so that the manifest is
# what is tested. The node's disk is a directory of its own (/etc/cni/net.d,
# /opt/cni/bin, /var/lib/kilo, /var/run/wireguard); the TUN device, the
# iptables lock and /lib/modules are this machine's. The API server is the
# test one over HTTPS, reached on each node's loopback, with the service
# account's token, as kube-proxy's kubeconfig does it. The one change to the
# manifest: on a kernel without IPIP (as this one), --encapsulate=never is
# added, as manifests/README.md says to on such hosts.
#
# Then: install-cni copied the plugins and wrote the conflist, kg filled in
# the node's pod CIDR; pods ping across the locations; kgctl graph run in
# the image shows the graph the build's kgctl shows; `wg show kilo0` in the
# image reads kg's device; a1, whose tables hold kube-proxy's legacy rules,
# gets kg's rules in legacy, the others (nothing there) in nf_tables; podman
# stop is a clean exit that takes the annotations away. The image is the same
# whatever this build's configuration, so a sanitizer build skips (it runs
# in release). The first run on a machine builds the bases (a few minutes);
# then it takes about a minute.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

need_root
if grep -qs '^KILO_SANITIZE:BOOL=ON' "${KILO_BUILD:-/nonexistent}/CMakeCache.txt"; then
	skip "the image is built from the sources whatever this build is; it is tested in release"
fi
SRC=${KILO_SRC:-$E2E_DIR/../..}
command -v podman >/dev/null && command -v mmdebstrap >/dev/null || bash "$SRC/scripts/deps.sh"
e2e_setup openssl podman curl iptables-legacy-save iptables-nft-save
export PYTHONDONTWRITEBYTECODE=1
MANIFEST=$SRC/manifests/kilo-kubeadm.yaml
PODMAN=$E2E_DIR/manifest_podman.py
NODES=(a1 a2 b1)
declare -A LOCATION=([a1]=cloud-a [a2]=cloud-a [b1]=cloud-b)

log "the image (scripts/image.sh; cached unless its inputs changed)"
start=$SECONDS
IMAGE=$(bash "$SRC/scripts/image.sh" 2>"$TMP/image.log") ||
	die "scripts/image.sh failed: $(tail -n 20 "$TMP/image.log")"
log "$IMAGE in $((SECONDS - start)) s: $(tail -n 1 "$TMP/image.log")"
mapfile -t PODMAN_ARGS < <(bash "$SRC/scripts/image.sh" --podman-args)
kubectl label --local -f "$MANIFEST" -o json kilo-test- >"$TMP/manifest.json"
images=$("$PYTHON" -c 'import json, sys; sys.path.insert(0, sys.argv[2])
import manifest_pod
spec = manifest_pod.daemonset(manifest_pod.load(sys.argv[1]))["spec"]["template"]["spec"]
print(" ".join(sorted({c["image"] for c in spec.get("initContainers", []) + spec["containers"]})))' \
	"$TMP/manifest.json" "$E2E_DIR/../agent")
[ "$images" = "$IMAGE" ] || die "the manifest runs $images, scripts/image.sh built $IMAGE"

extra=()
ip netns add "$E-ipip" && at_exit "ip netns del $E-ipip"
nsx "$E-ipip" ip link add "${E}ipip" type ipip 2>/dev/null || {
	log "this kernel has no IPIP: kg runs with --encapsulate=never added"
	extra=(--encapsulate=never)
}

log "the underlay, the nodes and their pods; the API server over HTTPS"
e2e_underlay
e2e_node_add a1 a 1
e2e_node_add a2 a 2
e2e_node_add b1 b 3
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
	-subj /CN=kilo-e2e -addext "subjectAltName=IP:127.0.0.1" \
	-keyout "$TMP/tls.key" -out "$TMP/tls.crt" 2>/dev/null
TOKEN=ee-$(openssl rand -hex 16)
echo "$TOKEN" >"$TMP/tokens"
e2e_cluster_start c1 --tls-cert "$TMP/tls.crt" --tls-key "$TMP/tls.key" --token-file "$TMP/tokens"
# kubeadm's kube-proxy kubeconfig, as the manifest mounts it: the API server
# on the node's loopback (apiproxy.py), the service account's CA and token.
"$PYTHON" - "$TMP/cluster.json" "$TOKEN" "$TMP/tls.crt" "$(e2e_api_port c1)" <<-'EOF'
import json, sys
path, token, ca, port = sys.argv[1:]
sa = "/var/run/secrets/kubernetes.io/serviceaccount"
kubeconfig = f"""apiVersion: v1
kind: Config
clusters:
- name: default
  cluster: {{certificate-authority: {sa}/ca.crt, server: "https://127.0.0.1:{port}"}}
users:
- name: default
  user: {{tokenFile: {sa}/token}}
contexts:
- name: default
  context: {{cluster: default, user: default}}
current-context: default
"""
json.dump({"token": token, "ca": open(ca).read(),
           "configmaps": {"kube-proxy": {"kubeconfig.conf": kubeconfig}}}, open(path, "w"))
EOF

# a1's tables as a kube-proxy in legacy mode leaves them.
nsx "$E-a1" sh -e -c '
	iptables-legacy -t nat -N KUBE-SERVICES
	iptables-legacy -t nat -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
	iptables-legacy -t nat -A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'

# podman_run NODE CONTAINER PODMAN_FLAGS...: the manifest's CONTAINER on NODE.
podman_run() {
	local node=$1 container=$2 args more=()
	shift 2
	[ "$container" != kilo ] || more=("${extra[@]}")
	mapfile -d '' -t args < <("$PYTHON" "$PODMAN" run "$TMP/manifest.json" "$container" \
		"$E-$node" "$node" "${SITE_NET[${node:0:1}]}.${NODE_IDX[$node]}" "$TMP/$node/host" \
		"$TMP/$node/pod-$container" "$TMP/cluster.json" "${more[@]}")
	[ ${#args[@]} -gt 3 ] || die "$node: no podman arguments for $container"
	podman run "${PODMAN_ARGS[@]}" --pull=never --log-driver=k8s-file "$@" "${args[@]}"
}
KG_CONTAINERS=()
for n in "${NODES[@]}"; do
	log "$n: the Node, then the DaemonSet's pod: install-cni, kg"
	k c1 create -f - >/dev/null <<-EOF
	{"apiVersion": "v1", "kind": "Node",
	 "metadata": {"name": "$n", "labels": {"topology.kubernetes.io/region": "${LOCATION[$n]}"}},
	 "spec": {"podCIDR": "10.2.${NODE_IDX[$n]}.0/24"}}
	EOF
	e2e_api_proxy c1 "$n"
	mkdir -p "$TMP/$n/host/etc/cni/net.d"
	echo '{"name": "podman"}' >"$TMP/$n/host/etc/cni/net.d/87-podman-bridge.conflist"
	podman_run "$n" install-cni --rm >"$TMP/$n.install-cni.log" 2>&1 ||
		die "$n: install-cni failed: $(tail -n 20 "$TMP/$n.install-cni.log")"
	name=kilo-$E-$n
	podman rm -f "$name" >/dev/null 2>&1 || true
	podman_run "$n" kilo --detach --name "$name" >"$TMP/$n.podman.log" 2>&1 ||
		die "$n: podman run failed: $(cat "$TMP/$n.podman.log")"
	at_exit "podman rm -f $name"
	KG_CONTAINERS+=("$name")
done

# joined NODE: kg's container runs (else its log says why) and published its key.
joined() {
	[ "$(podman inspect -f '{{.State.Running}}' "kilo-$E-$1")" = true ] ||
		die "$1: kg's container stopped: $(podman logs "kilo-$E-$1" 2>&1 | tail -n 20)"
	has_annotation "$1" key
}
for n in "${NODES[@]}"; do
	NODE_CLUSTER[$n]=c1
	wait_for "$n: kg's key on the Node" 30 joined "$n"
done

log "install-cni copied the plugins and left Kilo's conflist alone, with the pod CIDR"
cni_subnet() {
	"$PYTHON" -c 'import json, sys
print(json.load(open(sys.argv[1]))["plugins"][0]["ipam"]["ranges"][0][0]["subnet"])' "$1" 2>/dev/null
}
for n in "${NODES[@]}"; do
	host=$TMP/$n/host
	for plugin in bridge host-local loopback portmap; do
		[ -x "$host/opt/cni/bin/$plugin" ] || die "$n: install-cni did not copy $plugin"
	done
	# (kg may be writing it: a temporary file renamed over it)
	wait_for "$n: only 10-kilo.conflist in the CNI directory" 5 \
		test "$(ls "$host/etc/cni/net.d")" = 10-kilo.conflist
	wait_for "$n: the pod CIDR in the conflist" 20 \
		test "$(cni_subnet "$host/etc/cni/net.d/10-kilo.conflist")" = "10.2.${NODE_IDX[$n]}.0/24"
	[ -s "$host/var/lib/kilo/key" ] || die "$n: no key on the node's disk"
	[ -S "$host/var/run/wireguard/kilo0.sock" ] || die "$n: no kilo0.sock on the node's disk"
	nsx "$E-$n" ip -d link show kilo0 | grep -qw tun || die "$n: kilo0 is not a TUN device"
done

log "pods reach each other across the locations"
e2e_pods_reach "${NODES[@]}"

log "kgctl graph in the image shows the graph the build's kgctl shows"
graph() { podman exec "kilo-$E-$1" kgctl --kubeconfig /etc/kubernetes/kubeconfig graph; }
graph b1 >"$TMP/graph.dot" 2>"$TMP/graph.err" || die "kgctl graph in the image: $(cat "$TMP/graph.err")"
for n in "${NODES[@]}" cloud-a cloud-b; do
	grep -q "$n" "$TMP/graph.dot" || die "the image's kgctl graph lacks $n: $(cat "$TMP/graph.dot")"
done
kgctl c1 graph >"$TMP/graph-build.dot"
diff -u "$TMP/graph-build.dot" "$TMP/graph.dot" >&2 || die "the image's graph differs from the build's"
grep -q '<svg' <<<"$(podman exec -i "kilo-$E-b1" dot -Tsvg <"$TMP/graph.dot")" ||
	die "graphviz in the image does not render the graph"
http "$E-b1" "http://127.0.0.1:1107/graph" | grep -q '<svg' || die "b1's /graph is no SVG"
grep -q '^kilo_nodes 3$' <<<"$(http "$E-b1" http://127.0.0.1:1107/metrics)" || die "b1 sees no 3 nodes"

log "wg show kilo0 in the image reads kg's device (its UAPI socket)"
out=$(podman exec "kilo-$E-b1" wg show kilo0) || die "wg show kilo0 in the image failed"
grep -q '^  listening port: 51820$' <<<"$out" || die "wg show kilo0: $out"
grep -q '^peer: ' <<<"$out" || die "b1, cloud-b's leader, has no peer: $out"

log "a1 (kube-proxy's legacy rules) got kg's in legacy; b1 (nothing there) in nf_tables"
rules() { nsx "$E-$1" "iptables-$2-save" 2>/dev/null; }
has_kilo() { grep -q -- '-j KILO-NAT' <<<"$(rules "$1" "$2")"; }
for pair in a1:legacy b1:nft a2:nft; do
	n=${pair%:*} backend=${pair#*:}
	other=$([ "$backend" = legacy ] && echo nft || echo legacy)
	has_kilo "$n" "$backend" || die "$n: kg's rules are not in $backend: $(rules "$n" "$backend")"
	! has_kilo "$n" "$other" || die "$n: kg wrote to $other too"
	grep -q "using the $backend iptables backend" <<<"$(podman logs "kilo-$E-$n" 2>&1)" ||
		die "$n: kg does not say it uses $backend"
done

log "podman stop: kg cleans up and exits 0, the node's annotations go"
for n in "${NODES[@]}"; do
	podman stop --time 30 "kilo-$E-$n" >/dev/null
	status=$(podman inspect -f '{{.State.ExitCode}}' "kilo-$E-$n")
	[ "$status" = 0 ] || die "$n: kg exited $status: $(podman logs "kilo-$E-$n" 2>&1 | tail -n 20)"
	[ -z "$(annotation "$n" key)" ] || die "$n: kg left its key annotation"
	! has_kilo "$n" legacy && ! has_kilo "$n" nft || die "$n: kg left its iptables rules"
done
log "PASS"
