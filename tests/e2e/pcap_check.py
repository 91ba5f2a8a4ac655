#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Judge a capture (classic pcap, Ethernet) of a link the mesh crosses.

    pcap_check.py FILE PORT SECRET ADDRESS...

Passes when every IPv4 packet is UDP with PORT (a WireGuard port) as its
source or destination, at least one such packet was seen, no frame holds
the bytes SECRET (a payload the pods sent) and no frame holds any of the
IPv4 ADDRESSes (the pods') anywhere, header or payload. ARP and IPv6
link-local chatter of the link itself is allowed; anything else fails.
Prints what it counted, or why it failed.
"""
import ipaddress
import struct
import sys


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    if struct.unpack(order + "I", data[:4])[0] not in (0xA1B2C3D4, 0xA1B23C4D):
        sys.exit(f"{path}: not a pcap file")
    if struct.unpack(order + "I", data[20:24])[0] != 1:
        sys.exit(f"{path}: not an Ethernet capture")
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack(order + "I", data[off + 8 : off + 12])[0]
        yield data[off + 16 : off + 16 + caplen]
        off += 16 + caplen


def judge(frame, port):
    """'wireguard', 'link' (ARP, IPv6 link-local) or a reason to fail."""
    ethertype = struct.unpack("!H", frame[12:14])[0]
    if ethertype == 0x0806:
        return "link"
    if ethertype == 0x86DD:
        src = ipaddress.IPv6Address(frame[22:38])
        return "link" if src.is_link_local or src.is_unspecified else f"IPv6 from {src}"
    if ethertype != 0x0800:
        return f"ethertype {ethertype:#06x}"
    ip = frame[14:]
    src, dst = ipaddress.IPv4Address(ip[12:16]), ipaddress.IPv4Address(ip[16:20])
    if ip[9] != 17:
        return f"IP protocol {ip[9]} {src} -> {dst}"
    udp = ip[(ip[0] & 0x0F) * 4 :]
    sport, dport = struct.unpack("!HH", udp[:4])
    if port not in (sport, dport):
        return f"UDP {src}:{sport} -> {dst}:{dport}"
    return "wireguard"


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    port, secret = int(sys.argv[2]), sys.argv[3].encode()
    addresses = {a: ipaddress.IPv4Address(a).packed for a in sys.argv[4:]}
    counts = {"wireguard": 0, "link": 0}
    for frame in frames(sys.argv[1]):
        verdict = judge(frame, port)
        if verdict not in counts:
            sys.exit(f"in clear on the link: {verdict}")
        counts[verdict] += 1
        if secret in frame:
            sys.exit("the pods' payload crossed the link in clear")
        for text, packed in addresses.items():
            if packed in frame:
                sys.exit(f"the pod address {text} crossed the link in clear")
    if not counts["wireguard"]:
        sys.exit("no WireGuard packet captured")
    print(f"{counts['wireguard']} WireGuard packets, {counts['link']} ARP/IPv6 link-local")


if __name__ == "__main__":
    main()
