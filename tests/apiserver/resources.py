# SPDX-License-Identifier: MIT
"""The resource types the server serves: Nodes and CustomResourceDefinitions
built in, plus one cluster-scoped resource per stored CRD (the Kilo Peer).

A Resource says how its objects are named, which versions are served, which
lists a strategic merge patch merges (merge_keys; None = no strategic merge
patch, as for custom resources) and the OpenAPI schema an object must match.
validate() checks an object the way the real server's decoder and the CRD's
structural schema do: unknown fields are errors under fieldValidation=Strict
and are pruned otherwise; type and required errors are 422 Invalid.
"""

import re

import apierrors


class Resource:
    def __init__(self, group, plural, kind, versions, singular=None,
                 short_names=(), list_kind=None, schemas=None, merge_keys=None,
                 categories=(), printer_columns=None, status_subresource=False):
        self.group = group
        self.plural = plural
        self.kind = kind
        self.versions = versions            # served, preferred first
        self.singular = singular or kind.lower()
        self.short_names = list(short_names)
        self.list_kind = list_kind or kind + "List"
        self.schemas = schemas or {}        # version -> openAPIV3Schema
        self.merge_keys = merge_keys
        self.categories = list(categories)
        self.printer_columns = printer_columns or {}   # version -> CRD columns
        self.status_subresource = status_subresource   # main resource ignores status
        self.qualified = plural if not group else "%s.%s" % (plural, group)

    @property
    def key(self):
        return (self.group, self.plural)

    def api_version(self, version):
        return "%s/%s" % (self.group, version) if self.group else version

    def prefix(self, version):
        return "/apis/%s/%s" % (self.group, version) if self.group else "/api/" + version


# --- schemas ---------------------------------------------------------------

STRING = {"type": "string"}
STRING_MAP = {"type": "object", "additionalProperties": STRING}
ANYTHING = {"x-kubernetes-preserve-unknown-fields": True}
OPEN_OBJECT = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}

OBJECT_META = {"type": "object", "properties": {
    "name": STRING, "generateName": STRING, "namespace": STRING, "uid": STRING,
    "resourceVersion": STRING, "generation": {"type": "integer"},
    "creationTimestamp": {"type": "string", "nullable": True},
    "deletionTimestamp": {"type": "string", "nullable": True},
    "deletionGracePeriodSeconds": {"type": "integer"},
    "labels": STRING_MAP, "annotations": STRING_MAP, "selfLink": STRING,
    "finalizers": {"type": "array", "items": STRING},
    "ownerReferences": {"type": "array", "items": OPEN_OBJECT},
    "managedFields": {"type": "array", "items": OPEN_OBJECT},
}}

NODE_SCHEMA = {"type": "object", "properties": {
    "spec": {"type": "object", "properties": {
        "podCIDR": STRING, "podCIDRs": {"type": "array", "items": STRING},
        "providerID": STRING, "unschedulable": {"type": "boolean"},
        "externalID": STRING, "configSource": OPEN_OBJECT,
        "taints": {"type": "array", "items": {"type": "object", "properties": {
            "key": STRING, "value": STRING, "effect": STRING,
            "timeAdded": {"type": "string", "nullable": True}}}},
    }},
    "status": OPEN_OBJECT,
}}

CRD_SCHEMA = {"type": "object", "required": ["spec"], "properties": {
    "spec": {"type": "object", "required": ["group", "names", "scope", "versions"],
             "properties": {
        "group": STRING,
        "scope": {"type": "string", "enum": ["Cluster", "Namespaced"]},
        "preserveUnknownFields": {"type": "boolean"},
        "conversion": OPEN_OBJECT,
        "names": {"type": "object", "required": ["plural", "kind"], "properties": {
            "plural": STRING, "singular": STRING, "kind": STRING, "listKind": STRING,
            "shortNames": {"type": "array", "items": STRING},
            "categories": {"type": "array", "items": STRING}}},
        "versions": {"type": "array", "items": {
            "type": "object", "required": ["name", "served", "storage"], "properties": {
                "name": STRING, "served": {"type": "boolean"},
                "storage": {"type": "boolean"}, "deprecated": {"type": "boolean"},
                "deprecationWarning": STRING, "schema": OPEN_OBJECT,
                "subresources": OPEN_OBJECT, "selectableFields": ANYTHING,
                "additionalPrinterColumns": {"type": "array", "items": OPEN_OBJECT}}}},
    }},
    "status": OPEN_OBJECT,
}}

# Lists that the Go types tag with patchStrategy=merge (k8s.io/api/core/v1).
NODE_MERGE_KEYS = {
    ("metadata", "finalizers"): "",
    ("metadata", "ownerReferences"): "uid",
    ("spec", "podCIDRs"): "",
    ("status", "addresses"): "type",
    ("status", "conditions"): "type",
}
META_MERGE_KEYS = {k: v for k, v in NODE_MERGE_KEYS.items() if k[0] == "metadata"}

NODES = Resource("", "nodes", "Node", ["v1"], short_names=["no"],
                 schemas={"v1": NODE_SCHEMA}, merge_keys=NODE_MERGE_KEYS,
                 status_subresource=True)
CRDS = Resource("apiextensions.k8s.io", "customresourcedefinitions",
                "CustomResourceDefinition", ["v1"], short_names=["crd", "crds"],
                schemas={"v1": CRD_SCHEMA}, merge_keys=META_MERGE_KEYS,
                status_subresource=True)


# --- custom resources ------------------------------------------------------

def version_rank(name):
    """Kubernetes' version priority: GA before beta before alpha, higher first."""
    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", name)
    if not m:
        return (3, 0, 0, name)
    level = {None: 0, "beta": 1, "alpha": 2}[m.group(2)]
    return (level, -int(m.group(1)), -int(m.group(3) or 0), name)


def resource_from_crd(crd):
    spec = crd["spec"]
    names = spec["names"]
    served = [v for v in spec["versions"] if v.get("served")]
    served.sort(key=lambda v: version_rank(v["name"]))
    return Resource(spec["group"], names["plural"], names["kind"],
                    [v["name"] for v in served], singular=names.get("singular"),
                    short_names=names.get("shortNames", ()),
                    list_kind=names.get("listKind"),
                    categories=names.get("categories", ()),
                    schemas={v["name"]: (v.get("schema") or {}).get("openAPIV3Schema", ANYTHING)
                             for v in served},
                    printer_columns={v["name"]: v.get("additionalPrinterColumns", [])
                                     for v in served},
                    status_subresource=any("status" in (v.get("subresources") or {})
                                           for v in served))


def check_crd(crd):
    """The CRD rules this server relies on, as 422 causes."""
    spec, causes = crd["spec"], []
    expected = "%s.%s" % (spec["names"]["plural"], spec["group"])
    if crd["metadata"].get("name") != expected:
        causes.append(("metadata.name", "FieldValueInvalid",
                       'Invalid value: "%s": must be spec.names.plural+"."+spec.group'
                       % crd["metadata"].get("name")))
    if spec["scope"] != "Cluster":
        causes.append(("spec.scope", "FieldValueNotSupported",
                       'Unsupported value: "%s": this test server serves only '
                       'cluster-scoped resources' % spec["scope"]))
    if sum(1 for v in spec["versions"] if v["storage"]) != 1:
        causes.append(("spec.versions", "FieldValueInvalid",
                       "Invalid value: must have exactly one version marked as "
                       "storage version"))
    return causes


def crd_status(crd, timestamp):
    """What the apiextensions controllers write once the names are accepted."""
    spec = crd["spec"]
    names = dict(spec["names"])
    names.setdefault("singular", names["kind"].lower())
    names.setdefault("listKind", names["kind"] + "List")
    def condition(kind, reason, message):
        return {"type": kind, "status": "True", "lastTransitionTime": timestamp,
                "reason": reason, "message": message}
    return {"acceptedNames": names,
            "conditions": [condition("NamesAccepted", "NoConflicts", "no conflicts found"),
                           condition("Established", "InitialNamesAccepted",
                                     "the initial names have been accepted")],
            "storedVersions": [v["name"] for v in spec["versions"] if v["storage"]]}


class Registry:
    """Built-in resources plus those of the stored CRDs."""

    def __init__(self):
        self.builtin = [NODES, CRDS]
        self.custom = []

    def set_crds(self, crds):
        self.custom = sorted((resource_from_crd(c) for c in crds),
                             key=lambda r: (r.group, r.plural))

    def all(self):
        return self.builtin + self.custom

    def find(self, group, version, plural):
        for r in self.all():
            if r.group == group and r.plural == plural and version in r.versions:
                return r
        return None

    def by_key(self, key):
        return next((r for r in self.all() if r.key == key), None)


# --- validation ------------------------------------------------------------

NAME_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
NAME_HELP = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
             "characters, '-' or '.', and must start and end with an alphanumeric "
             "character (e.g. 'example.com', regex used for validation is "
             "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")

JSON_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool,
              "integer": int, "number": (int, float)}


def type_name(value):
    for name in ("boolean", "object", "array", "string", "integer", "number"):
        if isinstance(value, JSON_TYPES[name]):
            return name
    return "null"


def has_type(value, wanted):
    if isinstance(value, bool):
        return wanted == "boolean"
    return isinstance(value, JSON_TYPES[wanted])


class Checker:
    def __init__(self):
        self.causes = []
        self.unknown = []

    def check(self, value, schema, path):
        """Returns the value with unknown fields and non-nullable nulls pruned."""
        if schema.get("x-kubernetes-int-or-string") and isinstance(value, (int, str)):
            return value
        wanted = schema.get("type")
        if wanted and not has_type(value, wanted):
            actual = type_name(value)
            self.causes.append((path, "FieldValueTypeInvalid",
                                'Invalid value: "%s": %s in body must be of type %s: "%s"'
                                % (actual, path, wanted, actual)))
            return value
        if "enum" in schema and value not in schema["enum"]:
            self.causes.append((path, "FieldValueNotSupported",
                                "Unsupported value: %r: supported values: %s"
                                % (value, ", ".join('"%s"' % e for e in schema["enum"]))))
        if isinstance(value, dict):
            return self.check_object(value, schema, path)
        if isinstance(value, list) and "items" in schema:
            return [self.check(x, schema["items"], "%s[%d]" % (path, i))
                    for i, x in enumerate(value)]
        return value

    def check_object(self, value, schema, path):
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        keep = schema.get("x-kubernetes-preserve-unknown-fields", False)
        result = {}
        for key, item in value.items():
            where = "%s.%s" % (path, key) if path else key
            sub = props.get(key, extra if isinstance(extra, dict) else None)
            if item is None and not (sub or {}).get("nullable"):
                continue
            if sub is not None:
                result[key] = self.check(item, sub, where)
            elif keep or extra is True:
                result[key] = item
            else:
                self.unknown.append(where)
        for key in schema.get("required", []):
            if key not in result:
                where = "%s.%s" % (path, key) if path else key
                self.causes.append((where, "FieldValueRequired", "Required value"))
        return result


def validate(resource, version, obj, field_validation):
    """Returns (pruned object, warnings) or raises ApiError."""
    schema = dict(resource.schemas.get(version) or ANYTHING)
    schema["properties"] = dict(schema.get("properties", {}),
                                apiVersion=STRING, kind=STRING, metadata=OBJECT_META)
    checker = Checker()
    pruned = checker.check(obj, schema, "")
    name = obj.get("metadata", {}).get("name", "")
    if checker.unknown and field_validation == "Strict":
        raise apierrors.ApiError(400, '%s in version "%s" cannot be handled as a %s: '
                                 'strict decoding error: %s'
                                 % (resource.kind, version, resource.kind,
                                    ", ".join('unknown field "%s"' % u for u in checker.unknown)))
    if not NAME_RE.fullmatch(name) or len(name) > 253:
        checker.causes.append(("metadata.name", "FieldValueInvalid",
                               'Invalid value: "%s": %s' % (name, NAME_HELP)))
    if not checker.causes and resource is CRDS:
        checker.causes = check_crd(pruned)
    if checker.causes:
        raise apierrors.invalid(resource, name, checker.causes)
    warnings = [] if field_validation == "Ignore" else \
        ['unknown field "%s"' % u for u in checker.unknown]
    return pruned, warnings
