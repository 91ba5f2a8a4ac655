#!/usr/bin/env python3
"""Hostile input for a WireGuard daemon, for the interop tests.

  garbage.py uapi SOCKET          abuse the UAPI socket; check every answer that
                                  the protocol defines (exit 1 on a wrong one)
  garbage.py udp HOST PORT PUBKEY malformed datagrams to the listen port: random
                                  sizes and types, and handshake messages whose
                                  MAC1 is valid for PUBKEY (base64) but whose
                                  bodies are random
"""
import base64
import hashlib
import os
import random
import socket
import struct
import sys

rng = random.Random(os.environ.get("GARBAGE_SEED", "kilo"))
EINVAL, EPROTO = -22, -71


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s


def answer(reader):
    """Reads one answer from a socket's file, up to and including its blank line."""
    data = b""
    while not data.endswith(b"\n\n"):
        line = reader.readline()
        if not line:
            raise AssertionError("connection closed before an answer; got %r" % data[-200:])
        data += line
    return data


def expect(path, request, errno):
    with connect(path) as s:
        s.sendall(request)
        got = answer(s.makefile("rb"))
    want = b"errno=%d\n\n" % errno
    if not got.endswith(want):
        raise AssertionError("%r answered %r, want %r" % (request[:80], got[-80:], want))


def send_and_close(path, data):
    """Garbage with no answer to expect: the server may hang up on it."""
    with connect(path) as s:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            while s.recv(65536):
                pass
        except (BrokenPipeError, ConnectionResetError):
            pass


def uapi(path):
    key = "ab" * 32
    for request, errno in [
        (b"set=1\nfoo=bar\n\n", EINVAL),
        (b"set=1\nlisten_port\n\n", EPROTO),
        (b"set=1\nprivate_key=" + b"zz" * 32 + b"\n\n", EINVAL),
        (b"set=1\npublic_key=" + b"0" * 63 + b"\n\n", EINVAL),
        (b"set=1\npublic_key=%s\nallowed_ip=10.0.0.0/33\n\n" % key.encode(), EINVAL),
        (b"set=1\npublic_key=%s\nendpoint=nowhere:1\n\n" % key.encode(), EINVAL),
        (b"set=1\nlisten_port=1\x00\n\n", EINVAL),
        (b"set=1\nallowed_ip=" + b"1" * (2 << 20) + b"\n\n", EINVAL),
        (b"set=1\n" + b"x" * (1 << 20) + b"\n\n", EINVAL),
        (b"get=1\ntrailing\n", EINVAL),
    ]:
        expect(path, request, errno)
    # Errors do not end a connection: a get still works on it afterwards.
    with connect(path) as s:
        s.sendall(b"set=1\nfwmark=-1\n\nget=1\n\n")
        reader = s.makefile("rb")
        assert answer(reader) == b"errno=-22\n\n"
        assert answer(reader).endswith(b"errno=0\n\n")
    for _ in range(30):
        send_and_close(path, os.urandom(rng.randrange(1, 200000)))
    for partial in [b"set=1\nlisten_po", b"get=", b"set=1\npublic_key=" + key.encode(), b"\n"]:
        send_and_close(path, partial)
    # Connections left open half-way must not lock anyone else out (the
    # server may drop the idlest of them to make room).
    idle = [connect(path) for _ in range(100)]
    for s in idle:
        try:
            s.sendall(b"set=1\nlisten_port=1")
        except (BrokenPipeError, ConnectionResetError):
            pass
    expect(path, b"get=1\n\n", 0)
    for s in idle:
        s.close()


def mac1(pubkey, msg):
    key = hashlib.blake2s(b"mac1----" + pubkey).digest()
    return hashlib.blake2s(msg, key=key, digest_size=16).digest()


def handshake(pubkey, kind, size):
    """A message of a handshake type and size with a valid MAC1 and random contents."""
    body = struct.pack("<I", kind) + os.urandom(size - 4 - 32)
    return body + mac1(pubkey, body) + os.urandom(16)


def udp(host, port, pubkey_b64):
    pubkey = base64.b64decode(pubkey_b64)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        for i in range(6000):
            kind = rng.choice([1, 2, 3, 4, rng.randrange(256)])
            if i % 6 == 0:
                size = {1: 148, 2: 92, 3: 64}.get(kind, rng.randrange(16, 200))
            else:
                size = rng.randrange(0, 1500)
            data = struct.pack("<I", kind) + os.urandom(max(size - 4, 0))
            s.sendto(data[:size], (host, port))
        for _ in range(300):
            s.sendto(handshake(pubkey, 1, 148), (host, port))
            s.sendto(handshake(pubkey, 2, 92), (host, port))


def main(argv):
    if len(argv) == 3 and argv[1] == "uapi":
        uapi(argv[2])
    elif len(argv) == 5 and argv[1] == "udp":
        udp(argv[2], int(argv[3]), argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
