#!/usr/bin/env bash
# Builds one configuration: scripts/build.sh release|asan
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-release}
case "$config" in
  release) flags=(-DKILO_SANITIZE=OFF) ;;
  asan)    flags=(-DKILO_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug) ;;
  *) echo "build.sh: unknown configuration '$config' (release|asan)" >&2; exit 2 ;;
esac
cmake -S . -B "build/$config" "${flags[@]}" >/dev/null
cmake --build "build/$config" -j "$(nproc)"
