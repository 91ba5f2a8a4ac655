# vm-kg.sh - inside the kernel VM (busybox sh, with iproute2's ip packed in by
# kg.sh): nodes as network namespaces on the VM's LAN, pods on their nodes,
# and kg on them. Packed as /bin/kv-kg.sh; each vm_exec sources it.
#
#   ip ...               iproute2's ip (the name alone runs busybox's applet)
#   kv_kg_setup          load the modules kg needs (/etc/modules.kg), the
#                        legacy iptables under the names kg calls (no nft:
#                        kg's auto backend finds legacy alone), the LAN
#                        bridge vmlan 192.168.80.254/24 and forwarding
#   kv_node NAME I POD [PUBLIC]
#                        namespace NAME on vmlan as 192.168.80.I/24 (default
#                        route via .254), forwarding on, and PUBLIC/32 on its
#                        eth0 (routed to it, the source of what it sends
#                        out, so its endpoint); pod namespace pNAME
#                        with POD.2/24 on NAME's kube-bridge POD.1/24; the CNI
#                        conflist install-cni would write; /kv/NAME for kg
#   kv_kg NAME ARGS...   kg on NAME in the background, /var/lib/kilo being
#                        /kv/NAME (the key stays for a restart), log appended
#                        to /kv/NAME/log, pid in /kv/NAME/pid, /metrics on
#                        the node's 127.0.0.1:1107
#   kv_metrics NAME      kg's /metrics on NAME
#   kv_kill NAME [SIG]   signal kg on NAME (TERM), wait until it is gone
#   kv_cluster_refresh   the file backend's /kv/cluster.json, kept fresh

ip() { /usr/sbin/ip "$@"; }

kv_kg_setup() {
	local m
	for m in $(cat /etc/modules.kg); do
		insmod "/lib/modules/$m" || { echo "insmod $m failed"; return 1; }
	done
	# Plain and -legacy names: kg's --iptables-backend=auto looks for both backends.
	for m in iptables ip6tables; do
		for n in "$m" "$m-save" "$m-restore" "$m-legacy" "$m-legacy-save" "$m-legacy-restore"; do
			ln -sf xtables-legacy-multi "/bin/$n"
		done
	done
	mkdir -p /var/lib/kilo /run /kv
	ip link add vmlan type bridge &&
		ip addr add 192.168.80.254/24 dev vmlan &&
		ip link set vmlan up &&
		echo 1 > /proc/sys/net/ipv4/ip_forward
}

kv_node() {
	local name=$1 i=$2 pod=$3 public=${4:-}
	ip netns add "$name" && ip -n "$name" link set lo up &&
		ip link add "v$name" type veth peer name eth0 netns "$name" &&
		ip link set "v$name" master vmlan up &&
		ip -n "$name" addr add "192.168.80.$i/24" dev eth0 &&
		ip -n "$name" link set eth0 up &&
		ip netns exec "$name" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward' || return 1
	if [ -n "$public" ]; then
		ip -n "$name" addr add "$public/32" dev eth0 &&
			ip -n "$name" route add default via 192.168.80.254 src "$public" &&
			ip route add "$public/32" via "192.168.80.$i" || return 1
	else
		ip -n "$name" route add default via 192.168.80.254 || return 1
	fi
	ip netns add "p$name" && ip -n "p$name" link set lo up &&
		ip -n "$name" link add kube-bridge type bridge &&
		ip -n "$name" addr add "$pod.1/24" dev kube-bridge &&
		ip -n "$name" link set kube-bridge up &&
		ip -n "$name" link add "vp$name" type veth peer name eth0 netns "p$name" &&
		ip -n "$name" link set "vp$name" master kube-bridge up &&
		ip -n "p$name" addr add "$pod.2/24" dev eth0 &&
		ip -n "p$name" link set eth0 up &&
		ip -n "p$name" route add default via "$pod.1" || return 1
	mkdir -p "/kv/$name" && chmod 700 "/kv/$name"
	printf '%s\n' '{"cniVersion":"0.4.0","name":"kilo","plugins":[{"type":"bridge",' \
		'"bridge":"kube-bridge","ipam":{"type":"host-local"}}]}' > "/kv/$name/10-kilo.conflist"
}

kv_kg() {
	local name=$1
	shift
	rm -f "/kv/$name/pid"
	# ip netns exec and sh exec: the pid sh writes is kg's.
	setsid /usr/sbin/ip netns exec "$name" sh -c \
		'mount -o bind "/kv/$0" /var/lib/kilo && echo $$ > "/kv/$0/pid" && exec kg "$@"' \
		"$name" --hostname "$name" --log-level all --listen 127.0.0.1:1107 \
		--cni-path "/kv/$name/10-kilo.conflist" "$@" \
		>> "/kv/$name/log" 2>&1 < /dev/null &
	for _ in $(seq 100); do [ -s "/kv/$name/pid" ] && return; sleep 0.1; done
	return 1
}

kv_metrics() {
	ip netns exec "$1" wget -q -O - http://127.0.0.1:1107/metrics
}

kv_kill() {
	local pid
	pid=$(cat "/kv/$1/pid") || return 1
	kill "-${2:-TERM}" "$pid" || return 1
	# Gone, or a zombie until init reaps it.
	while [ -d "/proc/$pid" ] && [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2> /dev/null)" != Z ]; do
		sleep 0.1
	done
}

# kv_cluster_refresh: /kv/cluster.json from /kv/cluster.tmpl with last-seen
# now, again every 10 s (the file backend's other nodes stay ready, as their
# agents' check-ins would keep them); in the background.
kv_cluster_refresh() {
	setsid sh -c 'while true; do
		sed "s/@NOW@/$(date +%s)/" /kv/cluster.tmpl > /kv/cluster.tmp &&
			mv /kv/cluster.tmp /kv/cluster.json
		sleep 10
	done' > /dev/null 2>&1 < /dev/null &
	while [ ! -s /kv/cluster.json ]; do sleep 0.1; done
}
