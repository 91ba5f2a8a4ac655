# kg.sh - kg itself in the kernel VM (kernel WireGuard, IPIP), for
# test_mesh.sh, test_restart.sh and test_ipip.sh. Sourced after vm.sh; the
# VM side is vm-kg.sh (nodes and pods as namespaces on the VM's LAN
# 192.168.80.0/24, kg on them).
#
#   kg_vm_pack OUT BIN...  the archive unpacked over the cached image: kg and
#                          the BINs with their shared libraries, iproute2's
#                          ip as /usr/sbin/ip (busybox's knows no namespaces;
#                          vm-kg.sh's ip() calls it), the legacy
#                          iptables with its extensions (kg runs
#                          iptables-save and iptables-restore), /etc/protocols
#                          (kg's rules name ipencap) and vm-kg.sh
#   kg_vm_boot NS BIN...   that archive, the VM booted on NS's tap with
#                          VM_MEM (512) MiB, and kv_kg_setup run in it;
#                          returns vm_start's 77 when QEMU cannot run here
#   kg_vm CMD              CMD in the VM with vm-kg.sh's functions
#   kg_vm_put FILE PATH    the host's FILE as PATH in the VM (mode 600)
#   kg_vm_diag NODE...     kg's log on each NODE, wg show, dmesg and the
#                          console, to stderr
#   kg_vm_cluster_file OUT NODE...  a file backend's cluster (a List of
#                          Nodes, as kubectl prints it) for nodes of the VM's
#                          LAN, NODE being name,location,I,pod-cidr-prefix
#                          with its key in $KG_KEYS/name.pub; last-seen is
#                          @NOW@, for kv_cluster_refresh to fill in

KG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KG_KEYS=${KG_KEYS:-$VM_RUN/keys}
VM_MEM=${VM_MEM:-512}

kg_vm_pack() {
	local out=$1 tree bin ip xtables
	shift
	tree=$(mktemp -d "$VM_RUN/kg-tree.XXXXXX") || return 1
	ip=$(command -v ip) && xtables=$(command -v xtables-legacy-multi) || return 1
	# Not /bin/ip: the VM's busybox sh runs its own applet for that name.
	vm_add_program "$tree" "$ip" usr/sbin || return 1
	for bin in "${KILO_BIN:?}/kg" "$xtables" "$@"; do
		vm_add_program "$tree" "$bin" || return 1
	done
	mkdir -p "$tree/etc" "$tree/usr/lib/x86_64-linux-gnu" &&
		cp -r /usr/lib/x86_64-linux-gnu/xtables "$tree/usr/lib/x86_64-linux-gnu/" &&
		cp /etc/protocols "$tree/etc/protocols" &&
		install -m 644 "$KG_DIR/vm-kg.sh" "$tree/bin/kv-kg.sh" || return 1
	vm_cpio "$tree" "$out" plain
}

kg_vm() {
	vm_exec ". /bin/kv-kg.sh; $*"
}

kg_vm_put() {
	vm_exec "umask 077 && cat > '$2' << 'KV_EOF'
$(cat "$1")
KV_EOF"
}

kg_vm_boot() {
	local ns=$1 rc
	shift
	vm_prepare || return 1
	VM_EXTRA_INITRD=$VM_RUN/kg.cpio
	kg_vm_pack "$VM_EXTRA_INITRD" "$@" || { vm_log "cannot pack kg for the VM"; return 1; }
	vm_start "$ns"
	rc=$?
	[ $rc = 0 ] || return $rc
	kg_vm kv_kg_setup >&2 || { vm_log "kv_kg_setup failed in the VM"; return 1; }
}

kg_vm_diag() {
	local VM_EXEC_TIMEOUT=10 n
	for n in "$@"; do
		vm_log "--- kg on $n (VM, tail)"
		vm_exec "tail -n 40 /kv/$n/log" >&2
		vm_log "--- wg show on $n (VM)"
		kg_vm "ip netns exec $n wg show" >&2
	done
	vm_log "--- kernel log (VM dmesg, tail)"
	vm_exec 'dmesg | tail -n 30' >&2
	vm_log "--- VM console (tail)"
	vm_console_tail 20 >&2
}

kg_vm_cluster_file() {
	local out=$1 spec name location i pod sep=
	shift
	{
		printf '{"apiVersion": "v1", "kind": "List", "items": ['
		for spec in "$@"; do
			IFS=, read -r name location i pod <<< "$spec"
			printf '%s\n{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "%s",' "$sep" "$name"
			printf ' "labels": {"topology.kubernetes.io/region": "%s"},' "$location"
			printf ' "annotations": {"kilo.squat.ai/endpoint": "192.168.80.%s:51820",' "$i"
			printf ' "kilo.squat.ai/internal-ip": "192.168.80.%s/24",' "$i"
			printf ' "kilo.squat.ai/key": "%s",' "$(cat "$KG_KEYS/$name.pub")"
			printf ' "kilo.squat.ai/last-seen": "@NOW@", "kilo.squat.ai/granularity": "location"}},'
			printf ' "spec": {"podCIDR": "%s.0/24"}}' "$pod"
			sep=,
		done
		printf '\n]}\n'
	} > "$out"
}
