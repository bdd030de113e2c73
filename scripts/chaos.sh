#!/usr/bin/env bash
# The chaos suite, full schedule (docs/RELIABILITY.md): a cluster on hosts made of network
# namespaces runs the ledger topology and sms-notify (Kafka -> Redis -> SMS gateway) while
# workers are killed every 5-10 s for a minute, a supervisor is killed, Nimbus is killed and
# restarted, the ZooKeeper ensemble is restarted, a supervisor's host is cut off for 30 s and a
# worker is frozen. Prints, per fault, the time to recover the full rate, the ids re-emitted, the
# ids left unacked and the SMS sent twice, then the ids and SMS lost. Takes about 8 minutes.
# Needs root (network namespaces). The short schedule runs in the default test run.
#
#   scripts/chaos.sh [report-file]     (the table is also written to report-file)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [[ "$(id -u)" != 0 ]]; then
  echo "chaos: needs root (it makes network namespaces)" >&2
  exit 2
fi
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
build="${GALE_BUILD_DIR:-$root/build}"
report="${1:-$build/chaos-report.txt}"
GALE_CHAOS=full GALE_CHAOS_REPORT="$report" \
  "$build/tests/chaos_test" --gtest_filter=Chaos.FullSchedule
echo "chaos: report in $report"
