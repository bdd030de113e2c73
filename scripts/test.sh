#!/usr/bin/env bash
# Sets up what is missing, checks formatting, builds (warnings as errors, as every build), and
# runs the whole test suite; then the runtime and worker tests again under ThreadSanitizer
# (scripts/test-tsan.sh). Benchmarks are not built here (scripts/bench.sh builds and runs them):
# they are not tests, and leaving them out keeps CI's build shorter.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh" --browser
"$root/scripts/check-format.sh"
"$root/scripts/build.sh"
build="${GALE_BUILD_DIR:-$root/build}"
(cd "$build" && ctest --output-on-failure -j 2 --timeout 300 "$@")
"$root/scripts/test-tsan.sh"
