#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The `podman run` arguments for a container of a manifest's DaemonSet, run
as the kubelet would run it on a node, for tests/e2e/test_image.sh.

    manifest_podman.py run DOCS.json CONTAINER NETNS NODE NODE_IP HOST_DIR POD_DIR \\
        CLUSTER.json [EXTRA_ARG...]

DOCS.json is the manifest as `kubectl label --local -o json` prints it;
CONTAINER an init container's name or the kg container's ("kilo"). Prints
the arguments after `podman run`, each ended by a NUL (an environment value
may hold newlines): the pod's network (hostNetwork: the node's namespace
/run/netns/NETNS), privileged if the manifest says so, the environment
(fieldRefs for NODE and NODE_IP, configMapKeyRefs), every volume mount as a
--volume (hostPath volumes from HOST_DIR, the node's disk, except the host
paths every node of this machine shares: the TUN device, the iptables lock,
/lib/modules if there is one; configMap and emptyDir volumes and the service
account from POD_DIR), the command as the entrypoint, the image the manifest
names, then the container's args and the EXTRA_ARGs. CLUSTER.json is
manifest_pod.py's: {"token": ..., "ca": ..., "configmaps": {NAME: {KEY: TEXT}}}.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "agent"))
import manifest_pod  # noqa: E402

SHARED = {"/dev/net/tun", "/run/xtables.lock"} | ({"/lib/modules"} if os.path.isdir("/lib/modules")
                                                   else set())


def host_path(source, host_dir):
    """A hostPath volume's source on this machine, made as the kubelet makes it."""
    path, kind = source["path"].rstrip("/"), source.get("type", "")
    if path in SHARED:
        return path
    local = os.path.join(host_dir, path.lstrip("/"))
    if kind == "FileOrCreate" and not os.path.exists(local):
        os.makedirs(os.path.dirname(local), exist_ok=True)
        open(local, "a").close()
    elif kind in ("", "DirectoryOrCreate"):
        os.makedirs(local, exist_ok=True)
    elif not os.path.exists(local):
        raise SystemExit(f"hostPath {path} ({kind}) is not on the node's disk")
    return local


def volume_sources(spec, docs, host_dir, pod_dir, cluster):
    """Volume name -> its directory or file on this machine; "" is the service account."""
    account = os.path.join(pod_dir, "serviceaccount")
    os.makedirs(account, exist_ok=True)
    for key, text in (("token", cluster["token"]), ("ca.crt", cluster["ca"]),
                      ("namespace", manifest_pod.NAMESPACE)):
        with open(os.path.join(account, key), "w") as f:
            f.write(text)
    sources = {"": account}
    for v in spec.get("volumes", []):
        if "hostPath" in v:
            sources[v["name"]] = host_path(v["hostPath"], host_dir)
            continue
        local = os.path.join(pod_dir, "volumes", v["name"])
        os.makedirs(local, exist_ok=True)
        if "configMap" in v:
            data = manifest_pod.configmap(docs, v["configMap"]["name"], cluster)
            items = v["configMap"].get("items") or [{"key": k, "path": k} for k in data]
            for item in items:
                with open(os.path.join(local, item["path"]), "w") as f:
                    f.write(data[item["key"]])
        sources[v["name"]] = local
    return sources


def run_args(docs, name, netns, node, node_ip, host_dir, pod_dir, cluster, extra):
    spec = manifest_pod.daemonset(docs)["spec"]["template"]["spec"]
    if not spec.get("hostNetwork"):
        raise SystemExit("the pod is not on the host's network")
    containers = {c["name"]: c for c in spec.get("initContainers", []) + spec["containers"]}
    container = containers[name]
    env = manifest_pod.environment(container, docs, node, node_ip, cluster)
    sources = volume_sources(spec, docs, host_dir, pod_dir, cluster)
    args = [f"--network=ns:/run/netns/{netns}"]
    if container.get("securityContext", {}).get("privileged"):
        args.append("--privileged")
    for key, value in env.items():
        args += ["--env", f"{key}={value}"]
    account = {"name": "", "mountPath": manifest_pod.SA_DIR, "readOnly": True}
    for m in [account] + container.get("volumeMounts", []):
        source = os.path.join(sources[m["name"]], m.get("subPath", "")).rstrip("/")
        args += ["--volume", f"{source}:{m['mountPath'].rstrip('/')}" +
                 (":ro" if m.get("readOnly") else "")]
    command = container.get("command")
    if command:
        args += ["--entrypoint", json.dumps([manifest_pod.expand(a, env) for a in command])]
    args.append(container["image"])
    args += [manifest_pod.expand(a, env) for a in container.get("args", [])] + extra
    return args


def main(argv):
    if len(argv) < 10 or argv[1] != "run":
        raise SystemExit(__doc__)
    docs = manifest_pod.load(argv[2])
    cluster = json.load(open(argv[9]))
    args = run_args(docs, argv[3], argv[4], argv[5], argv[6], os.path.abspath(argv[7]),
                    os.path.abspath(argv[8]), cluster, argv[10:])
    sys.stdout.write("".join(a + "\0" for a in args))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
