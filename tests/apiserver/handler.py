# SPDX-License-Identifier: MIT
"""HTTP side: request parsing, authentication, injected faults, routing to
discovery and to the object verbs, Status replies, and the /_admin/ endpoints
that fault tests use.

HTTP/1.1 with Content-Length on every reply and chunked framing for watches:
Go clients (kubectl) keep connections alive and decode watch events per chunk.
"""

import json
import select
import socket
import threading
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler

import apierrors
import discovery
import verbs
from apierrors import ApiError
from listopts import ListOptions
from watch import Watch


class Faults:
    """Failures to inject: answer the next `fail` requests whose path contains
    `match` with HTTP `status`, close the connection of the next `drop`
    requests without an answer, end every watch after `watchTimeout` s."""

    FIELDS = {"fail": int, "status": int, "match": str, "drop": int, "watchTimeout": float}

    def __init__(self):
        self.lock = threading.Lock()
        self.values = {}
        self.set({})

    def set(self, spec):
        unknown = set(spec) - set(self.FIELDS)
        if unknown:
            raise ApiError(400, "unknown fault %s (known: %s)" % (
                ", ".join(sorted(unknown)), ", ".join(sorted(self.FIELDS))))
        try:
            values = {k: t(spec[k]) if spec.get(k) is not None else t()
                      for k, t in self.FIELDS.items()}
        except (TypeError, ValueError) as err:
            raise ApiError(400, "invalid fault value: %s" % err) from None
        values["status"] = values["status"] or 500
        with self.lock:
            self.values = values

    def describe(self):
        with self.lock:
            return dict(self.values)

    def watch_timeout(self):
        with self.lock:
            return self.values["watchTimeout"] or None

    def take(self, path):
        """-> None, "drop", or the HTTP status to fail with."""
        with self.lock:
            v = self.values
            if v["match"] and v["match"] not in path:
                return None
            if v["drop"]:
                v["drop"] -= 1
                return "drop"
            if v["fail"]:
                v["fail"] -= 1
                return v["status"]
            return None


def json_object(body, what):
    try:
        value = json.loads(body or b"{}")
    except ValueError as err:
        raise ApiError(400, "%s: invalid JSON: %s" % (what, err)) from None
    if not isinstance(value, dict):
        raise ApiError(400, "%s: expected a JSON object, not %s" % (what, body.decode()))
    return value


class ChunkedStream:
    def __init__(self, handler):
        self.handler = handler

    def start(self):
        h = self.handler
        h.streaming = True
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Transfer-Encoding", "chunked")
        h.send_header("Cache-Control", "no-cache, private")
        h.end_headers()
        h.wfile.flush()

    def send(self, event):
        data = (json.dumps(event, separators=(",", ":")) + "\n").encode()
        self.handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.handler.wfile.flush()

    def finish(self):
        self.handler.wfile.write(b"0\r\n\r\n")
        self.handler.wfile.flush()
        self.handler.close_connection = True

    def client_gone(self):
        """Clients send nothing while they watch, so anything readable is
        their end of the connection (EOF, or a TLS close_notify)."""
        try:
            readable, _, _ = select.select([self.handler.connection], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def abort(self):
        """Cut the connection mid-stream, as a lost network or a crash would."""
        self.handler.close_connection = True
        self.handler.connection.shutdown(socket.SHUT_RDWR)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kilo-test-apiserver"
    streaming = False           # a watch has sent its headers

    def setup(self):
        super().setup()
        if hasattr(self.connection, "do_handshake"):
            self.connection.do_handshake()

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def log_message(self, fmt, *args):
        if not self.server.quiet:
            super().log_message(fmt, *args)

    def dispatch(self, method):
        try:
            self.serve(method)
        except ApiError as err:
            self.send_json(err.code, err.status())
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as err:        # a bug here: answer like a real server, and say it
            traceback.print_exc()
            if self.streaming:
                raise
            self.send_json(500, ApiError(500, "internal error: %r" % err).status())

    def serve(self, method):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        body = self.read_body()
        if url.path.startswith("/_admin/"):
            self.admin(method, url.path, body)
            return
        self.authenticate()
        fault = self.server.faults.take(url.path)
        if fault == "drop":
            self.close_connection = True
        elif fault:
            raise ApiError(fault, "injected fault (status %d)" % fault)
        else:
            self.route(method, url.path, query, body)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                chunk = self.rfile.read(size + 2)[:size]
                if not size:
                    return b"".join(chunks)
                chunks.append(chunk)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def authenticate(self):
        server = self.server
        if not server.token_file and not server.client_ca:
            return
        if server.client_ca and self.connection.getpeercert():
            return
        if server.token_file:
            with open(server.token_file) as f:     # re-read: tokens rotate
                tokens = {line.strip() for line in f if line.strip()}
            header = self.headers.get("Authorization", "")
            if header.startswith("Bearer ") and header[7:].strip() in tokens:
                return
        raise ApiError(401, "Unauthorized")

    def send_json(self, code, body, content_type="application/json", warnings=()):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        for text in warnings:
            self.send_header("Warning", '299 - "%s"' % text.replace('"', '\\"'))
        self.end_headers()
        self.wfile.write(data)

    def send_found(self, body):
        if body is None:
            raise apierrors.no_such_path()
        self.send_json(200, body)

    def send_text(self, code, text):
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # --- routing ----------------------------------------------------------------

    def route(self, method, path, query, body):
        parts = [p for p in path.split("/") if p]
        registry = self.server.store.registry
        if method == "GET" and self.serve_meta(path, parts, registry):
            return
        if parts[:2] == ["api", "v1"] and len(parts) > 2:
            self.objects(method, "", "v1", parts[2:], query, body)
        elif parts[:1] == ["apis"] and len(parts) > 3:
            self.objects(method, parts[1], parts[2], parts[3:], query, body)
        else:
            raise apierrors.no_such_path()

    def serve_meta(self, path, parts, registry):
        """Discovery, version, health and OpenAPI; False if path is none of them."""
        accept = self.headers.get("Accept", "")
        if path == "/version":
            self.send_json(200, discovery.VERSION)
        elif path in ("/healthz", "/livez", "/readyz"):
            self.send_text(200, "ok")
        elif path in ("/api", "/apis"):
            version = discovery.aggregated_version(accept)
            if version:
                content_type, body = discovery.aggregated(registry, path == "/api", version)
                self.send_json(200, body, content_type)
            elif path == "/api":
                self.send_json(200, discovery.legacy_core("%s:%d" % self.server.server_address[:2]))
            else:
                self.send_json(200, discovery.legacy_groups(registry))
        elif parts[:1] == ["api"] and len(parts) == 2:
            self.send_found(discovery.resource_list(registry, "", parts[1]))
        elif parts[:1] == ["apis"] and len(parts) == 2:
            self.send_found(discovery.api_group(registry, parts[1]))
        elif parts[:1] == ["apis"] and len(parts) == 3:
            self.send_found(discovery.resource_list(registry, parts[1], parts[2]))
        elif path == "/openapi/v3":
            self.send_json(200, discovery.openapi_root(registry))
        elif path.startswith("/openapi/v3/"):
            self.send_found(discovery.openapi_doc(registry, path[len("/openapi/v3/"):]))
        else:
            return False
        return True

    def objects(self, method, group, version, rest, query, body):
        store = self.server.store
        resource = store.registry.find(group, version, rest[0])
        if resource is None or len(rest) > 3 or (len(rest) == 3 and not (
                rest[2] == "status" and resource.status_subresource)):
            raise apierrors.no_such_path()
        req = verbs.Request(store, resource, version, rest[1] if len(rest) > 1 else None,
                            rest[2] if len(rest) > 2 else None, query, body,
                            self.headers.get("Content-Type"), self.headers.get("Accept", ""))
        if req.name is None and method == "GET":
            opts = ListOptions(query)
            if opts.watch:
                self.watch(req, opts)
                return
            action = verbs.list_objects
        elif req.name is None:
            action = {"POST": verbs.create}.get(method)
        else:
            action = {"GET": verbs.get, "PUT": verbs.update, "PATCH": verbs.patch,
                      "DELETE": verbs.delete}.get(method)
        if action is None:
            raise ApiError(405, "the server does not allow this method on the requested resource",
                           reason="MethodNotAllowed", details={})
        code, reply = action(req)
        self.send_json(code, reply, warnings=req.warnings)

    def watch(self, req, opts):
        server = self.server
        with server.counter_lock:
            server.watches += 1
        try:
            Watch(req, opts, ChunkedStream(self), server.bookmark_interval,
                  server.faults.watch_timeout()).run()
        finally:
            with server.counter_lock:
                server.watches -= 1

    # --- fault injection and inspection ------------------------------------------

    def admin(self, method, path, body):
        server, store = self.server, self.server.store
        if method == "GET" and path == "/_admin/state":
            reply = {"resourceVersion": store.rv, "compacted": store.compacted,
                     "watches": server.watches, "faults": server.faults.describe()}
        elif method == "POST" and path == "/_admin/faults":
            server.faults.set(json_object(body, "faults"))
            reply = server.faults.describe()
        elif method == "POST" and path == "/_admin/compact":
            reply = {"compacted": store.compact()}
        elif method == "POST" and path == "/_admin/close-watches":
            abort = json_object(body, "close-watches").get("abort", False)
            store.end_watches(abort=bool(abort))
            reply = {"closed": True, "aborted": bool(abort)}
        else:
            raise apierrors.no_such_path()
        self.send_json(200, reply)
