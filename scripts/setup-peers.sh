#!/usr/bin/env bash
# Installs the real interop peers the tests start: DCMTK (echoscu, storescu, storescp, dcmdump) and Orthanc,
# both from Debian's packages, plus openssl, chromium (the status-page test drives it headless), OpenJDK 17
# (javac/java/keytool: the test-only client that stands in for dcm4che in the seed's dcm4che flow), rsyslog with
# its gtls driver and xmllint (the audit-trail tests), stunnel4 (the TLS client of movescu/getscu in the retrieve tests). Idempotent; needs root (or sudo) on a fresh machine.
# Debian's orthanc package may run a system service on 4242/8042; the tests start their own Orthanc
# instances on free ports, so it is left alone.
set -euo pipefail
need=()
command -v echoscu >/dev/null 2>&1 || need+=(dcmtk)
command -v Orthanc >/dev/null 2>&1 || [ -x /usr/sbin/Orthanc ] || need+=(orthanc)
[ -f /etc/orthanc/orthanc.json ] || need+=(orthanc)
# Orthanc's sample worklist plugin (the worklist interop test compares answers with it) ships in the same package.
[ -f /usr/share/orthanc/plugins/libModalityWorklists.so ] || need+=(orthanc)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
{ command -v javac >/dev/null 2>&1 && command -v keytool >/dev/null 2>&1; } || need+=(openjdk-17-jdk-headless)
# The audit trail's RFC 5425 receiver (rsyslogd with its gtls driver) and the schema check (xmllint --relaxng).
command -v rsyslogd >/dev/null 2>&1 || need+=(rsyslog)
[ -f /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so ] || [ -f /usr/lib/rsyslog/lmnsd_gtls.so ] || need+=(rsyslog-gnutls)
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
# Debian's stunnel4: the TLS client in front of DCMTK 3.6.7 movescu/getscu, which have no TLS of their own.
command -v stunnel4 >/dev/null 2>&1 || command -v stunnel >/dev/null 2>&1 || need+=(stunnel4)
# Debian's Chromium: the status-page test drives it headless through playwright-core (never a downloaded browser).
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup-peers: installing ${need[*]} from Debian's packages"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
echo "setup-peers: $(echoscu --version 2>&1 | head -1 | tr -s ' '), $(/usr/sbin/Orthanc --version 2>&1 | head -1), $(javac -version 2>&1 | head -1)"
