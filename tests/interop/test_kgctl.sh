#!/bin/bash
# SPDX-License-Identifier: MIT
#
# kgctl on the fixture cluster file: JSON and YAML listings give the same
# answers; global flags work before and after the subcommand; the graph
# renders with circo; showconf prints Kilo's exact text, which `wg setconf`
# loads on a userspace WireGuard device (our kwg when built, else Debian's
# wireguard-go) inside a network namespace of our own; Peer objects from
# --as-peer are valid Peers again; bad input gives one line and exit 1.
set -u

KGCTL="$KILO_BIN/kgctl"
FIXTURES="$KILO_SRC/tests/fixtures"
NS=mc-kgctl
DEV=mckg0
# shellcheck source=lock.sh
source "$(dirname "$0")/lock.sh"
exclusive mc-kgctl
tmp=$(mktemp -d)
device_pid=

cleanup() {
	[ -n "$device_pid" ] && kill "$device_pid" 2>/dev/null && wait "$device_pid" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -f "/var/run/wireguard/$DEV.sock"
	rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

[ -x "$KGCTL" ] || fail "no kgctl at $KGCTL"

NODES="aws-1 aws-2 gcp-1 gcp-2 edge-1"
PEERS="laptop phone"

# kgctl FORMAT ARGS...: run on the fixture in FORMAT, flags after the command.
run() {
	local format=$1
	shift
	"$KGCTL" "$@" --cluster-file "$FIXTURES/cluster.$format"
}

echo "== JSON and YAML listings, flags before and after the subcommand"
for granularity in location full cross; do
	for format in json yaml; do
		out="$tmp/$granularity.$format"
		mkdir -p "$out"
		run "$format" graph --mesh-granularity "$granularity" >"$out/graph" ||
			fail "graph ($granularity, $format)"
		for node in $NODES; do
			run "$format" showconf node "$node" --mesh-granularity "$granularity" \
				>"$out/node-$node" 2>"$out/node-$node.err" ||
				fail "showconf node $node ($granularity, $format)"
			run "$format" showconf node "$node" --as-peer --mesh-granularity "$granularity" \
				>"$out/as-peer-$node" 2>/dev/null || fail "showconf node $node --as-peer"
		done
		for peer in $PEERS; do
			run "$format" showconf peer "$peer" --mesh-granularity "$granularity" \
				>"$out/peer-$peer" || fail "showconf peer $peer ($granularity, $format)"
		done
	done
	diff -r "$tmp/$granularity.json" "$tmp/$granularity.yaml" ||
		fail "JSON and YAML listings disagree ($granularity)"
	"$KGCTL" --mesh-granularity "$granularity" --cluster-file "$FIXTURES/cluster.json" \
		showconf node aws-1 | cmp -s - "$tmp/$granularity.json/node-aws-1" ||
		fail "global flags before the subcommand change the answer"
done
# Every spelling cobra accepts for a flag and its value.
for spelling in "--backend=file --cluster-file=$FIXTURES/cluster.json showconf node gcp-1 --as-peer -o=json" \
	"showconf node gcp-1 --cluster-file $FIXTURES/cluster.json -ojson --as-peer=true --backend file" \
	"showconf --output json --cluster-file $FIXTURES/cluster.json node --as-peer gcp-1"; do
	"$KGCTL" $spelling | cmp -s - <(run json showconf node gcp-1 --as-peer -o json) ||
		fail "kgctl $spelling"
done
"$KGCTL" --cluster-file "$FIXTURES/cluster.json" showconf node gcp-1 --as-peer=false |
	cmp -s - "$tmp/location.json/node-gcp-1" || fail "--as-peer=false"

# A listing piped in, as from `kubectl get nodes,peers -o yaml | kgctl --cluster-file - ...`.
"$KGCTL" --cluster-file - graph <"$FIXTURES/cluster.yaml" | cmp -s - "$tmp/location.yaml/graph" ||
	fail "--cluster-file - does not read standard input"

# The first listed node (aws-1) announces "location": auto means location.
run json showconf node gcp-1 | cmp -s - "$tmp/location.json/node-gcp-1" ||
	fail "--mesh-granularity auto did not follow the first node's annotation"

# Grouping by another label: every node of aws and gcp becomes its own location.
run yaml graph --topology-label kubernetes.io/hostname --mesh-granularity location |
	grep -c '^	subgraph "cluster_location_location:\(aws\|gcp\)-[12]"' | grep -qx 4 ||
	fail "--topology-label did not regroup the nodes"

echo "== Kilo's exact text"
cat >"$tmp/expected-node-aws-1" <<'EOF'
[Interface]
ListenPort = 51820

[Peer]
AllowedIPs = 10.2.2.0/24, 10.1.96.6/32, 10.2.3.0/24, 10.1.96.8/32, 10.4.0.2/32
Endpoint = 34.1.2.3:51820
PersistentKeepalive = 0
PublicKey = RVmPLoHvsjQDuKy4I/qgWhSs16MsQZ+pkXqpfkArbhI=

[Peer]
AllowedIPs = 10.2.4.0/24, 10.4.0.3/32
Endpoint = 203.0.113.7:41000
PersistentKeepalive = 0
PublicKey = y2ICdBTCqbugf0JxwPmtroS1V87d+ZbvP6Mn0aNRTiw=

[Peer]
AllowedIPs = 10.5.0.1/32
PersistentKeepalive = 0
PublicKey = l6ETsJ+Ln/+fw1cFbKXgD7s74WpRRJZv/Z6j8Yedf20=

[Peer]
AllowedIPs = 10.5.0.2/32, 10.5.1.0/24
Endpoint = 198.51.100.20:51820
PersistentKeepalive = 0
PresharedKey = ju91wSwsgCUl7P71umc4P5seib5Xg5/UDrPkoJBjBfQ=
PublicKey = AsnFXk3DAjFnrd1Fv5CXBi4uNnWaC/g2eOryzniNtTM=
EOF
diff -u "$tmp/expected-node-aws-1" "$tmp/location.json/node-aws-1" || fail "showconf node aws-1"
cat >"$tmp/expected-as-peer-gcp-1" <<'EOF'
[Peer]
AllowedIPs = 10.2.2.0/24, 10.1.96.6/32, 10.2.3.0/24, 10.1.96.8/32, 10.4.0.2/32, 10.96.0.0/12
Endpoint = 34.1.2.3:51820
PersistentKeepalive = 0
PublicKey = RVmPLoHvsjQDuKy4I/qgWhSs16MsQZ+pkXqpfkArbhI=
EOF
run yaml showconf node gcp-1 --as-peer --allowed-ips 10.96.0.1/12,10.2.2.0/24 |
	diff -u "$tmp/expected-as-peer-gcp-1" - || fail "showconf node gcp-1 --as-peer --allowed-ips"
[ ! -s "$tmp/location.json/node-aws-2" ] || fail "a non-leader printed a configuration"
[ "$(cat "$tmp/location.json/node-aws-2.err")" = 'Node "aws-2" is not a leader node' ] ||
	fail "non-leader message: $(cat "$tmp/location.json/node-aws-2.err")"
head -n 2 "$tmp/location.json/peer-laptop" | cmp -s - <(printf '[Peer]\nAllowedIPs = 10.2.0.0/24, 10.0.0.5/32, 10.2.1.0/24, 10.0.0.6/32, 10.4.0.1/32, 192.168.50.0/24\n') ||
	fail "a peer's view starts with [Peer] and the aws segment"

echo "== graph renders with circo"
for granularity in location full cross; do
	circo -Tsvg "$tmp/$granularity.json/graph" >"$tmp/$granularity.svg" ||
		fail "circo rejects the $granularity graph"
	nodes=$(grep -c '<g id="node' "$tmp/$granularity.svg")
	[ "$nodes" = 7 ] || fail "$granularity graph has $nodes nodes, expected 5 nodes + 2 peers"
done

echo "== Peer objects from --as-peer are Peers again"
for format in json yaml; do
	run "$format" showconf node gcp-1 --as-peer -o "$format" --allowed-ips 10.96.0.0/12 \
		>"$tmp/gcp-1.$format" || fail "showconf node gcp-1 --as-peer -o $format"
	run "$format" showconf peer phone --as-peer -o "$format" >"$tmp/phone.$format" ||
		fail "showconf peer phone --as-peer -o $format"
done
[ "$(tail -c 1 "$tmp/gcp-1.json")" = "}" ] || fail "JSON ends differently from Kilo's (no newline)"
head -n 4 "$tmp/gcp-1.yaml" | cmp -s - <(printf 'apiVersion: kilo.squat.ai/v1alpha1\nkind: Peer\nmetadata:\n  creationTimestamp: null\n') ||
	fail "YAML Peer does not start like kubectl's"
# A second cluster that knows gcp-1 as a Peer, in each format.
{ cat "$FIXTURES/cluster.json"; cat "$tmp/gcp-1.json"; } >"$tmp/other.json"
{ cat "$FIXTURES/cluster.yaml"; echo ---; cat "$tmp/gcp-1.yaml"; } >"$tmp/other.yaml"
for format in json yaml; do
	"$KGCTL" --cluster-file "$tmp/other.$format" showconf peer gcp-1 --as-peer \
		>"$tmp/gcp-1-again.$format" || fail "the $format Peer object is not accepted back"
	diff -u "$tmp/expected-as-peer-gcp-1" "$tmp/gcp-1-again.$format" ||
		fail "the $format Peer object changed"
done
python3 - "$tmp/phone.json" "$tmp/phone.yaml" <<'EOF' || fail "phone's Peer object"
import json, sys, yaml
a = json.load(open(sys.argv[1]))
b = yaml.safe_load(open(sys.argv[2]))
assert a == b, (a, b)
assert list(a) == ["kind", "apiVersion", "metadata", "spec"], list(a)
assert a["spec"] == {"allowedIPs": ["10.5.0.2/32", "10.5.1.0/24"],
                     "endpoint": {"dnsOrIP": {"ip": "198.51.100.20"}, "port": 51820},
                     "presharedKey": "ju91wSwsgCUl7P71umc4P5seib5Xg5/UDrPkoJBjBfQ=",
                     "publicKey": "AsnFXk3DAjFnrd1Fv5CXBi4uNnWaC/g2eOryzniNtTM="}, a["spec"]
EOF

echo "== one-line errors and exit 1"
expect_error() {
	local message=$1
	shift
	"$KGCTL" "$@" >"$tmp/out" 2>"$tmp/err" && fail "kgctl $* succeeded"
	[ ! -s "$tmp/out" ] || fail "kgctl $* printed to stdout"
	[ "$(wc -l <"$tmp/err")" = 1 ] || fail "kgctl $*: not one line: $(cat "$tmp/err")"
	grep -qF -- "$message" "$tmp/err" || fail "kgctl $*: $(cat "$tmp/err"), expected $message"
}
F="--cluster-file $FIXTURES/cluster.yaml"
expect_error 'did not find any node named "nope" in the cluster' $F showconf node nope
expect_error 'did not find any node named "gcp-3" in the cluster' $F showconf node gcp-3
expect_error 'did not find any peer named "ghost" in the cluster' $F showconf peer ghost
expect_error 'cannot read /nonexistent/mc.yaml: No such file or directory' \
	--cluster-file /nonexistent/mc.yaml graph
printf 'kind: List\nitems:\n- kind: Node\n   name: x\n' >"$tmp/broken.yaml"
expect_error "$tmp/broken.yaml:4:8: mapping values are not allowed" --cluster-file "$tmp/broken.yaml" graph
printf 'kind: Node\napiVersion: v1\nmetadata: {name: lonely}\n' >"$tmp/lonely.yaml"
expect_error 'did not find any valid Kilo nodes in the cluster' --cluster-file "$tmp/lonely.yaml" \
	--mesh-granularity full graph
expect_error 'failed to determine granularity: node "lonely" announces no mesh granularity' \
	--cluster-file "$tmp/lonely.yaml" graph
expect_error 'unknown flag: --frobnicate' $F graph --frobnicate
expect_error 'unknown command "frob" for "kgctl"' $F frob
expect_error 'invalid port' $F --port 0 graph
expect_error 'mesh granularity mesh unknown' $F --mesh-granularity mesh graph
expect_error 'output format toml unknown' $F showconf node aws-1 --as-peer -o toml
expect_error 'allowed-ips must contain only valid CIDRs; got "10.0.0.1"' $F showconf node aws-1 \
	--as-peer --allowed-ips 10.0.0.1
expect_error 'accepts 1 arg(s), received 2' $F showconf node aws-1 gcp-1
expect_error 'kubeconfig /nonexistent/kubeconfig: No such file or directory' \
	--backend kubernetes --kubeconfig /nonexistent/kubeconfig graph
expect_error 'flag needs an argument: --cluster-file' graph --cluster-file
# kgctl connect checks its flags before it touches the cluster or the host.
expect_error 'connect accepts at most 1 arg(s), received 2' $F connect roamer other
expect_error 'invalid peer name ""' $F connect ""
expect_error 'invalid MTU 5' $F connect roamer --mtu 5
expect_error 'failed to parse resync period 5ms' $F connect roamer --resync-period 5ms
expect_error 'allowed-ips must contain only valid CIDRs; got "bogus"' $F connect roamer \
	--allowed-ips 10.96.0.0/12,bogus
expect_error 'invalid argument "nope" for "-a, --allowed-ip" flag' $F connect roamer -a nope
expect_error 'log level loud unknown' $F connect roamer --log-level loud
expect_error 'wireguard mode module unknown; possible values are: auto, kernel, userspace' $F \
	connect roamer --wireguard module
expect_error 'failed to read private key /nonexistent/key: No such file or directory' $F \
	connect roamer --private-key /nonexistent/key
# (In a network namespace of its own, should it get as far as an interface.)
unshare -n "$KGCTL" $F connect newcomer -i mckc0 --log-level error 2>"$tmp/err" &&
	fail "connect created a Peer in a file"
grep -qF 'the file backend cannot create Peer newcomer: edit the cluster file' "$tmp/err" ||
	fail "connect with the file backend: $(cat "$tmp/err")"
# Without NAME the Peer is the host's name, as in Kilo (a UTS namespace of its own).
unshare -n -u sh -c 'hostname roaming-host && exec "$@"' sh "$KGCTL" $F connect -i mckc0 \
	--log-level error 2>"$tmp/err" && fail "connect without NAME created a Peer in a file"
grep -qF 'the file backend cannot create Peer roaming-host: edit the cluster file' "$tmp/err" ||
	fail "connect without NAME is not the hostname's Peer: $(cat "$tmp/err")"

echo "== help"
for help in --help help "help showconf" "showconf --help"; do
	"$KGCTL" $help >"$tmp/help" || fail "kgctl $help"
	grep -q -- '--cluster-file' "$tmp/help" || fail "kgctl $help does not list --cluster-file"
done
"$KGCTL" --help | grep -q '^  graph ' || fail "--help does not list graph"
"$KGCTL" --help | grep -q '^  connect ' || fail "--help does not list connect"
"$KGCTL" help | grep -q '^  showconf ' || fail "help does not list showconf"
"$KGCTL" showconf --help | grep -q -- '--as-peer' || fail "showconf --help lacks --as-peer"
"$KGCTL" connect --help | grep -qF 'kgctl connect [NAME] [flags]' || fail "connect's NAME is not optional"
"$KGCTL" --help | grep -q '^  completion ' || fail "--help does not list completion"
"$KGCTL" --version | grep -q '^kgctl version ' || fail "--version is not cobra's \"kgctl version X\""

echo "== wg setconf on a userspace device"
ip netns add "$NS" || fail "cannot create netns $NS"
start_device() {
	rm -f "/var/run/wireguard/$DEV.sock"
	ip netns exec "$NS" "$@" -f "$DEV" >"$tmp/device.log" 2>&1 &
	device_pid=$!
	for _ in $(seq 50); do
		ip netns exec "$NS" wg show "$DEV" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	kill "$device_pid" 2>/dev/null
	wait "$device_pid" 2>/dev/null
	device_pid=
	return 1
}
if [ -x "$KILO_BIN/kwg" ] && start_device "$KILO_BIN/kwg"; then
	echo "device: kwg"
else
	[ -x "$KILO_BIN/kwg" ] && echo "WARNING: kwg did not bring $DEV up, using wireguard-go" >&2
	start_device wireguard-go || fail "wireguard-go did not bring $DEV up: $(cat "$tmp/device.log")"
	echo "device: wireguard-go"
fi

# The peers of an INI file as `wg show dump` lists them, sorted.
expected_dump() {
	python3 - "$1" <<'EOF'
import sys
peers, peer = [], None
for line in open(sys.argv[1]):
    line = line.strip()
    if line == "[Peer]":
        peer = {"AllowedIPs": []}
        peers.append(peer)
    elif peer is not None and " = " in line:
        key, value = line.split(" = ", 1)
        if key == "AllowedIPs":
            peer[key] += value.split(", ")
        else:
            peer[key] = value
for p in sorted(peers, key=lambda p: p["PublicKey"]):
    keepalive = p.get("PersistentKeepalive", "0")
    print("\t".join([p["PublicKey"], p.get("PresharedKey", "(none)"), p.get("Endpoint", "(none)"),
                     ",".join(sorted(p["AllowedIPs"])) or "(none)",
                     "off" if keepalive == "0" else keepalive]))
EOF
}

device_dump() {
	ip netns exec "$NS" wg show "$DEV" dump | tail -n +2 |
		awk -F'\t' -v OFS='\t' '{ n = split($4, ips, ","); s = "";
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
				if (ips[j] < ips[i]) { t = ips[i]; ips[i] = ips[j]; ips[j] = t }
			for (i = 1; i <= n; i++) s = s (i > 1 ? "," : "") ips[i];
			print $1, $2, $3, s, $8 }' | sort
}

configs=0
for file in "$tmp"/*.json/node-* "$tmp"/*.json/as-peer-* "$tmp"/*.json/peer-*; do
	case "$file" in *.err) continue ;; esac
	[ -s "$file" ] || continue # non-leaders print nothing
	ip netns exec "$NS" wg setconf "$DEV" "$file" || fail "wg setconf rejects $file"
	expected_dump "$file" >"$tmp/expected.dump"
	device_dump >"$tmp/device.dump"
	diff -u "$tmp/expected.dump" "$tmp/device.dump" || fail "the device does not hold $file"
	if head -n 1 "$file" | grep -q '^\[Interface\]'; then
		port=$(ip netns exec "$NS" wg show "$DEV" listen-port)
		[ "$port" = 51820 ] || fail "$file: listen port $port"
	fi
	configs=$((configs + 1))
done
[ "$configs" -ge 20 ] || fail "only $configs configurations were loaded"
echo "wg setconf loaded $configs configurations"
echo PASS
