/**
 * The other side of a handshake storm, in its own process (as real peers are): COUNT DICOM TLS echoes started at
 * once with the dev PKI's client certificate. Prints one JSON line: { ok, failed, ms, firstError }.
 * Run by handshake-storm.ts; env PORT, COUNT, CA, CERT, KEY (files), AET.
 */
import { echo } from "@dicomtls/scu";
import { buildClientOptions, loadTlsContext } from "@dicomtls/tls-context";

const env = process.env;
const port = Number(env["PORT"]);
const count = Number(env["COUNT"]);
const ctx = await loadTlsContext({ certificateFile: String(env["CERT"]), privateKeyFile: String(env["KEY"]), trustedCertificatesFile: String(env["CA"]) });
const tls = buildClientOptions(ctx, { host: "127.0.0.1", port });
const t0 = performance.now();
const results = await Promise.allSettled(
  Array.from({ length: count }, () => echo({ host: "127.0.0.1", port, callingAeTitle: "STORM", calledAeTitle: String(env["AET"]), tls })),
);
const failures = results.filter((r) => r.status === "rejected" || !r.value.ok);
const first = failures[0];
const firstError = first === undefined ? undefined : first.status === "rejected" ? String(first.reason) : "echo not ok";
console.log(JSON.stringify({ ok: count - failures.length, failed: failures.length, ms: Math.round(performance.now() - t0), ...(firstError !== undefined && { firstError }) }));
