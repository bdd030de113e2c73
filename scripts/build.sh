#!/usr/bin/env bash
# Configures and builds Gale into build/ (or $GALE_BUILD_DIR). Extra arguments go to cmake,
# e.g. scripts/build.sh -DGALE_ASAN=ON
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${GALE_BUILD_DIR:-$root/build}"
jobs="${GALE_JOBS:-2}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${GALE_BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
cmake --build "$build" -j "$jobs"
