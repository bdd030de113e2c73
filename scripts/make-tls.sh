#!/usr/bin/env bash
# Makes a private certificate authority and a certificate for Nimbus's HTTPS API, signed by it,
# for a local or test cluster (docs/SECURITY.md). A production cluster uses its bank's own CA.
#
#   scripts/make-tls.sh <dir> [name-or-address ...]
#
# Writes into <dir>: ca.pem (give it to every CLI and supervisor: security.tls.ca.file),
# nimbus.pem and nimbus.key (nimbus.tls.cert.file / nimbus.tls.key.file). The certificate names
# localhost and 127.0.0.1 plus every extra name or address given. Keys are ECDSA P-256, readable
# only by their owner; the CA's key is deleted once it has signed, so nothing else can be signed
# with it. Files already there are kept (delete <dir> to make new ones).
set -euo pipefail

if (($# < 1)); then
  echo "usage: $0 <dir> [name-or-address ...]" >&2
  exit 2
fi
dir="$1"
shift
if [[ -s "$dir/ca.pem" && -s "$dir/nimbus.pem" && -s "$dir/nimbus.key" ]]; then
  exit 0
fi
mkdir -p "$dir"
umask 077

san="DNS:localhost,IP:127.0.0.1"
for name in "$@"; do
  if [[ "$name" =~ ^[0-9.]+$ || "$name" == *:* ]]; then
    san+=",IP:$name"
  elif [[ "$name" =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]]; then
    san+=",DNS:$name"
  else
    echo "make-tls: '$name' is neither a host name nor an IP address" >&2
    exit 2
  fi
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
  -subj "/CN=Gale local CA" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=gale-nimbus" \
  -keyout "$work/nimbus.key" -out "$work/nimbus.csr" 2>/dev/null
printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$san" \
  >"$work/ext.cnf"
openssl x509 -req -in "$work/nimbus.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
  -CAcreateserial -days 825 -extfile "$work/ext.cnf" -out "$work/nimbus.pem" 2>/dev/null
install -m 0644 "$work/ca.pem" "$dir/ca.pem"
install -m 0644 "$work/nimbus.pem" "$dir/nimbus.pem"
install -m 0600 "$work/nimbus.key" "$dir/nimbus.key"
echo "make-tls: wrote $dir/ca.pem, $dir/nimbus.pem, $dir/nimbus.key (names: $san)"
