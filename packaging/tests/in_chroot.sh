#!/usr/bin/env bash
# Run by chroot_test.sh inside a fresh Debian 12 with the packages in /tmp.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
fail() {
  echo "in_chroot: $*" >&2
  exit 1
}
apt-get update -qq
apt-get install -y -qq --no-install-recommends /tmp/gale_*.deb /tmp/gale-dev_*.deb \
  >/tmp/apt.log 2>&1 || { tail -30 /tmp/apt.log; fail "apt could not install the packages"; }
gale --version
id gale >/dev/null || fail "no gale user"
dpkg-query -W -f='${Conffiles}\n' gale | grep -q /etc/gale/gale.yaml || fail "gale.yaml is no conffile"
[[ -f /lib/systemd/system/gale-nimbus.service && -f /lib/systemd/system/gale-supervisor.service ]] ||
  fail "the systemd units are missing"

# The example, as a team would start from it: CMake (recommended by gale-dev) and pkg-config.
apt-get install -y -qq --no-install-recommends cmake ninja-build >/tmp/apt.log 2>&1 ||
  { tail -30 /tmp/apt.log; fail "apt could not install cmake"; }
cp -r /usr/share/doc/gale/examples/channel-spend /tmp/src
cmake -S /tmp/src -B /tmp/src/build -G Ninja >/tmp/cmake.log || { cat /tmp/cmake.log; fail "configure"; }
cmake --build /tmp/src/build >/tmp/cmake.log || { cat /tmp/cmake.log; fail "build"; }
# shellcheck disable=SC2046
g++ -shared -fPIC -fvisibility=hidden /tmp/src/channel_spend.cc -o /tmp/pc_spend.so \
  $(pkg-config --cflags --libs gale-events)
cd /tmp
for so in /tmp/src/build/channel_spend.so /tmp/pc_spend.so; do
  gale local "$so" --duration 3 -c spend.max.transactions=2000 >/tmp/run.out 2>&1 ||
    { cat /tmp/run.out; fail "gale local $so"; }
  awk '$1 == "transactions" && $2 == "spout" {print $8}' /tmp/run.out | grep -qx 2000 ||
    { cat /tmp/run.out; fail "$so: the spout did not ack 2000"; }
  echo "$so: 2000 transactions acked"
done

apt-get purge -y -qq gale-dev gale >/tmp/apt.log 2>&1 || { tail -30 /tmp/apt.log; fail "purge"; }
[[ ! -e /usr/bin/gale && ! -e /etc/gale/gale.yaml && ! -e /usr/include/gale ]] ||
  fail "purge left files behind"
echo "in_chroot: installed, built, ran and purged"
