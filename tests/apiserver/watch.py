# SPDX-License-Identifier: MIT
"""Watch streams: one JSON event per chunk, as a real API server sends them.

resourceVersion N replays the events after N from the store's history; none
(or "0", or sendInitialEvents=true) first sends the current objects as ADDED.
A resourceVersion older than the history is answered, like the real server
does, with HTTP 200 and a single ERROR event carrying a 410 Expired Status.
With selectors, an object that starts or stops matching is ADDED or DELETED
for this watcher. BOOKMARK events are sent only when asked for.
"""

import time

import tables
from apierrors import ApiError
from verbs import wait_until_current

INITIAL_EVENTS_END = "k8s.io/initial-events-end"
POLL = 1.0          # seconds between checks that the client is still there


class Watch:
    def __init__(self, req, opts, stream, bookmark_interval, forced_timeout):
        """stream has start(), send(event dict), finish(), abort() and
        client_gone(); forced_timeout (seconds or None) ends the watch early,
        as a fault."""
        self.req = req
        self.opts = opts
        self.stream = stream
        self.bookmark_interval = bookmark_interval
        timeouts = [t for t in (opts.timeout, forced_timeout) if t]
        self.deadline = time.monotonic() + min(timeouts) if timeouts else None
        self.first = True

    def run(self):
        opts, key = self.opts, self.req.resource.key
        start = None if opts.rv is None or opts.initial_events else opts.rv
        if start is not None and start > self.req.store.rv:
            wait_until_current(self.req.store, start)
        self.stream.start()
        try:
            initial, cursor, epoch = self.req.store.watch_start(key, start)
            for obj in initial:
                if opts.matches(obj):
                    self.send("ADDED", obj)
            if opts.initial_events and opts.bookmarks:
                self.bookmark(cursor, initial_end=True)
            ending = self.follow(cursor, epoch)
        except ApiError as err:
            self.stream.send({"type": "ERROR", "object": err.status()})
            ending = "finish"
        if ending == "abort":
            self.stream.abort()
        elif ending == "finish":
            self.stream.finish()
        # "gone": nobody is left to tell

    def follow(self, cursor, epoch):
        """Sends events until the watch ends; returns how to end the stream:
        "finish", "abort" (cut, as a fault) or "gone" (the client left)."""
        next_bookmark = time.monotonic() + self.bookmark_interval
        while True:
            now = time.monotonic()
            if self.deadline is not None and now >= self.deadline:
                return "finish"
            if self.stream.client_gone():
                return "gone"
            wait = min(next_bookmark - now, POLL,
                       self.deadline - now if self.deadline is not None else POLL)
            events, cursor = self.req.store.wait_events(self.req.resource.key, cursor,
                                                        epoch, max(wait, 0.0))
            if events is None:
                return "abort" if self.req.store.aborted(epoch) else "finish"
            for ev in events:
                self.translate(ev)
            if time.monotonic() >= next_bookmark:
                if self.opts.bookmarks:
                    self.bookmark(cursor)
                next_bookmark = time.monotonic() + self.bookmark_interval

    def translate(self, ev):
        matched_before = self.opts.matches(ev.prev)
        matches_now = self.opts.matches(ev.obj)
        if ev.type == "DELETED":
            kind = "DELETED" if matched_before else None
        elif matched_before and matches_now:
            kind = ev.type
        elif matches_now:
            kind = "ADDED"
        elif matched_before:
            kind = "DELETED"
        else:
            kind = None
        if kind:
            self.send(kind, ev.obj)

    def send(self, kind, obj):
        req = self.req
        if req.table:
            obj = tables.table(req.resource, req.version, [obj],
                               obj["metadata"]["resourceVersion"], with_columns=self.first)
        else:
            obj = req.present(dict(obj))
        self.first = False
        self.stream.send({"type": kind, "object": obj})

    def bookmark(self, cursor, initial_end=False):
        meta = {"resourceVersion": str(cursor)}
        if initial_end:
            meta["annotations"] = {INITIAL_EVENTS_END: "true"}
        self.stream.send({"type": "BOOKMARK", "object": {
            "kind": self.req.resource.kind,
            "apiVersion": self.req.resource.api_version(self.req.version),
            "metadata": meta}})
