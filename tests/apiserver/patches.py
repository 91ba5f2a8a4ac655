# SPDX-License-Identifier: MIT
"""Patch semantics of the Kubernetes API server, as pure functions.

merge_patch      RFC 7386 JSON merge patch (application/merge-patch+json).
strategic_merge  Kubernetes strategic merge patch (application/strategic-merge-patch+json)
                 for the lists a resource declares as merge lists; every other list
                 is atomic, as in the Go structs' patchStrategy tags.
json_patch       RFC 6902 JSON patch (application/json-patch+json).

All take the stored object and the decoded patch, never modify their inputs,
and raise PatchError(code, message) on a patch that cannot apply.
"""

import copy
import json


class PatchError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# --- strategic merge patch -------------------------------------------------

DELETE_FROM = "$deleteFromPrimitiveList/"
SET_ORDER = "$setElementOrder/"


def strategic_merge(target, patch, merge_keys, path=()):
    """merge_keys maps a field path (tuple of map keys) to the list's merge
    key, or "" for a list of primitives merged as a set."""
    if not isinstance(patch, dict):
        raise PatchError(400, "strategic merge patch must be a JSON object")
    directive = patch.get("$patch")
    if directive == "replace":
        return strip_directives(patch)
    if directive == "delete":
        return None
    if directive is not None:
        raise PatchError(400, 'unknown patch type "%s" in $patch' % directive)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    retain = patch.get("$retainKeys")
    if retain is not None:
        result = {k: v for k, v in result.items() if k in retain}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        result = merge_field(result, key, value, merge_keys, path + (key,))
        if result.get(key) is None:
            result.pop(key, None)
    for key, value in patch.items():
        if key.startswith(DELETE_FROM):
            field = key[len(DELETE_FROM):]
            result[field] = [x for x in result.get(field) or [] if x not in value]
        elif key.startswith(SET_ORDER):
            field = key[len(SET_ORDER):]
            if field in result:
                result[field] = reorder(result[field], value,
                                        merge_keys.get(path + (field,)))
    return result


def merge_field(result, key, value, merge_keys, path):
    old = result.get(key)
    if value is None:
        result.pop(key, None)
    elif isinstance(value, dict):
        result[key] = strategic_merge(old, value, merge_keys, path)
    elif isinstance(value, list) and path in merge_keys:
        result[key] = merge_list(old or [], value, merge_keys[path],
                                 merge_keys, path)
    else:
        result[key] = strip_directives(value)
    return result


def merge_list(old, patch, merge_key, merge_keys, path):
    if any(isinstance(x, dict) and x.get("$patch") == "replace" for x in patch):
        return [strip_directives(x) for x in patch
                if not (isinstance(x, dict) and "$patch" in x)]
    if merge_key == "":
        merged = copy.deepcopy(old)
        merged += [x for x in patch if x not in merged]
        return merged
    merged = copy.deepcopy(old)
    for item in patch:
        if not isinstance(item, dict) or merge_key not in item:
            raise PatchError(400, 'map in list %s does not contain the merge '
                             'key "%s"' % (".".join(path), merge_key))
        index = next((i for i, x in enumerate(merged)
                      if isinstance(x, dict) and x.get(merge_key) == item[merge_key]), None)
        if item.get("$patch") == "delete":
            merged = [x for x in merged
                      if not (isinstance(x, dict) and x.get(merge_key) == item[merge_key])]
        elif index is None:
            merged.append(strip_directives(item))
        else:
            merged[index] = strategic_merge(merged[index], item, merge_keys, path)
    return merged


def reorder(items, order, merge_key):
    """$setElementOrder: items named in the order come first, in that order;
    the rest (added by the server, say) keep their relative order after them."""
    def rank(item):
        probe = item.get(merge_key) if merge_key and isinstance(item, dict) else item
        for i, entry in enumerate(order):
            named = entry.get(merge_key) if merge_key and isinstance(entry, dict) else entry
            if named == probe:
                return i
        return len(order)
    return sorted(items, key=rank)


def strip_directives(value):
    if isinstance(value, dict):
        return {k: strip_directives(v) for k, v in value.items()
                if not k.startswith("$")}
    if isinstance(value, list):
        return [strip_directives(x) for x in value]
    return value


# --- JSON patch ------------------------------------------------------------

def json_patch(target, operations):
    if not isinstance(operations, list):
        raise PatchError(400, "JSON patch must be an array of operations")
    doc = copy.deepcopy(target)
    for op in operations:
        doc = apply_operation(doc, op)
    return doc


def apply_operation(doc, op):
    if not isinstance(op, dict) or "op" not in op or "path" not in op:
        raise PatchError(400, "JSON patch operation needs \"op\" and \"path\": %s"
                         % json_text(op))
    kind, path = op["op"], op["path"]
    if kind in ("add", "replace", "test") and "value" not in op:
        raise PatchError(400, 'JSON patch "%s" at "%s" has no "value"' % (kind, path))
    if kind == "add":
        return add(doc, path, copy.deepcopy(op["value"]))
    if kind == "remove":
        return remove(doc, path)[0]
    if kind == "replace":
        doc = remove(doc, path)[0]
        return add(doc, path, copy.deepcopy(op["value"]))
    if kind in ("move", "copy"):
        if "from" not in op:
            raise PatchError(400, 'JSON patch "%s" at "%s" has no "from"' % (kind, path))
        if kind == "move":
            doc, value = remove(doc, op["from"])
        else:
            value = copy.deepcopy(lookup(doc, op["from"]))
        return add(doc, path, value)
    if kind == "test":
        if not json_equal(lookup(doc, path), op["value"]):
            raise PatchError(422, 'testing value %s failed' % path)
        return doc
    raise PatchError(400, 'unknown JSON patch operation "%s"' % kind)


def split_pointer(pointer):
    if pointer == "":
        return []
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        raise PatchError(400, 'invalid JSON pointer "%s"' % pointer)
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def container_of(doc, pointer):
    tokens = split_pointer(pointer)
    if not tokens:
        return None, None
    parent = doc
    for token in tokens[:-1]:
        parent = child(parent, token, pointer)
    return parent, tokens[-1]


def child(node, token, pointer):
    if isinstance(node, dict) and token in node:
        return node[token]
    if isinstance(node, list) and token.isdigit() and int(token) < len(node):
        return node[int(token)]
    raise PatchError(422, 'path "%s" does not exist' % pointer)


def lookup(doc, pointer):
    node = doc
    for token in split_pointer(pointer):
        node = child(node, token, pointer)
    return node


def add(doc, pointer, value):
    parent, token = container_of(doc, pointer)
    if parent is None and token is None:
        return value
    if isinstance(parent, dict):
        parent[token] = value
    elif isinstance(parent, list):
        index = len(parent) if token == "-" else list_index(parent, token, pointer, 1)
        parent.insert(index, value)
    else:
        raise PatchError(422, 'path "%s" does not exist' % pointer)
    return doc


def remove(doc, pointer):
    parent, token = container_of(doc, pointer)
    if isinstance(parent, dict) and token in parent:
        return doc, parent.pop(token)
    if isinstance(parent, list):
        return doc, parent.pop(list_index(parent, token, pointer, 0))
    raise PatchError(422, 'unable to remove nonexistent key "%s"' % pointer)


def list_index(items, token, pointer, slack):
    if not token.isdigit() or int(token) >= len(items) + slack:
        raise PatchError(422, 'index "%s" out of range in "%s"' % (token, pointer))
    return int(token)


def json_equal(a, b):
    # Python has True == 1; JSON does not.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return a == b


def json_text(value):
    return json.dumps(value, separators=(",", ":"))
