# Shared helpers for tests that build small networks out of network
# namespaces joined by veth and run userspace WireGuard daemons in them.
#
# Source it from a test script. Everything created through these helpers
# (namespaces, daemons, temporary files) is removed when the script exits,
# whether it passes or fails. Callers choose every name themselves, so tests
# running side by side never collide as long as they use distinct prefixes;
# WireGuard interface names must be unique across namespaces because the
# UAPI socket directory /var/run/wireguard is shared.
set -euo pipefail

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KILO_BIN=${KILO_BIN:-$LIB_DIR/../../build/release/cmd}
# The implementation under test; a test may be pointed at wireguard-go to
# check the test itself.
KWG=${KWG:-$KILO_BIN/kwg}
WGGO=${WGGO:-wireguard-go}
UAPI_DIR=/var/run/wireguard
# The system's python starts several times faster than a version manager's shim.
PYTHON=$(command -v /usr/bin/python3 || command -v python3)
umask 077

# at_exit CMD...: run CMD (one string, eval'd) at exit, last registered first.
at_exit() { _cleanups+=("$*"); }

# A daemon stopped by the cleanups (not by daemon_stop or kg_stop) is still
# checked for sanitizer reports once it has exited: a test that passed fails.
_run_cleanups() {
	local rc=$? i
	set +e
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_cleanups[i]}" >/dev/null 2>&1
	done
	[ $rc != 0 ] || sanitizer_clean "" "${_daemon_logs[@]}" || rc=1
	rm -rf "$TMP"
	exit $rc
}

# lib_scope: a fresh temporary directory and cleanup list for this shell; a
# subshell that calls it cleans up its own things when it exits.
# ASan and LeakSanitizer (in a sanitizer build) write the reports of every
# process started here to $TMP/sanitizer.PID, also of a daemon whose output
# goes nowhere (kwg in the background); UBSan writes its own to stderr.
lib_scope() {
	TMP=$(mktemp -d /tmp/kilo-test.XXXXXX)
	_cleanups=()
	_daemon_logs=()
	_asan_options=${_asan_options-${ASAN_OPTIONS-}}
	export ASAN_OPTIONS=${_asan_options:+$_asan_options:}log_path=$TMP/sanitizer
	trap _run_cleanups EXIT
	trap 'exit 130' INT TERM
}
lib_scope

log() { echo "== $*" >&2; }
die() {
	echo "FAIL: $*" >&2
	exit 1
}

# skip MESSAGE: a genuine impossibility on this machine (exit 77).
skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# shellcheck source=lock.sh
source "$LIB_DIR/lock.sh"

need_root() {
	[ "$(id -u)" = 0 ] || skip "network namespaces need root"
	command -v ip >/dev/null || skip "iproute2 is not installed"
}

# nsx NS CMD...: run CMD inside namespace NS.
nsx() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# ns_add NS...: fresh namespaces with loopback up, deleted at exit.
# Each gets its own /etc/hosts and /etc/resolv.conf (ip netns exec mounts
# /etc/netns/NS over /etc): a name lookup (kg resolves its hostname, as
# Kilo does) is answered by the namespace's own loopback at once, instead of
# waiting seconds for the host's nameserver, which must get no test traffic.
ns_add() {
	local ns
	for ns in "$@"; do
		ip netns del "$ns" 2>/dev/null || true
		ip netns add "$ns"
		mkdir -p "/etc/netns/$ns"
		printf '127.0.0.1 localhost\n::1 localhost\n' >"/etc/netns/$ns/hosts"
		printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"/etc/netns/$ns/resolv.conf"
		at_exit "ip netns del $ns; rm -r /etc/netns/$ns"
		nsx "$ns" ip link set lo up
	done
}

# veth_add NS1 IF1 NS2 IF2: a veth pair with one end in each namespace, up.
veth_add() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
	nsx "$1" ip link set "$2" up
	nsx "$3" ip link set "$4" up
}

# addr_add NS IF ADDR/LEN: IPv6 addresses skip duplicate address detection
# so they are usable at once.
addr_add() {
	case "$3" in
	*:*) nsx "$1" ip -6 addr add "$3" dev "$2" nodad ;;
	*) nsx "$1" ip addr add "$3" dev "$2" ;;
	esac
}

# wait_for DESCRIPTION SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
# reap PID SIGNAL: wait for a process this script killed with SIGNAL, and
# fail unless that signal is what ended it: one that had died already of
# something else would otherwise go unseen.
reap() {
	local rc=0
	wait "$1" 2>/dev/null || rc=$?
	[ "$rc" = $((128 + $(kill -l "$2"))) ] || die "process $1 ended with status $rc, not by SIG$2"
}

# ping_wait PID: wait for a background ping -c, whose output says how many
# replies came back; its status only says whether it ran (0: all replied,
# 1: some did not, anything else: an error).
ping_wait() {
	local rc=0
	wait "$1" || rc=$?
	[ "$rc" -le 1 ] || die "ping $1 failed with status $rc"
}

wait_for() {
	local what=$1 deadline=$((SECONDS + $2))
	shift 2
	until "$@" >/dev/null; do
		[ $SECONDS -lt $deadline ] || die "timed out waiting for $what"
		sleep 0.1
	done
}

# supervise PID LOG: a process started in the background is killed at exit,
# and its LOG fails the test if it holds a sanitizer report.
supervise() {
	at_exit "kill $1; wait $1"
	_daemon_logs+=("$2")
}

# daemon_start IMPL NS IFNAME: run a userspace WireGuard daemon (kwg or
# wireguard-go) in the foreground in the background, wait for its UAPI
# socket, and make sure it is stopped at exit. Sets DAEMON_PID.
daemon_start() {
	local impl=$1 ns=$2 ifname=$3
	rm -f "$UAPI_DIR/$ifname.sock"
	# Not through nsx: $! must be the daemon itself (ip and env exec it).
	ip netns exec "$ns" env LOG_LEVEL="${LOG_LEVEL:-error}" "$impl" -f "$ifname" \
		>"$TMP/$ifname.log" 2>&1 &
	DAEMON_PID=$!
	supervise "$DAEMON_PID" "$TMP/$ifname.log"
	wait_for "$impl $ifname socket" 10 daemon_ready "$DAEMON_PID" "$ifname"
}

# daemon_ready PID IFNAME: the socket is there, or the daemon died trying.
daemon_ready() {
	daemon_alive "$1" "$2"
	test -S "$UAPI_DIR/$2.sock"
}

# uapi_pid NS IFNAME: the process listening on the interface's UAPI socket,
# if any (ss sees unix sockets per network namespace).
uapi_pid() {
	nsx "$1" ss -xlpn | awk -v s="$UAPI_DIR/$2.sock" '$5 == s' |
		sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1
}

# daemon_alive PID NAME [WHAT]: fail unless the daemon (WHAT NAME, its log
# $TMP/NAME.log) is still running.
daemon_alive() {
	kill -0 "$1" 2>/dev/null ||
		die "${3:+$3 }$2 died; its log: $(tail -n 30 "$TMP/$2.log" 2>/dev/null)"
}

# sanitizer_clean PID LOG...: fails, printing them, if ASan or LeakSanitizer
# reported an error on process PID (on any process of this test if PID is
# empty) or if a LOG holds a sanitizer report, so that a leak or an error in
# a daemon fails the test whatever its exit status shows. (A report file
# with warnings only is no failure.)
SANITIZER_REPORT='ERROR: [A-Za-z]+Sanitizer|runtime error:'
sanitizer_clean() {
	local pid=${1:-*} f found=()
	shift
	for f in "$TMP"/sanitizer.$pid "$@"; do
		! grep -Eqs "$SANITIZER_REPORT" "$f" || found+=("$f")
	done
	[ ${#found[@]} = 0 ] && return
	echo "FAIL: sanitizer report in ${found[*]}:" >&2
	grep -h -A 40 -E "$SANITIZER_REPORT" "${found[@]}" | head -n 120 >&2
	return 1
}

# daemon_exited PID NAME [WHAT]: sent SIGTERM, the daemon (WHAT NAME, its
# log $TMP/NAME.log) must exit 0 without a sanitizer report.
daemon_exited() {
	local rc=0 who="${3:+$3 }$2"
	wait "$1" || rc=$?
	sanitizer_clean "$1" "$TMP/$2.log" || die "$who has a sanitizer report (above)"
	[ $rc = 0 ] ||
		die "$who exited with status $rc on SIGTERM; its log: $(tail -n 30 "$TMP/$2.log")"
}

# daemon_stop PID IFNAME: on SIGTERM the daemon must exit 0 without a
# sanitizer report and remove its UAPI socket.
daemon_stop() {
	kill -TERM "$1"
	daemon_exited "$1" "$2"
	[ ! -e "$UAPI_DIR/$2.sock" ] || die "$2 left $UAPI_DIR/$2.sock behind"
}

# key_new NAME: a fresh private key in $TMP/NAME.key, its public key in
# $TMP/NAME.pub; prints the public key.
key_new() {
	wg genkey >"$TMP/$1.key"
	wg pubkey <"$TMP/$1.key" >"$TMP/$1.pub"
	cat "$TMP/$1.pub"
}

# wg_if_up NS IFNAME ADDR/LEN...: give a WireGuard interface its overlay
# addresses and bring it up.
wg_if_up() {
	local ns=$1 ifname=$2 addr
	shift 2
	for addr in "$@"; do
		addr_add "$ns" "$ifname" "$addr"
	done
	nsx "$ns" ip link set "$ifname" up
}

# handshake_time IFNAME PUBKEY: the peer's latest handshake (epoch seconds,
# 0 if none).
handshake_time() {
	wg show "$1" latest-handshakes | awk -v k="$2" '$1 == k { print $2 }'
}

has_handshake() { [ "$(handshake_time "$1" "$2")" -gt 0 ]; }

# ping_ok NS ADDR: a few pings must all come back.
ping_ok() {
	nsx "$1" ping -q -c 3 -i 0.2 -W 2 "$2" >/dev/null ||
		die "ping $2 from $1 failed"
}

# transfer NS_FROM NS_TO ADDR BYTES [RATE]: send BYTES pseudo-random bytes
# over TCP from NS_FROM to ADDR (in NS_TO) and check that the receiver's
# SHA-256 matches the sender's. With RATE (bytes/s) the sender paces
# itself. Leaves the receiver's report in $TMP/xfer.recv.
transfer() {
	local from=$1 to=$2 addr=$3 bytes=$4 rate=${5:-0} port=5201 rpid sent got
	ip netns exec "$to" "$PYTHON" "$LIB_DIR/xfer.py" recv "$addr" $port >"$TMP/xfer.recv" &
	rpid=$!
	sent=$(nsx "$from" "$PYTHON" "$LIB_DIR/xfer.py" send "$addr" $port "$bytes" "$rate") ||
		die "transfer to $addr: sender failed"
	wait $rpid || die "transfer to $addr: receiver failed"
	got=$(awk '{ print $1, $2 }' "$TMP/xfer.recv")
	[ "$sent" = "$got" ] || die "transfer to $addr: sent '$sent' but received '$got'"
	log "transfer of $bytes bytes to $addr: checksum matches"
}
