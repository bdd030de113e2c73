#!/usr/bin/env bash
# The main job on its embedded default: sets up what is missing, builds, and runs risk-alert in
# local mode on its built-in sample transactions (no Kafka, no Redis), printing the alerts it
# raises and the statistics. It builds only what it runs, in the same build directory and with
# the same flags as scripts/test.sh, which then reuses this build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
GALE_TARGETS="gale risk_alert" "$root/scripts/build.sh"
build="${GALE_BUILD_DIR:-$root/build}"
exec "$build/bin/gale" local "$build/topologies/risk_alert.so" --duration "${GALE_DEMO_SECONDS:-8}" "$@"
