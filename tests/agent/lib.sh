# Helpers for the agent tests: nodes as network namespaces, each running kg
# in a mount namespace of its own so that /var/lib/kilo (the key) is private
# to the node, pods as namespaces on a node's bridge. Builds on the interop
# helpers (namespaces, cleanup at exit, wait_for).
# shellcheck source=../interop/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../interop/lib.sh"

AGENT_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KG=${KG:-$KILO_BIN/kg}

# kg_start NS NAME ARGS...: run kg in NS with a private tmpfs on
# /var/lib/kilo holding $TMP/NAME.key (so the test knows the node's public
# key before the node starts; without that file kg makes its own key); log
# in $TMP/NAME.log. Sets KG_PID.
kg_start() {
	local ns=$1 name=$2
	shift 2
	mkdir -p /var/lib/kilo
	# ip, unshare and sh all exec: $! is kg itself.
	ip netns exec "$ns" unshare --mount --propagation private sh -c '
		mount -t tmpfs -o mode=0700 tmpfs /var/lib/kilo &&
		{ [ ! -e "$1" ] || cp "$1" /var/lib/kilo/key; } && shift && exec "$@"' sh \
		"$TMP/$name.key" "$KG" --hostname "$name" --log-level all "$@" \
		>"$TMP/$name.log" 2>&1 &
	KG_PID=$!
	supervise "$KG_PID" "$TMP/$name.log"
}

# log_count NAME TEXT: the lines of kg's log on NAME that hold TEXT (0 if
# none; a missing log fails).
log_count() { grep -c "$2" "$TMP/$1.log" || [ $? = 1 ]; }

# quiet_resyncs NAME: over 8 s of kg's resyncs (two or more at --resync-period 3s) with
# nothing changed, NAME writes no route and no iptables rule.
quiet_resyncs() {
	local routes rules
	sleep 4
	routes=$(log_count "$1" 'routes updated')
	rules=$(log_count "$1" 'iptables rules updated')
	sleep 8
	[ "$(log_count "$1" 'routes updated')" = "$routes" ] ||
		die "$1 rewrote routes on a resync without change"
	[ "$(log_count "$1" 'iptables rules updated')" = "$rules" ] ||
		die "$1 rewrote iptables rules on a resync without change"
}

# kg_alive PID NAME: fail unless kg is still running.
kg_alive() { daemon_alive "$1" "$2" kg; }

# kg_stop PID NAME: on SIGTERM kg must clean up and exit 0 without a
# sanitizer report.
kg_stop() {
	kill -TERM "$1"
	daemon_exited "$1" "$2" kg
}

# http NS URL: the body of a GET from inside NS; fails on a non-2xx status.
http() {
	nsx "$1" curl -sf --max-time 10 "$2"
}

# http_status NS URL: the status code of a GET from inside NS.
http_status() {
	nsx "$1" curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$2"
}

# pod_add NODE_NS POD_NS BRIDGE POD_CIDR_PREFIX: a pod namespace on the
# node's bridge, first address of the pod CIDR on the bridge (the gateway),
# the second on the pod, e.g. PREFIX 10.2.1 gives 10.2.1.1 and 10.2.1.2.
pod_add() {
	local node=$1 pod=$2 bridge=$3 prefix=$4
	ns_add "$pod"
	nsx "$node" ip link add "$bridge" type bridge
	nsx "$node" ip addr add "$prefix.1/24" dev "$bridge"
	nsx "$node" ip link set "$bridge" up
	ip link add eth0 netns "$pod" type veth peer name "v$pod" netns "$node"
	nsx "$node" ip link set "v$pod" master "$bridge" up
	nsx "$pod" ip addr add "$prefix.2/24" dev eth0
	nsx "$pod" ip link set eth0 up
	nsx "$pod" ip route add default via "$prefix.1"
}

# lan_add: the switch namespace am-sw, a bridge joining the nodes' eth0 on
# 192.168.70.0/24; the switch itself is 192.168.70.254 (where an API server
# for the nodes can listen).
lan_add() {
	ns_add am-sw
	nsx am-sw ip link add amsw type bridge
	nsx am-sw ip addr add 192.168.70.254/24 dev amsw
	nsx am-sw ip link set amsw up
}

# node_add NAME I: node namespace am-NAME on the LAN as 192.168.70.I/24,
# forwarding, with pod am-pI (10.2.I.2 on its kube-bridge 10.2.I.1/24), a
# key in $TMP/NAME.key (public key in $TMP/NAME.pub) and the conflist
# install-cni would write, without a range yet, in $TMP/cni-NAME.
node_add() {
	local name=$1 i=$2
	ns_add "am-$name"
	ip link add eth0 netns "am-$name" type veth peer name "ams$i" netns am-sw
	nsx am-sw ip link set "ams$i" master amsw up
	nsx "am-$name" ip addr add "192.168.70.$i/24" dev eth0
	nsx "am-$name" ip link set eth0 up
	nsx "am-$name" sysctl -qw net.ipv4.ip_forward=1
	pod_add "am-$name" "am-p$i" kube-bridge "10.2.$i"
	key_new "$name" >/dev/null
	mkdir -p "$TMP/cni-$name"
	cat >"$TMP/cni-$name/10-kilo.conflist" <<-EOF
	{"cniVersion":"0.4.0","name":"kilo","plugins":[{"type":"bridge","bridge":"kube-bridge",
	 "ipam":{"type":"host-local"}},{"type":"portmap","capabilities":{"portMappings":true}}]}
	EOF
}

# route_on NS DESTINATION TEXT: the route to DESTINATION in NS mentions TEXT.
route_on() { nsx "$1" ip route show "$2" | grep -q "$3"; }
