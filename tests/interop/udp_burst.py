#!/usr/bin/env python3
"""UDP datagrams in runs with checkable contents, for the interop tests.

  udp_burst.py recv ADDR PORT      print "<received> <in order> <intact>" once the
                                   sender's datagrams stop (1 s of silence)
  udp_burst.py send ADDR PORT N    send N datagrams in runs

Datagram k carries k, its own length and bytes derived from k. Runs leave the
sender's socket at once (UDP_SEGMENT), so they cross the tunnel together:
runs of 1 to 40 datagrams, of the largest size the overlay takes or of 999
bytes, every other one ending in a shorter datagram.
"""
import socket
import struct
import sys
import time

FULL = 1420 - 40 - 8  # the IPv6 overlay's largest datagram fits IPv4 too
UDP_SEGMENT = 103


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def datagram(k, size):
    body = bytes((k * 31 + i) & 0xFF for i in range(size - 6))
    return struct.pack("!IH", k, size) + body


def intact(data):
    k, size = struct.unpack("!IH", data[:6])
    return size == len(data) and data == datagram(k, size), k


def recv(addr, port):
    received = good = 0
    in_order = True
    last = -1
    with socket.socket(family(addr), socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        s.bind((addr, port))
        s.settimeout(30)
        while True:
            try:
                data = s.recv(65536)
            except socket.timeout:
                break
            s.settimeout(1)
            ok, k = intact(data)
            received += 1
            good += ok
            in_order &= k > last
            last = k
    return received, in_order, good


def send(addr, port, n):
    k = run = 0
    with socket.socket(family(addr), socket.SOCK_DGRAM) as s:
        s.connect((addr, port))
        while k < n:
            count = min(1 + run * 7 % 40, n - k)
            size = FULL if run % 3 else 999
            sizes = [size] * count
            sizes[-1] -= run % 2 * 300
            buf = b"".join(datagram(k + i, sizes[i]) for i in range(count))
            s.sendmsg([buf], [(socket.SOL_UDP, UDP_SEGMENT, struct.pack("H", size))])
            k += count
            run += 1
            time.sleep(0.002)


def main():
    mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "recv":
        received, in_order, good = recv(addr, port)
        print(received, int(in_order), good)
    else:
        send(addr, port, int(sys.argv[4]))


if __name__ == "__main__":
    main()
