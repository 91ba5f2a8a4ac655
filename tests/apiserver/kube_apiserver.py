#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A Kubernetes API server for tests, in Python's standard library only.

It serves what kubectl and the kg agent use, the way kube-apiserver does:
discovery, OpenAPI v3 stubs for kubectl's validation, Nodes, CRDs and the
custom resources of every CRD (the Kilo Peer), get/list/watch/create/update/
patch/delete, one resourceVersion counter with 410 Expired for compacted
history, Status errors. See README.md for the options and the admin API.

Modules: store (objects, resourceVersions, history, persistence), resources
(types and schema validation), patches (merge, strategic merge, JSON patch),
verbs, watch, discovery, tables, listopts, handler (HTTP), this file (main).
"""

import argparse
import json
import os
import signal
import socket
import ssl
import sys
import threading
from http.server import ThreadingHTTPServer

sys.dont_write_bytecode = True      # keep the source tree clean of __pycache__
from handler import Faults, Handler  # noqa: E402
from resources import Registry  # noqa: E402
from store import Store  # noqa: E402


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, store, faults, args):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)
        self.store = store
        self.faults = faults
        self.quiet = args.quiet
        self.bookmark_interval = args.bookmark_interval
        self.token_file = args.token_file
        self.client_ca = args.client_ca
        self.counter_lock = threading.Lock()
        self.watches = 0

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):
            return super().handle_error(request, client_address)
        # A client that hangs up or fails the TLS handshake is not a server bug.
        print("kube_apiserver: connection from %s:%d failed: %s"
              % (client_address[0], client_address[1], error), file=sys.stderr, flush=True)
        return None


def tls_context(args):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    if args.client_ca:
        # Optional, so that token-only clients are still let in (and checked).
        context.load_verify_locations(args.client_ca)
        context.verify_mode = ssl.CERT_OPTIONAL
    return context


def yaml_string(text):
    return json.dumps(text)     # a JSON string is a valid YAML scalar


def write_atomically(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def kubeconfig(url, args):
    cluster = ["    server: %s" % yaml_string(url)]
    if args.tls_cert:
        cluster.append("    certificate-authority: %s"
                       % yaml_string(os.path.abspath(args.kubeconfig_ca or args.tls_cert)))
    user = []
    if args.token_file:
        with open(args.token_file) as f:
            user.append("    token: %s" % yaml_string(f.readline().strip()))
    for field, path in (("client-certificate", args.kubeconfig_client_cert),
                        ("client-key", args.kubeconfig_client_key)):
        if path:
            user.append("    %s: %s" % (field, yaml_string(os.path.abspath(path))))
    return "\n".join(["apiVersion: v1", "kind: Config", "clusters:", "- name: kilo-test",
                      "  cluster:"] + cluster +
                     ["contexts:", "- name: kilo-test", "  context:",
                      "    cluster: kilo-test", "    user: kilo-test",
                      "current-context: kilo-test", "preferences: {}", "users:",
                      "- name: kilo-test", "  user:" + ("" if user else " {}")] + user) + "\n"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--listen", default="127.0.0.1:0", metavar="HOST:PORT",
                   help="address to serve on; port 0 picks a free one (default %(default)s)")
    p.add_argument("--state", metavar="FILE",
                   help="keep objects and resourceVersions in FILE across restarts")
    p.add_argument("--kubeconfig", metavar="FILE",
                   help="write a kubeconfig for this server to FILE once it listens")
    p.add_argument("--url-file", metavar="FILE", help="write the server's URL to FILE")
    p.add_argument("--history", type=int, default=1000, metavar="N",
                   help="events kept for watches; older resourceVersions get 410")
    p.add_argument("--bookmark-interval", type=float, default=60.0, metavar="S",
                   help="seconds between BOOKMARK events (when asked for)")
    p.add_argument("--fail-requests", type=int, default=0, metavar="N",
                   help="answer the first N requests with --fail-status")
    p.add_argument("--fail-status", type=int, default=500, metavar="CODE")
    p.add_argument("--fail-match", default="", metavar="TEXT",
                   help="only requests whose path contains TEXT fail")
    p.add_argument("--watch-timeout", type=float, metavar="S",
                   help="end every watch after S seconds")
    p.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this certificate")
    p.add_argument("--tls-key", metavar="FILE")
    p.add_argument("--client-ca", metavar="FILE",
                   help="accept client certificates signed by this CA as authentication")
    p.add_argument("--token-file", metavar="FILE",
                   help="require a bearer token listed in FILE (re-read on every request)")
    p.add_argument("--kubeconfig-ca", metavar="FILE",
                   help="CA for the kubeconfig (default: --tls-cert, self-signed)")
    p.add_argument("--kubeconfig-client-cert", metavar="FILE")
    p.add_argument("--kubeconfig-client-key", metavar="FILE")
    p.add_argument("--quiet", action="store_true", help="do not log requests")
    args = p.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    if args.client_ca and not args.tls_cert:
        p.error("--client-ca needs --tls-cert and --tls-key")
    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        p.error("--listen must be HOST:PORT, not %r" % args.listen)
    args.address = (host.strip("[]"), int(port))
    return args


def main(argv):
    args = parse_args(argv)
    try:
        store = Store(Registry(), args.history, args.state)
    except (OSError, ValueError, KeyError, TypeError) as err:
        print("kube_apiserver: cannot load state from %s: %r" % (args.state, err), file=sys.stderr)
        return 2
    faults = Faults()
    faults.set({"fail": args.fail_requests, "status": args.fail_status,
                "match": args.fail_match, "watchTimeout": args.watch_timeout})
    server = ApiServer(args.address, store, faults, args)
    scheme = "http"
    if args.tls_cert:
        server.socket = tls_context(args).wrap_socket(server.socket, server_side=True,
                                                      do_handshake_on_connect=False)
        scheme = "https"
    host, port = server.server_address[:2]
    url = "%s://%s:%d" % (scheme, "[%s]" % host if ":" in host else host, port)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    serving = threading.Thread(target=server.serve_forever, name="serve")
    serving.start()
    if args.kubeconfig:
        write_atomically(args.kubeconfig, kubeconfig(url, args))
    if args.url_file:
        write_atomically(args.url_file, url + "\n")
    print("kube_apiserver: serving %s (resourceVersion %d)" % (url, store.rv),
          file=sys.stderr, flush=True)
    stop.wait()
    store.end_watches()
    server.shutdown()
    server.server_close()
    serving.join()
    print("kube_apiserver: stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
