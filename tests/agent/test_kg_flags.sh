#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# kg's command line: every flag of Kilo's kg with Kilo's default, --version,
# and a bad value refused before anything on the host is touched, with a
# one-line error naming the value.
set -euo pipefail

KG=${KILO_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/cmd}/kg
die() {
	echo "FAIL: $*" >&2
	exit 1
}

[ "$("$KG" --version)" = "$("$KG" version)" ] || die "--version and version differ"
"$KG" --version | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+$' || die "--version is not a version"

help=$("$KG" --help)
# Kilo's flags (cmd/kg/main.go in Kilo; docs/kilo.md, Flags) and their defaults as --help shows them.
while read -r flag fallback; do
	line=$(grep -E -- "^ +--$flag( |$)" <<<"$help") || die "--help lacks --$flag"
	if [ "$fallback" != - ]; then
		grep -qF "(default $fallback)" <<<"$line" || die "--$flag: default is not $fallback: $line"
	fi
done <<'EOF'
backend "kubernetes"
clean-up true
clean-up-interface -
create-interface true
cni true
cni-path "/etc/cni/net.d/10-kilo.conflist"
compatibility -
encapsulate "always"
mesh-granularity "location"
kubeconfig -
master -
hostname -
interface "kilo0"
listen ":1107"
local true
mtu "auto"
topology-label "topology.kubernetes.io/region"
port 51820
service-cidr -
internal-cidr -
subnet "10.4.0.0/16"
resync-period 30s
iptables-forward-rules -
prioritise-private-addresses -
iptables-backend $KILO_IPTABLES_BACKEND or "auto"
log-level "info"
version -
cluster-file -
wireguard "auto"
EOF

# refused ARGS... -- TEXT: kg exits 1 with one line on stderr containing TEXT.
refused() {
	local args=() err rc=0
	while [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	err=$("$KG" --hostname n1 "${args[@]}" 2>&1 >/dev/null) || rc=$?
	[ $rc = 1 ] || die "kg ${args[*]} exited $rc, not 1"
	[ "$(wc -l <<<"$err")" = 1 ] || die "kg ${args[*]}: not one line: $err"
	grep -qF -- "$2" <<<"$err" || die "kg ${args[*]}: '$err' does not say '$2'"
}
refused --port 0 -- "port must be in range [1:65535], but got 0"
refused --port 70000 -- "but got 70000"
refused --mtu big -- "invalid MTU big"
refused --resync-period 30 -- "resync period 30"
refused --resync-period 10ms -- "resync period 10ms"
refused --subnet 10.4.0.0 -- "10.4.0.0"
refused --mesh-granularity cross-ish -- "mesh granularity cross-ish unknown"
refused --encapsulate sometimes -- "encapsulation sometimes unknown"
refused --compatibility weave -- "mode weave unknown; possible values are: flannel, cilium"
refused --log-level loud -- "log level loud unknown"
refused --wireguard module -- "wireguard mode module unknown; possible values are: auto, kernel, userspace"
refused --backend etcd -- "backend etcd unknown"
refused --backend file -- "--cluster-file"
refused --service-cidr 10.96.0.0/12,nope -- '--service-cidr "nope"'
refused --clean-up=maybe -- '"maybe"'
refused --no-such-flag -- "unknown flag: --no-such-flag"
refused extra -- 'unknown command "extra"'
refused --iptables-backend iptables -- 'iptables backend iptables unknown; possible values are: auto, legacy, nft'
out=$(KILO_IPTABLES_BACKEND=nf_tables "$KG" --hostname n1 2>&1) && die "KILO_IPTABLES_BACKEND=nf_tables is taken"
grep -qF 'iptables backend nf_tables unknown' <<<"$out" || die "KILO_IPTABLES_BACKEND=nf_tables: $out"
for backend in auto legacy nft; do
	"$KG" --hostname n1 --iptables-backend=$backend --version >/dev/null ||
		die "--iptables-backend=$backend is refused"
done
# kg help and kg completion, as Kilo's cobra kg (agent_completion tests the scripts).
[ "$("$KG" help)" = "$help" ] || die "kg help is not kg --help"
"$KG" completion bash | bash -n || die "kg completion bash does not parse"
# Kilo's add-on modes are taken (--version stops kg once its flags are read).
for mode in flannel cilium; do
	"$KG" --hostname n1 --compatibility="$mode" --version >/dev/null ||
		die "--compatibility=$mode is refused"
done
grep -E -- '^ +--compatibility ' <<<"$help" | grep -qF 'flannel, cilium' ||
	die "--help does not name the compatibility modes"
for mode in auto kernel userspace; do
	"$KG" --hostname n1 --wireguard="$mode" --version >/dev/null || die "--wireguard=$mode is refused"
done
grep -E -- '^ +--wireguard ' <<<"$help" | grep -qF 'auto, kernel, userspace' ||
	die "--help does not name the WireGuard modes"
echo "PASS"
