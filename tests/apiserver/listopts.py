# SPDX-License-Identifier: MIT
"""List and watch query parameters (metav1.ListOptions): selectors,
resourceVersion, paging, watch options. Malformed values are 400 BadRequest
naming the parameter, as on a real server."""

import base64
import json
import re

from apierrors import ApiError

REQUIREMENT = re.compile(r"\s*(!?)\s*([A-Za-z0-9_./-]+)\s*"
                         r"(?:(==|=|!=)\s*([A-Za-z0-9_.-]*)|\s(in|notin)\s*\(([^)]*)\))?\s*$")


def split_requirements(text):
    """Commas inside "in (a,b)" do not separate requirements."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p for p in parts if p.strip()]


def parse_label_selector(text):
    """-> [(key, operator, values)]; "!=" and "notin" also match a missing label."""
    requirements = []
    for part in split_requirements(text or ""):
        m = REQUIREMENT.match(part)
        if not m or (m.group(1) and (m.group(3) or m.group(5))):
            raise ApiError(400, 'unable to parse requirement: invalid label selector "%s"' % part)
        neg, key, op, value, setop, members = m.groups()
        if setop:
            requirements.append((key, setop, {v.strip() for v in members.split(",")}))
        elif op:
            requirements.append((key, "notin" if op == "!=" else "in", {value}))
        else:
            requirements.append((key, "!exists" if neg else "exists", None))
    return requirements


def labels_match(requirements, labels):
    labels = labels or {}
    for key, op, values in requirements:
        found = {"in": labels.get(key) in (values or ()),
                 "notin": labels.get(key) not in (values or ()),
                 "exists": key in labels, "!exists": key not in labels}[op]
        if not found:
            return False
    return True


def parse_field_selector(text):
    """-> [(metadata field, wanted equal, value)]: only metadata.name and
    metadata.namespace, like a CRD's objects."""
    requirements = []
    for part in split_requirements(text or ""):
        m = re.fullmatch(r"\s*([A-Za-z.]+)\s*(==|=|!=)\s*(.*?)\s*", part)
        if not m:
            raise ApiError(400, 'invalid field selector: "%s"' % part)
        field, op, value = m.groups()
        if field not in ("metadata.name", "metadata.namespace"):
            raise ApiError(400, '"%s" is not a known field selector: only '
                           '"metadata.name", "metadata.namespace"' % field)
        requirements.append((field.split(".")[1], op != "!=", value))
    return requirements


def fields_match(requirements, meta):
    return all((meta.get(field, "") == value) == equal for field, equal, value in requirements)


def encode_continue(rv, start):
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_continue(token):
    try:
        state = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(state["rv"]), str(state["start"])
    except (ValueError, KeyError, TypeError) as err:
        raise ApiError(400, "continue key is not valid: %s" % err) from None


def integer(query, name, default=None):
    text = query.get(name, "")
    if text == "":
        return default
    if not re.fullmatch(r"\d+", text):
        raise ApiError(400, 'invalid value for %s: "%s"' % (name, text))
    return int(text)


def flag(query, name):
    return query.get(name, "").lower() in ("true", "t", "1")     # Go's ParseBool


def exact_match(match, rv):
    """resourceVersionMatch: True for Exact, False for NotOlderThan or none."""
    if match and not rv:
        raise ApiError(400, "resourceVersionMatch is forbidden unless resourceVersion is provided")
    if match not in ("", "Exact", "NotOlderThan"):
        raise ApiError(400, 'resourceVersionMatch "%s" is not supported' % match)
    if match == "Exact" and rv == "0":
        raise ApiError(400, 'resourceVersionMatch "Exact" is forbidden for resourceVersion "0"')
    return match == "Exact"


class ListOptions:
    def __init__(self, query):
        rv = query.get("resourceVersion", "")
        if rv not in ("", "0") and not re.fullmatch(r"\d+", rv):
            raise ApiError(400, "invalid resource version: %s" % rv)
        self.rv = int(rv) if rv not in ("", "0") else None
        self.exact = exact_match(query.get("resourceVersionMatch", ""), rv)
        self.watch = flag(query, "watch")
        self.bookmarks = flag(query, "allowWatchBookmarks")
        self.initial_events = flag(query, "sendInitialEvents")
        self.timeout = integer(query, "timeoutSeconds")
        self.limit = integer(query, "limit", 0)
        self.token = decode_continue(query["continue"]) if query.get("continue") else None
        self.labels = parse_label_selector(query.get("labelSelector"))
        self.fields = parse_field_selector(query.get("fieldSelector"))

    def matches(self, obj):
        return obj is not None and labels_match(self.labels, obj["metadata"].get("labels")) \
            and fields_match(self.fields, obj["metadata"])
