#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check a manifest of manifests/ and run its DaemonSet's pod the way a kubelet
would, for tests/agent/test_manifests.sh.

    manifest_pod.py check DOCS.json [DAEMONSET.json...]
    manifest_pod.py args DOCS.json NODE NODE_IP
    manifest_pod.py cni-dir DOCS.json
    manifest_pod.py pod DOCS.json NODE NODE_IP POD_DIR HOST_DIR CLUSTER.json

DOCS.json is the manifest as `kubectl label --local -o json` prints it (one
JSON object per YAML document). `check` prints one line per mistake and exits
1 if there is any (a PodMonitor is checked against the kg DaemonSets of the
DAEMONSET.json files: it must scrape each one's metrics port). `cni-dir`
prints the host directory whose CNI configuration kg manages, if any. `args` prints the kg container's arguments, one a line,
after Kubernetes' $(VAR) expansion. `pod` writes POD_DIR/NAME.sh for every
init container and POD_DIR/main.sh for the kg container, and prints the init
containers' names in order: run each script with
`ip netns exec NODE_NS unshare --mount --propagation private sh SCRIPT`.
A script sees the machine's root through an overlay (the image), hostPath
volumes from HOST_DIR (the node's disk) except REAL_HOST_PATHS, configMap
and emptyDir volumes from POD_DIR, the programs from the directory
CLUSTER.json names: {"image_bin": DIR, "token": TEXT, "ca": PEM,
"configmaps": {NAME: {KEY: TEXT}}} (the service account's token and CA, and
the ConfigMaps the cluster brings, such as kube-proxy's kubeconfig).
"""
import json
import os
import re
import shlex
import sys



def project_version():
    cmake = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "CMakeLists.txt")
    return re.search(r"project\(kilo-c VERSION ([0-9.]+)", open(cmake).read()).group(1)


# What scripts/image.sh builds, and so what a node that loaded it runs.
IMAGE = "localhost/kilo-c:" + project_version()
NAMESPACE = "kube-system"
# Kilo's ClusterRole: what kg does with the API.
RULES = [
    {"apiGroups": [""], "resources": ["nodes"], "verbs": ["list", "patch", "watch"]},
    {"apiGroups": ["kilo.squat.ai"], "resources": ["peers"], "verbs": ["list", "watch"]},
    {"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"],
     "verbs": ["get"]},
]
# ConfigMaps the cluster itself provides: kubeadm's kube-proxy and Typhoon's.
CLUSTER_CONFIGMAPS = {"kube-proxy", "kubeconfig-in-cluster"}
# Where kubelets read their CNI configuration: most clusters', and
# Typhoon's and bootkube's.
CNI_CONF_DIRS = ("/etc/cni/net.d", "/etc/kubernetes/cni/net.d")
# Host paths shared by every node of this machine: the kernel's TUN device and
# the iptables lock. Everything else is a node's own disk (HOST_DIR).
REAL_HOST_PATHS = {"/dev/net/tun", "/run/xtables.lock"}
SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
PATH = "/opt/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def load(path):
    text, docs, decoder, at = open(path).read(), [], json.JSONDecoder(), 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return docs
        doc, at = decoder.raw_decode(text, at)
        docs.append(doc)


def find(docs, kind, name=None):
    return [d for d in docs if d["kind"] == kind and name in (None, d["metadata"]["name"])]


def daemonset(docs):
    sets = find(docs, "DaemonSet")
    return sets[0] if len(sets) == 1 else None


def expand(text, env):
    """Kubernetes' $(VAR) expansion: $$ is $, unknown references stay."""
    def one(m):
        if m.group(0) == "$$":
            return "$"
        return env.get(m.group(1), m.group(0))
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)", one, text)


def field(path, node, node_ip):
    return {"spec.nodeName": node, "status.hostIP": node_ip,
            "metadata.namespace": NAMESPACE}[path]


def environment(container, docs, node, node_ip, cluster):
    env = {}
    for var in container.get("env", []):
        source = var.get("valueFrom", {})
        if "fieldRef" in source:
            env[var["name"]] = field(source["fieldRef"]["fieldPath"], node, node_ip)
        elif "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            env[var["name"]] = configmap(docs, ref["name"], cluster)[ref["key"]]
        else:
            env[var["name"]] = expand(var.get("value", ""), env)
    return env


def configmap(docs, name, cluster):
    maps = find(docs, "ConfigMap", name)
    return maps[0]["data"] if maps else cluster["configmaps"][name]


# ---- check ---------------------------------------------------------------


def bound_role(docs, spec, errors):
    """The ClusterRole bound to the pod's service account, or None (after an error)."""
    account = spec.get("serviceAccountName")
    if not find(docs, "ServiceAccount", account):
        errors.append(f"serviceAccountName {account!r} is not a ServiceAccount here")
    for binding in find(docs, "ClusterRoleBinding"):
        subjects = [(s["kind"], s["name"], s.get("namespace")) for s in binding["subjects"]]
        if ("ServiceAccount", account, NAMESPACE) in subjects:
            role = find(docs, "ClusterRole", binding["roleRef"]["name"])
            if not role:
                errors.append(f"ClusterRole {binding['roleRef']['name']!r} is missing")
                return None
            return role[0]
    errors.append(f"no ClusterRoleBinding for ServiceAccount {account!r}")
    return None


def check_rbac(docs, spec, errors):
    role = bound_role(docs, spec, errors)
    if role and role["rules"] != RULES:
        errors.append(f"ClusterRole rules are not Kilo's: {role['rules']}")


def check_volumes(docs, spec, errors):
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    used = set()
    for c in spec.get("initContainers", []) + spec["containers"]:
        for m in c.get("volumeMounts", []):
            used.add(m["name"])
            if m["name"] not in volumes:
                errors.append(f"{c['name']}: volume {m['name']!r} is not declared")
    for name in volumes.keys() - used:
        errors.append(f"volume {name!r} is declared but never mounted")
    for v in volumes.values():
        ref = v.get("configMap", {}).get("name")
        if ref and not find(docs, "ConfigMap", ref) and ref not in CLUSTER_CONFIGMAPS:
            errors.append(f"volume {v['name']!r}: no ConfigMap {ref!r}")


# What kg needs from the host (manifests/README.md), and where Kilo is the
# CNI (kg not started with --cni=false) what the CNI needs too: mount path ->
# (why, the host paths it may be).
KG_HOST_MOUNTS = {"/var/lib/kilo": ("the node's key", ("/var/lib/kilo",)),
                  "/dev/net/tun": ("the TUN device", ("/dev/net/tun",)),
                  "/var/run/wireguard": ("the UAPI socket for wg show", ("/var/run/wireguard",)),
                  "/run/xtables.lock": ("iptables' lock", ("/run/xtables.lock",))}
CNI_HOST_MOUNTS = {"kg": {"/etc/cni/net.d": ("the CNI conflist", CNI_CONF_DIRS)},
                   "install-cni": {"/host/opt/cni/bin": ("the CNI plugins", ("/opt/cni/bin",)),
                                   "/host/etc/cni/net.d": ("the CNI conflist", CNI_CONF_DIRS)}}


def host_mount(container, volumes, path):
    """The volume mounted at path and its host path ("" if it is no hostPath)."""
    mounts = {m["mountPath"].rstrip("/"): m["name"] for m in container.get("volumeMounts", [])}
    name = mounts.get(path)
    return name, volumes.get(name, {}).get("hostPath", {}).get("path", "").rstrip("/")


def check_host_mounts(container, volumes, wanted, errors):
    """Each mount path of wanted is a hostPath volume of one of its host paths."""
    for path, (why, hosts) in wanted.items():
        if host_mount(container, volumes, path)[1] not in hosts:
            errors.append(f"{container['name']} does not get the host's {' or '.join(hosts)} "
                          f"({why}) at {path}")


def check_kg(spec, errors):
    kg = spec["containers"][0]
    if kg.get("image") != IMAGE or not kg.get("securityContext", {}).get("privileged"):
        errors.append("the kg container must be privileged and run " + IMAGE)
    mounts = {m["mountPath"]: m["name"] for m in kg.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    check_host_mounts(dict(kg, name="kg"), volumes, KG_HOST_MOUNTS, errors)
    if "--cni=false" not in kg.get("args", []):
        init = {c["name"]: c for c in spec.get("initContainers", [])}
        check_host_mounts(dict(kg, name="kg"), volumes, CNI_HOST_MOUNTS["kg"], errors)
        install = init.get("install-cni", {"name": "install-cni"})
        check_host_mounts(install, volumes, CNI_HOST_MOUNTS["install-cni"], errors)
        if (host_mount(kg, volumes, "/etc/cni/net.d")[0] !=
                host_mount(install, volumes, "/host/etc/cni/net.d")[0]):
            errors.append("install-cni writes the conflist to another directory than kg's")
    for arg in kg.get("args", []):
        for var in re.findall(r"\$\(([^)]*)\)", arg):
            if var not in {e["name"] for e in kg.get("env", [])}:
                errors.append(f"argument {arg!r}: ${var} is not in the container's env")
        if arg.startswith("--kubeconfig="):
            path = arg.split("=", 1)[1]
            if not any(path == m or path.startswith(m.rstrip("/") + "/") for m in mounts):
                errors.append(f"{arg}: no volume is mounted there")


def check_webhook(docs, errors):
    """peer-validation.yaml: the webhook reaches `kg webhook`'s TLS port
    through the Service; the server mounts the secret that the cert-gen
    Job writes, under an account bound to write it and patch the webhook."""
    ref = find(docs, "ValidatingWebhookConfiguration")[0]["webhooks"][0]["clientConfig"]
    service = find(docs, "Service", ref["service"]["name"])
    server = workload(docs)["spec"]["template"]
    spec, container = server["spec"], server["spec"]["containers"][0]
    if container.get("image") != IMAGE or container.get("args", [None])[0] != "webhook":
        errors.append(f"the server must run {IMAGE} webhook")
    labels = server["metadata"]["labels"].items()
    if not service or not service[0]["spec"]["selector"].items() <= labels:
        errors.append(f"no Service {ref['service']['name']!r} selects the server")
        return
    ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    port = ports.get(service[0]["spec"]["ports"][0]["targetPort"])
    if f"--listen=:{port}" not in container["args"]:
        errors.append(f"the Service's target port {port} is not kg webhook's --listen")
    check_volumes(docs, spec, errors)
    job = find(docs, "Job")[0]["spec"]["template"]["spec"]
    secret = f"--secret-name={spec['volumes'][0]['secret']['secretName']}"
    if secret not in job["initContainers"][0]["args"]:
        errors.append(f"cert-gen does not write the server's secret ({secret})")
    account = ("ServiceAccount", job["serviceAccountName"])
    for kind in "ClusterRoleBinding", "RoleBinding":
        if account not in [(s["kind"], s["name"]) for b in find(docs, kind) for s in b["subjects"]]:
            errors.append(f"cert-gen's account {account[1]!r} has no {kind}")


# kube-router as Kilo's NetworkPolicy add-on: its firewall only.
KUBE_ROUTER_ARGS = ("--run-router=false", "--run-firewall=true", "--run-service-proxy=false")
KUBE_ROUTER_WATCHES = {("", "namespaces"), ("", "pods"), ("", "nodes"),
                       ("networking.k8s.io", "networkpolicies")}


def is_kube_router(ds):
    return "/kube-router" in ds["spec"]["template"]["spec"]["containers"][0].get("image", "")


def check_kube_router(docs, spec, errors):
    """kube-router.yaml: the firewall alone (Kilo routes the pods, kube-proxy keeps the
    Services), on the host's network, privileged, with the iptables lock kg and kube-proxy
    share, allowed to watch what it places its rules by."""
    router = spec["containers"][0]
    if not router.get("securityContext", {}).get("privileged"):
        errors.append("kube-router must be privileged (it writes iptables and ipsets)")
    for arg in KUBE_ROUTER_ARGS:
        if arg not in router.get("args", []):
            errors.append(f"kube-router must run with {arg}: only its firewall runs beside Kilo")
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    check_host_mounts(router, volumes,
                      {"/run/xtables.lock": ("iptables' lock", ("/run/xtables.lock",)),
                       "/lib/modules": ("the ipset modules", ("/lib/modules",))}, errors)
    role = bound_role(docs, spec, errors)
    granted = {(group, resource) for rule in (role or {}).get("rules") or []
               if {"list", "watch"} <= set(rule.get("verbs") or [])
               for group in rule.get("apiGroups") or [] for resource in rule.get("resources") or []}
    for group, resource in sorted(KUBE_ROUTER_WATCHES - granted):
        errors.append(f"kube-router may not list and watch {group or 'core'}/{resource}")


def listen_port(container):
    """kg's --listen port (1107 by default)."""
    args = [a for a in container.get("args", []) if a.startswith("--listen=")]
    return int((args[-1] if args else "--listen=:1107").rsplit(":", 1)[1])


def check_podmonitor(docs, daemonsets, errors):
    """podmonitor.yaml: Prometheus scrapes kg's /metrics on the port kg listens on, in
    every kg DaemonSet given."""
    monitor = find(docs, "PodMonitor")[0]["spec"]
    if not daemonsets:
        errors.append("no kg DaemonSet to check the PodMonitor against")
    for name, ds in daemonsets:
        template = ds["spec"]["template"]
        kg = template["spec"]["containers"][0]
        if ds["metadata"].get("namespace") not in monitor["namespaceSelector"]["matchNames"]:
            errors.append(f"{name}: the PodMonitor does not look in {NAMESPACE}")
        if not monitor["selector"]["matchLabels"].items() <= template["metadata"]["labels"].items():
            errors.append(f"{name}: the PodMonitor does not select kg's pods")
        ports = {p["name"]: p["containerPort"] for p in kg.get("ports", [])}
        for endpoint in monitor["podMetricsEndpoints"]:
            if ports.get(endpoint["port"]) != listen_port(kg) or endpoint["path"] != "/metrics":
                errors.append(f"{name}: the PodMonitor scrapes {endpoint['port']}"
                              f"{endpoint['path']}, not kg's /metrics on port {listen_port(kg)}")


def workload(docs):
    """The DaemonSet of kg, or the Deployment of `kg webhook`."""
    return daemonset(docs) or next(iter(find(docs, "Deployment")), None)


def check(docs, others=()):
    errors = []
    for d in docs:
        if not d.get("apiVersion") or not d.get("metadata", {}).get("name"):
            errors.append(f"a {d.get('kind')} without apiVersion or name")
    if find(docs, "CustomResourceDefinition"):
        return errors
    if find(docs, "ValidatingWebhookConfiguration"):
        check_webhook(docs, errors)
        return errors
    if find(docs, "PodMonitor"):
        check_podmonitor(docs, others, errors)
        return errors
    ds = daemonset(docs)
    if not ds:
        return errors + ["not exactly one DaemonSet"]
    if is_kube_router(ds):
        spec = ds["spec"]["template"]["spec"]
        check_volumes(docs, spec, errors)
        check_kube_router(docs, spec, errors)
        return errors
    template = ds["spec"]["template"]
    spec = template["spec"]
    if ds["metadata"].get("namespace") != NAMESPACE or not spec.get("hostNetwork"):
        errors.append(f"the DaemonSet must be in {NAMESPACE} on the host's network")
    selector = ds["spec"]["selector"]["matchLabels"].items()
    if not selector <= template["metadata"].get("labels", {}).items():
        errors.append("the selector does not match the pod template's labels")
    if len(spec["containers"]) != 1:
        errors.append("kg needs no sidecar: the pod has one container")
    check_rbac(docs, spec, errors)
    check_volumes(docs, spec, errors)
    check_kg(spec, errors)
    return errors


# ---- pod -----------------------------------------------------------------


def host_volume(name, source, host_dir, real_dir):
    """The source of a hostPath volume, prepared as the kubelet does. A real
    host path gets a placeholder that the container's script binds it on."""
    path, kind = source["path"].rstrip("/"), source.get("type", "")
    if path in REAL_HOST_PATHS:
        if kind == "FileOrCreate" and not os.path.exists(path):
            open(path, "a").close()
        local = os.path.join(real_dir, path.lstrip("/"))
        os.makedirs(os.path.dirname(local), exist_ok=True)
        open(local, "a").close()
        return local
    local = os.path.join(host_dir, path.lstrip("/"))
    if kind == "FileOrCreate" and not os.path.exists(local):
        os.makedirs(os.path.dirname(local), exist_ok=True)
        open(local, "a").close()
    elif kind in ("", "DirectoryOrCreate"):
        os.makedirs(local, exist_ok=True)
    elif not os.path.exists(local):
        raise SystemExit(f"volume {name}: hostPath {path} ({kind}) does not exist")
    return local


def pod_volumes(spec, docs, pod_dir, host_dir, cluster):
    """Volume name -> its source as the container's script sees it: the pod's
    directory is /.pod, the node's disk /.host; "" is the service account."""
    sources = {"": "/.pod/serviceaccount"}
    for v in spec.get("volumes", []):
        name = v["name"]
        if "hostPath" in v:
            local = host_volume(name, v["hostPath"], host_dir, pod_dir + "/real")
            top, base = (pod_dir, "/.pod") if local.startswith(pod_dir) else (host_dir, "/.host")
            sources[name] = base + local[len(top):]
            continue
        local = os.path.join(pod_dir, "volumes", name)
        os.makedirs(local, exist_ok=True)
        if "configMap" in v:
            data = configmap(docs, v["configMap"]["name"], cluster)
            items = v["configMap"].get("items") or [{"key": k, "path": k} for k in data]
            for item in items:
                with open(os.path.join(local, item["path"]), "w") as f:
                    f.write(data[item["key"]])
        sources[name] = "/.pod" + local[len(pod_dir):]
    return sources


def mount_lines(container, sources):
    """Shell lines, run inside the container's root, that mount its volumes."""
    lines = []
    for m in container.get("volumeMounts", []):
        src = shlex.quote(os.path.join(sources[m["name"]], m.get("subPath", "")).rstrip("/"))
        dst = shlex.quote(m["mountPath"].rstrip("/") or "/")
        lines.append(f"if [ -d {src} ]; then mkdir -p {dst}; else "
                     f"mkdir -p \"$(dirname {dst})\"; [ -e {dst} ] || touch {dst}; fi")
        lines.append(f"mount --bind {src} {dst}")
        if m.get("readOnly"):
            lines.append(f"mount -o remount,bind,ro {dst}")
    return lines


def container_script(container, env, sources, dirs):
    """The outer script: the image as an overlay on /, then the inner one."""
    name, (pod_dir, host_dir, image_bin) = container["name"], dirs
    argv = container.get("command") or ["/opt/bin/kg"]
    argv = [expand(a, env) for a in argv + container.get("args", [])]
    envs = ["PATH=" + PATH] + [f"{k}={v}" for k, v in env.items()]
    # The image (Dockerfile): the programs in /opt/bin, Debian's CNI plugins
    # as /opt/cni/bin; then the service account, as in every pod.
    inner = ["set -e", "mkdir -p /opt/bin /opt/cni && ln -sfn /usr/lib/cni /opt/cni/bin"]
    for prog in ("kg", "kgctl", "kwg"):
        inner.append(f"touch /opt/bin/{prog} && mount --bind /.image/{prog} /opt/bin/{prog}")
    service_account = {"name": "", "mountPath": SA_DIR, "readOnly": True}
    inner += mount_lines({"volumeMounts": [service_account] + container.get("volumeMounts", [])},
                         sources)
    inner += ["umount -l /.pod /.host /.image", "cd /",
              "exec env -i " + " ".join(shlex.quote(a) for a in envs + argv)]
    with open(os.path.join(pod_dir, name + ".inner.sh"), "w") as f:
        f.write("\n".join(inner) + "\n")
    root = f"{pod_dir}.root-{name}"
    outer = ["set -e", f"root={shlex.quote(root)}", "mkdir -p \"$root\"",
             "mount -t tmpfs tmpfs \"$root\"", "mkdir \"$root/u\" \"$root/w\" \"$root/m\"",
             "mount -t overlay overlay -o lowerdir=/,upperdir=\"$root/u\",workdir=\"$root/w\" "
             "\"$root/m\"",
             "for d in proc sys dev; do mount --rbind /$d \"$root/m/$d\"; done",
             "mount -t tmpfs tmpfs \"$root/m/run\"", "mount -t tmpfs tmpfs \"$root/m/tmp\"",
             f"mkdir \"$root/m/.image\" \"$root/m/.host\"",
             f"mount --bind {shlex.quote(image_bin)} \"$root/m/.image\"",
             f"mount --bind {shlex.quote(host_dir)} \"$root/m/.host\""]
    for real in REAL_HOST_PATHS:
        placeholder = os.path.join(pod_dir, "real", real.lstrip("/"))
        if os.path.exists(placeholder):
            outer.append(f"mount --bind {real} {shlex.quote(placeholder)}")
    outer += [f"mkdir \"$root/m/.pod\" && mount --rbind {shlex.quote(pod_dir)} \"$root/m/.pod\"",
              f"exec chroot \"$root/m\" /bin/sh /.pod/{name}.inner.sh"]
    with open(os.path.join(pod_dir, name + ".sh"), "w") as f:
        f.write("\n".join(outer) + "\n")


def pod(docs, node, node_ip, pod_dir, host_dir, cluster):
    spec = daemonset(docs)["spec"]["template"]["spec"]
    sources = pod_volumes(spec, docs, pod_dir, host_dir, cluster)
    account = {"token": cluster["token"], "ca.crt": cluster["ca"], "namespace": NAMESPACE}
    os.makedirs(pod_dir + "/serviceaccount", exist_ok=True)
    for key, text in account.items():
        with open(os.path.join(pod_dir, "serviceaccount", key), "w") as f:
            f.write(text)
    dirs = (pod_dir, host_dir, cluster["image_bin"])
    for c in spec.get("initContainers", []):
        container_script(c, environment(c, docs, node, node_ip, cluster), sources, dirs)
        print(c["name"])
    kg = dict(spec["containers"][0], name="main")
    container_script(kg, environment(kg, docs, node, node_ip, cluster), sources, dirs)


def main(argv):
    docs = load(argv[2])
    if argv[1] == "check":
        others = [(path, daemonset(load(path))) for path in argv[3:]]
        errors = check(docs, [(path, ds) for path, ds in others if ds and not is_kube_router(ds)])
        for e in errors:
            print(f"{argv[2]}: {e}")
        return 1 if errors else 0
    spec = workload(docs)["spec"]["template"]["spec"]
    if argv[1] == "cni-dir":
        kg = spec["containers"][0]
        if "--cni=false" not in kg.get("args", []):
            volumes = {v["name"]: v for v in spec.get("volumes", [])}
            print(host_mount(kg, volumes, "/etc/cni/net.d")[1])
        return 0
    if argv[1] == "args":
        kg = spec["containers"][0]
        env = environment(kg, docs, argv[3], argv[4], {"configmaps": {}})
        for arg in kg.get("args", []):
            print(expand(arg, env))
        return 0
    cluster = json.load(open(argv[7]))
    pod(docs, argv[3], argv[4], os.path.abspath(argv[5]), os.path.abspath(argv[6]), cluster)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
