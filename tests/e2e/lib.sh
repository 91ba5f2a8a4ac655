# SPDX-License-Identifier: MIT
#
# The multi-cloud cluster of the demo (scripts/demo.sh) and the e2e tests,
# built out of network namespaces on this machine. Every name starts with
# $E (default "ee"): namespaces $E-*, links $E*, WireGuard devices ${E}kN.
#
#   underlay   $E-rt routes between the clouds' gateways $E-gwa (LAN
#              172.16.1.0/24) and $E-gwb (172.16.2.0/24), whose nodes
#              have public addresses 198.51.100.I (the LANs themselves
#              are private, not routed from outside), the NAT router
#              $E-nat (LAN 192.168.50.0/24 masqueraded behind 10.99.3.2,
#              not routed from outside) and the laptop $E-lap (10.99.4.2).
#              The link "between the clouds" is ${E}ra, $E-rt's side
#              of cloud a's uplink.
#   nodes      e2e_node_add NAME SITE I: namespace $E-NAME on SITE's LAN
#              (a, b or nat) as .I (and 198.51.100.I in a cloud), pod $E-pNAME with 10.2.I.2 on the
#              node's kube-bridge, a key; e2e_node_join CLUSTER NAME
#              LOCATION [kg flags]: the Node object and kg;
#              e2e_kg_start CLUSTER NAME [kg flags]: kg again (after a kill).
#   clusters   e2e_cluster_start C: a test API server on the host's
#              loopback, with kubeconfig $TMP/C.kubeconfig; each node
#              reaches it on its own loopback through apiproxy.py, so the
#              control plane never crosses the clouds' links.
#   laptop     e2e_laptop_join C NAME: a kwg device ${E}k9 in $E-lap,
#              connected as the Kilo Peer NAME with the kgctl showconf
#              peer configuration; e2e_laptop_connect C NAME ADDR
#              [LAPTOP]: the same in one command, kgctl connect
#              (interface ${E}kc), in $E-lap or in $E-LAPTOP, another
#              laptop that e2e_laptop_add LAPTOP I puts at 10.99.I.2.
#
# e2e_cluster GRANULARITY builds the whole thing the demo shows: cloud a
# (a1, a2), cloud b (b1, b2), n1 behind NAT with persistent-keepalive,
# and the laptop, all in cluster "c1".
# shellcheck source=../agent/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../agent/lib.sh"

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E=${E:-ee}
KGCTL=${KGCTL:-$KILO_BIN/kgctl}
KWG_LAPTOP=${E}k9
CONNECT_LAPTOP=${E}kc
LAPTOP_IP=10.5.0.1
# Kilo's CRDs: manifests/ holds them (tests/apiserver/ did before).
CRDS=$E2E_DIR/../../manifests/crds.yaml
[ -f "$CRDS" ] || CRDS=$E2E_DIR/../apiserver/crds.yaml
# The nodes of e2e_cluster.
NODES=(a1 a2 b1 b2 n1)
declare -gA NODE_IDX NODE_PID NODE_CLUSTER
declare -gA SITE_NET=([a]=172.16.1 [b]=172.16.2 [nat]=192.168.50)
declare -gA SITE_NS=([a]=$E-gwa [b]=$E-gwb [nat]=$E-nat)
declare -gA SITE_UPLINK=([a]=10.99.1.2 [b]=10.99.2.2)

# e2e_setup [TOOL...]: root, the lock on $E, kubectl and the TOOLs.
e2e_setup() {
	local tool
	need_root
	exclusive "$E"
	for tool in kubectl "$@"; do
		command -v "$tool" >/dev/null || die "$tool is missing"
	done
}

# e2e_uplink NS IF ADDR RTIF RTADDR: NS's link to the router $E-rt.
e2e_uplink() {
	veth_add "$1" "$2" "$E-rt" "$4"
	addr_add "$1" "$2" "$3/30"
	addr_add "$E-rt" "$4" "$5/30"
	nsx "$1" ip route add default via "$5"
}

# e2e_lan NS NET: a bridge ${E}lan with NET.254/24 in NS, forwarding on.
e2e_lan() {
	nsx "$1" ip link add "${E}lan" type bridge
	addr_add "$1" "${E}lan" "$2.254/24"
	nsx "$1" ip link set "${E}lan" up
	nsx "$1" sysctl -qw net.ipv4.ip_forward=1
}

e2e_underlay() {
	ns_add "$E-rt" "$E-gwa" "$E-gwb" "$E-nat" "$E-lap"
	nsx "$E-rt" sysctl -qw net.ipv4.ip_forward=1
	e2e_uplink "$E-gwa" "${E}up" 10.99.1.2 "${E}ra" 10.99.1.1
	e2e_uplink "$E-gwb" "${E}up" 10.99.2.2 "${E}rb" 10.99.2.1
	e2e_uplink "$E-nat" "${E}wan" 10.99.3.2 "${E}rn" 10.99.3.1
	e2e_uplink "$E-lap" eth0 10.99.4.2 "${E}rl" 10.99.4.1
	e2e_lan "$E-gwa" 172.16.1
	e2e_lan "$E-gwb" 172.16.2
	e2e_lan "$E-nat" 192.168.50
	nsx "$E-nat" iptables -t nat -A POSTROUTING -o "${E}wan" -j MASQUERADE
}

# e2e_public_ip NS SITE ADDR: a cloud node's public address, routed to it
# from the outside (as a cloud's 1:1 NAT would) and the source of what it
# sends out, so that its WireGuard endpoint is never its private IP, which
# other clusters route into the mesh (multi-cluster).
e2e_public_ip() {
	addr_add "$1" eth0 "$3/32"
	nsx "$1" ip route add default via "${SITE_NET[$2]}.254" src "$3"
	nsx "${SITE_NS[$2]}" ip route add "$3/32" dev "${E}lan"
	nsx "$E-rt" ip route add "$3/32" via "${SITE_UPLINK[$2]}"
}

# e2e_node_add NAME SITE I
e2e_node_add() {
	local name=$1 site=$2 i=$3 ns=$E-$1
	ns_add "$ns"
	ip link add eth0 netns "$ns" type veth peer name "${E}s$i" netns "${SITE_NS[$site]}"
	nsx "${SITE_NS[$site]}" ip link set "${E}s$i" master "${E}lan" up
	addr_add "$ns" eth0 "${SITE_NET[$site]}.$i/24"
	nsx "$ns" ip link set eth0 up
	if [ "$site" = nat ]; then
		nsx "$ns" ip route add default via "${SITE_NET[$site]}.254"
	else
		e2e_public_ip "$ns" "$site" "198.51.100.$i"
	fi
	nsx "$ns" sysctl -qw net.ipv4.ip_forward=1
	pod_add "$ns" "$E-p$name" kube-bridge "10.2.$i"
	key_new "$name" >/dev/null
	# What install-cni writes; kg adds the pod CIDR and, because it manages
	# the CNI, masquerades what the pods send outside the mesh.
	cat >"$TMP/$name.conflist" <<-EOF
	{"cniVersion":"0.4.0","name":"kilo","plugins":[{"type":"bridge","bridge":"kube-bridge",
	 "ipam":{"type":"host-local"}},{"type":"portmap","capabilities":{"portMappings":true}}]}
	EOF
	NODE_IDX[$name]=$i
}

k() {
	local c=$1
	shift
	KUBECONFIG=$TMP/$c.kubeconfig KUBECACHEDIR=$TMP/$c.kube-cache kubectl "$@"
}

kgctl() {
	local c=$1
	shift
	"$KGCTL" --kubeconfig "$TMP/$c.kubeconfig" "$@"
}

# e2e_api_port C: the port of C's API server (the same inside every node).
e2e_api_port() {
	local url
	url=$(cat "$TMP/$1.url")
	echo "${url##*:}"
}

# e2e_cluster_start C [server flags]
e2e_cluster_start() {
	local c=$1
	shift
	rm -f "$TMP/$c.kubeconfig" "$TMP/$c.url"
	PYTHONDONTWRITEBYTECODE=1 "$PYTHON" "$E2E_DIR/../apiserver/kube_apiserver.py" \
		--kubeconfig "$TMP/$c.kubeconfig" --url-file "$TMP/$c.url" --quiet "$@" \
		>>"$TMP/$c.api.log" 2>&1 &
	echo $! >"$TMP/$c.api.pid"
	at_exit "kill $!; wait $!"
	wait_for "the API server of $c" 20 test -s "$TMP/$c.url"
	k "$c" apply -f "$CRDS" >/dev/null
}

# e2e_api_proxy C NAME: C's API server on the loopback of node NAME.
e2e_api_proxy() {
	local log=$TMP/$2.proxy.log
	"$PYTHON" "$E2E_DIR/apiproxy.py" "$E-$2" "$(e2e_api_port "$1")" >"$log" 2>&1 &
	echo $! >"$TMP/$2.proxy.pid"
	at_exit "kill $!; wait $!"
	wait_for "the API proxy of $2" 10 grep -qs ready "$log"
}

# e2e_node_join C NAME LOCATION [kg flags...]: registers the Node (its
# location label, its pod CIDR) and starts kg on it.
e2e_node_join() {
	local c=$1 name=$2 location=$3 i=${NODE_IDX[$2]}
	shift 3
	k "$c" create -f - >/dev/null <<-EOF
	{"apiVersion": "v1", "kind": "Node",
	 "metadata": {"name": "$name", "labels": {"topology.kubernetes.io/region": "$location"}},
	 "spec": {"podCIDR": "10.2.$i.0/24"}}
	EOF
	e2e_api_proxy "$c" "$name"
	e2e_kg_start "$c" "$name" "$@"
}

# e2e_kg_start C NAME [kg flags...]: kg on node NAME of cluster C (again,
# after it was killed: same flags, same key, the log in $TMP/NAME.log anew).
e2e_kg_start() {
	local c=$1 name=$2 i=${NODE_IDX[$2]}
	shift 2
	kg_start "$E-$name" "$name" --kubeconfig "$TMP/$c.kubeconfig" --interface "${E}k$i" \
		--listen 127.0.0.1:1107 --encapsulate never --cni-path "$TMP/$name.conflist" --resync-period 5s "$@"
	NODE_PID[$name]=$KG_PID
	NODE_CLUSTER[$name]=$c
}

# e2e_stop NAME...: SIGTERM to kg on every NAME at once (each takes seconds
# to clean up); each must exit 0 without a sanitizer report.
e2e_stop() {
	local n
	for n in "$@"; do kill -TERM "${NODE_PID[$n]}"; done
	for n in "$@"; do daemon_exited "${NODE_PID[$n]}" "$n" kg; done
}

# e2e_stop_all: kg still runs on every node of NODES, and then stops cleanly.
e2e_stop_all() {
	local n
	for n in "${NODES[@]}"; do kg_alive "${NODE_PID[$n]}" "$n"; done
	e2e_stop "${NODES[@]}"
}

annotation() {
	k "${NODE_CLUSTER[$1]}" get node "$1" -o "jsonpath={.metadata.annotations.kilo\.squat\.ai/$2}"
}
has_annotation() { [ -n "$(annotation "$1" "$2")" ]; }

# ping_start NAME FROM TO: pod of FROM pings pod of TO, timestamped, every
# $PING_INTERVAL s (the test's, else 0.2).
ping_start() {
	ip netns exec "$E-p$2" ping -D -n -i ${PING_INTERVAL:-0.2} -W 1 "10.2.${NODE_IDX[$3]}.2" \
		>"$TMP/ping-$1" 2>&1 &
	echo $! >"$TMP/ping-$1.pid"
	at_exit "kill $!"
}

# ping_stop NAME: sets SENT, LOST and GAP, the longest silence between replies (s).
ping_stop() {
	local pid
	pid=$(cat "$TMP/ping-$1.pid")
	kill "$pid"
	reap "$pid" TERM
	read -r SENT LOST GAP < <(awk -F'[][ =]+' '
		/icmp_seq=/ {
			for (i = 1; i < NF; i++) if ($i == "icmp_seq") seq = $(i + 1)
			if (last && $2 - last > gap) gap = $2 - last
			last = $2
			got++
		}
		END { printf "%d %d %.1f\n", seq, seq - got, gap }' "$TMP/ping-$1")
}

# e2e_leader NAME: whether kg on NAME says it leads its location.
# (grep reads all of it: one that quits early makes curl fail under pipefail)
e2e_leader() { grep -q '^kilo_leader 1$' <<<"$(http "$E-$1" http://127.0.0.1:1107/metrics)"; }

# e2e_leader_among NAME...: the first of the NAMEs that leads.
e2e_leader_among() {
	local n
	for n in "$@"; do
		e2e_leader "$n" && echo "$n" && return
	done
	die "none of $* leads"
}

# e2e_peers_are NAME PEER...: of the nodes of NODES, kgctl's configuration
# of node NAME has a peer for every PEER and for no other.
e2e_peers_are() {
	local name=$1 conf n key
	shift
	conf=$(kgctl "${NODE_CLUSTER[$name]}" showconf node "$name")
	for n in "${NODES[@]}"; do
		key="PublicKey = $(cat "$TMP/$n.pub")"
		if [[ " $* " = *" $n "* ]]; then
			grep -qF "$key" <<<"$conf" || die "$name has no peer for $n: $conf"
		elif [ "$n" != "$name" ]; then
			! grep -qF "$key" <<<"$conf" || die "$name peers with $n: $conf"
		fi
	done
}

# e2e_pods_reach [-6] NAME...: every listed node's pod pings every other's
# (with -6 over IPv6, at fd00:2:I::2).
e2e_pods_reach() {
	local from to six= addr
	[ "$1" != -6 ] || { six=1 && shift; }
	for from in "$@"; do
		for to in "$@"; do
			[ "$from" = "$to" ] && continue
			addr=10.2.${NODE_IDX[$to]}.2
			[ -z "$six" ] || addr=fd00:2:${NODE_IDX[$to]}::2
			wait_for "pod of $from -> pod of $to${six:+ over IPv6}" 60 \
				nsx "$E-p$from" ping ${six:+-6} -q -c 1 -W 1 "$addr"
		done
	done
}

# e2e_laptop_join C NAME: the laptop as Kilo Peer NAME of cluster C, its
# configuration from kgctl showconf peer, routes to the pods and the mesh.
e2e_laptop_join() {
	local c=$1 name=$2
	key_new "$name" >/dev/null
	daemon_start "$KWG" "$E-lap" "$KWG_LAPTOP"
	k "$c" apply -f - >/dev/null <<-EOF
	{"apiVersion": "kilo.squat.ai/v1alpha1", "kind": "Peer", "metadata": {"name": "$name"},
	 "spec": {"allowedIPs": ["$LAPTOP_IP/32"], "publicKey": "$(cat "$TMP/$name.pub")",
	          "persistentKeepalive": 10}}
	EOF
	e2e_laptop_configure "$c" "$name"
	wg set "$KWG_LAPTOP" private-key "$TMP/$name.key"
	wg_if_up "$E-lap" "$KWG_LAPTOP" "$LAPTOP_IP/32"
	nsx "$E-lap" ip route add 10.2.0.0/16 dev "$KWG_LAPTOP"
	nsx "$E-lap" ip route add 10.4.0.0/16 dev "$KWG_LAPTOP"
}

# e2e_laptop_configure C NAME: what kgctl says the Peer's side of the mesh
# is, fed to wg setconf (which keeps the device's private key).
e2e_laptop_configure() {
	kgctl "$1" showconf peer "$2" >"$TMP/$2.conf"
	wg setconf "$KWG_LAPTOP" "$TMP/$2.conf"
}

# e2e_laptop_add LAPTOP I: another laptop, namespace $E-LAPTOP at 10.99.I.2.
e2e_laptop_add() {
	ns_add "$E-$1"
	e2e_uplink "$E-$1" eth0 "10.99.$2.2" "${E}r$2" "10.99.$2.1"
}

# e2e_laptop_connect C NAME ADDR [LAPTOP]: `kgctl connect NAME` on the laptop
# (lap unless LAPTOP), which creates the Peer NAME (allowed IP ADDR/32)
# unless it exists, its interface $CONNECT_LAPTOP and its routes, and keeps
# them in sync; returns once the Peer is there. Sets CONNECT_PID.
e2e_laptop_connect() {
	local c=$1 name=$2 addr=$3 laptop=${4:-lap}
	[ -s "$TMP/$laptop.proxy.pid" ] || e2e_api_proxy "$c" "$laptop"
	# Not through nsx: $! must be kgctl itself (ip execs it).
	ip netns exec "$E-$laptop" "$KGCTL" --kubeconfig "$TMP/$c.kubeconfig" connect "$name" \
		--interface "$CONNECT_LAPTOP" --allowed-ip "$addr/32" --resync-period 5s \
		>"$TMP/$name.log" 2>&1 &
	CONNECT_PID=$!
	supervise "$CONNECT_PID" "$TMP/$name.log"
	wait_for "the Peer $name" 10 e2e_connect_ready "$c" "$name"
}

# e2e_connect_ready C NAME: the Peer is there, or kgctl connect died trying.
e2e_connect_ready() {
	daemon_alive "$CONNECT_PID" "$2" "kgctl connect"
	k "$1" get peer "$2" >/dev/null 2>&1
}

# e2e_cluster GRANULARITY: the demo's cluster "c1", every pod reachable.
e2e_cluster() {
	local g=$1 n
	e2e_underlay
	e2e_node_add a1 a 1
	e2e_node_add a2 a 2
	e2e_node_add b1 b 3
	e2e_node_add b2 b 4
	e2e_node_add n1 nat 5
	e2e_cluster_start c1
	for n in a1 a2; do e2e_node_join c1 "$n" cloud-a --mesh-granularity "$g"; done
	for n in b1 b2; do e2e_node_join c1 "$n" cloud-b --mesh-granularity "$g"; done
	e2e_node_join c1 n1 home --mesh-granularity "$g"
	k c1 annotate node n1 kilo.squat.ai/persistent-keepalive=5 >/dev/null
	for n in a1 a2 b1 b2 n1; do
		wait_for "$n's key annotation" 30 has_annotation "$n" key
	done
	e2e_laptop_join c1 laptop
}
