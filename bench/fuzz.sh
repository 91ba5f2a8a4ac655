#!/usr/bin/env bash
# Fuzzes for longer than the ctest fuzz_ stage does: each named target (all of
# tests/fuzz/fuzz_*.c by default) for SECONDS (default 600) on a corpus kept in
# build/fuzz/tests/fuzz/corpus/TARGET across runs, seeded from
# tests/fuzz/corpus/TARGET. Stops at the first crash, whose input libFuzzer
# writes to build/fuzz/tests/fuzz/artifacts/TARGET/; see tests/fuzz/README.md.
#   bash bench/fuzz.sh [-t SECONDS] [TARGET...]   e.g. bash bench/fuzz.sh -t 3600 fuzz_datagram
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=600
if [ "${1:-}" = "-t" ]; then
  seconds=$2
  shift 2
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for src in tests/fuzz/fuzz_*.c; do
    targets+=("$(basename "$src" .c)")
  done
fi

bash scripts/build.sh fuzz
out=build/fuzz/tests/fuzz
for target in "${targets[@]}"; do
  echo "=== $target: ${seconds}s"
  mkdir -p "$out/corpus/$target" "$out/artifacts/$target"
  "$out/$target" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 \
    -artifact_prefix="$out/artifacts/$target/" -print_final_stats=1 \
    "$out/corpus/$target" "tests/fuzz/corpus/$target"
done
