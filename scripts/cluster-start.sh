#!/usr/bin/env bash
# Starts a whole local Gale cluster on 127.0.0.1: ZooKeeper (Debian's `zookeeper` package),
# gale-nimbus and N gale-supervisors (default 2), each with its own slots and storm.local.dir.
#
#   scripts/cluster-start.sh [N]        then   gale --config gale-run/gale.yaml list
#   scripts/cluster-stop.sh                    stops everything this started
#
# Secured as a production cluster is (docs/SECURITY.md): Nimbus speaks HTTPS with a certificate
# from scripts/make-tls.sh (tls/), and every API call needs a token. The script issues an admin
# token (admin.token, used by the CLI through gale.yaml) and the supervisors' token
# (supervisor.token, role "supervisor"), and a fresh ZooKeeper digest identity
# (storm.zookeeper.auth.payload, kept in zookeeper.auth) so that Gale's nodes are readable by
# the cluster only; the token files, zookeeper.auth and gale.yaml are readable only by their
# owner.
#
# Everything lives in ${GALE_RUN_DIR:-./gale-run}: gale.yaml (for the daemons and the CLI),
# logs/ (zookeeper.log, nimbus.log, supervisor-<i>.log), supervisor-<i>/ (each supervisor's
# storm.local.dir, its workers' logs in supervisor-<i>/logs/), pids/, zookeeper/ (zoo.cfg, data).
# Binaries come from
# ${GALE_BIN_DIR:-${GALE_BUILD_DIR:-<repo>/build}/bin} (GALE_BIN_DIR=/opt/gale/bin runs an
# installed Gale). Ports: ZooKeeper ${GALE_ZK_PORT:-2181}, Nimbus ${GALE_NIMBUS_PORT:-6627},
# supervisor i's slots ${GALE_SLOT_BASE:-6700}+10*(i-1) .. +3 and its log server's port +9 (over
# TLS with Nimbus's certificate, which names 127.0.0.1 as they all run here; a supervisor on
# another host needs a certificate of its own, docs/CONFIGURATION.md). GALE_EXTRA_CONFIG: YAML lines added
# to gale.yaml. The console: https://127.0.0.1:<Nimbus port>/ui/, signed in with admin.token.
set -euo pipefail

count="${1:-2}"
if ! [[ "$count" =~ ^[1-9][0-9]*$ ]] || ((count > 9)); then
  echo "usage: $0 [number of supervisors, 1-9]" >&2
  exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${GALE_BIN_DIR:-${GALE_BUILD_DIR:-$root/build}/bin}"
slot_base="${GALE_SLOT_BASE:-6700}"
zk_port="${GALE_ZK_PORT:-2181}"
nimbus_port="${GALE_NIMBUS_PORT:-6627}"
mkdir -p "${GALE_RUN_DIR:-./gale-run}"
run="$(cd "${GALE_RUN_DIR:-./gale-run}" && pwd)"
mkdir -p "$run/logs" "$run/pids" "$run/zookeeper/data"
chmod 0700 "$run"

die() {
  echo "cluster-start: $*" >&2
  exit 1
}

# True if PID is still one of ours: every command this script runs names the run folder.
ours() { [[ -r "/proc/$1/cmdline" ]] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF "$run"; }

# True if something accepts connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

zookeeper_answers() {
  local reply=""
  { exec 3<>"/dev/tcp/127.0.0.1/$zk_port" && printf ruok >&3 && read -r -t 2 -n 4 reply <&3; } \
    2>/dev/null || true
  [[ "$reply" == imok ]]
}

# wait_for DESCRIPTION PID-FILE TEST...: polls TEST for up to 30 s; fails if the process dies.
wait_for() {
  local what="$1" pid_file="$2"
  shift 2
  for _ in $(seq 300); do
    "$@" && return 0
    ours "$(cat "$pid_file")" || die "$what exited; see $run/logs/"
    sleep 0.1
  done
  die "$what did not come up within 30 s; see $run/logs/"
}

# start NAME COMMAND...: runs COMMAND in the background, output appended to logs/NAME.log, its
# pid in pids/NAME.pid.
start() {
  local name="$1"
  shift
  nohup "$@" >>"$run/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$run/pids/$name.pid"
  echo "started $name (pid $!)"
}

for pid_file in "$run"/pids/*.pid; do
  [[ -e "$pid_file" ]] || continue
  if ours "$(cat "$pid_file")"; then
    die "a cluster is already running from $run ($(basename "$pid_file" .pid)); run scripts/cluster-stop.sh first"
  fi
  rm -f "$pid_file"
done
for tool in gale-nimbus gale-supervisor gale-worker; do
  [[ -x "$bin/$tool" ]] || die "$bin/$tool is missing: build it first (scripts/build.sh)"
done
[[ -r /usr/share/java/zookeeper.jar ]] || die "ZooKeeper is missing: scripts/setup.sh installs it"
for port in "$zk_port" "$nimbus_port"; do
  port_open "$port" && die "127.0.0.1:$port is already in use"
done

cat >"$run/zookeeper/zoo.cfg" <<CFG
tickTime=2000
dataDir=$run/zookeeper/data
clientPort=$zk_port
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=ruok
CFG
# The digest identity outlives a restart, as ZooKeeper's data (zookeeper/data) does.
if [[ ! -s "$run/zookeeper.auth" ]]; then
  (umask 077 && echo "gale:$(openssl rand -hex 24)" >"$run/zookeeper.auth")
fi
zk_auth="$(cat "$run/zookeeper.auth")"
touch "$run/gale.yaml"
chmod 0600 "$run/gale.yaml"
cat >"$run/gale.yaml" <<YAML
# Written by scripts/cluster-start.sh for the local cluster in $run.
storm.zookeeper.servers: "127.0.0.1:$zk_port"
storm.zookeeper.root: /gale
storm.zookeeper.auth.payload: "$zk_auth"
nimbus.host: 127.0.0.1
nimbus.port: $nimbus_port
nimbus.tls.cert.file: $run/tls/nimbus.pem
nimbus.tls.key.file: $run/tls/nimbus.key
security.tls.ca.file: $run/tls/ca.pem
security.token.file: $run/admin.token
YAML
# GALE_EXTRA_CONFIG: more YAML lines for the daemons and the CLI (the console's browser test
# samples the metric history every 2 s).
if [[ -n "${GALE_EXTRA_CONFIG:-}" ]]; then printf '%s\n' "$GALE_EXTRA_CONFIG" >>"$run/gale.yaml"; fi
"$root/scripts/make-tls.sh" "$run/tls" >/dev/null

# The classpath the Debian package's own scripts use (zookeeper.jar's manifest names the rest).
start zookeeper java -Xmx256m -Dzookeeper.jmx.log4j.disable=true \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar \
  org.apache.zookeeper.server.quorum.QuorumPeerMain "$run/zookeeper/zoo.cfg"
wait_for ZooKeeper "$run/pids/zookeeper.pid" zookeeper_answers

# issue_token PRINCIPAL ROLE: a fresh token for PRINCIPAL, stored (hashed) in ZooKeeper, written
# to $run/PRINCIPAL.token (0600).
issue_token() {
  (
    umask 077
    "$bin/gale-nimbus" token create "$1" --role "$2" --config "$run/gale.yaml" >"$run/$1.token"
  ) || die "could not issue the $1 token"
}
issue_token admin admin
issue_token supervisor supervisor

start nimbus "$bin/gale-nimbus" --config "$run/gale.yaml" -c "storm.local.dir=$run/nimbus"
wait_for Nimbus "$run/pids/nimbus.pid" port_open "$nimbus_port"

for i in $(seq "$count"); do
  first=$((slot_base + 10 * (i - 1)))
  start "supervisor-$i" "$bin/gale-supervisor" --config "$run/gale.yaml" \
    -c "supervisor.id=supervisor-$i" \
    -c "supervisor.slots.ports=$first,$((first + 1)),$((first + 2)),$((first + 3))" \
    -c "storm.local.dir=$run/supervisor-$i" \
    -c "security.token.file=$run/supervisor.token" \
    -c "supervisor.logviewer.port=$((first + 9))" \
    -c "supervisor.tls.cert.file=$run/tls/nimbus.pem" \
    -c "supervisor.tls.key.file=$run/tls/nimbus.key"
done

echo "cluster up: ZooKeeper 127.0.0.1:$zk_port, Nimbus https://127.0.0.1:$nimbus_port, $count supervisors"
echo "use: $bin/gale --config $run/gale.yaml list      stop: $root/scripts/cluster-stop.sh"
