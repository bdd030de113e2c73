# Helpers the install and package tests share (sourced): build the out-of-tree example against
# an installed Gale, and run it in local mode and on a cluster. Each expects $work (a scratch
# folder) and fail().
gale_scripts="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../scripts" && pwd)"

# build_example_cmake <prefix> <source dir> <build dir>: configure and build with the prefix as
# the only way to Gale, and make sure nothing in the build points into `forbidden` paths.
build_example_cmake() {
  local prefix="$1" src="$2" out="$3"
  shift 3
  cmake -S "$src" -B "$out" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$work/configure.log" ||
    { cat "$work/configure.log"; fail "the example does not configure against $prefix"; }
  cmake --build "$out" >"$work/build.log" ||
    { cat "$work/build.log"; fail "the example does not build against $prefix"; }
  local forbidden
  for forbidden in "$@"; do
    if grep -F "$forbidden" "$out/compile_commands.json" "$out/build.ninja" >/dev/null; then
      fail "the example's build reaches into $forbidden"
    fi
  done
}

# build_example_pkgconfig <pkg-config dir> <source dir> <output .so> [linker flags...]
build_example_pkgconfig() {
  local pc="$1" src="$2" out="$3"
  shift 3
  # shellcheck disable=SC2046
  g++ -shared -fPIC -fvisibility=hidden -O1 "$src/channel_spend.cc" -o "$out" \
    $(PKG_CONFIG_PATH="$pc" pkg-config --cflags --libs gale-events) "$@" ||
    fail "the example does not build with pkg-config from $pc"
}

# run_example_local <gale> <topology.so> <label>: 3000 transactions, each acked once and
# counted once.
run_example_local() {
  local gale="$1" so="$2" label="$3" out="$work/$3.out" counted
  (cd "$work" && "$gale" local "$so" --duration 4 -c spend.max.transactions=3000) >"$out" 2>&1 ||
    { cat "$out"; fail "$label: gale local failed"; }
  counted="$(awk '/^channel /{sum += $4} END {print sum + 0}' "$out")"
  [[ "$counted" == 3000 ]] || { cat "$out"; fail "$label: counted $counted transactions, not 3000"; }
  awk '$1 == "transactions" && $2 == "spout" {print $8}' "$out" | grep -qx 3000 ||
    { cat "$out"; fail "$label: the spout did not ack 3000"; }
  echo "$label: 3000 transactions acked and counted in local mode"
}

# free_port: a loopback port nothing listens on (from 20000-29999, away from the ephemeral
# range the tests' servers use).
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 10000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
}

# run_example_on_cluster <bin dir> <topology.so> <label>: a local cluster (ZooKeeper, Nimbus,
# one supervisor) from the programs in <bin dir>, started by scripts/cluster-start.sh; submits
# the example and waits until its spout has acked 3000 transactions, then kills it and stops.
run_example_on_cluster() {
  local bin="$1" so="$2" label="$3" run="$work/cluster-$3" acked=""
  export GALE_RUN_DIR="$run" GALE_BIN_DIR="$bin" GALE_ZK_PORT GALE_NIMBUS_PORT GALE_SLOT_BASE
  GALE_ZK_PORT="$(free_port)"
  GALE_NIMBUS_PORT="$(free_port)"
  GALE_SLOT_BASE="$(free_port)"
  trap 'bash "$gale_scripts/cluster-stop.sh" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
  bash "$gale_scripts/cluster-start.sh" 1 >"$work/cluster-start.log" 2>&1 ||
    { cat "$work/cluster-start.log" "$run"/logs/*.log; fail "$label: the cluster did not start"; }
  # The supervisor registers its slots a moment after it starts.
  local submitted=""
  for _ in $(seq 60); do
    if "$bin/gale" submit "$so" --name spend --config "$run/gale.yaml" \
      -c spend.max.transactions=3000 -c topology.workers=1 >"$work/submit.log" 2>&1; then
      submitted=yes
      break
    fi
    grep -q "free slots" "$work/submit.log" || break
    sleep 0.5
  done
  [[ -n "$submitted" ]] || { cat "$work/submit.log"; fail "$label: submit failed"; }
  for _ in $(seq 120); do
    acked="$("$bin/gale" status spend --config "$run/gale.yaml" 2>/dev/null |
      awk '$1 == "transactions" && $2 == "spout" {print $6}')"
    [[ "$acked" == 3000 ]] && break
    sleep 0.5
  done
  [[ "$acked" == 3000 ]] ||
    { cat "$run"/logs/*.log; fail "$label: the spout acked '${acked}' of 3000 on the cluster"; }
  "$bin/gale" kill spend --wait 0 --config "$run/gale.yaml" >/dev/null
  bash "$gale_scripts/cluster-stop.sh" >/dev/null
  echo "$label: 3000 transactions acked on a cluster of the installed daemons"
}
