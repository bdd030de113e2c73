#!/usr/bin/env bash
# The SDK as a team outside this repository meets it: install Gale into an empty prefix, build
# the example from a copy of its folder with only that prefix (CMake, then pkg-config), and run
# it with the installed gale. Usage: install_test.sh <build dir> <source dir>
set -euo pipefail
build="$(cd "$1" && pwd)"
source="$(cd "$2" && pwd)"
work="$(mktemp -d /tmp/gale-install-test.XXXXXX)"
# Readable by all, as an installed prefix is: Nimbus running as root inspects a topology as the
# user nobody (docs/SECURITY.md), which must be able to load the prefix's libraries.
chmod 0755 "$work"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
fail() {
  echo "install_test: $*" >&2
  exit 1
}

echo "== cmake --install into $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
for f in bin/gale bin/gale-nimbus bin/gale-supervisor bin/gale-worker bin/gale-gen \
  bin/gale-kafka-dev bin/gale-sms-gateway-fake include/gale/gale.h include/gale/kafka/kafka_spout.h \
  include/gale/redis/bolts.h include/gale/postgres/bolts.h include/gale/sms/gateway_client.h include/gale/events/events.h \
  lib/cmake/Gale/GaleConfig.cmake lib/cmake/Gale/GaleAddTopology.cmake lib/pkgconfig/gale.pc \
  lib/gale/topologies/word_count.so lib/gale/topologies/risk_alert.so; do
  [[ -e "$prefix/$f" ]] || fail "$f is not installed"
done
# Nothing private comes along: no runtime internals, no test helpers, no service files.
for f in include/gale/runtime include/gale/testing include/gale/common etc lib/systemd; do
  [[ ! -e "$prefix/$f" ]] || fail "$f should not be installed"
done
api="$(sed -n 's/^#define GALE_API_VERSION \([0-9]*\)$/\1/p' "$source/topology-api/include/gale/version.h")"
for lib in topology-api kafka redis postgres sms events; do
  soname="$(readelf -d "$prefix/lib/libgale-$lib.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
  [[ "$soname" == "libgale-$lib.so.$api" ]] || fail "libgale-$lib.so has SONAME '$soname'"
done
version="$("$prefix/bin/gale" --version)"
[[ "$version" =~ ^gale\ [0-9]+\.[0-9]+\.[0-9]+\ \(topology\ API\ $api\)$ ]] ||
  fail "gale --version printed '$version'"
for daemon in gale-nimbus gale-supervisor gale-worker; do
  "$prefix/bin/$daemon" --version | grep -q "^$daemon .*(topology API $api)$" ||
    fail "$daemon --version"
done

# shellcheck source=example.sh
source "$(dirname "$0")/example.sh"
cp -r "$source/examples/channel-spend" "$work/src"

echo "== the example, with CMake and the prefix only"
build_example_cmake "$prefix" "$work/src" "$work/cmake-build" "$source" "$build"
run_example_local "$prefix/bin/gale" "$work/cmake-build/channel_spend.so" cmake

echo "== the example, with pkg-config"
build_example_pkgconfig "$prefix/lib/pkgconfig" "$work/src" "$work/pc_spend.so" \
  -Wl,-rpath,"$prefix/lib"
run_example_local "$prefix/bin/gale" "$work/pc_spend.so" pkg-config

echo "== the example on a cluster of the installed daemons"
run_example_on_cluster "$prefix/bin" "$work/cmake-build/channel_spend.so" cluster

echo "== a topology built for another API version is still refused by name"
if out="$("$prefix/bin/gale" local "$build/topologies/test_bad_version.so" --duration 1 2>&1)"; then
  fail "a topology of another API version ran"
fi
grep -q "version 999.*this gale has version $api" <<<"$out" || fail "refusal: $out"
echo "install_test: ok"
