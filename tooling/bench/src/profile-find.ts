/**
 * Profiles dicomtls-server answering one wide C-FIND: N instances (one patient per 100) stored with storescu +tls,
 * then a fresh built server run with --cpu-prof (through NODE_OPTIONS: flags after the bin path are the server's own
 * argv) answers IMAGE-level queries matching `--matches` instances; the .cpuprofile is written when it stops.
 * Run: node --conditions=dicomtls-source --import tsx tooling/bench/src/profile-find.ts --instances 10000 --out DIR
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { find } from "@dicomtls/scu";
import { dcmtkEnv, repoRoot, requireTool, stopAll, tempDir, writePart10File } from "@dicomtls/test-peers";
import { buildClientOptions, loadTlsContext } from "@dicomtls/tls-context";
import { makeDevPki, ms, startDicomTls, timedRun } from "./lib/index.js";

function flag(name: string, fallback: number | string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? String(process.argv[i + 1]) : String(fallback);
}
const INSTANCES = Number(flag("--instances", 3000));
const OUT = flag("--out", "/tmp/dicomtls-prof");
const ROOT = "1.2.826.0.1.3680043.10.1172.501";

async function main(): Promise<void> {
  requireTool("storescu");
  const tmp = tempDir("dicomtls-prof-find-");
  try {
    const pki = await makeDevPki(join(tmp.path, "pki"));
    const folder = join(tmp.path, "dataset");
    mkdirSync(folder, { recursive: true });
    for (let n = 0; n < INSTANCES; n++) {
      const p = Math.floor(n / 100);
      await writePart10File(join(folder, `${n}.dcm`), {
        seed: n, rows: 1, columns: 1, sequences: false, patientId: `Q${p}`, patientName: p % 10 === 0 ? `DOE^${p}` : `ROE^${p}`,
        studyInstanceUid: `${ROOT}.${p}`, seriesInstanceUid: `${ROOT}.${p}.1`, sopInstanceUid: `${ROOT}.${p}.1.${n}`, modality: "CT",
      });
    }
    mkdirSync(join(tmp.path, "node"), { recursive: true });
    const opts = { dir: join(tmp.path, "node"), pki, config: { DicomAlwaysAllowFind: true, SyncStorageArea: false }, built: true };
    const loader = await startDicomTls(opts);
    const args = ["-aet", "PROFSCU", "-aec", loader.aet, "+tls", pki.clientKey, pki.clientCert, "+cf", pki.caCert, "-R", "+sd", "127.0.0.1", String(loader.port), folder];
    console.log(`loaded ${INSTANCES} in ${ms((await timedRun("storescu", args, { env: dcmtkEnv(), timeoutMs: 3600_000 })).ms)} ms`);
    await loader.stop();
    mkdirSync(OUT, { recursive: true });
    // --cpu-prof is refused in NODE_OPTIONS ("not allowed") and after the bin path it is the server's argv: it goes
    // on node's command line, before the bin.
    const bin = join(repoRoot, "apps/server/bin/dicomtls-server.js");
    const server = await startDicomTls({ ...opts, serverBin: bin, execArgv: ["--cpu-prof", `--cpu-prof-dir=${OUT}`] });
    const ctx = await loadTlsContext({ certificateFile: pki.clientCert, privateKeyFile: pki.clientKey, trustedCertificatesFile: pki.caCert });
    for (const [what, keys] of [["DOE* (10%)", { PatientName: "DOE*", SOPInstanceUID: "" }], ["all", { SOPInstanceUID: "" }]] as const) {
      for (let run = 0; run < 3; run++) {
        const t0 = performance.now();
        let first = Number.NaN;
        let n = 0;
        const q = find({ host: "127.0.0.1", port: server.port, callingAeTitle: "PROFSCU", calledAeTitle: server.aet, tls: buildClientOptions(ctx, { host: "127.0.0.1", port: server.port }), level: "IMAGE", keys, timeouts: { dimseMs: 120_000 } });
        for await (const _ of q) if (n++ === 0) first = performance.now() - t0;
        console.log(`${what}: ${n} matches, first ${ms(first)} ms, all ${ms(performance.now() - t0)} ms`);
      }
    }
    await server.stop();
    const s = server.records().filter((r) => r["event"] === "runtime-stats").at(-1);
    console.log(`event loop: ${JSON.stringify(s)}`);
  } finally {
    await stopAll();
    tmp.remove();
  }
}
await main();
