#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# kgctl on the dual-stack cluster file (tests/fixtures/dual-stack.yaml): every
# leader's showconf routes every other location's IPv4 and IPv6 pod CIDRs,
# private IPs and WireGuard IPs to its leader, and the Peer's showconf routes
# them all to every leader, exactly as tests/fixtures/dual-stack/ holds them;
# the node whose spec has no pod CIDR is in the mesh by its pod-cidrs
# annotation (Kilo #382). Bad dual-stack input (an annotated pod CIDR over
# another node's, an IPv6 endpoint without brackets, an IPv6 prefix where
# only IPv4 fits) is one line on stderr naming node, annotation and value,
# and the rest of the cluster is answered as before.
set -euo pipefail

KGCTL=${KILO_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/release/cmd}/kgctl
FIXTURES=$(cd "$(dirname "$0")/../fixtures" && pwd)
CLUSTER=$FIXTURES/dual-stack.yaml
WANT=$FIXTURES/dual-stack
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
die() {
	echo "FAIL: $*" >&2
	exit 1
}

# same FILE CLUSTER ARGS...: kgctl's answer on CLUSTER is FILE's text; stderr is $ERR (or empty).
same() {
	local want=$1 cluster=$2
	shift 2
	"$KGCTL" --cluster-file "$cluster" "$@" >"$tmp/out" 2>"$tmp/err" || die "kgctl $*: $(cat "$tmp/err")"
	diff -u "$WANT/$want" "$tmp/out" || die "kgctl $* differs from $want"
	[ "$(cat "$tmp/err")" = "${ERR:-}" ] || die "kgctl $*: stderr: $(cat "$tmp/err")"
}

check_all() {
	local cluster=$1 n
	for n in east-a west-a edge-1; do same "node-$n.conf" "$cluster" showconf node "$n"; done
	same peer-laptop.conf "$cluster" showconf peer laptop
	same as-peer-east-a.conf "$cluster" showconf node east-a --as-peer
	same as-peer-east-a.yaml "$cluster" showconf node east-a --as-peer -o yaml
	same graph.dot "$cluster" graph
}

echo "== showconf and graph on the dual-stack cluster"
check_all "$CLUSTER"
# Every location's both families, to its leader (east-a's view of west-a) and to the Peer.
grep -qxF 'AllowedIPs = 10.2.3.0/24, fd00:2:3::/64, 10.1.0.3/32, fd00:11::3/128, 10.4.0.2/32, fd00:4::2/128, 192.168.9.0/24, fd00:99::/64' \
	"$WANT/node-east-a.conf" || die "east-a's view of west"
grep -qxF 'AllowedIPs = 10.2.1.0/24, fd00:2:1::/64, 10.0.0.1/32, fd00:10::1/128, 10.2.2.0/24, fd00:2:2::/64, 10.0.0.2/32, fd00:10::2/128, 10.4.0.1/32, fd00:4::1/128' \
	"$WANT/peer-laptop.conf" || die "the laptop's view of east"
grep -qxF 'Endpoint = [2001:db8::3]:51820' "$WANT/peer-laptop.conf" || die "west is not dialled over IPv6"
grep -q '10.2.4.0/24, fd00:2:4::/64' "$WANT/peer-laptop.conf" || die "edge-1's annotated pod CIDRs"
"$KGCTL" --cluster-file "$CLUSTER" showconf node east-b 2>&1 >/dev/null |
	grep -qxF 'Node "east-b" is not a leader node' || die "east-b is not a leader"

echo "== bad dual-stack input: reported by node, annotation and value; the rest stands"
# A fifth node claims east-a's IPv6 pod CIDR by annotation, dials over an
# unbracketed IPv6 endpoint and names an IPv6 cilium_host address.
{
	cat "$CLUSTER"
	cat <<-'YAML'
	- apiVersion: v1
	  kind: Node
	  metadata:
	    name: rogue
	    labels:
	      topology.kubernetes.io/region: rogue
	    annotations:
	      kilo.squat.ai/cni-compatibility-ip: fd00::77/128
	      kilo.squat.ai/endpoint: 198.51.100.9:51820
	      kilo.squat.ai/force-endpoint: 2001:db8::9:51820
	      kilo.squat.ai/key: Bk5t1rMZuWnHsvUSdfjGc6n7SnVhR8o3gdvHe9gRBUo=
	      kilo.squat.ai/last-seen: "1795629599"
	      kilo.squat.ai/pod-cidrs: 10.2.9.0/24,fd00:2:1::/80
	  spec: {}
	YAML
} >"$tmp/bad.yaml"
ERR='kgctl: node "rogue": kilo.squat.ai/force-endpoint: invalid value "2001:db8::9:51820": an IPv6 endpoint is written [IPv6]:port; ignored
kgctl: node "rogue": kilo.squat.ai/cni-compatibility-ip: invalid value "fd00::77/128": not an IPv4 CIDR; ignored
kgctl: node "rogue": kilo.squat.ai/pod-cidrs: invalid value "10.2.9.0/24,fd00:2:1::/80": overlaps the pod CIDR fd00:2:1::/64 of node "east-a"; ignored'
export ERR
check_all "$tmp/bad.yaml"
echo PASS
