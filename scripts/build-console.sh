#!/usr/bin/env bash
# Builds the operations console (console/, docs/CONSOLE.md) into OUT (default
# ${GALE_BUILD_DIR:-build}/share/gale/console, as installed), where gale-nimbus finds it
# (nimbus.ui.dir):
#   - installs console/'s npm packages from its package-lock.json (npm ci) when the lock is newer
#     than what is installed, with the machine's Node.js (scripts/setup.sh installs Debian's);
#   - copies console/src and the parts of the packages the pages load (uPlot) into OUT.
# The pages are ES modules loaded by the browser as they are: no bundler step.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-${GALE_BUILD_DIR:-$root/build}/share/gale/console}"
console="$root/console"
for tool in node npm; do
  command -v "$tool" >/dev/null || {
    echo "build-console: $tool is missing (scripts/setup.sh installs it)" >&2
    exit 1
  }
done
installed="$console/node_modules/.package-lock.json"
if [[ ! -f "$installed" || "$console/package-lock.json" -nt "$installed" ]]; then
  (cd "$console" && npm ci --no-audit --no-fund --loglevel=error)
fi
staging="$out.tmp"
rm -rf "$staging"
mkdir -p "$staging/vendor"
cp -R "$console/src/." "$staging/"
cp "$console/node_modules/uplot/dist/uPlot.esm.js" "$console/node_modules/uplot/dist/uPlot.min.css" \
  "$console/node_modules/uplot/LICENSE" "$staging/vendor/"
mv "$staging/vendor/LICENSE" "$staging/vendor/uPlot.LICENSE.txt"
rm -rf "$out"
mv "$staging" "$out"
echo "build-console: $(find "$out" -type f | wc -l) files in $out"
