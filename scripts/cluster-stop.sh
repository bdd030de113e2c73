#!/usr/bin/env bash
# Stops what scripts/cluster-start.sh started (the pids in ${GALE_RUN_DIR:-./gale-run}/pids):
# supervisors first (they stop their workers), then Nimbus, then ZooKeeper. Each gets SIGTERM,
# then SIGKILL after 15 s. Idempotent: processes already gone are skipped.
set -euo pipefail

[[ -d "${GALE_RUN_DIR:-./gale-run}/pids" ]] || exit 0
run="$(cd "${GALE_RUN_DIR:-./gale-run}" && pwd)"

# True if PID is still one of ours: every command the start script runs names the run folder.
ours() { [[ -r "/proc/$1/cmdline" ]] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF "$run"; }

# stop NAME: SIGTERM, wait up to 15 s, SIGKILL; removes the pid file.
stop() {
  local pid_file="$run/pids/$1.pid" pid
  [[ -e "$pid_file" ]] || return 0
  pid="$(cat "$pid_file")"
  if ours "$pid" && kill -TERM "$pid" 2>/dev/null; then
    for _ in $(seq 150); do
      ours "$pid" || break
      sleep 0.1
    done
    if ours "$pid" && kill -KILL "$pid" 2>/dev/null; then echo "killed $1 (pid $pid) after 15 s"; fi
    echo "stopped $1"
  fi
  rm -f "$pid_file"
}

for pid_file in "$run"/pids/supervisor-*.pid; do
  if [[ -e "$pid_file" ]]; then stop "$(basename "$pid_file" .pid)"; fi
done
stop nimbus
stop zookeeper
