#!/usr/bin/env bash
# Builds one configuration: scripts/build.sh release|asan|fuzz [TARGET...]
# (every target, or only the TARGETs named, e.g. kg kgctl kwg)
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-release}
shift || true
case "$config" in
  release) flags=(-DKILO_SANITIZE=OFF) ;;
  asan)    flags=(-DKILO_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug) ;;
  # libFuzzer targets (tests/fuzz) over ASan+UBSan libraries; needs clang.
  fuzz)    flags=(-DCMAKE_C_COMPILER=clang -DKILO_FUZZ=ON) ;;
  *) echo "build.sh: unknown configuration '$config' (release|asan|fuzz)" >&2; exit 2 ;;
esac
cmake -S . -B "build/$config" "${flags[@]}" >/dev/null
cmake --build "build/$config" -j "$(nproc)" ${1:+--target "$@"}
