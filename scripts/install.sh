#!/usr/bin/env bash
# Installs dependencies, builds the release configuration and installs
# kg, kgctl and kwg into /usr/local/bin.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh release
cmake --install build/release --prefix /usr/local
