#!/usr/bin/env bash
# Formats every tracked C file with the checked-in .clang-format:
#   scripts/format.sh          rewrite the files in place
#   scripts/format.sh --check  change nothing; list the files that differ, exit 1 if any
# scripts/test.sh runs the check first, so a difference fails the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-fix}
case "$mode" in
  fix | --check) ;;
  *) echo "format.sh: unknown argument '$mode' (--check, or nothing to format in place)" >&2; exit 2 ;;
esac
mapfile -t files < <(git ls-files '*.c' '*.h')
if [ "$mode" = fix ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
differ=()
for f in "${files[@]}"; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || differ+=("$f")
done
if [ ${#differ[@]} -gt 0 ]; then
  echo "format: these files differ from .clang-format (run bash scripts/format.sh):" >&2
  printf '  %s\n' "${differ[@]}" >&2
  exit 1
fi
echo "format: ${#files[@]} files match .clang-format"
