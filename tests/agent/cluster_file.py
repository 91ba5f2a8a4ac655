#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write a cluster file for kg's file backend: a Kubernetes List of ready
Nodes, as `kubectl get nodes -o json` prints it, and keep it fresh.

    cluster_file.py PATH [--every SECONDS] NODE...

NODE is name,location,endpoint,internal-ip,pod-cidr,public-key[,EXTRA...]
where an EXTRA is "leader" (the leader annotation), "pod6=CIDR" (spec.podCIDRs
gets this second, IPv6 pod CIDR) or "NAME=VALUE" (annotation kilo.squat.ai/NAME).
Every node carries last-seen = now, so the nodes that no agent of this file
checks in for stay ready; with --every the file is rewritten (atomically,
by rename, as an editor or a ConfigMap update does) until killed.
"""
import json
import os
import sys
import time


def node(spec, now):
    fields = spec.split(",")
    name, location, endpoint, internal_ip, pod_cidr, key = fields[:6]
    annotations = {
        "kilo.squat.ai/endpoint": endpoint,
        "kilo.squat.ai/internal-ip": internal_ip,
        "kilo.squat.ai/key": key,
        "kilo.squat.ai/last-seen": str(now),
        "kilo.squat.ai/granularity": "location",
    }
    spec = {"podCIDR": pod_cidr}
    for extra in fields[6:]:
        if extra == "leader":
            annotations["kilo.squat.ai/leader"] = "true"
        elif extra.startswith("pod6="):
            spec["podCIDRs"] = [pod_cidr, extra[len("pod6="):]]
        else:
            annotation, value = extra.split("=", 1)
            annotations["kilo.squat.ai/" + annotation] = value
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": annotations,
            "labels": {"topology.kubernetes.io/region": location},
        },
        "spec": spec,
    }


def write(path, specs):
    now = int(time.time())
    listing = {"apiVersion": "v1", "kind": "List", "items": [node(s, now) for s in specs]}
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(listing, f, indent=2)
    os.rename(tmp, path)


def main(argv):
    path, every = argv[1], 0
    specs = argv[2:]
    if specs[:1] == ["--every"]:
        every, specs = int(specs[1]), specs[2:]
    write(path, specs)
    while every:
        time.sleep(every)
        write(path, specs)


if __name__ == "__main__":
    main(sys.argv)
