#!/usr/bin/env bash
# Builds the kg image, localhost/kilo-c:VERSION (VERSION is CMakeLists.txt's
# project version), from Debian's packages and this tree alone: no registry.
#
#   scripts/image.sh [--oci FILE]     build (or find) the image; --oci also
#                                     writes it as an OCI archive to FILE
#   scripts/image.sh --packages build|runtime
#                                     the Debian packages of that base
#   scripts/image.sh --podman-args    what `podman run` needs on this machine
#
# Two bases, each `mmdebstrap --variant=minbase bookworm` with its packages
# (no recommends, no manuals or translations), imported with `podman import`
# as localhost/kilo-c-base:build and :runtime; then `podman build` of the
# Dockerfile on them, with --network none, from a context that holds only
# what the Dockerfile copies. The bases are cached in $KILO_IMAGE_CACHE
# (/var/cache/kilo-image), keyed by their package list and mirrors (and their
# .debs, for the next base); the image
# carries the hash of its inputs (bases, Dockerfile, sources) as the label
# kilo-c.inputs, and is built again only when that hash changes. Delete the
# cache to take Debian's latest updates. Prints the image's name on stdout.
# Needs root (podman, mmdebstrap); installs them with scripts/deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
# The bases, the context and the cache the same whoever runs this (the
# tests' umask is 077).
umask 022

SUITE=bookworm
MIRROR=${KILO_DEBIAN_MIRROR:-http://deb.debian.org}
SOURCES=("deb $MIRROR/debian $SUITE main" "deb $MIRROR/debian $SUITE-updates main"
	"deb $MIRROR/debian-security $SUITE-security main")
BUILD_PACKAGES=(cmake gcc libc6-dev make pkg-config
	libb2-dev libcurl4-openssl-dev libjansson-dev libmicrohttpd-dev libmnl-dev libsodium-dev libssl-dev libyaml-dev)
# iptables has both iptables-legacy and iptables-nft: kg picks the host's.
RUNTIME_PACKAGES=(ca-certificates containernetworking-plugins graphviz iproute2 iptables kmod
	wireguard-tools
	libb2-1 libcurl4 libjansson4 libmicrohttpd12 libmnl0 libsodium23 libssl3 libyaml-0-2)
CACHE=${KILO_IMAGE_CACHE:-/var/cache/kilo-image}
# Files in the bases and the image are dated here (reproducible tarballs).
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}

log() { echo "image: $*" >&2; }
die() {
	echo "image: $*" >&2
	exit 1
}

# What podman needs to run a container on this machine, for RUN here and for
# the tests (--podman-args): runc, as crun refuses hybrid cgroups; ulimits
# that runc can set without CAP_SYS_RESOURCE: podman's defaults are above the
# hard limits, and runc fails to set a process limit above the kernel's
# pid_max however high the hard limit is.
nproc=$(ulimit -Hu)
pid_max=$(cat /proc/sys/kernel/pid_max 2>/dev/null || echo "$nproc")
[ "$nproc" = unlimited ] || [ "$nproc" -gt "$pid_max" ] && nproc=$pid_max
nofile=$(ulimit -Hn)
[ "$nofile" != unlimited ] || nofile=1048576
PODMAN_RUN=(--runtime runc --ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")

oci=
while [ $# -gt 0 ]; do
	case $1 in
	--oci)
		[ $# -ge 2 ] || die "--oci needs a FILE"
		oci=$(realpath -m "$2")
		shift 2
		;;
	--podman-args)
		printf '%s\n' "${PODMAN_RUN[@]}"
		exit 0
		;;
	--packages)
		case ${2:-} in
		build) printf '%s\n' "${BUILD_PACKAGES[@]}" ;;
		runtime) printf '%s\n' "${RUNTIME_PACKAGES[@]}" ;;
		*) die "--packages build|runtime" ;;
		esac
		exit 0
		;;
	*) die "unknown argument $1 (usage: scripts/image.sh [--oci FILE] | --packages build|runtime | --podman-args)" ;;
	esac
done

[ "$(id -u)" = 0 ] || die "needs root (podman, mmdebstrap)"
if ! command -v podman >/dev/null || ! command -v mmdebstrap >/dev/null ||
	! command -v runc >/dev/null; then
	bash scripts/deps.sh
fi
VERSION=$(sed -n 's/^project(kilo-c VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$VERSION" ] || die "no project VERSION in CMakeLists.txt"
IMAGE=localhost/kilo-c:$VERSION

mkdir -p "$CACHE"
exec 9>"$CACHE/lock"
flock 9

# base KIND PACKAGE...: the base image's name, made and imported unless it is
# there already.
base() {
	local kind=$1 key tar name
	shift
	key=$({
		echo "kilo-c base 1 $SUITE minbase merged-usr no-recommends $SOURCE_DATE_EPOCH"
		printf '%s\n' "${SOURCES[@]}"
		printf '%s\n' "$@" | sort
	} | sha256sum | cut -c1-16)
	tar=$CACHE/base-$kind-$key.tar
	name=localhost/kilo-c-base:$kind-$key
	if [ ! -s "$tar" ]; then
		log "making the $kind base ($key) with mmdebstrap"
		rm -f "$CACHE/base-$kind-"*.tar
		# The .debs are kept in $CACHE/debs and given to the next run
		# (mmdebstrap's documented sync-in/sync-out hooks): the two bases
		# share most of theirs, and a new package list downloads only what
		# it adds.
		mkdir -p "$CACHE/debs"
		mmdebstrap --variant=minbase --mode=root --format=tar \
			--skip=essential/unlink \
			--setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
			--setup-hook="sync-in $CACHE/debs /var/cache/apt/archives/" \
			--customize-hook="sync-out /var/cache/apt/archives $CACHE/debs" \
			--aptopt='APT::Install-Recommends "false"' \
			--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
			--dpkgopt='path-exclude=/usr/share/man/*' \
			--dpkgopt='path-exclude=/usr/share/locale/*' \
			--dpkgopt='path-exclude=/usr/share/doc/*' \
			--dpkgopt='path-include=/usr/share/doc/*/copyright' \
			--include="$(
				IFS=,
				echo "$*"
			)" \
			"$SUITE" "$tar.tmp" "${SOURCES[@]}" </dev/null >"$CACHE/base-$kind.log" 2>&1 ||
			die "mmdebstrap failed: $(tail -n 20 "$CACHE/base-$kind.log")"
		mv "$tar.tmp" "$tar"
	fi
	if ! podman image exists "$name"; then
		log "importing the $kind base"
		podman import --quiet "$tar" "$name" >/dev/null
	fi
	podman tag "$name" "localhost/kilo-c-base:$kind"
	# Bases of other package lists go (their tarballs went above).
	podman images --format '{{.Repository}}:{{.Tag}}' localhost/kilo-c-base |
		grep -E "^localhost/kilo-c-base:$kind-" | grep -vxF "$name" |
		xargs -r podman rmi >/dev/null 2>&1 || true
	echo "$name"
}

build_base=$(base build "${BUILD_PACKAGES[@]}")
runtime_base=$(base runtime "${RUNTIME_PACKAGES[@]}")

# The context: what the Dockerfile copies (COPY lines without --from), and
# the Dockerfile; its hash, with the bases', names the image.
ctx=$(mktemp -d /tmp/kilo-image.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
mapfile -t copied < <(awk '$1 == "COPY" && $2 !~ /^--/ { for (i = 2; i < NF; i++) print $i }' \
	Dockerfile)
[ ${#copied[@]} -gt 0 ] || die "the Dockerfile copies nothing"
cp -a --parents "${copied[@]}" Dockerfile "$ctx/"
inputs=$({
	echo "$build_base $runtime_base $VERSION $SOURCE_DATE_EPOCH"
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$ctx" -cf - .
} | sha256sum | cut -c1-32)

have=$(podman image inspect --format '{{index .Labels "kilo-c.inputs"}}' "$IMAGE" 2>/dev/null ||
	true)
if [ "$have" = "$inputs" ]; then
	log "$IMAGE is up to date ($inputs)"
else
	log "building $IMAGE ($inputs)"
	podman build --quiet "${PODMAN_RUN[@]}" --network none --pull=never \
		--timestamp "$SOURCE_DATE_EPOCH" \
		--build-arg "BUILD_BASE=$build_base" --build-arg "RUNTIME_BASE=$runtime_base" \
		--label "kilo-c.inputs=$inputs" --label "org.opencontainers.image.version=$VERSION" \
		--tag "$IMAGE" "$ctx" >"$CACHE/build.log" 2>&1 ||
		die "podman build failed: $(tail -n 30 "$CACHE/build.log")"
	# The build stage and the image this one replaces (untagged now).
	podman image prune --force >/dev/null
fi
if [ -n "$oci" ]; then
	rm -f "$oci"
	podman save --quiet --format oci-archive --output "$oci" "$IMAGE"
	log "wrote $oci"
fi
echo "$IMAGE"
