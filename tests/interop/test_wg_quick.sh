#!/usr/bin/env bash
# wg-quick up/down with WG_QUICK_USERSPACE_IMPLEMENTATION=kwg, inside a
# namespace: wg-quick falls back to kwg (no kernel module), configures it with
# wg setconf, routes everything through it (0.0.0.0/0 and ::/0, which needs
# fwmark so the tunnel's own packets bypass the tunnel), the peer is reachable
# over both overlay families, and `wg-quick down` deletes the interface, which
# makes kwg exit and remove its socket.
. "$(dirname "$0")/pair.sh"
exclusive kw
need_root
command -v wg-quick >/dev/null || skip "wg-quick is not installed"
command -v "$WGGO" >/dev/null || skip "wireguard-go is not installed"
[ ! -e /sys/module/wireguard ] ||
	skip "the wireguard kernel module is loaded, so wg-quick never uses a userspace implementation"

impl=$(command -v "$KWG") || die "no kwg at $KWG"
pair_net kw 192.168.78.

pa=$(key_new a)
pb=$(key_new b)
daemon_start "$WGGO" kw-b kwb0
nsx kw-b wg set kwb0 private-key "$TMP/b.key" listen-port 51821 \
	peer "$pa" allowed-ips 10.78.0.1/32,fd78::1/128
wg_if_up kw-b kwb0 10.78.0.2/24 fd78::2/64

cat >"$TMP/kwa0.conf" <<CONF
[Interface]
PrivateKey = $(cat "$TMP/a.key")
Address = 10.78.0.1/24, fd78::1/64
ListenPort = 51820

[Peer]
PublicKey = $pb
Endpoint = 192.168.78.2:51821
AllowedIPs = 0.0.0.0/0, ::/0
CONF

log "wg-quick up"
at_exit "nsx kw-a ip link del kwa0"
nsx kw-a env PATH="$(dirname "$impl"):$PATH" \
	WG_QUICK_USERSPACE_IMPLEMENTATION="$(basename "$impl")" \
	wg-quick up "$TMP/kwa0.conf" >"$TMP/up.log" 2>&1 ||
	die "wg-quick up failed: $(cat "$TMP/up.log")"
grep -q "^\[#\] $(basename "$impl") kwa0\$" "$TMP/up.log" ||
	die "wg-quick did not start $(basename "$impl"): $(cat "$TMP/up.log")"
pid=$(uapi_pid kw-a kwa0)
[ -n "$pid" ] || die "nothing serves $UAPI_DIR/kwa0.sock"
at_exit "kill $pid"
[ "$(readlink -f /proc/$pid/exe)" = "$(readlink -f "$impl")" ] ||
	die "the socket is served by $(readlink -f /proc/$pid/exe), not $impl"

[ "$(nsx kw-a wg show kwa0 fwmark)" = 0xca6c ] ||
	die "wg-quick's fwmark did not reach the device: $(nsx kw-a wg show kwa0 fwmark)"
ping_ok kw-a 10.78.0.2
ping_ok kw-a fd78::2
has_handshake kwa0 "$pb" || die "no handshake after wg-quick up"
ping_ok kw-b 10.78.0.1

log "wg-quick down"
nsx kw-a wg-quick down "$TMP/kwa0.conf" >"$TMP/down.log" 2>&1 ||
	die "wg-quick down failed: $(cat "$TMP/down.log")"
wait_for "$impl to exit after its interface was deleted" 10 \
	eval "! kill -0 $pid 2>/dev/null"
[ ! -e "$UAPI_DIR/kwa0.sock" ] || die "the UAPI socket is still there after the daemon exited"
echo "PASS: wg-quick up/down with kwg"
