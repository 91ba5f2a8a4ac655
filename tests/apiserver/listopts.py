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
    """-> predicate over a labels dict."""
    checks = []
    for part in split_requirements(text or ""):
        m = REQUIREMENT.match(part)
        if not m or (m.group(1) and (m.group(3) or m.group(5))):
            raise ApiError(400, 'unable to parse requirement: invalid label selector "%s"' % part)
        neg, key, op, value, setop, values = m.groups()
        if setop:
            members = {v.strip() for v in values.split(",")}
            checks.append(lambda l, k=key, s=members, o=setop:
                          (l.get(k) in s) if o == "in" else (l.get(k) not in s))
        elif op:
            checks.append(lambda l, k=key, v=value, o=op:
                          (l.get(k) == v) if o != "!=" else (l.get(k) != v))
        else:
            checks.append(lambda l, k=key, n=bool(neg): (k in l) != n)
    return lambda labels: all(c(labels or {}) for c in checks)


def parse_field_selector(text):
    """Only metadata.name and metadata.namespace, like a CRD's objects."""
    checks = []
    for part in split_requirements(text or ""):
        m = re.fullmatch(r"\s*([A-Za-z.]+)\s*(==|=|!=)\s*(.*?)\s*", part)
        if not m:
            raise ApiError(400, 'invalid field selector: "%s"' % part)
        field, op, value = m.groups()
        if field not in ("metadata.name", "metadata.namespace"):
            raise ApiError(400, '"%s" is not a known field selector: only '
                           '"metadata.name", "metadata.namespace"' % field)
        checks.append(lambda meta, f=field.split(".")[1], v=value, o=op:
                      (meta.get(f, "") == v) != (o == "!="))
    return lambda meta: all(c(meta) for c in checks)


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
    return query.get(name, "").lower() in ("true", "1")


class ListOptions:
    def __init__(self, query):
        rv = query.get("resourceVersion", "")
        if rv not in ("", "0") and not re.fullmatch(r"\d+", rv):
            raise ApiError(400, "invalid resource version: %s" % rv)
        self.rv = int(rv) if rv not in ("", "0") else None
        self.watch = flag(query, "watch")
        self.bookmarks = flag(query, "allowWatchBookmarks")
        self.initial_events = flag(query, "sendInitialEvents")
        self.timeout = integer(query, "timeoutSeconds")
        self.limit = integer(query, "limit", 0)
        self.token = decode_continue(query["continue"]) if query.get("continue") else None
        self.labels = parse_label_selector(query.get("labelSelector"))
        self.fields = parse_field_selector(query.get("fieldSelector"))

    def matches(self, obj):
        return obj is not None and self.labels(obj["metadata"].get("labels")) and \
            self.fields(obj["metadata"])
