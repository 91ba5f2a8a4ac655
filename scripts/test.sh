#!/usr/bin/env bash
# The whole test suite: installs what is missing, checks the C files against
# .clang-format (a difference fails the suite, scripts/format.sh fixes it),
# builds the release and the sanitizer (ASan+UBSan) configurations, and runs
# every ctest stage in release and the unit, interop, e2e and soak stages under
# the sanitizers (a soak runs for KILO_SOAK_SECONDS, 60 by default,
# tests/soak/lib.sh);
# then builds the clang fuzz configuration and runs its fuzz_ stage (label
# fuzz: each target for a few seconds). Two tests run at a time: a stage's
# scripts take turns, two stages overlap (tests/CMakeLists.txt). Exits
# non-zero on any failure. Extra arguments go to ctest (-R '^unit_'), in the
# fuzz configuration too.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# The sanitizers watch everything our code does in the unit, interop, e2e and
# soak stages (kg and kwg run there too); the kernel VM and agent stages prove
# behaviour, which the release build already shows, so they run once.
declare -A exclude=([release]='^$' [asan]='^(kernel_|agent_)')
# kwg runs with its TUN offloads on in release and off under the sanitizers,
# so the interop stage proves both (kernel_traffic and interop_kwg_kwg also
# switch them off themselves); and with the data path's ChaCha20-Poly1305 from
# OpenSSL (the default) in release and from libsodium under the sanitizers.
declare -A no_offload=([release]= [asan]=1)
declare -A crypto=([release]=openssl [asan]=sodium)

status=0
echo "=== format"
bash scripts/format.sh --check || status=1
for config in release asan; do
  echo "=== build: $config"
  bash scripts/build.sh "$config"
  echo "=== test: $config"
  (cd "build/$config" && KWG_NO_OFFLOAD=${no_offload[$config]} KWG_CRYPTO=${crypto[$config]} \
    ctest -j2 --output-on-failure --timeout 900 -E "${exclude[$config]}" "$@") ||
    status=1
done
echo "=== build: fuzz"
bash scripts/build.sh fuzz
echo "=== test: fuzz"
(cd build/fuzz && ctest -j2 --output-on-failure --timeout 900 -L '^fuzz$' "$@") || status=1
exit $status
