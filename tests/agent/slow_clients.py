#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Slow and greedy clients against one of kg's HTTP servers, on loopback only.

    slow_clients.py slow HOST:PORT [--tls CA_FILE,SERVER_NAME] [--path PATH]
                         [--deadline SECONDS] [--bound SECONDS]
    slow_clients.py cap HOST:PORT [--tls CA_FILE,SERVER_NAME] [--path PATH]
                        [--deadline SECONDS] [--bound SECONDS] [--cap N]

slow: 12 clients trickle a request head (with --tls, a ClientHello) one byte
a second from 127.0.0.2, and 4 from 127.0.0.3 send a request and never read;
while they are connected, an honest GET PATH from 127.0.0.1 must be answered
within --bound seconds (the latency is printed). Every trickler must then be
cut by the server at its deadline from accept (--deadline, give or take), not
kept as long as it trickles.

cap: the server takes --cap connections at once, a quarter of them at most
from one address. 127.0.0.2 holds a quarter, silent: one more from there is
closed at once, and an honest GET from 127.0.0.1 is answered. 127.0.0.3..5
fill the cap: one more is closed at once, one of the held connections that
now sends its request is answered (the crowd starves no one inside), and a
GET in the slot it left is answered too. The held ones are cut at their
deadline.

Exits 0 when every promise held, 1 with a line saying which did not. Every
wait is bounded; nothing is sent beyond 127.0.0.0/8.
"""
import argparse
import select
import socket
import ssl
import sys
import threading
import time

TRICKLERS, READERS = 12, 4


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def say(message):
    print(message, flush=True)


class Target:
    def __init__(self, args):
        host, _, port = args.target.rpartition(":")
        self.address = (host, int(port))
        self.path = args.path
        self.tls = None
        if args.tls:
            ca_file, self.server_name = args.tls.split(",")
            self.tls = ssl.create_default_context(cafile=ca_file)

    def connect(self, source, timeout=5):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.bind((source, 0))
        s.connect(self.address)
        return s

    def hold(self, source, count):
        """count connections from source, for slow clients; fails if the
        server does not take them."""
        held = []
        for i in range(count):
            try:
                held.append(self.connect(source))
            except OSError as e:
                fail(f"slow client {i + 1} from {source} could not connect: {e}")
        return held

    def head(self, path=None):
        return f"GET {path or self.path} HTTP/1.1\r\nHost: kg\r\nConnection: close\r\n\r\n".encode()

    def ask(self, s, timeout):
        """Sends a GET on s (a TLS handshake first with --tls) and reads the
        answer to its end; the status line, or an exception."""
        s.settimeout(timeout)
        if self.tls:
            s = self.tls.wrap_socket(s, server_hostname=self.server_name)
        s.sendall(self.head())
        answer = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
        s.close()
        if not answer.startswith(b"HTTP/1."):
            raise OSError(f"no HTTP answer: {answer[:60]!r}")
        return answer.split(b"\r\n", 1)[0].decode()

    def first_bytes(self):
        """What a trickler sends: a request head that never ends, or the
        ClientHello of a handshake that never completes."""
        if not self.tls:
            return self.head().rstrip(b"\r\n") + b"\r\nX-Slow: " + b"a" * 4096
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = self.tls.wrap_bio(incoming, outgoing, server_hostname=self.server_name)
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        return outgoing.read()


class Asker(threading.Thread):
    """An honest GET from a fresh connection, in the background."""

    def __init__(self, target, source, timeout):
        super().__init__(daemon=True)
        self.target, self.source, self.timeout = target, source, timeout
        self.status = self.error = None
        self.seconds = None

    def run(self):
        start = time.monotonic()
        try:
            self.status = self.target.ask(self.target.connect(self.source, self.timeout), self.timeout)
        except (OSError, ssl.SSLError) as e:
            self.error = e
        self.seconds = time.monotonic() - start

    def answered(self, what):
        self.join(self.timeout + 1)
        if self.status is None:
            fail(f"{what}: no answer in {self.timeout} s ({self.error or 'still waiting'})")
        say(f"{what}: {self.status!r} in {self.seconds:.3f} s")


def ended(s):
    """Whether the server closed s (or answered on it); never blocks."""
    if not select.select([s], [], [], 0)[0]:
        return False
    try:
        s.recv(1, socket.MSG_PEEK)
    except OSError:
        pass
    return True


def watch_cuts(held, since, deadline, trickle=None):
    """Waits until every connection in held has been ended by the server,
    trickling one byte a second into each if trickle is given; fails unless
    each ended within a second or three of its deadline from accept."""
    cut = {}
    sent = 0
    until = since + deadline + 3
    while len(cut) < len(held) and time.monotonic() < until:
        for i, s in enumerate(held):
            if i in cut:
                continue
            if ended(s):
                cut[i] = time.monotonic() - since
            elif trickle and sent < len(trickle):
                try:
                    s.send(trickle[sent:sent + 1], socket.MSG_DONTWAIT)
                except OSError:
                    cut[i] = time.monotonic() - since
        sent += 1
        time.sleep(1 if trickle else 0.1)
    if len(cut) < len(held):
        fail(f"{len(held) - len(cut)} of {len(held)} slow clients still held after "
             f"{deadline + 3} s (the deadline is {deadline} s)")
    early = [t for t in cut.values() if t < deadline - 1]
    if early:
        fail(f"{len(early)} slow clients cut after {min(early):.1f} s, before the deadline")
    say(f"{len(held)} slow clients cut {min(cut.values()):.1f}-{max(cut.values()):.1f} s "
        f"after they connected (deadline {deadline} s)")
    for s in held:
        s.close()


def slow(target, args):
    trickle = target.first_bytes()
    since = time.monotonic()
    tricklers = target.hold("127.0.0.2", TRICKLERS)
    readers = []
    for s in target.hold("127.0.0.3", READERS):
        if target.tls:
            s = target.tls.wrap_socket(s, server_hostname=target.server_name)
        s.sendall(target.head("/metrics"))
        readers.append(s)
    for s in tricklers:
        s.send(trickle[:1])
    say(f"{TRICKLERS} clients trickling a byte a second, {READERS} that never read")
    time.sleep(1)
    asker = Asker(target, "127.0.0.1", args.bound)
    asker.start()
    # The tricklers go on while the honest client waits.
    watcher = threading.Thread(target=watch_cuts, args=(tricklers, since, args.deadline, trickle[1:]))
    watcher.start()
    asker.answered(f"GET {target.path} beside them")
    watcher.join()
    for s in readers:
        s.close()


def refused(target, source, what):
    """Fails unless a connection from source is closed within 2 s, unanswered."""
    s = target.connect(source)
    start = time.monotonic()
    while not ended(s) and time.monotonic() - start < 2:
        time.sleep(0.05)
    if not ended(s):
        fail(f"{what} was not closed within 2 s")
    s.close()
    say(f"{what} closed after {time.monotonic() - start:.3f} s")


def cap(target, args):
    quarter = args.cap // 4
    since = time.monotonic()
    held = target.hold("127.0.0.2", quarter)
    time.sleep(0.5)
    refused(target, "127.0.0.2", f"connection {quarter + 1} from one address")
    asker = Asker(target, "127.0.0.1", args.bound)
    asker.start()
    asker.answered(f"GET {target.path} from another address beside {quarter} held")
    for source in ("127.0.0.3", "127.0.0.4", "127.0.0.5"):
        held += target.hold(source, quarter)
    time.sleep(0.5)
    refused(target, "127.0.0.6", f"connection {args.cap + 1}")
    start = time.monotonic()
    try:
        status = target.ask(held.pop(0), args.bound)
    except (OSError, ssl.SSLError) as e:
        fail(f"a held connection that sent its request got no answer: {e}")
    say(f"a held connection's GET: {status!r} in {time.monotonic() - start:.3f} s")
    time.sleep(0.2)
    asker = Asker(target, "127.0.0.6", args.bound)
    asker.start()
    asker.answered(f"GET {target.path} in the slot it left")
    watch_cuts(held, since, args.deadline)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=("slow", "cap"))
    parser.add_argument("target")
    parser.add_argument("--tls")
    parser.add_argument("--path", default="/health")
    parser.add_argument("--deadline", type=float, default=10)
    parser.add_argument("--bound", type=float, default=5)
    parser.add_argument("--cap", type=int, default=128)
    args = parser.parse_args()
    if not args.target.startswith("127."):
        fail("loopback targets only")
    target = Target(args)
    (slow if args.scenario == "slow" else cap)(target, args)


if __name__ == "__main__":
    main()
