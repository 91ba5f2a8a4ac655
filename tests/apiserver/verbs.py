# SPDX-License-Identifier: MIT
"""The object verbs: get, list, create, update (PUT), patch and delete.

Each takes a Request and returns (HTTP code, body); warnings for the
Warning header are collected on the Request. Objects are stored with the
apiVersion they were written with and shown in the version the URL names
(custom resources have no conversion, like a CRD with strategy None).
A main resource with a status subresource ignores status changes; the
/status subresource changes only status (the real registries' strategies).
"""

import json
import random

import apierrors
import discovery
import patches
import resources
import tables
from apierrors import ApiError
from listopts import ListOptions, encode_continue
from store import now_timestamp

TOO_LARGE_WAIT = 3.0        # seconds the real server waits for a future resourceVersion

APPLY = "application/apply-patch+yaml"
PATCH_TYPES = ["application/json-patch+json", "application/merge-patch+json", APPLY]
STRATEGIC = "application/strategic-merge-patch+json"


class Request:
    def __init__(self, store, resource, version, name, subresource, query, body,
                 content_type, accept):
        self.store = store
        self.resource = resource
        self.version = version
        self.name = name
        self.subresource = subresource
        self.query = query
        self.body = body
        self.content_type = (content_type or "").split(";")[0].strip()
        self.table = discovery.wants_table(accept)
        self.warnings = []

    @property
    def dry_run(self):
        return self.query.get("dryRun") == "All"

    @property
    def field_validation(self):
        mode = self.query.get("fieldValidation") or "Warn"
        if mode not in ("Strict", "Warn", "Ignore"):
            raise ApiError(400, "fieldValidation parameter unsupported: %s" % mode)
        return mode

    def present(self, obj):
        obj["apiVersion"] = self.resource.api_version(self.version)
        obj["kind"] = self.resource.kind
        return obj

    def json_body(self):
        try:
            value = json.loads(self.body or b"null")
        except ValueError as err:
            raise ApiError(400, "couldn't get version/kind; json parse error: %s" % err) from None
        return value

    def object_body(self):
        obj = self.json_body()
        if not isinstance(obj, dict):
            raise ApiError(400, "the body of the request must be a JSON object")
        want = self.resource.api_version(self.version)
        if obj.setdefault("apiVersion", want) != want:
            raise ApiError(400, "the API version in the data (%s) does not match the "
                           "expected API version (%s)" % (obj["apiVersion"], want))
        if obj.setdefault("kind", self.resource.kind) != self.resource.kind:
            raise ApiError(400, "the kind in the data (%s) does not match the expected "
                           "kind (%s)" % (obj["kind"], self.resource.kind))
        if not isinstance(obj.setdefault("metadata", {}), dict):
            raise ApiError(400, "metadata must be an object")
        return obj

    def validate(self, obj):
        pruned, warnings = resources.validate(self.resource, self.version, obj,
                                              self.field_validation)
        self.warnings += warnings
        return pruned


def wait_until_current(store, rv):
    if rv is not None and not store.wait_for_rv(rv, TOO_LARGE_WAIT):
        raise ApiError(504, "Too large resource version: %d, current: %d" % (rv, store.rv),
                       details={"causes": [{"reason": "ResourceVersionTooLarge",
                                            "message": "Too large resource version"}],
                                "retryAfterSeconds": 1})


# --- reads ---------------------------------------------------------------------

def get(req):
    obj = req.store.get(req.resource.key, req.name)
    if obj is None:
        raise apierrors.not_found(req.resource, req.name)
    if req.table:
        rv = obj["metadata"]["resourceVersion"]
        return 200, tables.table(req.resource, req.version, [obj], rv)
    return 200, req.present(obj)


EXPIRED_CONTINUE = ("The provided continue parameter is too old to display a consistent "
                    "list result. You can start a new list without the continue parameter.")
EXPIRED_LIST = "The resourceVersion for the provided list is too old."


def list_objects(req):
    opts = ListOptions(req.query)
    start, expired = "", EXPIRED_LIST
    if opts.token:
        (at_rv, start), expired = opts.token, EXPIRED_CONTINUE
    else:
        wait_until_current(req.store, opts.rv)
        at_rv = opts.rv if opts.exact else None
    items, rv = req.store.list(req.resource.key, at_rv, expired)
    items = [o for o in items if o["metadata"]["name"] > start and opts.matches(o)]
    meta = {"resourceVersion": str(rv)}
    if opts.limit and len(items) > opts.limit:
        meta["remainingItemCount"] = len(items) - opts.limit
        items = items[:opts.limit]
        meta["continue"] = encode_continue(rv, items[-1]["metadata"]["name"])
    if req.table:
        body = tables.table(req.resource, req.version, items, rv)
        body["metadata"] = meta
        return 200, body
    if not req.resource.group:
        for obj in items:         # typed lists omit the items' apiVersion and kind
            obj.pop("apiVersion", None)
            obj.pop("kind", None)
    else:
        items = [req.present(o) for o in items]
    return 200, {"kind": req.resource.list_kind, "metadata": meta, "items": items,
                 "apiVersion": req.resource.api_version(req.version)}


# --- writes --------------------------------------------------------------------

NAME_LETTERS = "bcdfghjklmnpqrstvwxz2456789"


def prepare_new(req, obj):
    meta = obj["metadata"]
    if req.name is not None and meta.setdefault("name", req.name) != req.name:
        raise ApiError(400, "the name of the object (%s) does not match the name on "
                       "the URL (%s)" % (meta["name"], req.name))   # server-side apply
    if not meta.get("name") and meta.get("generateName"):
        meta["name"] = meta["generateName"] + "".join(random.choice(NAME_LETTERS) for _ in range(5))
    if not meta.get("name"):
        raise apierrors.invalid(req.resource, "", [(
            "metadata.name", "FieldValueRequired",
            "Required value: name or generateName is required")])
    obj = req.validate(obj)
    if req.resource is resources.CRDS:
        obj["status"] = resources.crd_status(obj, now_timestamp())
    return obj


def create(req):
    obj = prepare_new(req, req.object_body())
    return 201, req.present(req.store.create(req.resource, obj, req.dry_run))


def keep_status(req, old, new):
    """Main resource: status stays; /status: only status changes."""
    if not req.resource.status_subresource:
        return new
    if req.subresource == "status":
        result = old
        if "status" in new:
            result["status"] = new["status"]
        else:
            result.pop("status", None)
        return result
    if "status" in old:
        new["status"] = old["status"]
    else:
        new.pop("status", None)
    return new


def checked_update(req, old, new):
    """The checks every update shares, run under the store's lock."""
    meta = new.get("metadata")
    if not isinstance(meta, dict):
        raise ApiError(400, "metadata must be an object")
    if meta.get("name", req.name) != req.name:
        raise ApiError(400, "the name of the object (%s) does not match the name on "
                       "the URL (%s)" % (meta["name"], req.name))
    wanted = meta.get("resourceVersion")
    if wanted not in (None, "") and wanted != old["metadata"]["resourceVersion"]:
        raise apierrors.conflict(req.resource, req.name)
    new = keep_status(req, old, new)
    new["metadata"].setdefault("name", req.name)
    return req.validate(new)


def update(req):
    new = req.object_body()
    obj, _ = req.store.modify(req.resource, req.name, lambda old: checked_update(req, old, new),
                              req.dry_run)
    return 200, req.present(obj)


def patch_function(req, patch):
    kind = req.content_type
    if kind == "application/json-patch+json":
        return lambda old: patches.json_patch(old, patch)
    if kind == "application/merge-patch+json":
        return lambda old: patches.merge_patch(old, patch)
    if kind == STRATEGIC and req.resource.merge_keys is not None:
        return lambda old: patches.strategic_merge(old, patch, req.resource.merge_keys)
    if kind == APPLY:
        if not req.query.get("fieldManager"):
            raise ApiError(400, "PATCH %s: fieldManager is required for apply requests" % req.name)
        if req.resource.merge_keys is not None:
            return lambda old: patches.strategic_merge(old, patches.strip_directives(patch),
                                                       req.resource.merge_keys)
        return lambda old: patches.merge_patch(old, patch)
    accepted = PATCH_TYPES + ([STRATEGIC] if req.resource.merge_keys is not None else [])
    raise ApiError(415, "the body of the request was in an unknown format - accepted "
                   "media types include: %s" % ", ".join(accepted))


def patch(req):
    try:
        body = req.json_body()
    except ApiError:
        if req.content_type == APPLY:
            raise ApiError(400, "this test server accepts apply patches only as JSON "
                           "(which is valid YAML)") from None
        raise
    apply_patch = patch_function(req, body)
    if req.content_type == APPLY and req.store.get(req.resource.key, req.name) is None:
        return create(req)          # server-side apply creates what is missing

    def change(old):
        try:
            new = apply_patch(old)
        except patches.PatchError as err:
            raise ApiError(err.code, err.message) from None
        if not isinstance(new, dict):
            raise ApiError(422, "the patched object is not a JSON object")
        return checked_update(req, old, new)
    obj, _ = req.store.modify(req.resource, req.name, change, req.dry_run)
    return 200, req.present(obj)


def delete(req):
    options = req.json_body() if req.body else {}
    if not isinstance(options, dict):
        raise ApiError(400, "DeleteOptions must be a JSON object")
    pre = options.get("preconditions") or {}

    def check(old):
        meta = old["metadata"]
        for field, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
            if pre.get(field) and pre[field] != meta.get(field):
                raise ApiError(409, "Precondition failed: %s in precondition: %s, %s in "
                               "object meta: %s" % (label, pre[field], label, meta.get(field)),
                               details=apierrors.details(req.resource, req.name))
    dry_run = req.dry_run or "All" in (options.get("dryRun") or [])
    obj = req.store.delete(req.resource, req.name, check, dry_run)
    return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                 "details": dict(apierrors.details(req.resource, req.name),
                                 uid=obj["metadata"].get("uid"))}
