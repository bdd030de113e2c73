#!/usr/bin/env bash
# Builds the Debian packages gale and gale-dev into build/packages/ (or $GALE_BUILD_DIR/packages):
# sets up what is missing, builds Gale (scripts/build.sh), then runs CPack on that build.
# Install them with `sudo apt install ./build/packages/gale_*.deb` (docs/OPERATIONS.md).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${GALE_BUILD_DIR:-$root/build}"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
rm -rf "$build/packages"
cpack --config "$build/CPackConfig.cmake" -B "$build/packages" >"$build/cpack.log" ||
  { cat "$build/cpack.log"; exit 1; }
rm -rf "$build/packages/_CPack_Packages"
ls -l "$build"/packages/*.deb
