# SPDX-License-Identifier: MIT
"""Patch semantics against the examples of RFC 7386, RFC 6902 and the
strategic merge patches kubectl was observed sending (recipes/kubectl-api.md).
Run: python3 -m unittest discover -s tests/apiserver -p 'test_*.py'"""

import unittest

from patches import PatchError, json_patch, merge_patch, strategic_merge
from resources import NODE_MERGE_KEYS


class MergePatch(unittest.TestCase):
    def test_rfc7386_example(self):
        target = {"title": "Goodbye!", "author": {"givenName": "John", "familyName": "Doe"},
                  "tags": ["example", "sample"], "content": "This will be unchanged"}
        patch = {"title": "Hello!", "phoneNumber": "+01-123-456-7890",
                 "author": {"familyName": None}, "tags": ["example"]}
        self.assertEqual(merge_patch(target, patch),
                         {"title": "Hello!", "author": {"givenName": "John"},
                          "tags": ["example"], "content": "This will be unchanged",
                          "phoneNumber": "+01-123-456-7890"})

    def test_null_removes_an_annotation_and_input_is_untouched(self):
        node = {"metadata": {"annotations": {"a": "1", "b": "2"}}}
        patched = merge_patch(node, {"metadata": {"annotations": {"a": None}}})
        self.assertEqual(patched, {"metadata": {"annotations": {"b": "2"}}})
        self.assertEqual(node["metadata"]["annotations"], {"a": "1", "b": "2"})

    def test_empty_patch_changes_nothing(self):
        self.assertEqual(merge_patch({"a": [1]}, {}), {"a": [1]})


class StrategicMergePatch(unittest.TestCase):
    def test_kubectl_apply_node_directives(self):
        node = {"metadata": {"labels": {"a": "1", "b": "2"}},
                "spec": {"podCIDRs": ["10.1.0.0/24", "10.2.0.0/24"], "taints": [{"key": "x"}]}}
        patch = {"metadata": {"labels": {"b": None}},
                 "spec": {"$deleteFromPrimitiveList/podCIDRs": ["10.2.0.0/24"],
                          "$setElementOrder/podCIDRs": ["10.3.0.0/24", "10.1.0.0/24"],
                          "podCIDRs": ["10.3.0.0/24"], "taints": [{"key": "y"}]}}
        self.assertEqual(strategic_merge(node, patch, NODE_MERGE_KEYS),
                         {"metadata": {"labels": {"a": "1"}},
                          "spec": {"podCIDRs": ["10.3.0.0/24", "10.1.0.0/24"],
                                   "taints": [{"key": "y"}]}})

    def test_conditions_merge_by_type(self):
        node = {"status": {"conditions": [{"type": "Ready", "status": "False"},
                                          {"type": "DiskPressure", "status": "False"}]}}
        patch = {"status": {"conditions": [{"type": "Ready", "status": "True"},
                                           {"type": "DiskPressure", "$patch": "delete"},
                                           {"type": "PIDPressure", "status": "False"}]}}
        self.assertEqual(strategic_merge(node, patch, NODE_MERGE_KEYS)["status"]["conditions"],
                         [{"type": "Ready", "status": "True"},
                          {"type": "PIDPressure", "status": "False"}])

    def test_patch_replace_directive_replaces_a_map(self):
        node = {"metadata": {"annotations": {"a": "1", "b": "2"}}}
        patch = {"metadata": {"annotations": {"$patch": "replace", "c": "3"}}}
        self.assertEqual(strategic_merge(node, patch, NODE_MERGE_KEYS),
                         {"metadata": {"annotations": {"c": "3"}}})

    def test_merge_list_item_without_merge_key_is_rejected(self):
        with self.assertRaises(PatchError) as ctx:
            strategic_merge({}, {"status": {"addresses": [{"address": "1.2.3.4"}]}},
                            NODE_MERGE_KEYS)
        self.assertEqual(ctx.exception.code, 400)


class JsonPatch(unittest.TestCase):
    def test_rfc6902_operations(self):
        doc = {"foo": ["bar", "baz"], "a": {"b": "c"}}
        ops = [{"op": "add", "path": "/foo/1", "value": "qux"},
               {"op": "remove", "path": "/foo/0"},
               {"op": "replace", "path": "/a/b", "value": 42},
               {"op": "move", "from": "/a/b", "path": "/moved"},
               {"op": "copy", "from": "/foo", "path": "/copy"},
               {"op": "add", "path": "/foo/-", "value": "end"},
               {"op": "test", "path": "/moved", "value": 42}]
        self.assertEqual(json_patch(doc, ops),
                         {"foo": ["qux", "baz", "end"], "a": {}, "moved": 42,
                          "copy": ["qux", "baz"]})

    def test_escaped_annotation_key(self):
        node = {"metadata": {"annotations": {"kilo.squat.ai/key": "k"}}}
        ops = [{"op": "remove", "path": "/metadata/annotations/kilo.squat.ai~1key"}]
        self.assertEqual(json_patch(node, ops), {"metadata": {"annotations": {}}})

    def test_failed_test_and_missing_path_are_422(self):
        for op in ({"op": "test", "path": "/a", "value": True},
                   {"op": "remove", "path": "/missing"},
                   {"op": "replace", "path": "/missing", "value": 1}):
            with self.assertRaises(PatchError) as ctx:
                json_patch({"a": 1}, [op])
            self.assertEqual(ctx.exception.code, 422, op)

    def test_malformed_operation_is_400(self):
        with self.assertRaises(PatchError) as ctx:
            json_patch({}, [{"op": "add", "path": "/x"}])
        self.assertEqual(ctx.exception.code, 400)


if __name__ == "__main__":
    unittest.main()
