# impair.sh - an impaired underlay for WireGuard tests and benchmarks: the UDP relay of
# relay.c (the impair_relay program) between two endpoints, and what the ends count.
# Sourced by tests/interop/test_impaired_underlay.sh, tests/kernel/test_impaired_underlay.sh
# and bench/impaired; needs only bash, awk and kill, so it fits beside lib.sh or the
# kernel harness.
#
# The relay sits between A and B: A's peer endpoint is the relay's LISTEN_A, and B sees A at
# the relay's LISTEN_B, so every datagram of the tunnel passes it, and it impairs both
# directions alike. Its counters (see relay.c) are a file it rewrites on SIGUSR1.

IMPAIR_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RELAY=${RELAY:-${KILO_BUILD:-$IMPAIR_DIR/../../build/release}/tests/impair_relay}

# The impairments by name, each direction alike:
#   none       the relay passes everything on at once
#   drop       5 % of the datagrams lost
#   reorder    5 % held back until 3 later ones have gone (20 ms at most)
#   duplicate  3 % sent twice
#   delay      1 ms plus 0 to 1 ms at random, in order (a queue that varies)
#   scatter    1 ms plus 0 to 1 ms at random for each datagram alone, so that they
#              overtake each other (netem's jitter): the faster the tunnel, the deeper in
#              datagrams the reordering
#   all        drop, reorder, duplicate and delay at once
# With TCP over BBR (tcp_bbr), a 200 MB transfer through "all" takes seconds here; Reno or
# CUBIC would read each drop as congestion and crawl at about 1 MB/s.
IMPAIRMENTS=(none drop reorder duplicate delay scatter all)

# impairment_args NAME: the relay's options for the impairment NAME.
impairment_args() {
	case "$1" in
	none) ;;
	drop) echo --drop 5 ;;
	reorder) echo --reorder 5 --gap 3 --hold 20 ;;
	duplicate) echo --duplicate 3 ;;
	delay) echo --delay 1 --jitter 1 ;;
	scatter) echo --delay 1 --scatter 1 ;;
	all) echo "$(impairment_args drop) $(impairment_args reorder)" \
		"$(impairment_args duplicate) $(impairment_args delay)" ;;
	*) return 1 ;;
	esac
}

# tcp_bbr [CMD...]: TCP in the network namespace CMD runs sysctl in (e.g. nsx NS) uses BBR
# if the kernel has it; prints the algorithm in use. CUBIC, the usual default, reads every
# datagram the relay drops as congestion and halves its window: 5 % random loss holds it to
# a few MB/s (Mathis: about 1.2 segments / sqrt(loss) per round trip), and the transfer
# would measure that rather than the tunnel. BBR paces by the bandwidth and round trip it
# measures. (A namespace other than the first may choose only among
# net.ipv4.tcp_allowed_congestion_control; where BBR is not, the default stays.)
tcp_bbr() {
	local key=net.ipv4.tcp_congestion_control
	"$@" sysctl -qw "$key=bbr" >/dev/null 2>&1 || true
	"$@" sysctl -n "$key"
}

# relay_dumps STATS: how many times the relay has written STATS (0: not yet; 1: it is ready).
relay_dumps() {
	awk '$1 == "dumps" { print $2; found = 1 } END { if (!found) print 0 }' "$1" 2>/dev/null ||
		echo 0
}

# relay_ready STATS: the relay is up (it writes STATS once it is).
relay_ready() { [ "$(relay_dumps "$1")" -ge 1 ]; }

# relay_dump PID STATS: the relay PID writes its counters to STATS now; returns once it has
# (1 if it did not within 30 s, or is not running).
relay_dump() {
	local before deadline=$((SECONDS + 30))
	before=$(relay_dumps "$2")
	kill -USR1 "$1" 2>/dev/null || return 1
	until [ "$(relay_dumps "$2")" -gt "$before" ]; do
		[ $SECONDS -lt $deadline ] && kill -0 "$1" 2>/dev/null || return 1
		sleep 0.05
	done
}

# relay_count STATS DIRECTION KEY: one counter ("a>b" or "b>a", e.g. duplicated_data).
relay_count() {
	awk -v dir="$2" -v key="$3" '$1 == dir {
		for (i = 2; i <= NF; i++)
			if (index($i, key "=") == 1)
				print substr($i, length(key) + 2)
	}' "$1"
}

# relay_summary STATS: the counters of both directions, for the log.
relay_summary() { sed -n 's/^\([ab]>[ab]\) /relay \1: /p' "$1"; }

# kwg_counter LOG NAME: a counter of the line kwg logs when it stops with LOG_LEVEL=verbose
# (its wg_device_stats(), e.g. data_replayed); empty if the log has none.
kwg_counter() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" "$1" | tail -n 1; }

# udp_rcvbuf_errors [CMD...]: datagrams the kernel dropped because a UDP socket's receive
# buffer was full (IPv4 and IPv6), in the network namespace CMD runs awk in (e.g. nsx NS).
udp_rcvbuf_errors() {
	"$@" awk '$1 == "Udp:" && !col {
			for (i = 2; i <= NF; i++)
				if ($i == "RcvbufErrors")
					col = i
			next
		}
		$1 == "Udp:" { n += $col }
		$1 == "Udp6RcvbufErrors" { n += $2 }
		END { print n + 0 }' /proc/net/snmp /proc/net/snmp6
}
