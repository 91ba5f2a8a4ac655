# The kg image (placeholder name kilo-c/kg:latest, see manifests/README.md):
# kg, kgctl and kwg built from this tree on Debian 12, with iptables,
# iproute2, graphviz (kg's /graph) and the CNI plugins that the install-cni
# init container copies to the host. No WireGuard module or sidecar: kg's
# WireGuard device runs in its own process on /dev/net/tun.
#
#   docker build -t kilo-c/kg:latest .
FROM debian:12-slim AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        cmake gcc libc6-dev make pkg-config \
        libb2-dev libcurl4-openssl-dev libjansson-dev libmnl-dev libsodium-dev libssl-dev \
        libyaml-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only the programs and their libraries: without tests/ and bench/ the build
# needs no cmocka.
COPY CMakeLists.txt ./
COPY cmd cmd
COPY mesh mesh
COPY netlink netlink
COPY tun tun
COPY wg wg
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release \
    && cmake --build build -j "$(nproc)" --target kg kgctl kwg

FROM debian:12-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates containernetworking-plugins graphviz iproute2 iptables \
        libb2-1 libcurl4 libjansson4 libmnl0 libsodium23 libssl3 libyaml-0-2 \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /opt/cni \
    && ln -s /usr/lib/cni /opt/cni/bin
COPY --from=build /src/build/cmd/kg /src/build/cmd/kgctl /src/build/cmd/kwg /opt/bin/
ENV PATH=/opt/bin:$PATH
ENTRYPOINT ["/opt/bin/kg"]
