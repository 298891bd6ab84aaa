#!/usr/bin/env bash
# Installs the real interop peers the tests start: DCMTK (echoscu, storescu, storescp) and Orthanc,
# both from Debian's packages. Idempotent; needs root (or sudo) on a fresh machine.
set -euo pipefail
need=()
command -v echoscu >/dev/null 2>&1 || need+=(dcmtk)
command -v Orthanc >/dev/null 2>&1 || need+=(orthanc)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ -f /etc/orthanc/orthanc.json ] || need+=(orthanc)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup-peers: installing ${need[*]} from Debian's packages"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
# Debian's orthanc package starts a system service on 4242/8042; tests start their own instances.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet orthanc 2>/dev/null; then
  systemctl stop orthanc || true
fi
pkill -x Orthanc 2>/dev/null || true
echo "setup-peers: $(echoscu --version 2>&1 | head -1 | tr -s ' ')"
