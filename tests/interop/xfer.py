#!/usr/bin/env python3
"""TCP bulk transfer with end-to-end checksums, for the interop tests.

  xfer.py recv ADDR PORT          accept one connection, read to EOF, print
                                  "<sha256> <bytes> <longest gap in seconds>"
  xfer.py send ADDR PORT BYTES [RATE]
                                  send BYTES random bytes (paced to RATE
                                  bytes/s if RATE > 0), print "<sha256> <bytes>"

The longest gap between two reads tells whether the stream ever stalled.
"""
import hashlib
import os
import socket
import sys
import time

CHUNK = 64 * 1024


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def recv(addr, port):
    with socket.socket(family(addr), socket.SOCK_STREAM) as srv:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((addr, port))
        srv.listen(1)
        srv.settimeout(30)
        conn, _ = srv.accept()
    digest, total, gap = hashlib.sha256(), 0, 0.0
    with conn:
        conn.settimeout(30)
        last = time.monotonic()
        while True:
            data = conn.recv(CHUNK)
            now = time.monotonic()
            gap, last = max(gap, now - last), now
            if not data:
                break
            digest.update(data)
            total += len(data)
    print(digest.hexdigest(), total, "%.3f" % gap)


def connect(addr, port):
    deadline = time.monotonic() + 10
    while True:
        try:
            return socket.create_connection((addr, port), timeout=30)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def send(addr, port, nbytes, rate):
    digest, sent, start = hashlib.sha256(), 0, time.monotonic()
    with connect(addr, port) as conn:
        while sent < nbytes:
            data = os.urandom(min(CHUNK, nbytes - sent))
            conn.sendall(data)
            digest.update(data)
            sent += len(data)
            if rate > 0:
                ahead = sent / rate - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
        conn.shutdown(socket.SHUT_WR)
        conn.recv(1)  # wait for the receiver to close: all data arrived
    print(digest.hexdigest(), sent)


def main(argv):
    if len(argv) == 4 and argv[1] == "recv":
        recv(argv[2], int(argv[3]))
    elif len(argv) in (5, 6) and argv[1] == "send":
        send(argv[2], int(argv[3]), int(argv[4]), int(argv[5]) if len(argv) == 6 else 0)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
