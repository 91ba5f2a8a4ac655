#!/bin/busybox sh
# PID 1 of the kernel-peer test VM (packed as /init by vm.sh).
# Loads virtio-net and wireguard, gives eth0 the address named by kv_ip= on
# the kernel command line, turns on WireGuard's debug log (the tests read
# who sent which handshake from dmesg) and serves a shell on TCP 2323.
# Prints KV-READY when the shell is up, KV-FAIL: ... if a step failed.
/bin/busybox --install -s /bin
export PATH=/bin WG_COLOR_MODE=never
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t debugfs debugfs /sys/kernel/debug

for m in $(cat /etc/modules); do
	insmod "/lib/modules/$m" || echo "KV-FAIL: insmod $m"
done
echo 'module wireguard +p' > /sys/kernel/debug/dynamic_debug/control ||
	echo "KV-FAIL: wireguard dynamic debug"
# WireGuard logs through net_dbg_ratelimited: 10 lines per 5 s by default,
# so a busy case lost the very lines the tests count. 0 turns the limit off.
echo 0 > /proc/sys/net/core/message_cost || echo "KV-FAIL: net.core.message_cost"

for arg in $(cat /proc/cmdline); do
	case $arg in kv_ip=*) ip=${arg#kv_ip=} ;; esac
done
ip link set lo up
ip link set eth0 up
ip addr add "$ip" dev eth0 || echo "KV-FAIL: address '$ip' on eth0"

# busybox nc -e hands the socket to stdin/stdout only; stderr goes there too.
printf '#!/bin/sh\nexec /bin/sh 2>&1\n' > /bin/kv-shell
chmod +x /bin/kv-shell
nc -ll -p 2323 -e /bin/kv-shell &
until netstat -ltn | grep -q ':2323 '; do sleep 0.1; done
echo "KV-READY"
while true; do sleep 3600; done
