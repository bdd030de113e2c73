#!/usr/bin/env bash
# Sets up what is missing, builds with warnings as errors, and runs the whole test suite.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh" -DGALE_WERROR=ON
build="${GALE_BUILD_DIR:-$root/build}"
cd "$build"
ctest --output-on-failure -j 2 --timeout 300 "$@"
