#!/usr/bin/env bash
# Installs every Debian 12 package that Gale's build, tests and benchmarks need.
# Idempotent: packages already present are skipped; apt-get runs only when something is missing.
set -euo pipefail

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
