#!/usr/bin/env bash
# kwg as a program: wireguard-go's command line and environment, the UAPI
# socket ready the moment the daemonising parent returns, threads named for
# their jobs (ps -T, top -H, perf), one daemon per interface, stale sockets
# replaced, clean exits (socket removed) on SIGTERM, SIGINT, interface
# deletion and socket deletion, and exit 1 with a clear message when setup
# fails.
. "$(dirname "$0")/lib.sh"
exclusive kw
need_root
[ -x "$KWG" ] || die "no kwg at $KWG"

log "--version, --help, bad usage"
"$KWG" --version | grep -q '^kwg v[0-9]' || die "--version: $("$KWG" --version)"
"$KWG" --help | grep -q '^Usage: .* \[-f/--foreground\] INTERFACE-NAME' || die "--help"
for args in "" "-x kwd0" "kwd0 extra" "-f"; do
	rc=0
	# shellcheck disable=SC2086
	"$KWG" $args >/dev/null 2>"$TMP/usage" || rc=$?
	[ $rc = 2 ] || die "kwg $args exits $rc, want 2"
	grep -q '^Usage:' "$TMP/usage" || die "kwg $args printed no usage"
done

ns_add kw-d

# gone PID IFNAME: the daemon has exited and its socket is removed.
gone() { ! kill -0 "$1" 2>/dev/null && [ ! -e "$UAPI_DIR/$2.sock" ]; }

# start_daemon IFNAME: daemonise; `wg` must work right when the parent returns.
start_daemon() {
	nsx kw-d "$KWG" "$1" || die "kwg $1 exits $?"
	nsx kw-d wg show "$1" >/dev/null || die "wg cannot talk to kwg $1 right after it returned"
	DPID=$(uapi_pid kw-d "$1")
	[ -n "$DPID" ] || die "nothing serves $1"
	at_exit "kill $DPID"
}

# has_thread PID NAME: one of the daemon's threads is called NAME.
has_thread() { ps -T -o comm= -p "$1" | grep -qx -- "$2"; }

log "daemon: ready on return, named threads, one per interface"
start_daemon kwd0
[ "$(ps -o ppid= -p "$DPID" | tr -d ' ')" = 1 ] || [ "$(ps -o sid= -p "$DPID" | tr -d ' ')" = "$DPID" ] ||
	die "kwg did not detach (ppid $(ps -o ppid= -p "$DPID"))"
for thread in wg-tx wg-crypt/0 wg-handshake wg-timer wg-link wg-uapi; do
	has_thread "$DPID" $thread || die "kwg has no thread $thread: $(ps -T -o comm= -p "$DPID")"
done
nsx kw-d ip link set kwd0 up
wait_for "kwg's UDP receiver thread wg-rx" 5 has_thread "$DPID" wg-rx
rc=0
nsx kw-d "$KWG" kwd0 2>"$TMP/second" || rc=$?
[ $rc = 1 ] || die "a second kwg for kwd0 exits $rc, want 1"
grep -q "another daemon serves this interface" "$TMP/second" || die "second kwg: $(cat "$TMP/second")"
kill -0 "$DPID" && [ "$(uapi_pid kw-d kwd0)" = "$DPID" ] || die "the second kwg disturbed the first"

log "exit when the socket file is deleted"
rm "$UAPI_DIR/kwd0.sock"
wait_for "kwg to exit after its socket was deleted" 5 gone "$DPID" kwd0
wait_for "kwd0 to disappear" 5 eval "! nsx kw-d ip link show kwd0 2>/dev/null"

log "exit when the interface is deleted"
start_daemon kwd0
nsx kw-d ip link del kwd0
wait_for "kwg to exit after its interface was deleted" 5 gone "$DPID" kwd0

log "a stale socket file is replaced"
"$PYTHON" -c 'import socket, sys
socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$UAPI_DIR/kwd0.sock"
start_daemon kwd0
# Owner read-write only (0600); wireguard-go's is 0700, the execute bit means nothing on a socket.
[ "$(stat -c %a "$UAPI_DIR/kwd0.sock")" = 600 ] || die "socket mode $(stat -c %a "$UAPI_DIR/kwd0.sock")"
[ "$(stat -c %a "$UAPI_DIR")" = 755 ] || die "directory mode $(stat -c %a "$UAPI_DIR")"
kill -TERM "$DPID"
wait_for "kwg to exit on SIGTERM" 5 gone "$DPID" kwd0

log "foreground: -f, --foreground and WG_PROCESS_FOREGROUND=1; SIGINT"
for how in "-f" "--foreground" "env"; do
	if [ "$how" = env ]; then
		ip netns exec kw-d env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=verbose "$KWG" kwd0 \
			>"$TMP/fg.log" 2>&1 &
	else
		ip netns exec kw-d env LOG_LEVEL=verbose "$KWG" "$how" kwd0 >"$TMP/fg.log" 2>&1 &
	fi
	pid=$!
	at_exit "kill $pid"
	wait_for "kwg $how to serve" 5 test -S "$UAPI_DIR/kwd0.sock"
	[ "$(uapi_pid kw-d kwd0)" = "$pid" ] || die "kwg $how forked"
	grep -q '^DEBUG: (kwd0) [0-9/]* [0-9:]* ' "$TMP/fg.log" ||
		die "LOG_LEVEL=verbose logged nothing like wireguard-go: $(cat "$TMP/fg.log")"
	kill -INT "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ $rc = 0 ] || die "kwg $how exits $rc on SIGINT: $(cat "$TMP/fg.log")"
	gone "$pid" kwd0 || die "kwg $how left its socket behind"
done

log "LOG_LEVEL=silent prints nothing"
ip netns exec kw-d env LOG_LEVEL=silent "$KWG" -f kwd0 >"$TMP/silent.log" 2>&1 &
pid=$!
at_exit "kill $pid"
wait_for "kwg to serve" 5 test -S "$UAPI_DIR/kwd0.sock"
printf 'set=1\nbogus=1\n\n' | nsx kw-d "$PYTHON" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read()); print(s.recv(100))' "$UAPI_DIR/kwd0.sock" >/dev/null
daemon_stop "$pid" silent
[ ! -s "$TMP/silent.log" ] || die "LOG_LEVEL=silent printed: $(cat "$TMP/silent.log")"

log "setup failures exit 1 with a message and leave nothing behind"
nsx kw-d ip link add kwd1 type veth peer name kwd2
rc=0
nsx kw-d "$KWG" kwd1 2>"$TMP/fail" || rc=$?
[ $rc = 1 ] || die "kwg on a veth exits $rc, want 1"
grep -q "cannot create TUN interface 'kwd1'" "$TMP/fail" || die "message: $(cat "$TMP/fail")"
[ ! -e "$UAPI_DIR/kwd1.sock" ] || die "a failed kwg left a socket behind"
rc=0
nsx kw-d "$KWG" kwd-name-far-too-long 2>"$TMP/fail" || rc=$?
[ $rc = 1 ] || die "kwg with a 21-character name exits $rc, want 1"
grep -q "longer than 15 characters" "$TMP/fail" || die "message: $(cat "$TMP/fail")"
echo "PASS: kwg daemon lifecycle"
