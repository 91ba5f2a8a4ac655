# SPDX-License-Identifier: MIT
"""meta.k8s.io/v1 Table replies, sent when the client's Accept asks for
as=Table (kubectl get without -o): the columns a real server prints for
Nodes (k8s printers), CRDs, and custom resources (Name, the CRD's
additionalPrinterColumns, else Age)."""

import calendar
import time

from resources import CRDS, NODES


def human_duration(seconds):
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return "%ds" % s
    m, h = s // 60, s // 3600
    if m < 10:
        return "%dm%ds" % (m, s % 60) if s % 60 else "%dm" % m
    if m < 180:
        return "%dm" % m
    if h < 8:
        return "%dh%dm" % (h, m % 60) if m % 60 else "%dh" % h
    if h < 48:
        return "%dh" % h
    if h < 24 * 8:
        return "%dd%dh" % (h // 24, h % 24) if h % 24 else "%dd" % (h // 24)
    if h < 24 * 365 * 2:
        return "%dd" % (h // 24)
    if h < 24 * 365 * 8:
        days = (h // 24) % 365
        return "%dy%dd" % (h // 24 // 365, days) if days else "%dy" % (h // 24 // 365)
    return "%dy" % (h // 24 // 365)


def age(obj):
    stamp = obj["metadata"].get("creationTimestamp")
    if not stamp:
        return "<unknown>"
    created = calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))
    return human_duration(time.time() - created)


def column(name, description, priority=0, kind="string", fmt=""):
    return {"name": name, "type": kind, "format": fmt, "description": description,
            "priority": priority}


NAME = column("Name", "Name must be unique within a namespace.", fmt="name")
AGE = column("Age", "CreationTimestamp is a timestamp representing the server time "
             "when this object was created.", kind="date")

NODE_COLUMNS = [NAME,
                column("Status", "The status of the node"),
                column("Roles", "The roles of the node"),
                AGE,
                column("Version", "Kubelet Version reported by the node."),
                column("Internal-IP", "List of internal IPs in the node.", 1),
                column("External-IP", "List of external IPs in the node.", 1),
                column("OS-Image", "OS Image reported by the node.", 1),
                column("Kernel-Version", "Kernel Version reported by the node.", 1),
                column("Container-Runtime", "Container Runtime Version reported by the node.", 1)]

CRD_COLUMNS = [NAME, column("Created At", "The time the resource was created.", kind="date")]


def node_status(node):
    ready = next((c for c in node.get("status", {}).get("conditions", [])
                  if c.get("type") == "Ready"), None)
    if ready is None:
        text = "Unknown"
    else:
        text = "Ready" if ready.get("status") == "True" else "NotReady"
    if node.get("spec", {}).get("unschedulable"):
        text += ",SchedulingDisabled"
    return text


def node_roles(node):
    labels = node["metadata"].get("labels", {})
    roles = sorted({k.split("/", 1)[1] for k in labels
                    if k.startswith("node-role.kubernetes.io/") and "/" in k} |
                   {v for k, v in labels.items() if k == "kubernetes.io/role" and v})
    return ",".join(roles) or "<none>"


def node_cells(node):
    status = node.get("status", {})
    info = status.get("nodeInfo", {})

    def address(kind):
        found = [a.get("address", "") for a in status.get("addresses", []) if a.get("type") == kind]
        return found[0] if found else "<none>"
    return [node["metadata"]["name"], node_status(node), node_roles(node), age(node),
            info.get("kubeletVersion", ""), address("InternalIP"), address("ExternalIP"),
            info.get("osImage", "<unknown>"), info.get("kernelVersion", "<unknown>"),
            info.get("containerRuntimeVersion", "<unknown>")]


def json_path(obj, path):
    """Dotted paths only (".spec.endpoint.port"), which covers CRD columns
    that point at fields; anything fancier prints empty, as a miss does."""
    node = obj
    for part in path.strip(".").split("."):
        if not isinstance(node, dict) or part not in node:
            return ""
        node = node[part]
    return node if isinstance(node, (str, int, float, bool)) else str(node)


def custom_columns(printer_columns):
    if not printer_columns:
        return [NAME, AGE]
    return [NAME] + [column(c["name"], c.get("description", ""), c.get("priority", 0),
                            c.get("type", "string"), c.get("format", ""))
                     for c in printer_columns]


def custom_cells(obj, printer_columns):
    if not printer_columns:
        return [obj["metadata"]["name"], age(obj)]
    cells = [obj["metadata"]["name"]]
    for c in printer_columns:
        value = json_path(obj, c["jsonPath"])
        if c.get("type") == "date" and value:
            value = age({"metadata": {"creationTimestamp": value}})
        cells.append(value)
    return cells


def crd_cells(crd):
    return [crd["metadata"]["name"], crd["metadata"].get("creationTimestamp", "")]


def table(resource, version, objects, rv, with_columns=True):
    if resource is NODES:
        columns, rows = NODE_COLUMNS, [node_cells(o) for o in objects]
    elif resource is CRDS:
        columns, rows = CRD_COLUMNS, [crd_cells(o) for o in objects]
    else:
        printer = resource.printer_columns.get(version, [])
        columns, rows = custom_columns(printer), [custom_cells(o, printer) for o in objects]
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
            "metadata": {"resourceVersion": str(rv)},
            "columnDefinitions": columns if with_columns else [],
            "rows": [{"cells": cells, "object": {"kind": "PartialObjectMetadata",
                                                 "apiVersion": "meta.k8s.io/v1",
                                                 "metadata": o["metadata"]}}
                     for cells, o in zip(rows, objects)]}
