#!/usr/bin/env bash
# Installs, from Debian's packages, whatever the build, the tests and the
# demo need and the machine does not have yet. Safe to run again.
set -euo pipefail

packages=(
  # build
  gcc make cmake pkg-config clang libclang-rt-14-dev clang-format
  libsodium-dev libb2-dev libmnl-dev libjansson-dev libcurl4-openssl-dev
  libyaml-dev libcmocka-dev
  libmicrohttpd-dev  # kg's HTTP servers, HTTPS too (GnuTLS)
  # real peers and tools for the tests and the demo
  wireguard-tools wireguard-go iproute2 iputils-ping iperf3 iptables
  tcpdump netcat-openbsd python3 procps qemu-system-x86 busybox-static
  cpio xz-utils graphviz ca-certificates kmod
  curl openssl
  containernetworking-plugins  # the CNI plugins install-cni copies (agent_manifests)
  jq linux-perf  # bench/throughput (perf only for --profile)
  podman runc mmdebstrap  # the image (scripts/image.sh, e2e_image); runc: crun refuses hybrid cgroups
  zsh fish  # kg and kgctl completion scripts loaded for real (agent_completion)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
