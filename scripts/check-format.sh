#!/usr/bin/env bash
# Fails, naming the files, when a C++ source differs from what clang-format (.clang-format at the
# root) would write. Fix with: clang-format -i <file>...
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mapfile -t files < <(git ls-files '*.cc' '*.h')
if ! out=$(clang-format --dry-run -Werror "${files[@]}" 2>&1); then
  echo "check-format: these files are not clang-formatted (run clang-format -i on them):" >&2
  grep -o '^[^:]*:[0-9]*:[0-9]*: error' <<<"$out" | cut -d: -f1 | sort -u | sed 's/^/  /' >&2
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"
