#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# manifests/ and the Dockerfile. Every manifest parses (kubectl, offline) and
# holds together (RBAC bound to the pod's account, every volume declared and
# mounted, every $(VAR) defined, one container: no sidecar, every host path
# kg needs mounted: its key, /dev/net/tun, /var/run/wireguard, the xtables
# lock, and where Kilo is the CNI the CNI directories); the flags each
# DaemonSet passes are flags kg accepts. Then each DaemonSet's pod is run as
# a kubelet runs it, in a node namespace: init containers first (install-cni,
# generate-kubeconfig), volumes from a fake node disk, the image as an
# overlay on /, kg against the test API server over HTTPS with the service
# account's token. kg must join: its key from the kilo-dir volume published,
# /health answering, kilo0 a TUN device (no module), the CNI file rewritten
# for the node's pod CIDR, and a clean exit on SIGTERM. (On a kernel without
# IPIP, kg where Kilo is the CNI must stop at start-up, as Kilo's does, and
# join with --encapsulate=never added.) Before the pods, the Dockerfile
# without podman (e2e_image builds and runs the image itself): its build
# stage replayed here on the files it copies, its bases' packages
# (scripts/image.sh) Debian 12's, holding the libraries the built programs
# need and the tools kg runs.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

need_root
exclusive mf-manifests
for tool in kubectl openssl curl wg apt-cache dpkg readelf pkg-config; do
	command -v $tool >/dev/null || die "$tool is missing"
done
[ -d /usr/lib/cni ] || die "containernetworking-plugins is missing (scripts/deps.sh)"
SRC=${KILO_SRC:-$AGENT_LIB_DIR/../..}
POD=$AGENT_LIB_DIR/manifest_pod.py
export PYTHONDONTWRITEBYTECODE=1 HOME=$TMP KUBECONFIG=$TMP/kubeconfig KUBECACHEDIR=$TMP/kube-cache
# Cilium's last: its node gets Cilium's links (cilium_links) and keeps them.
DAEMONSETS=(kilo-kubeadm kilo-k3s kilo-typhoon kilo-bootkube kilo-kubeadm-flannel kilo-k3s-flannel
	kilo-typhoon-flannel kilo-bootkube-flannel kilo-kubeadm-cilium kilo-k3s-cilium)
# And the add-ons: the webhook, kube-router's NetworkPolicy, Prometheus' PodMonitor.
ADDONS=(peer-validation kube-router podmonitor)
NODE=mf-node NODE_IP=192.168.77.2 API=192.168.77.254:6443 POD_CIDR=10.2.7.0/24

# parse FILE NAME: the manifest as JSON documents in $TMP/NAME.json.
parse() {
	kubectl label --local -f "$1" -o json kilo-test- >"$TMP/$2.json" 2>"$TMP/$2.err" ||
		die "$1 does not parse: $(cat "$TMP/$2.err")"
}

# kg_accepts NAME: kg takes the DaemonSet's arguments (--version stops it
# after the flags are read); otherwise says why and fails.
kg_accepts() {
	local args
	mapfile -t args < <("$PYTHON" "$POD" args "$TMP/$1.json" "$NODE" "$NODE_IP")
	[ ${#args[@]} -gt 0 ] || { echo "the kg container has no arguments"; return 1; }
	{ "$KILO_BIN/kg" "${args[@]}" --version >/dev/null; } 2>&1
}

log "every manifest parses and holds together"
for name in crds "${DAEMONSETS[@]}" "${ADDONS[@]}"; do
	[ -f "$SRC/manifests/$name.yaml" ] || die "manifests/$name.yaml is missing"
done
manifests=("$SRC"/manifests/*.yaml)
# Every manifest is one of those: a new one is run or checked here too.
[ ${#manifests[@]} = $((1 + ${#DAEMONSETS[@]} + ${#ADDONS[@]})) ] ||
	die "manifests/ has ${#manifests[@]} manifests, not crds, DAEMONSETS and ADDONS"
for f in "${manifests[@]}"; do
	parse "$f" "$(basename "$f" .yaml)"
done
daemonset_docs=()
for name in "${DAEMONSETS[@]}"; do daemonset_docs+=("$TMP/$name.json"); done
for f in "${manifests[@]}"; do
	name=$(basename "$f" .yaml)
	# The PodMonitor is checked against every kg DaemonSet.
	"$PYTHON" "$POD" check "$TMP/$name.json" "${daemonset_docs[@]}" || die "$f is inconsistent"
done

log "the checks see Kilo's userspace mistakes: a sidecar, a volume never mounted"
sed -e 's/^      containers:$/&\n      - {name: wireguard, image: wireguard-go}/' \
	-e 's/^      volumes:$/&\n      - {name: boringtun, hostPath: {path: \/var\/run\/boringtun}}/' \
	"$SRC/manifests/kilo-kubeadm.yaml" >"$TMP/sidecar.yaml"
parse "$TMP/sidecar.yaml" sidecar
out=$("$PYTHON" "$POD" check "$TMP/sidecar.json") && die "a sidecar passes the checks"
grep -q "no sidecar" <<<"$out" || die "the sidecar is not named: $out"
grep -q "'boringtun' is declared but never mounted" <<<"$out" || die "unmounted volume: $out"

log "and a host path kg needs that a DaemonSet does not mount"
# unmount MANIFEST PATH: the manifest without the kg or init container's mount at PATH.
unmount() {
	sed "/^        - name: /{N;/\n          mountPath: ${2//\//\\/}\$/d}" "$SRC/manifests/$1.yaml" \
		>"$TMP/unmounted.yaml"
	parse "$TMP/unmounted.yaml" unmounted
	"$PYTHON" "$POD" check "$TMP/unmounted.json"
}
out=$(unmount kilo-typhoon-flannel /var/run/wireguard) &&
	die "kilo-typhoon-flannel passes without /var/run/wireguard"
grep -q "kg does not get the host's /var/run/wireguard" <<<"$out" || die "typhoon: $out"
out=$(unmount kilo-k3s /etc/cni/net.d) && die "kilo-k3s passes without /etc/cni/net.d"
grep -q "kg does not get the host's /etc/cni/net.d" <<<"$out" || die "kilo-k3s: $out"
out=$(unmount kilo-kubeadm /host/opt/cni/bin) && die "kilo-kubeadm passes without /opt/cni/bin"
grep -q "install-cni does not get the host's /opt/cni/bin" <<<"$out" || die "kilo-kubeadm: $out"
# kg's CNI directory (/etc/cni/net.d) another volume than install-cni's (Typhoon's).
sed -e '0,/^        - name: cni-conf-dir$/s//        - name: cni-conf-dir-kg/' \
	-e 's|^      volumes:$|&\n      - {name: cni-conf-dir-kg, hostPath: {path: /etc/cni/net.d}}|' \
	"$SRC/manifests/kilo-typhoon.yaml" >"$TMP/split.yaml"
parse "$TMP/split.yaml" split
out=$("$PYTHON" "$POD" check "$TMP/split.json") && die "kg and install-cni in two CNI directories pass"
grep -q "install-cni writes the conflist to another directory than kg's" <<<"$out" ||
	die "split CNI directories: $out"

log "kube-router runs its firewall only, the PodMonitor scrapes kg's metrics port"
sed 's/--run-router=false/--run-router=true/' "$SRC/manifests/kube-router.yaml" >"$TMP/router.yaml"
parse "$TMP/router.yaml" router
out=$("$PYTHON" "$POD" check "$TMP/router.json") && die "kube-router with its router passes"
grep -q "kube-router must run with --run-router=false" <<<"$out" || die "kube-router: $out"
sed '/- networkpolicies/d' "$SRC/manifests/kube-router.yaml" >"$TMP/router.yaml"
parse "$TMP/router.yaml" router
out=$("$PYTHON" "$POD" check "$TMP/router.json") && die "kube-router without policies passes"
grep -q "may not list and watch networking.k8s.io/networkpolicies" <<<"$out" || die "kube-router: $out"
sed 's/- port: metrics/- port: webhook/' "$SRC/manifests/podmonitor.yaml" >"$TMP/monitor.yaml"
parse "$TMP/monitor.yaml" monitor
out=$("$PYTHON" "$POD" check "$TMP/monitor.json" "${daemonset_docs[@]}") &&
	die "a PodMonitor of another port passes"
grep -q "kilo-typhoon.json: the PodMonitor scrapes webhook/metrics, not kg's /metrics on port 1107" \
	<<<"$out" || die "PodMonitor: $out"
sed 's|app.kubernetes.io/part-of: kilo|app.kubernetes.io/part-of: kube-prometheus|' \
	"$SRC/manifests/podmonitor.yaml" >"$TMP/monitor.yaml"
parse "$TMP/monitor.yaml" monitor
out=$("$PYTHON" "$POD" check "$TMP/monitor.json" "${daemonset_docs[@]}") &&
	die "a PodMonitor of other pods passes"
grep -q "the PodMonitor does not select kg's pods" <<<"$out" || die "PodMonitor: $out"

log "kg accepts the flags of every DaemonSet, and kg webhook those of peer-validation"
for name in "${DAEMONSETS[@]}" peer-validation; do
	out=$(kg_accepts "$name") || die "$name: kg refuses its flags: $out"
done
sed 's/targetPort: webhook/targetPort: metrics/' "$SRC/manifests/peer-validation.yaml" \
	>"$TMP/bad-webhook.yaml"
parse "$TMP/bad-webhook.yaml" bad-webhook
out=$("$PYTHON" "$POD" check "$TMP/bad-webhook.json") && die "a Service to the metrics passes"
grep -q "target port 1107 is not kg webhook's --listen" <<<"$out" || die "bad webhook port: $out"
sed 's/- --cni=false/- --cni=maybe/' "$SRC/manifests/kilo-kubeadm-flannel.yaml" >"$TMP/bad.yaml"
parse "$TMP/bad.yaml" bad
out=$(kg_accepts bad) && die "kg accepts --cni=maybe"
grep -q maybe <<<"$out" || die "kg's refusal of --cni=maybe does not name it: $out"

# ---- the Dockerfile --------------------------------------------------------

# stage N: the lines of the Dockerfile's stage N (1 = build, 2 = runtime),
# continuation lines joined.
stage() {
	awk -v stage="$1" '/^FROM /{n++} n == stage' "$SRC/Dockerfile" |
		awk '{ if (sub(/\\$/, "")) { line = line $0; next } print line $0; line = "" }'
}
build_stage() { stage 1; }

# packages KIND: the packages of the image's base KIND (build, runtime),
# scripts/image.sh's, which makes the bases with mmdebstrap.
packages() { bash "$SRC/scripts/image.sh" --packages "$1"; }

# package_of FILE: the Debian package that holds FILE (usrmerge-aware).
# (No pipeline here stops reading early: under pipefail, a writer killed by
# SIGPIPE would fail it at random.)
package_of() {
	local f=$1 out
	out=$(dpkg -S "$f" 2>/dev/null || dpkg -S "/usr$f" 2>/dev/null ||
		dpkg -S "${f#/usr}" 2>/dev/null) || return 1
	echo "${out%%:*}"
}

# listed WORD LIST...: WORD is one of LIST.
listed() {
	local word=$1 item
	shift
	for item in "$@"; do
		[ "$item" = "$word" ] && return 0
	done
	return 1
}

log "the build stage, replayed here without podman, builds kg, kgctl and kwg"
# Both stages on the bases scripts/image.sh imports: no registry.
grep -qx 'ARG BUILD_BASE=localhost/kilo-c-base:build' "$SRC/Dockerfile" &&
	grep -qx 'ARG RUNTIME_BASE=localhost/kilo-c-base:runtime' "$SRC/Dockerfile" &&
	[ "$(grep '^FROM ' "$SRC/Dockerfile")" = "$(printf 'FROM ${BUILD_BASE} AS build\nFROM ${RUNTIME_BASE}')" ] ||
	die "the Dockerfile is not FROM scripts/image.sh's bases: $(grep -E '^(ARG|FROM) ' "$SRC/Dockerfile")"
! grep -q 'apt-get' "$SRC/Dockerfile" || die "the Dockerfile installs packages (the bases have them)"
image=$TMP/image
ctx=$image$(build_stage | sed -n 's/^WORKDIR //p')
mkdir -p "$ctx"
while read -r line; do
	read -ra words <<<"$line"
	case ${words[0]:-} in
	COPY)
		for src in "${words[@]:1:${#words[@]}-2}"; do
			[ -e "$SRC/$src" ] || die "Dockerfile: COPY $src: no such file"
			grep -qx "!${src%%/*}" "$SRC/.dockerignore" || die "Dockerfile: COPY $src is ignored"
			cp -r "$SRC/$src" "$ctx/${words[-1]}"
		done
		;;
	RUN)
		[[ "$line" == *cmake* ]] || continue
		(cd "$ctx" && sh -c "${line#RUN }") >"$TMP/image.log" 2>&1 ||
			die "Dockerfile: the build failed: $(tail -n 20 "$TMP/image.log")"
		;;
	esac
done < <(build_stage)
# Every source the programs are built from is copied (a wing left out fails
# the replay above only once CMakeLists.txt globs an empty folder).
for dir in $(sed -n 's/^kilo_library([a-z_]* \([a-z/]*\).*/\1/p' "$SRC/CMakeLists.txt" | cut -d/ -f1 |
	sort -u) cmd; do
	grep -q "^COPY $dir " "$SRC/Dockerfile" || die "the Dockerfile does not copy $dir"
done
for f in $(sed -n 's/^COPY --from=build \(.*\) [^ ]*$/\1/p' "$SRC/Dockerfile"); do
	[ -x "$image$f" ] || die "Dockerfile: the build stage made no $f"
done
# The image as the pods below see it (manifest_pod.py).
grep -q 'ENTRYPOINT \["/opt/bin/kg"\]' "$SRC/Dockerfile" || die "the entrypoint is not /opt/bin/kg"
grep -q 'ln -s /usr/lib/cni /opt/cni/bin' "$SRC/Dockerfile" || die "no /opt/cni/bin in the image"
# The image every manifest runs (manifest_pod.py checks it) is scripts/image.sh's.
image_name=localhost/kilo-c:$(sed -n 's/^project(kilo-c VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
grep -qF "$image_name" "$SRC/manifests/README.md" || die "manifests/README.md does not name $image_name"

log "the bases' packages are Debian 12's and hold what the build and kg need"
grep -q 'VERSION_ID="12"' /etc/os-release || die "apt here is not Debian 12's"
mapfile -t build < <(packages build)
mapfile -t runtime < <(packages runtime)
[ ${#build[@]} -gt 5 ] || die "scripts/image.sh has no build packages"
[ ${#runtime[@]} -gt 5 ] || die "scripts/image.sh has no runtime packages"
known=$(apt-cache show --no-all-versions "${build[@]}" "${runtime[@]}" 2>/dev/null |
	sed -n 's/^Package: //p')
for p in "${build[@]}" "${runtime[@]}"; do
	grep -qx "$p" <<<"$known" || die "scripts/image.sh: Debian 12 has no package $p"
done
for module in $(sed -n 's/.*IMPORTED_TARGET \([^)]*\)).*/\1/p' "$SRC/CMakeLists.txt"); do
	pc=$(pkg-config --variable=pcfiledir "$module")/$module.pc
	p=$(package_of "$pc") || die "no package holds $pc"
	listed "$p" "${build[@]}" || die "the build base lacks $p ($module)"
done
for prog in kg kgctl kwg; do
	# The sanitizer runtimes are this test build's, not the image's.
	for lib in $(readelf -d "$KILO_BIN/$prog" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' |
		grep -vE '^lib(a|ub)san\.'); do
		path=$(ldconfig -p | awk -v l="$lib" '$1 == l && !path { path = $NF } END { print path }')
		p=$(package_of "$path") || die "$prog: no package holds $lib"
		listed "$p" libc6 "${runtime[@]}" || die "the image lacks $p, which holds $prog's $lib"
	done
done
# What kg runs and install-cni copies (mesh/host/iptables_backend.h: both iptables).
for tool in iptables-legacy-save iptables-nft-save ip6tables-legacy-restore ip6tables-nft-restore \
	ip dot wg; do
	p=$(package_of "$(command -v $tool)") || die "no package holds $tool"
	listed "$p" "${runtime[@]}" || die "the image lacks $p, which holds $tool"
done
listed containernetworking-plugins "${runtime[@]}" || die "the image has no CNI plugins"

# ---- the pods --------------------------------------------------------------

ns_add mf-sw mf-node
ip link add eth0 netns mf-node type veth peer name mfsw0 netns mf-sw
nsx mf-sw ip addr add "${API%:*}/24" dev mfsw0
nsx mf-sw ip link set mfsw0 up
nsx mf-node ip addr add "$NODE_IP/24" dev eth0
nsx mf-node ip link set eth0 up

log "the test API server on HTTPS with a service account token"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
	-subj /CN=kilo-test -addext "subjectAltName=IP:${API%:*}" \
	-keyout "$TMP/tls.key" -out "$TMP/tls.crt" 2>/dev/null
TOKEN=mf-$(openssl rand -hex 16)
echo "$TOKEN" >"$TMP/tokens"
ip netns exec mf-sw "$PYTHON" "$AGENT_LIB_DIR/../apiserver/kube_apiserver.py" --listen "$API" \
	--tls-cert "$TMP/tls.crt" --tls-key "$TMP/tls.key" --token-file "$TMP/tokens" \
	--kubeconfig "$KUBECONFIG" --quiet >"$TMP/api.log" 2>&1 &
at_exit "kill $!; wait $!"
wait_for "the API server" 20 test -s "$KUBECONFIG"
k() { nsx mf-sw kubectl "$@"; }
k apply -f "$SRC/manifests/crds.yaml" >/dev/null
k create -f - >/dev/null <<-EOF
{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "$NODE"},
 "spec": {"podCIDR": "$POD_CIDR"}}
EOF
annotation() { k get node "$NODE" -o "jsonpath={.metadata.annotations.kilo\.squat\.ai/$1}"; }

# kubeadm's kube-proxy kubeconfig and Typhoon's kubeconfig-in-cluster: the
# service account's CA and token file.
kubeconfig="apiVersion: v1
kind: Config
clusters:
- name: default
  cluster:
    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
    server: https://$API
users:
- name: default
  user:
    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token
contexts:
- name: default
  context: {cluster: default, user: default}
current-context: default
"
"$PYTHON" - "$TMP/cluster.json" "$KILO_BIN" "$TOKEN" "$TMP/tls.crt" "$kubeconfig" <<-'EOF'
import json, sys
path, image, token, ca, kubeconfig = sys.argv[1:]
json.dump({"image_bin": image, "token": token, "ca": open(ca).read(),
           "configmaps": {"kube-proxy": {"kubeconfig.conf": kubeconfig},
                          "kubeconfig-in-cluster": {"kubeconfig": kubeconfig}}},
          open(path, "w"))
EOF

# node_disk DIR: what a node has before Kilo: a k3s agent's kubeconfig and
# CA, kubeadm's admin.conf, bootkube's kubeconfig, an earlier CNI's
# configuration (where most kubelets and where Typhoon's and bootkube's read
# it), an empty CNI binary directory.
node_disk() {
	mkdir -p "$1/var/lib/rancher/k3s/agent" "$1/etc/cni/net.d" "$1/opt/cni/bin" \
		"$1/etc/kubernetes/cni/net.d"
	echo "$kubeconfig" >"$1/etc/kubernetes/admin.conf"
	echo "$kubeconfig" >"$1/etc/kubernetes/kubeconfig"
	printf 'apiVersion: v1\nclusters:\n- cluster:\n    server: https://%s\n' "$API" \
		>"$1/var/lib/rancher/k3s/agent/kubelet.kubeconfig"
	cp "$TMP/tls.crt" "$1/var/lib/rancher/k3s/agent/server-ca.crt"
	echo '{"name": "podman"}' >"$1/etc/cni/net.d/87-podman-bridge.conflist"
	echo '{"name": "podman"}' >"$1/etc/kubernetes/cni/net.d/87-podman-bridge.conflist"
}

# cni_subnet FILE: the IPAM subnet of the conflist's first plugin.
cni_subnet() {
	"$PYTHON" -c 'import json, sys
print(json.load(open(sys.argv[1]))["plugins"][0]["ipam"]["ranges"][0][0]["subnet"])' "$1"
}

# cni_dir NAME: the node's CNI directory that NAME's kg manages, or nothing.
cni_dir() {
	local dir
	dir=$("$PYTHON" "$POD" cni-dir "$TMP/$1.json")
	[ -z "$dir" ] || echo "$TMP/$1/host$dir"
}

# check_installed NAME: install-cni copied the plugins and left only Kilo's
# conflist in the CNI directory kg manages; every other CNI directory is as
# it was.
check_installed() {
	local host=$TMP/$1/host dir ours
	ours=$(cni_dir "$1")
	for dir in "$host/etc/cni/net.d" "$host/etc/kubernetes/cni/net.d"; do
		[ "$dir" = "$ours" ] && continue
		[ "$(ls "$dir")" = 87-podman-bridge.conflist ] || die "$1: $dir was touched"
	done
	grep -q '"install-cni"' "$TMP/$1.json" || return 0
	for plugin in bridge host-local loopback portmap; do
		[ -x "$host/opt/cni/bin/$plugin" ] || die "$1: install-cni did not copy $plugin"
	done
	# (kg may be writing it: a temporary file renamed over it)
	wait_for "$1: only 10-kilo.conflist in the CNI directory" 5 \
		test "$(ls "$ours")" = 10-kilo.conflist
}

# run_pod NAME: its init containers, then kg in the background (KG_PID), until
# kg has its key on the node's disk.
run_pod() {
	local name=$1 dir=$TMP/$1 c
	mkdir -p "$dir/pod"
	node_disk "$dir/host"
	for c in $("$PYTHON" "$POD" pod "$TMP/$name.json" "$NODE" "$NODE_IP" "$dir/pod" \
		"$dir/host" "$TMP/cluster.json"); do
		ip netns exec mf-node unshare --mount --propagation private sh "$dir/pod/$c.sh" \
			>"$dir/$c.log" 2>&1 || die "$name: init container $c failed: $(cat "$dir/$c.log")"
	done
	# ip, unshare, sh, chroot and env all exec: $! is kg itself.
	ip netns exec mf-node unshare --mount --propagation private sh "$dir/pod/main.sh" \
		>"$dir/kg.log" 2>&1 &
	KG_PID=$!
	at_exit "kill $KG_PID; wait $KG_PID"
	wait_for "$name: kg's key on the node's disk" 30 test -s "$dir/host/var/lib/kilo/key"
	check_installed "$name"
}

# key_is NAME KEY: kg still runs and the Node carries KEY.
key_is() {
	kill -0 "$KG_PID" 2>/dev/null || die "$1: kg died: $(tail -n 20 "$TMP/$1/kg.log")"
	[ "$(annotation key)" = "$2" ]
}
wip_is() { [ "$(annotation wireguard-ip)" = "$1" ]; }

# leader_ip NAME: the leader's WireGuard IP, the first of the DaemonSet's
# --subnet (Kilo's default 10.4.0.0/16).
leader_ip() {
	"$PYTHON" "$POD" args "$TMP/$1.json" "$NODE" "$NODE_IP" | "$PYTHON" -c 'import ipaddress, sys
args = [a[len("--subnet="):] for a in sys.stdin.read().split() if a.startswith("--subnet=")]
net = ipaddress.ip_network((args or ["10.4.0.0/16"])[-1])
print(f"{net[1]}/{net.prefixlen}")'
}

# cilium_links: Cilium's links on the node as Cilium with enable-ipip-termination
# leaves them: cilium_host (a veth with cilium_net) with the node's router IP,
# and cilium_tunl (the kernel's tunl0 renamed; a veth stands in, as this
# kernel may have no ipip) down.
CILIUM_HOST_IP=10.2.7.77/32
cilium_links() {
	! nsx mf-node ip link show cilium_host >/dev/null 2>&1 || return 0
	nsx mf-node ip link add cilium_host type veth peer name cilium_net
	nsx mf-node ip addr add "$CILIUM_HOST_IP" dev cilium_host
	nsx mf-node ip link add cilium_tunl type veth peer name mf-tunl-peer
}
cni_ip_is() { [ "$(annotation cni-compatibility-ip)" = "$1" ]; }

# check_joined NAME: kg published the key it keeps on the node's disk, leads
# on its TUN device, serves /health on the DaemonSet's port and its UAPI
# socket in the node's /var/run/wireguard, fills the CNI file with the pod
# CIDR, and leaves on SIGTERM, taking the socket away.
check_joined() {
	local name=$1 conflist key rc=0
	local socket=$TMP/$1/host/var/run/wireguard/kilo0.sock
	conflist=$(cni_dir "$name")/10-kilo.conflist
	key=$(wg pubkey <"$TMP/$name/host/var/lib/kilo/key")
	wait_for "$name: kg's key on the Node" 30 key_is "$name" "$key"
	wait_for "$name: the leader's WireGuard IP" 30 wip_is "$(leader_ip "$name")"
	nsx mf-node ip -d link show kilo0 | grep -qw tun || die "$name: kilo0 is not a TUN device"
	[ "$(annotation internal-ip)" = "$NODE_IP/24" ] ||
		die "$name: internal-ip is $(annotation internal-ip)"
	[ "$(http_status mf-node http://127.0.0.1:1107/health)" = 200 ] || die "$name: /health"
	[ -S "$socket" ] || die "$name: no kilo0.sock in the node's /var/run/wireguard"
	if [ -f "$conflist" ]; then
		wait_for "$name: the pod CIDR in the conflist" 20 grep -q "\"$POD_CIDR\"" "$conflist"
		[ "$(cni_subnet "$conflist")" = "$POD_CIDR" ] ||
			die "$name: the conflist's range is not $POD_CIDR"
	fi
	kill -TERM "$KG_PID"
	wait "$KG_PID" || rc=$?
	[ $rc = 0 ] || die "$name: kg exited $rc on SIGTERM: $(tail -n 20 "$TMP/$name/kg.log")"
	[ -z "$(annotation key)" ] || die "$name: kg left its key annotation"
	[ ! -e "$socket" ] || die "$name: kg left kilo0.sock in the node's /var/run/wireguard"
}

# check_stops_without_ipip NAME: on a kernel without IPIP, kg with Kilo's
# --encapsulate=always stops at start-up and says why, as Kilo's does.
check_stops_without_ipip() {
	local rc=0
	wait "$KG_PID" || rc=$?
	[ $rc = 1 ] || die "$1: kg exited $rc without IPIP, not 1"
	grep -q '"failed to create tunnel interface tunl0' "$TMP/$1/kg.log" ||
		die "$1: kg did not say that tunl0 failed: $(tail -n 5 "$TMP/$1/kg.log")"
}

# Where Kilo is the CNI, kg encapsulates with IPIP (tunl0) by default.
ipip=yes
nsx mf-node ip link add mfipip type ipip 2>/dev/null || ipip=
[ -z "$ipip" ] || nsx mf-node ip link del mfipip
for name in "${DAEMONSETS[@]}"; do
	log "$name: the pod runs and kg joins"
	[[ $name != *-cilium ]] || cilium_links
	run_pod "$name"
	if [ -z "$ipip" ] && grep -q '"install-cni"' "$TMP/$name.json"; then
		check_stops_without_ipip "$name"
		log "this kernel has no IPIP: $name's kg stops at start-up, as Kilo's does; again"
		log "with --encapsulate=never added, as on such hosts"
		sed 's/^        - --hostname=$(NODE_NAME)$/&\n        - --encapsulate=never/' \
			"$SRC/manifests/$name.yaml" >"$TMP/$name-never.yaml"
		name=$name-never
		parse "$TMP/$name.yaml" "$name"
		run_pod "$name"
	fi
	if [[ $name == *-cilium ]]; then
		log "$name: kg publishes cilium_host's IP and sets Cilium's cilium_tunl up"
		wait_for "$name: cni-compatibility-ip" 30 cni_ip_is "$CILIUM_HOST_IP"
		nsx mf-node ip link show cilium_tunl | grep -q '[<,]UP[,>]' ||
			die "$name: cilium_tunl is not up"
	fi
	check_joined "$name"
	if [[ $name == *-cilium ]]; then
		cni_ip_is "$CILIUM_HOST_IP" || die "$name: clean-up took cni-compatibility-ip (Kilo's leaves it)"
		nsx mf-node ip link show cilium_tunl >/dev/null 2>&1 || die "$name: kg removed cilium_tunl"
	fi
done
log "PASS"
