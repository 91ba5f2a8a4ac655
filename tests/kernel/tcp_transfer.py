#!/usr/bin/env python3
"""The host end of the TCP transfers through the tunnel.

  tcp_transfer.py send ADDR PORT FILE   connect (retrying while refused, the
                                        listener may still be starting),
                                        send FILE, half-close, wait for EOF
  tcp_transfer.py receive ADDR PORT     accept one connection, read to EOF,
                                        print the SHA-256 of what came
"""
import hashlib
import socket
import sys
import time


def send(addr, port, path):
    deadline = time.monotonic() + 20
    while True:
        try:
            sock = socket.create_connection((addr, port), timeout=60)
            break
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    with sock, open(path, "rb") as blob:
        sock.sendfile(blob)
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(65536):
            pass


def receive(addr, port):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((addr, port))
        listener.listen(1)
        listener.settimeout(60)
        conn, _ = listener.accept()
        digest = hashlib.sha256()
        with conn:
            conn.settimeout(60)
            while chunk := conn.recv(1 << 16):
                digest.update(chunk)
    print(digest.hexdigest())


if __name__ == "__main__":
    if sys.argv[1:2] == ["send"] and len(sys.argv) == 5:
        send(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif sys.argv[1:2] == ["receive"] and len(sys.argv) == 4:
        receive(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)
