# SPDX-License-Identifier: MIT
"""Selectors and list options as kube-apiserver parses them."""

import unittest

from apierrors import ApiError
from listopts import (ListOptions, decode_continue, encode_continue, fields_match,
                      labels_match, parse_field_selector, parse_label_selector)


def selects(selector, labels):
    return labels_match(parse_label_selector(selector), labels)


class LabelSelector(unittest.TestCase):
    def test_equality_and_inequality(self):
        self.assertTrue(selects("tier=edge", {"tier": "edge"}))
        self.assertTrue(selects("tier==edge", {"tier": "edge"}))
        self.assertFalse(selects("tier=edge", {"tier": "core"}))
        self.assertTrue(selects("tier!=edge", {}), "!= matches a missing label")

    def test_sets_and_existence(self):
        self.assertTrue(selects("tier in (edge, core),kilo", {"tier": "core", "kilo": ""}))
        self.assertFalse(selects("tier notin (edge,core)", {"tier": "edge"}))
        self.assertFalse(selects("!kilo", {"kilo": "x"}))
        self.assertTrue(selects("", {}), "the empty selector selects everything")

    def test_garbage_is_bad_request(self):
        with self.assertRaises(ApiError) as ctx:
            parse_label_selector("!tier=edge")
        self.assertEqual(ctx.exception.code, 400)


class FieldSelector(unittest.TestCase):
    def test_name_and_namespace(self):
        wanted = parse_field_selector("metadata.name=node-a,metadata.namespace=")
        self.assertTrue(fields_match(wanted, {"name": "node-a"}))
        self.assertFalse(fields_match(wanted, {"name": "node-b"}))
        self.assertTrue(fields_match(parse_field_selector("metadata.name!=x"), {"name": "y"}))

    def test_other_fields_are_rejected_like_for_custom_resources(self):
        with self.assertRaises(ApiError) as ctx:
            parse_field_selector("spec.unschedulable=true")
        self.assertIn("is not a known field selector", ctx.exception.message)


class Options(unittest.TestCase):
    def test_resource_version_zero_means_any(self):
        self.assertIsNone(ListOptions({"resourceVersion": "0"}).rv)
        self.assertEqual(ListOptions({"resourceVersion": "12", "watch": "1"}).rv, 12)

    def test_bad_resource_version_is_bad_request(self):
        with self.assertRaises(ApiError) as ctx:
            ListOptions({"resourceVersion": "abc"})
        self.assertEqual(ctx.exception.code, 400)

    def test_resource_version_match_rules(self):
        self.assertTrue(ListOptions({"resourceVersion": "5",
                                     "resourceVersionMatch": "Exact"}).exact)
        for query in ({"resourceVersionMatch": "Exact"},
                      {"resourceVersion": "0", "resourceVersionMatch": "Exact"},
                      {"resourceVersion": "5", "resourceVersionMatch": "Newest"}):
            with self.assertRaises(ApiError, msg=query):
                ListOptions(query)

    def test_continue_token_round_trip(self):
        self.assertEqual(decode_continue(encode_continue(7, "node-a")), (7, "node-a"))
        with self.assertRaises(ApiError):
            decode_continue("not-a-token")


if __name__ == "__main__":
    unittest.main()
