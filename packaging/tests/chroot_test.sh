#!/usr/bin/env bash
# The Debian packages on a fresh Debian 12: debootstrap a minimal system into a scratch folder,
# install gale and gale-dev there with apt (which must find every dependency they declare), build
# the example inside with CMake and with pkg-config, run it, then purge both packages.
# Usage: chroot_test.sh <build dir> <source dir>. Needs root (or sudo without a password) and
# the Debian mirror ($GALE_DEBIAN_MIRROR, default http://deb.debian.org/debian); without root it
# exits 77, which CTest reports as skipped.
set -euo pipefail
build="$(cd "$1" && pwd)"
source="$(cd "$2" && pwd)"
mirror="${GALE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
fail() {
  echo "chroot_test: $*" >&2
  exit 1
}
sudo=()
if [[ "$(id -u)" -ne 0 ]]; then
  if sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "chroot_test: skipped: needs root or password-less sudo for debootstrap and chroot"
    exit 77
  fi
fi
command -v debootstrap >/dev/null || fail "debootstrap is missing: scripts/setup.sh installs it"
work="$(mktemp -d /tmp/gale-chroot-test.XXXXXX)"
trap '"${sudo[@]}" rm -rf --one-file-system "$work"' EXIT
root="$work/root"

echo "== cpack"
cpack --config "$build/CPackConfig.cmake" -B "$work/packages" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail "cpack failed"; }

echo "== debootstrap bookworm (minbase) from $mirror"
"${sudo[@]}" debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -20 "$work/debootstrap.log"; fail "debootstrap failed"; }
"${sudo[@]}" cp /etc/resolv.conf "$root/etc/resolv.conf"
"${sudo[@]}" cp "$work"/packages/*.deb "$root/tmp/"
"${sudo[@]}" cp -r "$source/packaging/tests/in_chroot.sh" "$root/tmp/"

echo "== apt install, build, run, purge inside"
"${sudo[@]}" chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
  /bin/bash /tmp/in_chroot.sh || fail "inside the fresh Debian (see above)"
echo "chroot_test: ok"
