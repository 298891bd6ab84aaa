#!/usr/bin/env bash
# Installs the real interop peers the tests start: DCMTK (echoscu, storescu, storescp, dcmdump) and Orthanc,
# both from Debian's packages, plus openssl and chromium. Idempotent; needs root (or sudo) on a fresh machine.
# Debian's orthanc package may run a system service on 4242/8042; the tests start their own Orthanc
# instances on free ports, so it is left alone.
set -euo pipefail
need=()
command -v echoscu >/dev/null 2>&1 || need+=(dcmtk)
command -v Orthanc >/dev/null 2>&1 || [ -x /usr/sbin/Orthanc ] || need+=(orthanc)
[ -f /etc/orthanc/orthanc.json ] || need+=(orthanc)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# Debian's Chromium: the status-page test drives it headless through playwright-core (never a downloaded browser).
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup-peers: installing ${need[*]} from Debian's packages"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
echo "setup-peers: $(echoscu --version 2>&1 | head -1 | tr -s ' '), $(/usr/sbin/Orthanc --version 2>&1 | head -1)"
