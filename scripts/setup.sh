#!/usr/bin/env bash
# Installs every Debian 12 package that Gale's build, tests and benchmarks need.
# Idempotent: packages already present are skipped; apt-get runs only when something is missing.
#   scripts/setup.sh             what the build and the demo need
#   scripts/setup.sh --browser   also Chromium, for the console's browser tests (scripts/test.sh)
set -euo pipefail
browser=0
for arg in "$@"; do
  case "$arg" in
    --browser) browser=1 ;;
    *)
      echo "usage: $0 [--browser]" >&2
      exit 2
      ;;
  esac
done

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git procps ccache clang-format
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # runtime helpers
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libyaml-cpp-dev
  libboost-dev libboost-system-dev libssl-dev
  # security: the CLI that makes the local cluster's TLS certificates (scripts/make-tls.sh)
  openssl
  # cluster mode: wire codec, transport, coordination
  libmsgpack-cxx-dev libzmq3-dev cppzmq-dev libzookeeper-mt-dev zookeeper
  # connectors and finance topologies
  librdkafka-dev libhiredis-dev redis-server redis-tools liblua5.4-dev libsimdjson-dev
  # PostgreSQL: libpq for connectors/postgres, the server for its tests and the balances path
  libpq-dev postgresql
  # Nimbus's metric history (metric-history/)
  libsqlite3-dev
  # risk rules in a bank's own time zone: IANA zones from the system's database
  libhowardhinnant-date-dev tzdata
  # the cluster guide's finance path (curl for the fake SMS gateway's /stats)
  curl
  # Debian packages (CPack runs dpkg-shlibdeps and file) and their test on a fresh Debian
  dpkg-dev file debootstrap
  # multi-host, partition and chaos tests: hosts as network namespaces joined by veth pairs,
  # relays to servers that listen on loopback only
  iproute2 socat
)

# The console (console/, scripts/build-console.sh): Debian's Node.js and npm, unless the machine
# already has a node and an npm (another packaging of Node.js is used as it is).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then PACKAGES+=(nodejs npm); fi
# The console's browser tests: Debian's Chromium, driven by playwright-core (no browser download).
if ((browser)); then PACKAGES+=(chromium); fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
