#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# kg's IPIP tunnel (mesh/ipip, what --encapsulate uses) against a kernel that
# has ipip, which the development host's lacks: unit_ipip runs in the
# kernel-peer VM (Debian's kernel, with ipip.ko and veth.ko loaded at boot),
# where its real-tunnel tests, skipped on the host, must run and pass. Twice:
# as the kernel comes (every namespace has a fallback tunl0, which is adopted)
# and with net.core.fb_tunnels_only_for_init_net=1 (none, so our netlink
# request creates tunl0); each real test must pass in at least one of them
# and fail in neither.
set -uo pipefail
# shellcheck disable=SC2034 # read by vm.sh
VM_TAP=aftap$$
# shellcheck source=vm.sh
. "$(dirname "$0")/vm.sh"

NS=af-kv$$
UNIT=${KILO_BUILD:?}/tests/unit_ipip
REAL_TESTS=(test_tunl0_is_created_up_at_private_mtu_minus_20
	test_fallback_tunl0_is_adopted_up_at_private_mtu_minus_20
	test_second_tunnel_from_and_to_any_address_is_refused_by_name
	test_clean_up_leaves_nothing_of_ours_on_tunl0)

fail() {
	echo "FAIL: $*" >&2
	vm_console_tail 20 >&2
	exit 1
}

cleanup() {
	vm_stop
	ip netns del "$NS" 2>/dev/null
	rm -rf "$VM_RUN"
}
trap cleanup EXIT

[ -x "$UNIT" ] || fail "$UNIT is not built"
vm_prepare || fail "cannot prepare the VM image"
VM_EXTRA_INITRD=$VM_RUN/unit_ipip.cpio.gz
vm_pack_extra "$VM_EXTRA_INITRD" "$UNIT" || fail "cannot pack $UNIT for the VM"
ip netns add "$NS" || fail "cannot make namespace $NS"
vm_start "$NS"
rc=$?
[ $rc = 0 ] || exit $rc
out=
for fallback in 0 1; do
	run=$(vm_exec "echo $fallback > /proc/sys/net/core/fb_tunnels_only_for_init_net && unit_ipip")
	rc=$?
	printf '%s\n' "$run"
	[ $rc = 0 ] || fail "unit_ipip exited $rc in the VM (fb_tunnels_only_for_init_net=$fallback)"
	out+=$run$'\n'
done
for test in "${REAL_TESTS[@]}"; do
	grep -q "^\[       OK \] $test\$" <<<"$out" || fail "$test did not run and pass in the VM"
done
echo "PASS"
