# The kg image: kg, kgctl and kwg built from this tree, on Debian 12.
#
# Built by scripts/image.sh, which makes both stages' bases out of Debian's
# packages alone (mmdebstrap --variant=minbase bookworm) and imports them, so
# that this build needs no registry and no network (it runs with
# --network none): the build base has the compiler and the -dev packages, the
# runtime base what kg runs with (iptables legacy and nft, iproute2, kmod,
# graphviz for kg's /graph, wireguard-tools for `wg show kilo0`, the CNI
# plugins for install-cni). The package lists are scripts/image.sh's
# (`scripts/image.sh --packages build|runtime`); nothing is installed here.
#
#   bash scripts/image.sh                      # localhost/kilo-c:VERSION
#   bash scripts/image.sh --oci kilo-c.tar     # and an OCI archive of it
#
# The programs are built in here, from the sources copied below, not taken
# from a build outside: the same sources on the same base give the same
# programs whatever the machine building them has installed.
ARG BUILD_BASE=localhost/kilo-c-base:build
ARG RUNTIME_BASE=localhost/kilo-c-base:runtime

FROM ${BUILD_BASE} AS build
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
    && cmake --build build -j "$(nproc)" --target kg kgctl kwg \
    && strip build/cmd/kg build/cmd/kgctl build/cmd/kwg

FROM ${RUNTIME_BASE}
# /opt/cni/bin is where install-cni copies the CNI plugins from (Kilo's
# image has them there); Debian keeps them in /usr/lib/cni.
RUN mkdir -p /opt/cni && ln -s /usr/lib/cni /opt/cni/bin
COPY --from=build /src/build/cmd/kg /src/build/cmd/kgctl /src/build/cmd/kwg /opt/bin/
ENV PATH=/opt/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENTRYPOINT ["/opt/bin/kg"]
