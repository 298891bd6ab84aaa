#!/usr/bin/env bash
# The README's first command: on a machine with only Node 20 and npm, set up and start dicomtls on a
# working default: DICOM TLS on port 2762 (PS3.15's dicom-tls port) with a generated development PKI,
# instances stored under .dicomtls/storage. Re-running keeps the PKI and the stored instances.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version)" = "10.34.9" ] || npm i -g pnpm@10.34.9
pnpm install --frozen-lockfile
pnpm build
dir=.dicomtls
mkdir -p "$dir"
if [ ! -f "$dir/pki/node.crt" ]; then
  node apps/cli/bin/dicomtls.js cert dev-pki "$dir/pki"
fi
if [ ! -f "$dir/dicomtls.json" ]; then
  cat > "$dir/dicomtls.json" <<'JSON'
{
  // Orthanc-style configuration written by scripts/start-dev.sh: edit freely.
  "DicomAet" : "DICOMTLS",
  "DicomPort" : ${DICOMTLS_PORT:-2762},
  "DicomTlsEnabled" : true,
  "DicomTlsCertificate" : "pki/node.crt",
  "DicomTlsPrivateKey" : "pki/node.key",
  "DicomTlsTrustedCertificates" : "pki/ca.crt",
  "DicomTlsRemoteCertificateRequired" : true,
  "StorageDirectory" : "storage",
  // The status page and /metrics, served to this machine only (RemoteAccessAllowed is false by default).
  "HttpPort" : ${DICOMTLS_HTTP_PORT:-8042},
  "DicomModalities" : {
    "dcmtk" : { "AET" : "DCMTK", "Host" : "127.0.0.1", "Port" : 11112, "UseDicomTls" : true }
  }
}
JSON
fi
# The "listening" line names the status page (http://127.0.0.1:8042/ unless HttpPort says otherwise) and /metrics.
echo "dicomtls: status page on http://127.0.0.1:${DICOMTLS_HTTP_PORT:-8042}/ once the 'listening' line appears (configuration: $dir/dicomtls.json)"
exec node apps/server/bin/dicomtls-server.js "$dir/dicomtls.json"
