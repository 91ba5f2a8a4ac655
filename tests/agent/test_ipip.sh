#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# kg with Kilo's default --encapsulate always: a node with a private IP gets
# the IPIP tunnel tunl0 (up, MTU of its private interface less 20, the first
# IP of its pod CIDR), and gives that address back on clean-up. On a kernel
# without IPIP, kg stops at start-up with a clear error instead, as Kilo does.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

need_root
exclusive am-agent

lan_add
node_add n1 1
CLUSTER=$TMP/cluster.json
"$PYTHON" "$AGENT_LIB_DIR/cluster_file.py" "$CLUSTER" --every 10 \
	"n1,east,192.168.70.1:51820,192.168.70.1/24,10.2.1.0/24,$(cat "$TMP/n1.pub")" &
at_exit "kill $!"
wait_for "the cluster file" 10 test -s "$CLUSTER"

ns_add am-probe
if ! nsx am-probe ip link add amipip type ipip local 10.9.9.9 2>/dev/null; then
	log "no IPIP in this kernel: kg must refuse to start"
	rc=0
	ip netns exec am-n1 unshare --mount --propagation private sh -c '
		mount -t tmpfs -o mode=0700 tmpfs /var/lib/kilo && shift && exec "$@"' sh - \
		"$KG" --hostname n1 --backend file --cluster-file "$CLUSTER" --interface amk1 \
		--listen 127.0.0.1:1107 --cni=false >"$TMP/n1.log" 2>&1 || rc=$?
	[ $rc = 1 ] || die "kg exited $rc without IPIP; log: $(cat "$TMP/n1.log")"
	grep -q '"msg":"failed to create tunnel interface tunl0: ' "$TMP/n1.log" ||
		die "no clear error: $(cat "$TMP/n1.log")"
	log "PASS"
	exit 0
fi

kg_start am-n1 n1 --backend file --cluster-file "$CLUSTER" --interface amk1 \
	--listen 127.0.0.1:1107 --cni=false
tunnel_ready() {
	nsx am-n1 ip -o link show tunl0 | grep -q 'mtu 1480 .*UP\|UP.* mtu 1480' &&
		nsx am-n1 ip -o addr show dev tunl0 | grep -q 'inet 10.2.1.1/32'
}
wait_for "tunl0 up at MTU 1480 with 10.2.1.1/32" 20 tunnel_ready
kg_alive "$KG_PID" n1
kg_stop "$KG_PID" n1
nsx am-n1 ip -o addr show dev tunl0 | grep -q 'inet ' && die "tunl0 kept its address"
log "PASS"
