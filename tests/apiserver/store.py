# SPDX-License-Identifier: MIT
"""The object store: what etcd plus the watch cache are to a real API server.

One global resourceVersion counter, bumped by every change, stored as a
string in the object and in its event. A bounded event history (with the
state before each change) serves watches and paged lists from a past
resourceVersion; anything older than the history is "compacted" and answers
410 Expired. A change that leaves an object equal to what is stored is no
change: no new resourceVersion and no event, like the real server.

Every method takes the lock itself; objects handed out are copies. With a
state file, every change is written to it (atomically), so a restarted
server keeps its objects and resourceVersions. The history is not kept: after
a restart every older resourceVersion is expired, as after a real restart.
"""

import collections
import copy
import json
import os
import threading
import time
import uuid

import apierrors
from resources import CRDS

EMPTY_OMITTED = ("labels", "annotations", "finalizers", "ownerReferences", "managedFields")

Event = collections.namedtuple("Event", "rv key type obj prev")


def now_timestamp():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def omit_empty(meta):
    """Go's omitempty on ObjectMeta: removing the last label leaves no {}."""
    for field in EMPTY_OMITTED:
        if field in meta and not meta[field]:
            del meta[field]


class Store:
    def __init__(self, registry, history_limit=1000, state_file=None):
        self.cond = threading.Condition()
        self.registry = registry
        self.history_limit = history_limit
        self.state_file = state_file
        self.rv = 0
        self.compacted = 0          # events with rv <= compacted are gone
        self.objects = collections.defaultdict(dict)   # key -> name -> object
        self.history = collections.deque()
        self.watch_epoch = 0        # bumped to end every open watch
        self.aborted_epochs = set()     # ended by cutting the connection
        if state_file and os.path.exists(state_file):
            self.load()

    # --- reads --------------------------------------------------------------

    def get(self, key, name):
        with self.cond:
            return copy.deepcopy(self.objects[key].get(name))

    def list(self, key, at_rv=None, expired_message=None):
        """Objects sorted by name and the resourceVersion they are current at.
        at_rv rebuilds an older state from the history (list paging, Exact
        lists); older than the history it is expired_message, a 410."""
        with self.cond:
            items = dict(self.objects[key])
            if at_rv is not None and at_rv < self.rv:
                if at_rv < self.compacted:
                    raise apierrors.expired(expired_message)
                for ev in reversed(self.history):
                    if ev.rv <= at_rv:
                        break
                    if ev.key == key:
                        name = ev.obj["metadata"]["name"]
                        if ev.prev is None:
                            items.pop(name, None)
                        else:
                            items[name] = ev.prev
            rv = self.rv if at_rv is None else at_rv
            return [copy.deepcopy(items[n]) for n in sorted(items)], rv

    # --- writes -------------------------------------------------------------

    def create(self, resource, obj, dry_run=False):
        with self.cond:
            name = obj["metadata"]["name"]
            if name in self.objects[resource.key]:
                raise apierrors.already_exists(resource, name)
            meta = obj["metadata"]
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = now_timestamp()
            if resource.group:
                meta["generation"] = 1
            for field in ("resourceVersion", "deletionTimestamp", "selfLink"):
                meta.pop(field, None)
            omit_empty(meta)
            if dry_run:
                return copy.deepcopy(obj)
            return self.commit(resource.key, "ADDED", obj, None)

    def modify(self, resource, name, change, dry_run=False):
        """change(current) -> new object; returns (object, changed)."""
        with self.cond:
            old = self.objects[resource.key].get(name)
            if old is None:
                raise apierrors.not_found(resource, name)
            new = change(copy.deepcopy(old))
            meta, old_meta = new.setdefault("metadata", {}), old["metadata"]
            for field in ("name", "uid", "creationTimestamp", "generation"):
                if field in old_meta:
                    meta[field] = old_meta[field]
            meta["resourceVersion"] = old_meta["resourceVersion"]
            omit_empty(meta)
            if new == old:
                return copy.deepcopy(old), False
            if resource.group and new.get("spec") != old.get("spec"):
                meta["generation"] = old_meta.get("generation", 1) + 1
            if dry_run:
                return new, True
            return self.commit(resource.key, "MODIFIED", new, old), True

    def delete(self, resource, name, check=None, dry_run=False):
        """check(current) may raise (preconditions); CRDs take their objects along."""
        with self.cond:
            old = self.objects[resource.key].get(name)
            if old is None:
                raise apierrors.not_found(resource, name)
            if check:
                check(copy.deepcopy(old))
            if dry_run:
                return copy.deepcopy(old)
            if resource.key == CRDS.key:
                spec = old["spec"]
                owned = (spec["group"], spec["names"]["plural"])
                for obj in list(self.objects[owned].values()):
                    self.commit(owned, "DELETED", copy.deepcopy(obj), obj)
            return self.commit(resource.key, "DELETED", copy.deepcopy(old), old)

    def commit(self, key, kind, obj, prev):
        """Called with the lock held: one change, one resourceVersion, one event."""
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        name = obj["metadata"]["name"]
        if kind == "DELETED":
            del self.objects[key][name]
        else:
            self.objects[key][name] = obj
        self.history.append(Event(self.rv, key, kind, copy.deepcopy(obj), prev))
        while len(self.history) > self.history_limit:
            self.compacted = self.history.popleft().rv
        if key == CRDS.key:
            self.registry.set_crds(self.objects[CRDS.key].values())
        self.save()
        self.cond.notify_all()
        return copy.deepcopy(obj)

    # --- watch --------------------------------------------------------------

    def watch_start(self, key, rv):
        """(initial objects, cursor, epoch). rv None means "now, with the
        current objects as ADDED events first", as rv "0" and "" do."""
        with self.cond:
            if rv is None:
                items = [copy.deepcopy(o) for _, o in sorted(self.objects[key].items())]
                return items, self.rv, self.watch_epoch
            if rv < self.compacted:
                raise apierrors.too_old(rv, self.compacted + 1)
            return [], rv, self.watch_epoch

    def wait_events(self, key, cursor, epoch, timeout):
        """Events of key after cursor, waiting up to timeout for the first.
        Returns (events, new cursor), or (None, cursor) once the watch must end."""
        with self.cond:
            deadline = time.monotonic() + timeout
            while True:
                if epoch != self.watch_epoch or self.registry.by_key(key) is None:
                    return None, cursor     # ended, or its CRD was deleted
                if cursor < self.compacted:
                    raise apierrors.too_old(cursor, self.compacted + 1)
                events = [e for e in self.history if e.rv > cursor and e.key == key]
                cursor = max(cursor, self.rv)
                if events:
                    return events, cursor
                left = deadline - time.monotonic()
                if left <= 0:
                    return [], cursor
                self.cond.wait(left)

    def wait_for_rv(self, rv, timeout):
        with self.cond:
            return self.cond.wait_for(lambda: self.rv >= rv, timeout)

    def end_watches(self, abort=False):
        with self.cond:
            if abort:
                self.aborted_epochs.add(self.watch_epoch)
            self.watch_epoch += 1
            self.cond.notify_all()

    def aborted(self, epoch):
        with self.cond:
            return epoch in self.aborted_epochs

    def compact(self):
        with self.cond:
            self.history.clear()
            self.compacted = self.rv
            self.cond.notify_all()
            return self.rv

    # --- persistence --------------------------------------------------------

    def save(self):
        if not self.state_file:
            return
        state = {"resourceVersion": self.rv,
                 "objects": [{"group": g, "plural": p, "items": list(objs.values())}
                             for (g, p), objs in sorted(self.objects.items()) if objs]}
        tmp = self.state_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(state, f, indent=1, sort_keys=True)
        os.replace(tmp, self.state_file)

    def load(self):
        with open(self.state_file) as f:
            state = json.load(f)
        self.rv = self.compacted = int(state["resourceVersion"])
        for entry in state["objects"]:
            key = (entry["group"], entry["plural"])
            self.objects[key] = {o["metadata"]["name"]: o for o in entry["items"]}
        self.registry.set_crds(self.objects[CRDS.key].values())
