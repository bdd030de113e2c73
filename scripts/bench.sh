#!/usr/bin/env bash
# Builds Release into build-bench/ and runs the benchmarks; figures beside same-run baselines.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
GALE_BUILD_DIR="$root/build-bench" GALE_BUILD_TYPE=Release "$root/scripts/build.sh" -DGALE_BUILD_BENCH=ON
exec "$root/build-bench/bin/gale-bench" "$@"
