# vm.sh - a Linux-kernel WireGuard peer in a QEMU VM, for interop tests.
# Sourced by the tests (bash). The VM runs Debian's cloud kernel with its own
# wireguard.ko, busybox and the host's `wg`; nothing is installed on the host.
#
#   vm_prepare         resolve Debian's cloud kernel, fetch it with
#                      `apt-get download` and pack the initramfs, once per
#                      package versions: cached in $KV_CACHE.
#   vm_pack_extra OUT BIN...
#                      a second initramfs archive with these programs (in
#                      /bin, with their shared libraries), for VM_EXTRA_INITRD.
#   vm_start NS        create tap $VM_TAP in netns NS ($VM_HOST_ADDR on it),
#                      boot the VM on it ($VM_ADDR) and wait for its shell.
#                      Returns 77 (and says so loudly) only when QEMU
#                      cannot boot a kernel on this machine at all.
#   vm_exec CMD        run CMD (sh) in the VM; prints its output (stdout and
#                      stderr), returns its status.
#   vm_stop            kill QEMU (by its pid file) and delete the tap.
#   vm_console_tail N  the last N lines of the serial console.
# Settings: KV_CACHE, VM_RUN (per-VM state dir), VM_TAP, VM_ADDR,
# VM_HOST_ADDR (CIDRs), KV_ACCEL (kvm|tcg, default: kvm only with a
# hardware KVM module loaded), VM_EXTRA_INITRD (an archive unpacked over the
# cached one: the kernel takes concatenated archives), VM_MEM (MiB, 256).

KV_CACHE=${KV_CACHE:-/var/cache/kilo-tests/kernel-vm}
VM_RUN=${VM_RUN:-$(mktemp -d /tmp/kernel-vm.XXXXXX)}
VM_TAP=${VM_TAP:-kvtap$$}
VM_ADDR=${VM_ADDR:-10.99.0.2/24}
VM_HOST_ADDR=${VM_HOST_ADDR:-10.99.0.1/24}
VM_CTL_PORT=2323
# ipip and veth are for kg's IPIP tunnel (test_ipip.sh), which the host
# kernel may lack; loading ipip gives the VM the fallback tunl0, nothing more.
VM_MODULES="virtio_pci virtio_net wireguard ipip veth"
# What kg itself needs beside those (bridges for the LAN and the pods, TUN,
# iptables with NAT): in the image, listed in /etc/modules.kg, loaded only by
# the tests that run kg (kg.sh), so that the others boot as fast as before.
VM_KG_MODULES="bridge tun iptable_filter iptable_nat ip6table_filter ip6table_nat xt_comment
	xt_MASQUERADE"
VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_ENTRY=
VM_NS=

vm_log() { printf '[vm %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# Sets VM_PKG, VM_VER and VM_ENTRY (its cache dir) from the apt lists: the
# kernel image linux-image-cloud-amd64 points to now. The entry is keyed by
# all that goes into it: kernel, busybox and wireguard-tools versions, /init
# and the module list.
vm_resolve() {
	local key
	VM_PKG=$(apt-cache show --no-all-versions linux-image-cloud-amd64 2> /dev/null |
		sed -n 's/^Depends: \(linux-image-[^ ,]*\).*/\1/p')
	[ -n "$VM_PKG" ] || return 1
	VM_VER=$(apt-cache show --no-all-versions "$VM_PKG" | sed -n 's/^Version: //p')
	key=$({ echo "$VM_PKG $VM_VER $VM_MODULES $VM_KG_MODULES"; dpkg-query -W busybox-static wireguard-tools;
		cat "$VM_DIR/vm-init.sh"; } | sha256sum | cut -c1-12)
	VM_ENTRY=$KV_CACHE/${VM_PKG#linux-image-}_${VM_VER}_$key
}

# Downloads the kernel package (never installs it) and packs the VM image
# into VM_ENTRY; initrd.gz comes last, so its presence means complete.
vm_build() {
	local tmp kver=${VM_PKG#linux-image-}
	tmp=$(mktemp -d "$KV_CACHE/.build.XXXXXX") || return 1
	vm_log "downloading $VM_PKG $VM_VER"
	# The .deb has no modules.dep: depmod makes it at install time.
	(cd "$tmp" && apt-get -qq -o APT::Sandbox::User=root download "$VM_PKG=$VM_VER") &&
		dpkg -x "$tmp"/*.deb "$tmp/root" && depmod -b "$tmp/root" "$kver" &&
		vm_pack_initramfs "$tmp/root" "$kver" "$tmp/initrd.gz" &&
		mkdir -p "$VM_ENTRY" && cp "$tmp/root/boot/vmlinuz-$kver" "$VM_ENTRY/vmlinuz" &&
		mv "$tmp/initrd.gz" "$VM_ENTRY/initrd.gz" && vm_log "cached $VM_ENTRY"
	rm -rf "$tmp"
}

# vm_add_program TREE BIN [DIR]: BIN in TREE/DIR (bin) with the shared
# libraries it needs at the paths the host has them.
vm_add_program() {
	local tree=$1 bin=$2 dir=${3:-bin} lib
	mkdir -p "$tree/$dir" && cp "$bin" "$tree/$dir/" || return 1
	for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
		mkdir -p "$tree$(dirname "$lib")" && cp -L "$lib" "$tree$lib" || return 1
	done
}

# vm_cpio TREE OUT [plain]: TREE as a gzipped newc cpio, or a plain one
# (larger, but the VM need not inflate it: under TCG that costs seconds).
vm_cpio() {
	if [ "${3:-}" = plain ]; then
		(cd "$1" && find . -print0 | cpio --null -o -H newc --quiet) > "$2"
	else
		(cd "$1" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 > "$2" &&
			[ "${PIPESTATUS[0]}" = 0 ]
	fi
}

# vm_pack_modules KDIR KVER TREE LIST MODULES...: the modules and what they
# depend on, in load order, into TREE/lib/modules, their names appended to
# TREE/etc/LIST; modules already in TREE are not listed again.
vm_pack_modules() {
	local kdir=$1 kver=$2 tree=$3 list=$4 ko name
	shift 4
	for ko in $(for m in "$@"; do
		modprobe -d "$kdir" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++'); do
		name=$(basename "${ko%.xz}")
		[ -e "$tree/lib/modules/$name" ] && continue
		case $ko in
		*.xz) xz -dc "$ko" > "$tree/lib/modules/$name" ;;
		*) cp "$ko" "$tree/lib/modules/" ;;
		esac
		echo "$name" >> "$tree/etc/$list"
	done
}

# vm_pack_initramfs KDIR KVER OUT: busybox, wg with its shared libraries,
# the modules in load order and /init, as a gzipped newc cpio.
vm_pack_initramfs() {
	local kdir=$1 kver=$2 out=$3 tree=$1/initramfs
	mkdir -p "$tree"/{bin,dev,proc,sys,tmp,etc,lib/modules}
	cp /bin/busybox "$tree/bin/busybox"
	vm_add_program "$tree" "$(command -v wg)" || return 1
	# shellcheck disable=SC2086 # lists of names
	vm_pack_modules "$kdir" "$kver" "$tree" modules $VM_MODULES &&
		vm_pack_modules "$kdir" "$kver" "$tree" modules.kg $VM_KG_MODULES || return 1
	install -m 755 "$VM_DIR/vm-init.sh" "$tree/init"
	vm_cpio "$tree" "$out"
}

vm_pack_extra() {
	local out=$1 tree bin
	shift
	tree=$(mktemp -d "$VM_RUN/extra.XXXXXX") || return 1
	for bin in "$@"; do
		vm_add_program "$tree" "$bin" || return 1
	done
	vm_cpio "$tree" "$out"
}

# Sets VM_KERNEL and VM_INITRD, building them if they are not cached.
vm_prepare() {
	local lock
	mkdir -p "$KV_CACHE" && exec {lock}> "$KV_CACHE/.lock" && flock "$lock" || return 1
	if ! { vm_resolve && [ -f "$VM_ENTRY/initrd.gz" ]; }; then
		# Stale lists may name a kernel the mirror no longer has.
		apt-get update -qq && vm_resolve && { [ -f "$VM_ENTRY/initrd.gz" ] || vm_build; }
	fi
	# Entries unused for a week (older kernels, older /init) go.
	[ -f "$VM_ENTRY/initrd.gz" ] && touch "$VM_ENTRY"
	find "$KV_CACHE" -mindepth 1 -maxdepth 1 -type d -mtime +7 \
		\( -name '*-cloud-amd64_*' -o -name '.build.*' \) -exec rm -rf {} +
	exec {lock}>&-
	VM_KERNEL=$VM_ENTRY/vmlinuz
	VM_INITRD=$VM_ENTRY/initrd.gz
	[ -f "$VM_INITRD" ] || { vm_log "cannot prepare the VM image"; return 1; }
}

vm_accel() {
	if [ -n "${KV_ACCEL:-}" ]; then
		echo "$KV_ACCEL"
	# /dev/kvm alone is not enough: a PVM host (kvm_pvm) only runs guests
	# built for it, and Debian's kernel hangs silently there.
	elif [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
		echo kvm
	else
		echo tcg
	fi
}

vm_alive() {
	local pid
	pid=$(cat "$VM_RUN/qemu.pid" 2>/dev/null) && [ -n "$pid" ] &&
		grep -q '^qemu' "/proc/$pid/comm" 2>/dev/null
}

vm_console_tail() { tail -n "${1:-40}" "$VM_RUN/console.log" 2>/dev/null; }

# Whether QEMU can boot a kernel here at all (accel options in "$@"): the
# kernel without a root fs panics, and -no-reboot makes that a clean exit.
vm_qemu_runs() {
	timeout 120 qemu-system-x86_64 -machine q35 "$@" -m 256 -nodefaults -no-user-config \
		-display none -no-reboot -kernel "$VM_KERNEL" -append "panic=-1" > /dev/null 2>&1
}

# vm_start_failed REASON ACCEL_OPTS...: the loud skip (77) when QEMU cannot
# run on this machine at all; any other failure is a failure (1).
vm_start_failed() {
	local reason=$1
	shift
	if command -v qemu-system-x86_64 > /dev/null && vm_qemu_runs "$@"; then
		vm_log "$reason"
		vm_console_tail >&2
		return 1
	fi
	printf '\n%s\n' "########################################################################" >&2
	printf '### SKIP: QEMU cannot start on this machine: %s\n' "$reason" >&2
	printf '%s\n\n' "### The kernel WireGuard interop tests did NOT run. ###################" >&2
	return 77
}

vm_start() {
	local ns=$1 accel deadline accel_opts initrd=$VM_INITRD
	accel=$(vm_accel)
	if [ "$accel" = kvm ]; then
		accel_opts=(-accel kvm -cpu host)
	else
		accel_opts=(-accel "tcg,tb-size=64" -cpu max)
	fi
	if [ -n "${VM_EXTRA_INITRD:-}" ]; then
		initrd=$VM_RUN/initrd.gz
		# A plain cpio must start 4-byte aligned: zeros between are skipped.
		{ cat "$VM_INITRD" && head -c $(((4 - $(stat -c %s "$VM_INITRD") % 4) % 4)) /dev/zero &&
			cat "$VM_EXTRA_INITRD"; } > "$initrd" || return 1
	fi
	ip -n "$ns" tuntap add dev "$VM_TAP" mode tap || return 1
	ip -n "$ns" addr add "$VM_HOST_ADDR" dev "$VM_TAP" &&
		ip -n "$ns" link set "$VM_TAP" up || return 1
	VM_NS=$ns
	if ! ip netns exec "$ns" qemu-system-x86_64 -name kernel-vm -machine q35 "${accel_opts[@]}" \
		-smp 1 -m "${VM_MEM:-256}" -nodefaults -no-user-config -nographic -no-reboot \
		-kernel "$VM_KERNEL" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 quiet kv_ip=$VM_ADDR" \
		-serial "file:$VM_RUN/console.log" -monitor none \
		-netdev "tap,id=n0,ifname=$VM_TAP,script=no,downscript=no" \
		-device virtio-net-pci,netdev=n0 \
		-pidfile "$VM_RUN/qemu.pid" -daemonize 2> "$VM_RUN/qemu.err"; then
		vm_start_failed "QEMU did not start: $(cat "$VM_RUN/qemu.err")" "${accel_opts[@]}"
		return
	fi
	deadline=$((SECONDS + 60))
	until grep -q KV-READY "$VM_RUN/console.log" 2> /dev/null; do
		if ! vm_alive; then
			vm_start_failed "QEMU exited during boot: $(cat "$VM_RUN/qemu.err")" "${accel_opts[@]}"
			return
		fi
		[ $SECONDS -lt $deadline ] || { vm_log "VM not ready in 60 s"; vm_console_tail >&2; return 1; }
		sleep 0.2
	done
	! grep KV-FAIL "$VM_RUN/console.log" >&2 || return 1
	vm_log "VM up ($accel, kernel $(vm_exec uname -r))"
}

# The shell behind the VM's `nc -ll -e` reads CMD, then prints the status
# on a marker line; bash's /dev/tcp needs no other host tool.
vm_exec() {
	ip netns exec "$VM_NS" timeout "${VM_EXEC_TIMEOUT:-60}" bash -c '
		exec 3<> "/dev/tcp/$1/$2" || exit 255
		printf "%s\necho __KV_STATUS=\$?\nexit\n" "$3" >&3
		out=$(cat <&3)
		case $out in *__KV_STATUS=*) ;; *) exit 255 ;; esac
		body=${out%__KV_STATUS=*}
		[ -z "$body" ] || printf "%s" "$body"
		exit "${out##*__KV_STATUS=}"' _ "${VM_ADDR%/*}" "$VM_CTL_PORT" "$*"
}

vm_stop() {
	local pid
	if vm_alive; then
		pid=$(cat "$VM_RUN/qemu.pid")
		kill "$pid"
		for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2> /dev/null || true
	fi
	[ -n "${VM_NS:-}" ] && ip -n "$VM_NS" link del "$VM_TAP" 2> /dev/null || true
}
