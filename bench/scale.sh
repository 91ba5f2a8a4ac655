#!/usr/bin/env bash
# bench/scale.sh - what a thousand peers (--peers N) cost kwg and kg: the time to configure
# them through UAPI (wg setconf, wg set, wg syncconf) and through kg's applier (a cluster file,
# and the test API server), the memory they take, and a thousand handshakes at once.
#
# Two namespaces joined by a veth: sc-k (10.79.0.1) holds the device under test, kwg or kg;
# sc-g (10.79.0.2) holds bench_scale, which acts as the N peers, peer i speaking from
# 10.81.0.(i+1) (the prefix is a local route of sc-g, routed back to it from sc-k). The peers'
# keys come from a seed, so the configurations and the generator agree without key files:
# `bench_scale keys N SEED 10.80.0.0/16` gives each peer's public key and allowed IP.
#
# Parts (default: all of them, in this order):
#   uapi       kwg with no peers: wg setconf with N peers, the same again (replace), wg syncconf
#              with nothing to change, wg show dump, one peer added and removed with wg set, all
#              removed by setconf, and N peers in one wg set; VmRSS before and after
#   handshake  kwg with the N peers; bench_scale sends all N initiations at once and retries
#              unanswered ones after 5 s (REKEY_TIMEOUT) as WireGuard does, then again with
#              retries after 1 s; the sessions' times, the device's counters and its RSS
#   kg         kg with the file backend and a cluster file of its node and N Peers: the time from
#              start to all N peers on the device and to all N routes, RSS, fds, the CPU of a
#              resync that changes nothing, one more Peer, then the N Peers' handshakes
#   kg-api     the same N Peers created in the test API server with kubectl, kg with a
#              kubeconfig: start to all N peers on the device, RSS
#
# Not a test: it prints figures and fails only if it cannot measure (or a peer is missing).
SRC=$(cd "$(dirname "$0")/.." && pwd)
export KILO_BIN=${KILO_BIN:-$SRC/build/release/cmd}
SCALE=${SCALE:-$(dirname "$KILO_BIN")/bench/bench_scale}
E=sc
. "$SRC/tests/e2e/lib.sh"

usage() {
	cat <<EOF
Usage: $0 [--peers N] [--seed SEED] [--logs DIR] [PART...]

  --peers N   how many peers (default 1000)
  --seed SEED the peers' keys (default kilo-bench-scale)
  --logs DIR  keep the daemons' logs in DIR (kg logs at --log-level all, kwg at verbose)
  PART...     uapi handshake kg kg-api (default: all)

Environment: KILO_BIN (the directory holding kwg, kg, kgctl; default build/release/cmd),
SCALE (bench_scale; default KILO_BIN/../bench/bench_scale), KWG, KG.
EOF
}

N=1000
SEED=kilo-bench-scale
LOGS=
PARTS=()
while [ $# -gt 0 ]; do
	case "$1" in
	--peers) N=${2:?--peers needs a count} && shift ;;
	--seed) SEED=${2:?--seed needs a string} && shift ;;
	--logs) LOGS=${2:?--logs needs a directory} && shift ;;
	-h | --help) usage && exit 0 ;;
	uapi | handshake | kg | kg-api) PARTS+=("$1") ;;
	*) usage >&2 && exit 2 ;;
	esac
	shift
done
[ ${#PARTS[@]} -gt 0 ] || PARTS=(uapi handshake kg kg-api)
[[ $N =~ ^[1-9][0-9]*$ ]] && [ "$N" -le 60000 ] || die "--peers: '$N' is not a count up to 60000"
PORT=51820
CLK_TCK=$(getconf CLK_TCK)

now() { echo "$EPOCHREALTIME"; }
since() { awk -v t0="$1" -v t1="$EPOCHREALTIME" 'BEGIN { printf "%.3f", t1 - t0 }'; }
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }
threads() { awk '/^Threads:/ { print $2 }' "/proc/$1/status"; }
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# figure PART WHAT VALUE: one line of the results.
figure() { printf '%-9s %-58s %s\n' "$1" "$2" "$3"; }

# timed PART WHAT CMD...: run CMD, print how long it took.
timed() {
	local part=$1 what=$2 t0
	shift 2
	t0=$(now)
	"$@" >/dev/null
	figure "$part" "$what" "$(since "$t0") s"
}

net_up() {
	ns_add sc-k sc-g
	veth_add sc-k eth0 sc-g eth0
	addr_add sc-k eth0 10.79.0.1/24
	addr_add sc-g eth0 10.79.0.2/24
	nsx sc-k ip route add 10.81.0.0/16 via 10.79.0.2
	nsx sc-g ip route add local 10.81.0.0/16 dev lo
	"$SCALE" keys "$N" "$SEED" 10.80.0.0/16 >"$TMP/keys"
	awk '{ printf "[Peer]\nPublicKey = %s\nAllowedIPs = %s/32\n\n", $1, $2 }' "$TMP/keys" \
		>"$TMP/peers.conf"
	printf '[Interface]\nListenPort = %s\n\n' $PORT | cat - "$TMP/peers.conf" >"$TMP/full.conf"
	printf '[Interface]\nListenPort = %s\n' $PORT >"$TMP/empty.conf"
	# What install-cni writes, for kg to give the pod CIDR.
	echo '{"cniVersion":"0.4.0","name":"kilo","plugins":[{"type":"bridge","bridge":"kube-bridge","ipam":{"type":"host-local"}}]}' \
		>"$TMP/k.conflist"
}

# (kg creates its device a moment after it starts: wg says so on stderr until then)
peer_count() { wg show "$1" peers 2>/dev/null | wc -l; }
session_count() { wg show "$1" latest-handshakes 2>/dev/null | awk '$2 > 0' | wc -l; }
has_peers() { [ "$(peer_count "$1")" -ge "$2" ]; }

# kwg_up IFNAME: a fresh kwg in sc-k (LOG_LEVEL=verbose: it logs its counters when it stops).
kwg_up() {
	key_new "$1" >/dev/null
	LOG_LEVEL=verbose daemon_start "$KWG" sc-k "$1"
	KWG_PID=$DAEMON_PID
	wg set "$1" private-key "$TMP/$1.key" listen-port $PORT
	nsx sc-k ip link set "$1" up
}

part_uapi() {
	local dev=scu0 args=()
	kwg_up $dev
	figure uapi "kwg VmRSS, no peers" "$(rss "$KWG_PID") kB"
	timed uapi "wg setconf, $N peers, on an empty device" wg setconf $dev "$TMP/full.conf"
	[ "$(peer_count $dev)" = "$N" ] || die "kwg holds $(peer_count $dev) peers, not $N"
	figure uapi "kwg VmRSS, $N peers" "$(rss "$KWG_PID") kB"
	timed uapi "wg setconf, the same $N peers again (replace)" wg setconf $dev "$TMP/full.conf"
	timed uapi "wg syncconf, the same $N peers (nothing to change)" wg syncconf $dev "$TMP/full.conf"
	timed uapi "wg show dump, $N peers" wg show $dev dump
	timed uapi "wg set: one more peer" wg set $dev peer "$(wg genkey | wg pubkey)" allowed-ips 10.80.255.1/32
	has_peers $dev $((N + 1)) || die "the peer added with wg set is missing"
	timed uapi "wg setconf, no peers: all $N removed" wg setconf $dev "$TMP/empty.conf"
	[ "$(peer_count $dev)" = 0 ] || die "kwg still holds $(peer_count $dev) peers"
	figure uapi "kwg VmRSS, all removed again" "$(rss "$KWG_PID") kB"
	# Four arguments a peer: past 10000 peers the command line would pass ARG_MAX.
	if [ "$N" -le 10000 ]; then
		mapfile -t args < <(awk '{ print "peer"; print $1; print "allowed-ips"; print $2 "/32" }' "$TMP/keys")
		timed uapi "wg set, $N peers in one command" wg set $dev "${args[@]}"
		[ "$(peer_count $dev)" = "$N" ] || die "kwg holds $(peer_count $dev) peers, not $N"
		figure uapi "kwg VmRSS, $N peers again" "$(rss "$KWG_PID") kB"
	fi
	daemon_stop "$KWG_PID" $dev
}

# swarm PART DEV PUB RETRY_MS: the N peers' handshakes with DEV (public key PUB) in sc-k.
swarm() {
	local part=$1 dev=$2 pub=$3 retry=$4 pid=$5 t0 before out
	before=$(ticks "$pid")
	t0=$(now)
	out=$(nsx sc-g "$SCALE" handshake 10.79.0.1:$PORT "$pub" "$N" "$SEED" 10.81.0.0/16 60 "$retry") ||
		die "$part: not every peer got a session: $out"
	wait_for "$dev to count $N sessions" 30 eval '[ "$(session_count '"$dev"')" = '"$N"' ]'
	figure "$part" "handshakes, retry after $retry ms: device CPU" \
		"$(awk -v t="$(($(ticks "$pid") - before))" -v hz="$CLK_TCK" -v s="$(since "$t0")" \
			'BEGIN { printf "%.2f s of CPU in %.1f s", t / hz, s }')"
	figure "$part" "  generator" "$out"
	awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
	END {
		printf "%-9s %-58s %s of %s in %.3f s, %.0f/s\n", part, "  sessions before any retry",
			v["burst"], v["peers"], v["burst_seconds"], v["burst_rate"]
		printf "%-9s %-58s %s in %.3f s from the first retry, %.0f/s\n", part,
			"  sessions in the wave of retries", v["wave"], v["wave_seconds"], v["wave_rate"]
		printf "%-9s %-58s first %.3f s, half %.3f s, 90%% %.3f s, all %.3f s\n", part,
			"  sessions at", v["first"], v["p50"], v["p90"], v["all"]
		printf "%-9s %-58s %.0f/s (%s initiations, %s cookie replies)\n", part,
			"  sessions per second until the last", v["peers"] / v["all"], v["initiations"],
			v["cookie_replies"]
	}' part="$part" <<<"$out"
	figure "$part" "  device VmRSS with $N sessions" "$(rss "$pid") kB"
}

part_handshake() {
	local dev retry
	for retry in 5000 1000; do
		dev=sch$((retry / 1000))
		kwg_up $dev
		wg setconf $dev "$TMP/full.conf"
		wg set $dev private-key "$TMP/$dev.key"
		swarm handshake $dev "$(cat "$TMP/$dev.pub")" $retry "$KWG_PID"
		daemon_stop "$KWG_PID" $dev
		figure handshake "  kwg's counters" \
			"$(grep -o 'handshake_dh=[0-9]*\|cookie_replies_sent=[0-9]*\|handshake_queue_full=[0-9]*' \
				"$TMP/$dev.log" | tr '\n' ' ')"
	done
}

# peers_json N: the first N peers as Kilo Peers, one JSON object a line (kubectl and kg's file
# backend both read such a stream).
peers_json() {
	awk -v n="$1" 'NR <= n { printf "{\"apiVersion\": \"kilo.squat.ai/v1alpha1\", \"kind\": \"Peer\", \"metadata\": {\"name\": \"scale-%05d\"}, \"spec\": {\"allowedIPs\": [\"%s/32\"], \"publicKey\": \"%s\"}}\n", NR, $2, $1 }' "$TMP/keys"
}

# cluster_file N: the node "k" (ready for the next hour, so that no one has to refresh the
# file) and N Peers, written as an editor would (rename).
cluster_file() {
	cat >"$TMP/cluster.tmp" <<-EOF
	{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "k",
	 "labels": {"topology.kubernetes.io/region": "bench"},
	 "annotations": {"kilo.squat.ai/key": "$(cat "$TMP/k.pub")",
	  "kilo.squat.ai/endpoint": "10.79.0.1:$PORT", "kilo.squat.ai/internal-ip": "10.79.0.1/24",
	  "kilo.squat.ai/last-seen": "$(($(date +%s) + 3600))", "kilo.squat.ai/granularity": "location"}},
	 "spec": {"podCIDR": "10.2.1.0/24"}}
	EOF
	peers_json "$1" >>"$TMP/cluster.tmp"
	mv "$TMP/cluster.tmp" "$TMP/cluster.json"
}

# idle PART PID LOG WHAT: kg's CPU over 20 s in which nothing changes but its resyncs (every
# 5 s), and how often it published its own node meanwhile (it should not: nothing changed).
idle() {
	local part=$1 pid=$2 log=$3 before published rss0
	before=$(ticks "$pid")
	published=$(grep -c 'reconciled local node' "$log" || true)
	rss0=$(rss "$pid")
	sleep 20
	figure "$part" "kg CPU for 20 s of resyncs, $4" \
		"$(awk -v t="$(($(ticks "$pid") - before))" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f s", t / hz }'), $(($(grep -c 'reconciled local node' "$log" || true) - published)) publications of its node, VmRSS $rss0 -> $(rss "$pid") kB"
}

# kg_configured PART DEV PID T0: the time from T0 to N peers on DEV and N routes through it.
kg_configured() {
	local part=$1 dev=$2 pid=$3 t0=$4
	wait_for "kg's $N peers on $dev" 600 has_peers "$dev" "$N"
	figure "$part" "kg start to $N peers on the device" "$(since "$t0") s"
	wait_for "kg's routes on $dev" 600 eval '[ "$(nsx sc-k ip route show table all dev '"$dev"' | grep -c "^10\.80\.")" -ge '"$N"' ]'
	figure "$part" "kg start to $N routes through it" "$(since "$t0") s"
	figure "$part" "kg VmRSS, open fds, threads" "$(rss "$pid") kB, $(fds "$pid"), $(threads "$pid")"
}

part_kg() {
	local dev=sck1 t0 before pub
	key_new k >/dev/null
	cluster_file "$N"
	t0=$(now)
	kg_start sc-k k --backend file --cluster-file "$TMP/cluster.json" --interface $dev \
		--listen 127.0.0.1:1107 --encapsulate never --cni-path "$TMP/k.conflist" --resync-period 5s
	kg_configured kg $dev "$KG_PID" "$t0"
	idle kg "$KG_PID" "$TMP/k.log" "no sessions"
	pub=$(wg genkey | wg pubkey)
	printf '%s 10.80.255.1\n' "$pub" >>"$TMP/keys"
	t0=$(now)
	cluster_file $((N + 1))
	wait_for "Peer $((N + 1)) on $dev" 600 eval "wg show $dev peers | grep -qxF '$pub'"
	figure kg "one more Peer in the file to the device" "$(since "$t0") s"
	sed -i '$d' "$TMP/keys"
	cluster_file "$N"
	wait_for "Peer $((N + 1)) gone from $dev" 600 eval "! wg show $dev peers | grep -qxF '$pub'"
	swarm kg $dev "$(cat "$TMP/k.pub")" 5000 "$KG_PID"
	idle kg "$KG_PID" "$TMP/k.log" "with $N sessions"
	t0=$(now)
	kg_stop "$KG_PID" k
	figure kg "kg stop (SIGTERM, clean-up)" "$(since "$t0") s"
	nsx sc-k ip link del $dev 2>/dev/null || true
}

part_kg_api() {
	local dev=sck2 t0
	key_new k >/dev/null
	e2e_cluster_start c1
	k c1 create -f - >/dev/null <<-EOF
	{"apiVersion": "v1", "kind": "Node",
	 "metadata": {"name": "k", "labels": {"topology.kubernetes.io/region": "bench"}},
	 "spec": {"podCIDR": "10.2.1.0/24"}}
	EOF
	peers_json "$N" >"$TMP/peers.json"
	timed kg-api "kubectl create, $N Peers" k c1 create -f "$TMP/peers.json"
	e2e_api_proxy c1 k
	t0=$(now)
	kg_start sc-k k --kubeconfig "$TMP/c1.kubeconfig" --interface $dev --listen 127.0.0.1:1107 \
		--encapsulate never --cni-path "$TMP/k.conflist" --resync-period 5s
	kg_configured kg-api $dev "$KG_PID" "$t0"
	idle kg-api "$KG_PID" "$TMP/k.log" "no sessions"
	swarm kg-api $dev "$(cat "$TMP/k.pub")" 5000 "$KG_PID"
	idle kg-api "$KG_PID" "$TMP/k.log" "with $N sessions"
	t0=$(now)
	kg_stop "$KG_PID" k
	figure kg-api "kg stop (SIGTERM, clean-up)" "$(since "$t0") s"
	nsx sc-k ip link del $dev 2>/dev/null || true
}

main() {
	local part
	need_root
	exclusive sc
	for part in "$KWG" "$KG" "$SCALE"; do
		[ -x "$part" ] || die "no $part: build it (bash scripts/build.sh release) or set KILO_BIN"
	done
	echo "machine:  $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, Linux $(uname -r)"
	echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at start"
	echo "tree:     $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown), $KILO_BIN"
	echo "peers:    $N"
	[ -z "$LOGS" ] || { mkdir -p "$LOGS" && at_exit "cp $TMP/*.log $LOGS/"; }
	net_up
	echo
	for part in "${PARTS[@]}"; do
		"part_${part//-/_}"
	done
	echo
	echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the end"
}

main
