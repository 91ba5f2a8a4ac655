#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Make a cluster's API server reachable inside a node's network namespace.

    apiproxy.py NETNS PORT [ADDRESS]

listens on 127.0.0.1:PORT (or ADDRESS:PORT) inside /run/netns/NETNS and forwards every
connection to 127.0.0.1:PORT of the namespace it was started in, where the
test API server listens. So every node reaches the API server out of band,
as a k3s agent reaches its server through its local load balancer, and the
control plane never crosses the links between the clouds: a capture there
sees the mesh's traffic only. Prints "ready" once it listens.
"""
import ctypes
import os
import socket
import sys
import threading

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)


def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def listen_in(netns, port, address):
    # Only this thread switches, and it switches back before any other
    # thread exists: the connections to the server start from home.
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open("/run/netns/" + netns, os.O_RDONLY)
    try:
        setns(target)
        try:
            return socket.create_server((address, port))
        finally:
            setns(home)
    finally:
        os.close(target)
        os.close(home)


def pump(src, dst):
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(client, port):
    try:
        server = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError:
        client.close()
        return
    server.settimeout(None)
    threading.Thread(target=pump, args=(server, client), daemon=True).start()
    pump(client, server)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: apiproxy.py NETNS PORT [ADDRESS]")
    port = int(sys.argv[2])
    address = sys.argv[3] if len(sys.argv) == 4 else "127.0.0.1"
    listener = listen_in(sys.argv[1], port, address)
    print("ready", flush=True)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve, args=(client, port), daemon=True).start()


if __name__ == "__main__":
    main()
