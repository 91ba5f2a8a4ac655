#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# kg against faults of its own node: /var/lib/kilo read-only or full, a
# corrupt key file, a missing CNI directory, no iptables in PATH, a hostname
# that is not a Node. Each gives one error naming the path or the value; a
# kg that cannot start leaves the node as it found it (no interface, no UAPI
# socket, no routes, rules or iptables rules, no half-written key), and a kg
# that runs with --clean-up-interface leaves nothing after SIGTERM either.
# /var/lib/kilo is a tmpfs in a mount namespace of kg's own, never the host's.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

need_root
exclusive hy-faults
for tool in iptables-save kubectl nsenter; do
	command -v $tool >/dev/null || die "$tool is missing"
done
export PYTHONDONTWRITEBYTECODE=1 HOME=$TMP KUBECONFIG=$TMP/kubeconfig KUBECACHEDIR=$TMP/kube-cache
NS=hy-n1
IF=hyk1
# Directories without iptables (Debian keeps it in /usr/sbin).
NO_IPTABLES_PATH=/usr/local/bin:/usr/bin:/bin

ns_add $NS
# No IPv6 link-local addresses appearing late to tell from what kg leaves.
nsx $NS sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
nsx $NS ip link add hyeth0 type veth peer name hyeth1
nsx $NS ip addr add 192.168.72.1/24 dev hyeth0
nsx $NS ip link set hyeth1 up
nsx $NS ip link set hyeth0 up
key_new n1 >/dev/null
# n1 leads east, n2 leads west: a started kg routes west's pods through WireGuard.
"$PYTHON" "$AGENT_LIB_DIR/cluster_file.py" "$TMP/cluster.json" \
	"n1,east,192.168.72.1:51820,192.168.72.1/24,10.2.1.0/24,$(cat "$TMP/n1.pub"),leader" \
	"n2,west,192.168.72.2:51820,192.168.72.2/24,10.2.2.0/24,$(key_new n2),leader"
FILE_BACKEND=(--backend file --cluster-file "$TMP/cluster.json")
KG_FLAGS=(--interface $IF --listen 127.0.0.1:1107 --encapsulate never --log-level all)

# host_state: what kg could leave behind in the node's namespace.
host_state() {
	nsx $NS sh -c 'ip -o link; ip route show table all; ip -6 route show table all
		ip rule; ip -6 rule; for t in filter nat; do iptables -t $t -S; ip6tables -t $t -S; done'
	[ ! -e "/var/run/wireguard/$IF.sock" ] || echo "UAPI socket /var/run/wireguard/$IF.sock"
}
# The reference, once the veth has settled (its state is part of it).
veth_up() { [ "$(nsx $NS cat /sys/class/net/hyeth0/operstate)" = up ]; }
wait_for "the veth up" 5 veth_up
host_state >"$TMP/clean.state"
host_is_clean() {
	host_state >"$TMP/now.state"
	diff -u "$TMP/clean.state" "$TMP/now.state" >&2 || die "kg left this behind ($1)"
}

# kg_fails CASE SETUP MESSAGE [kg flags...]: kg as node n1 in a mount
# namespace where the shell commands SETUP prepared /var/lib/kilo must exit 1
# at once with a log line holding MESSAGE (fixed text), and leave the node
# clean. $TMP/CASE.ls and $TMP/CASE.key are what /var/lib/kilo then holds.
kg_fails() {
	local case=$1 setup=$2 message=$3 log=$TMP/$1.log rc=0
	shift 3
	log "$case: kg stops with \"$message\""
	timeout 20 ip netns exec $NS unshare --mount --propagation private sh -c '
		mkdir -p /var/lib/kilo && eval "$1" || exit 99
		shift && "$@"
		rc=$? && ls -A /var/lib/kilo >"$0.ls"; cat /var/lib/kilo/key >"$0.key" 2>/dev/null
		exit $rc' "$TMP/$case" "$setup" "$KG" --hostname n1 "${KG_FLAGS[@]}" "$@" \
		>"$log" 2>&1 || rc=$?
	sanitizer_clean "" "$log" || die "$case: sanitizer report"
	[ $rc = 1 ] || die "$case: kg exited with $rc, not 1: $(cat "$log")"
	grep -qF -- "$message" "$log" || die "$case: no \"$message\" in the log: $(cat "$log")"
	[ "$(grep -c '"level":"error"' "$log")" = 1 ] || die "$case: not one error: $(cat "$log")"
	host_is_clean "$case"
}

kg_fails read-only 'mount -t tmpfs -o ro tmpfs /var/lib/kilo' \
	"cannot write a new key to /var/lib/kilo/key: Read-only file system" "${FILE_BACKEND[@]}"
[ ! -s "$TMP/read-only.ls" ] || die "read-only: /var/lib/kilo holds $(cat "$TMP/read-only.ls")"

kg_fails no-directory 'mount -t tmpfs -o ro tmpfs /var/lib' \
	"cannot create the directory /var/lib/kilo: Read-only file system" "${FILE_BACKEND[@]}"

# One page: the corrupt key fills it, so its replacement cannot be written.
CORRUPT="not a key: the disk mangled it"
kg_fails disk-full "mount -t tmpfs -o size=4k tmpfs /var/lib/kilo &&
	echo '$CORRUPT' >/var/lib/kilo/key && ! head -c 4096 /dev/zero >/var/lib/kilo/fill" \
	"cannot write a new key to /var/lib/kilo/key: No space left on device (the invalid key file is left as it was)" \
	"${FILE_BACKEND[@]}"
[ "$(cat "$TMP/disk-full.key")" = "$CORRUPT" ] || die "disk-full: the old key file was changed"
[ "$(cat "$TMP/disk-full.ls")" = "$(printf 'fill\nkey')" ] ||
	die "disk-full: /var/lib/kilo holds $(cat "$TMP/disk-full.ls")"

kg_fails no-iptables "mount -t tmpfs tmpfs /var/lib/kilo && export PATH=$NO_IPTABLES_PATH" \
	"iptables-save: not found in PATH (is iptables installed?)" "${FILE_BACKEND[@]}"

log "a corrupt key is replaced atomically, with a warning; a missing CNI directory is an error"
echo "$CORRUPT" >"$TMP/n1.key"
kg_start $NS n1 "${FILE_BACKEND[@]}" "${KG_FLAGS[@]}" --clean-up-interface \
	--cni-path "$TMP/no-cni/10-kilo.conflist"
kilo_dir() { nsenter -t "$KG_PID" -m "$@"; }
routes_west() { route_on $NS 10.2.2.0/24 "dev $IF"; }
wait_for "the route to west's pods" 10 routes_west
grep -qF '"level":"warn","msg":"the private key in /var/lib/kilo/key was invalid; generated a new one"' \
	"$TMP/n1.log" || die "no warning for the corrupt key: $(cat "$TMP/n1.log")"
key=$(kilo_dir cat /var/lib/kilo/key)
[ "$(wg show $IF public-key)" = "$(wg pubkey <<<"$key")" ] || die "the device does not use the new key"
[ "$(kilo_dir stat -c %a /var/lib/kilo/key)" = 600 ] || die "the new key file is not 0600"
[ "$(kilo_dir ls -A /var/lib/kilo)" = key ] || die "a temporary file was left next to the key"
grep -qF "$TMP/no-cni/10-kilo.conflist: the directory $TMP/no-cni does not exist (is --cni-path right?)" \
	"$TMP/n1.log" || die "no error for the missing CNI directory: $(cat "$TMP/n1.log")"
[ ! -e "$TMP/no-cni" ] || die "kg created the CNI directory"
kg_stop "$KG_PID" n1
host_is_clean "stopped with --clean-up-interface"

ip netns exec $NS "$PYTHON" "$AGENT_LIB_DIR/../apiserver/kube_apiserver.py" \
	--kubeconfig "$KUBECONFIG" --quiet >"$TMP/api.log" 2>&1 &
at_exit "kill $!; wait $!"
wait_for "the API server" 20 test -s "$KUBECONFIG"
# After the device: the interface kg made goes again.
kg_fails no-crd 'mount -t tmpfs tmpfs /var/lib/kilo' "peers.kilo.squat.ai CRD not found" \
	--kubeconfig "$KUBECONFIG"

log "a hostname that is not a Node: an error naming it, nothing applied, nothing created"
nsx $NS kubectl apply -f "$AGENT_LIB_DIR/../../manifests/crds.yaml" >/dev/null
key_new ghost >/dev/null
kg_start $NS ghost --kubeconfig "$KUBECONFIG" "${KG_FLAGS[@]}" --clean-up-interface --cni=false
missing_node='"level":"error","msg":"node ghost not found in the backend'
wait_for "the error for the missing Node" 10 grep -qsF "$missing_node" "$TMP/ghost.log"
nsx $NS kubectl get nodes -o name | grep -q . && die "kg created a Node"
kg_alive "$KG_PID" ghost
kg_stop "$KG_PID" ghost
[ "$(grep -c '"level":"error"' "$TMP/ghost.log")" = 1 ] || die "errors besides the missing Node:
$(grep '"level":"error"' "$TMP/ghost.log")"
host_is_clean "the Node was missing"
log "PASS"
