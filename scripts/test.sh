#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds the release and the
# sanitizer (ASan+UBSan) configurations, and runs every ctest stage in both;
# then builds the clang fuzz configuration and runs its fuzz_ stage (label
# fuzz: each target for a few seconds). Exits non-zero on any failure. Extra
# arguments go to ctest (-R '^unit_'), in the fuzz configuration too.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

status=0
for config in release asan; do
  echo "=== build: $config"
  bash scripts/build.sh "$config"
  echo "=== test: $config"
  (cd "build/$config" && ctest --output-on-failure --timeout 900 "$@") || status=1
done
echo "=== build: fuzz"
bash scripts/build.sh fuzz
echo "=== test: fuzz"
(cd build/fuzz && ctest --output-on-failure --timeout 900 -L '^fuzz$' "$@") || status=1
exit $status
