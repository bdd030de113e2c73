#!/usr/bin/env bash
# Builds the runtime and the worker with ThreadSanitizer into build-tsan/ (or $GALE_TSAN_DIR) and
# runs their tests (labels runtime and worker): a data race fails the run. The test command
# runs this after the main suite.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${GALE_TSAN_DIR:-$root/build-tsan}"
# Only what the two labels run: their test binaries and the processes and topologies they start.
GALE_BUILD_DIR="$build" GALE_TARGETS="runtime_test worker_test gale-worker word_count test_invalid
  test_no_entry test_bad_version" "$root/scripts/build.sh" -DGALE_TSAN=ON
cd "$build"
# halt_on_error: the first race fails the test that hit it, with the report in its output.
# Newer kernels randomise mmap more than this TSan expects; setarch -R turns randomisation off
# for the tests only.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
setarch "$(uname -m)" -R ctest --output-on-failure -j 2 --timeout 600 -L 'runtime|worker' "$@"
