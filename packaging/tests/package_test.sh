#!/usr/bin/env bash
# The Debian packages: build gale and gale-dev with CPack from this build, check what they
# declare (dependencies, conffiles, units, maintainer scripts), install them into a clean folder
# (dpkg-deb -x), build the example there with CMake and with pkg-config, and run it and a
# bundled topology with the packaged gale. Usage: package_test.sh <build dir> <source dir>
# (scripts/test-packages-chroot.sh installs them into a fresh Debian with apt instead.)
set -euo pipefail
build="$(cd "$1" && pwd)"
source="$(cd "$2" && pwd)"
work="$(mktemp -d /tmp/gale-package-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT
fail() {
  echo "package_test: $*" >&2
  exit 1
}
# shellcheck source=example.sh
source "$(dirname "$0")/example.sh"

echo "== cpack"
cpack --config "$build/CPackConfig.cmake" -B "$work/packages" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail "cpack failed"; }
server="$(ls "$work"/packages/gale_*.deb)"
sdk="$(ls "$work"/packages/gale-dev_*.deb)"

echo "== what the packages declare"
depends="$(dpkg-deb -f "$server" Depends)"
for lib in libzmq5 libzookeeper-mt2 librdkafka1 libhiredis0.14 libpq5 liblua5.4-0 libyaml-cpp0.7 \
  libstdc++6; do
  [[ ", $depends," == *", $lib "* || ", $depends," == *", $lib,"* ]] ||
    fail "gale does not depend on $lib: $depends"
done
sdk_depends="$(dpkg-deb -f "$sdk" Depends)"
version="$(dpkg-deb -f "$server" Version)"
grep -qF "gale (= $version)" <<<"$sdk_depends" || fail "gale-dev does not pin gale $version"
dpkg-deb --ctrl-tarfile "$server" | tar -xO ./conffiles | grep -qx /etc/gale/gale.yaml ||
  fail "/etc/gale/gale.yaml is not a conffile"
dpkg-deb -e "$server" "$work/control"
sh -n "$work/control/postinst" && sh -n "$work/control/postrm" || fail "maintainer scripts"
grep -q "useradd --system" "$work/control/postinst" || fail "postinst creates no system user"

root="$work/root"
dpkg-deb -x "$server" "$root"
dpkg-deb -x "$sdk" "$root"
for unit in gale-nimbus gale-supervisor; do
  file="$root/lib/systemd/system/$unit.service"
  [[ -f "$file" ]] || fail "$unit.service is not packaged"
  for setting in "User=gale" "ExecStart=/usr/bin/$unit --config /etc/gale/gale.yaml" \
    "Restart=on-failure" "NoNewPrivileges=yes" "ProtectSystem=strict"; do
    grep -qF "$setting" "$file" || fail "$unit.service lacks $setting"
  done
  # The unit as systemd reads it, with the packaged binary in place.
  if command -v systemd-analyze >/dev/null; then
    mkdir -p "$work/verify/usr/bin"
    cp "$root/usr/bin/$unit" "$work/verify/usr/bin/"
    sed "s#/usr/bin/#$work/verify/usr/bin/#" "$file" >"$work/verify/$unit.service"
    systemd-analyze verify "$work/verify/$unit.service" 2>&1 | tee "$work/verify.log"
    [[ ! -s "$work/verify.log" ]] || fail "systemd-analyze verify $unit.service complained"
  fi
done
"$root/usr/bin/gale" --version | grep -q "^gale $version (topology API" ||
  fail "the packaged gale --version"

echo "== the example against the unpacked gale-dev"
cp -r "$root/usr/share/doc/gale/examples/channel-spend" "$work/src"
build_example_cmake "$root/usr" "$work/src" "$work/cmake-build" "$source" "$build"
run_example_local "$root/usr/bin/gale" "$work/cmake-build/channel_spend.so" cmake
build_example_pkgconfig "$root/usr/lib/pkgconfig" "$work/src" "$work/pc_spend.so" \
  -Wl,-rpath,"$root/usr/lib"
run_example_local "$root/usr/bin/gale" "$work/pc_spend.so" pkg-config

echo "== a bundled topology"
out="$("$root/usr/bin/gale" local "$root/usr/lib/gale/topologies/word_count.so" --duration 2 \
  -c wordcount.max.sentences=500 2>&1)" || fail "word_count: $out"
awk '$1 == "sentences" && $2 == "spout" {print $8}' <<<"$out" | grep -qx 500 ||
  fail "the bundled word_count did not ack 500 sentences: $out"
echo "package_test: ok ($(basename "$server"), $(basename "$sdk"))"
