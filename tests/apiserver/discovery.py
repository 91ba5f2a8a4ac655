# SPDX-License-Identifier: MIT
"""What clients read before they touch an object: /version, API discovery
(aggregated apidiscovery.k8s.io v2/v2beta1 and the legacy per-group lists)
and the OpenAPI v3 documents kubectl's --validate looks for.

kubectl picks the discovery format from the reply's Content-Type, so the
aggregated form is sent only with the exact media type the client asked for.
kubectl only needs a PATCH operation that declares the fieldValidation query
parameter per kind in OpenAPI v3 to hand validation to the server.
"""

import hashlib
import json

VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.0", "gitCommit": "",
           "gitTreeState": "clean", "buildDate": "2025-01-01T00:00:00Z",
           "goVersion": "go1.23", "compiler": "gc", "platform": "linux/amd64"}

VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]
STATUS_VERBS = ["get", "patch", "update"]

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=%s;as=APIGroupDiscoveryList"


def media_types(accept):
    """Accept header -> [(type, {param: value})] in the client's order."""
    result = []
    for part in (accept or "").split(","):
        fields = [f.strip() for f in part.split(";")]
        params = dict(f.split("=", 1) for f in fields[1:] if "=" in f)
        result.append((fields[0], params))
    return result


def aggregated_version(accept):
    for mtype, params in media_types(accept):
        if params.get("as") == "APIGroupDiscoveryList" and \
                params.get("g") == "apidiscovery.k8s.io" and params.get("v") in ("v2", "v2beta1"):
            return params["v"]
        if mtype in ("application/json", "*/*"):
            return None
    return None


def wants_table(accept):
    return any(p.get("as") == "Table" and p.get("g") == "meta.k8s.io"
               for _, p in media_types(accept))


def group_resources(registry, group):
    """{version: [resource]} for one group, versions in preference order."""
    versions = {}
    for r in registry.all():
        if r.group == group:
            for v in r.versions:
                versions.setdefault(v, []).append(r)
    return versions


def groups(registry):
    return sorted({r.group for r in registry.all() if r.group})


def aggregated(registry, core, version):
    """(content type, body) of GET /api (core) or GET /apis."""
    names = [""] if core else groups(registry)
    items = []
    for group in names:
        per_version = group_resources(registry, group)
        items.append({"metadata": {"name": group} if group else {},
                      "versions": [{"version": v, "freshness": "Current",
                                    "resources": [aggregated_resource(r, v) for r in rs]}
                                   for v, rs in per_version.items()]})
    body = {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/" + version,
            "metadata": {}, "items": items}
    return AGGREGATED % version, body


def aggregated_resource(r, version):
    entry = {"resource": r.plural, "scope": "Cluster", "singularResource": r.singular,
             "responseKind": {"group": r.group, "version": version, "kind": r.kind},
             "verbs": VERBS}
    if r.status_subresource:
        entry["subresources"] = [{"subresource": "status", "verbs": STATUS_VERBS,
                                  "responseKind": entry["responseKind"]}]
    if r.short_names:
        entry["shortNames"] = r.short_names
    if r.categories:
        entry["categories"] = r.categories
    return entry


def legacy_core(server_address):
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                            "serverAddress": server_address}]}


def api_group(registry, group):
    versions = [{"groupVersion": "%s/%s" % (group, v), "version": v}
                for v in group_resources(registry, group)]
    if not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group,
            "versions": versions, "preferredVersion": versions[0]}


def legacy_groups(registry):
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [{k: v for k, v in api_group(registry, g).items()
                        if k not in ("kind", "apiVersion")} for g in groups(registry)]}


def resource_list(registry, group, version):
    resources = group_resources(registry, group).get(version)
    if not resources:
        return None
    gv = "%s/%s" % (group, version) if group else version
    entries = []
    for r in resources:
        entries.append({"name": r.plural, "singularName": r.singular, "namespaced": False,
                        "kind": r.kind, "verbs": VERBS, "shortNames": r.short_names})
        if r.status_subresource:
            entries.append({"name": r.plural + "/status", "singularName": "",
                            "namespaced": False, "kind": r.kind, "verbs": STATUS_VERBS})
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
            "resources": entries}


# --- OpenAPI v3 --------------------------------------------------------------

def openapi_paths(registry):
    """{"api/v1": doc, "apis/G/V": doc} for every served group version."""
    docs = {}
    for r in registry.all():
        for v in r.versions:
            path = r.prefix(v).lstrip("/")
            info = {"title": "Kubernetes", "version": VERSION["gitVersion"]}
            doc = docs.setdefault(path, {"openapi": "3.0.0", "info": info, "paths": {}})
            doc["paths"]["%s/%s/{name}" % (r.prefix(v), r.plural)] = {"patch": {
                "x-kubernetes-group-version-kind": {"group": r.group, "version": v, "kind": r.kind},
                "parameters": [{"name": "fieldValidation", "in": "query",
                                "schema": {"type": "string", "uniqueItems": True}}]}}
    return docs


def doc_hash(doc):
    return hashlib.sha512(json.dumps(doc, sort_keys=True).encode()).hexdigest().upper()


def openapi_root(registry):
    return {"paths": {path: {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (path, doc_hash(doc))}
                      for path, doc in openapi_paths(registry).items()}}


def openapi_doc(registry, path):
    return openapi_paths(registry).get(path)
