#!/usr/bin/env bash
# Configures and builds Gale into build/ (or $GALE_BUILD_DIR), warnings as errors, with ccache
# when it is installed. Extra arguments go to cmake, e.g. scripts/build.sh -DGALE_ASAN=ON;
# GALE_TARGETS="gale risk_alert" builds only those targets (the demo does).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${GALE_BUILD_DIR:-$root/build}"
jobs="${GALE_JOBS:-2}"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${GALE_BUILD_TYPE:-RelWithDebInfo}" \
  "${launcher[@]}" "$@" >/dev/null
targets=()
for t in ${GALE_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build" -j "$jobs" "${targets[@]}"
