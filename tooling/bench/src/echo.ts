/**
 * C-ECHO over DICOM TLS: time per echo, dicomtls next to DCMTK 3.6.7, in one run with one development PKI.
 * Run: pnpm bench:echo [--n 2000] [--rounds 3]
 *
 *   a  DCMTK echoscu --repeat N +tls  ->  DCMTK storescp +tls        (the reference)
 *   b  DCMTK echoscu --repeat N +tls  ->  dicomtls-server            (our SCP, same client)
 *   c  dicomtls echo (scu API, in-process)  ->  dicomtls-server      (ours both ends)
 *   d  dicomtls echo (scu API, in-process)  ->  DCMTK storescp +tls  (our SCU, same server)
 *
 * Each case runs once with --repeat 1 and once with --repeat N inside one association; "per echo" is
 * (T(N) - T(1)) / (N - 1): the marginal cost of one C-ECHO-RQ/RSP exchange, with process start, TLS handshake,
 * association and release taken out. "setup" is T(1). Median of --rounds rounds. DCMTK runs with TCP_NODELAY=1.
 * dicomtls-server runs from sources through tsx (the same JavaScript as the build, transpiled at load).
 * On a shared 2-core machine the numbers are noisy: compare ratios within one run, and run it twice.
 */
import { requestAssociation } from "@dicomtls/association";
import { echo } from "@dicomtls/scu";
import { dcmtkEnv, requireTool, stopAll, tempDir } from "@dicomtls/test-peers";
import { buildClientOptions, loadTlsContext } from "@dicomtls/tls-context";
import { makeDevPki, median, ms, printTable, ratio, startDicomTls, startStorescp, timed, timedRun, type DevPki } from "./lib/index.js";

/** PS3.4 Annex A: Verification SOP Class (the bench package does not depend on pdu-codec). */
const VERIFICATION_SOP_CLASS = "1.2.840.10008.1.1";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name}: expected a whole number of at least 1`);
  return v;
}

const N = flag("--n", 2000);
const ROUNDS = flag("--rounds", 3);

interface Target {
  readonly port: number;
  readonly aet: string;
}

interface CaseResult {
  readonly setupMs: number;
  readonly totalMs: number;
  readonly perEchoMs: number;
}

async function dcmtkEcho(pki: DevPki, target: Target, repeat: number): Promise<number> {
  const args = ["--repeat", String(repeat), "-aet", "ECHOSCU", "-aec", target.aet, "+tls", pki.clientKey, pki.clientCert, "+cf", pki.caCert, "127.0.0.1", String(target.port)];
  const { ms: elapsed } = await timedRun("echoscu", args, { env: dcmtkEnv(), timeoutMs: 300_000 });
  return elapsed;
}

async function ourEcho(pki: DevPki, target: Target, repeat: number): Promise<number> {
  // The same TLS options `dicomtls echo --config` builds from DicomTlsCertificate / DicomTlsTrustedCertificates.
  const ctx = await loadTlsContext({ certificateFile: pki.clientCert, privateKeyFile: pki.clientKey, trustedCertificatesFile: pki.caCert });
  const tls = buildClientOptions(ctx, { host: "127.0.0.1", port: target.port });
  const { ms: elapsed, value } = await timed(() => echo({ host: "127.0.0.1", port: target.port, callingAeTitle: "DICOMTLS", calledAeTitle: target.aet, repeat, tls }));
  if (!value.ok || value.responses.length !== repeat) throw new Error(`echo to ${target.aet}: ${value.responses.filter((r) => !r.ok).length} of ${repeat} failed`);
  return elapsed;
}

async function measure(run: (repeat: number) => Promise<number>): Promise<CaseResult> {
  await run(1); // warm: page cache, JIT, session tickets are not reused across processes either way
  const setups: number[] = [];
  const totals: number[] = [];
  const perEcho: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const one = await run(1);
    const many = await run(N);
    setups.push(one);
    totals.push(many);
    perEcho.push((many - one) / (N - 1));
  }
  return { setupMs: median(setups), totalMs: median(totals), perEchoMs: median(perEcho) };
}

/** Which TLS version and cipher each peer pair negotiates (they differ between DCMTK's and our profile). */
async function negotiated(pki: DevPki, target: Target): Promise<string> {
  const ctx = await loadTlsContext({ certificateFile: pki.clientCert, privateKeyFile: pki.clientKey, trustedCertificatesFile: pki.caCert });
  const association = await requestAssociation({
    host: "127.0.0.1",
    port: target.port,
    callingAeTitle: "DICOMTLS",
    calledAeTitle: target.aet,
    presentationContexts: [{ abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: ["1.2.840.10008.1.2"] }],
    tls: buildClientOptions(ctx, { host: "127.0.0.1", port: target.port }),
  });
  const tls = association.peer.tls;
  await association.release();
  return tls === undefined ? "plain" : `${tls.protocol} ${tls.cipher}`;
}

async function main(): Promise<void> {
  requireTool("echoscu");
  requireTool("storescp");
  const tmp = tempDir("dicomtls-bench-echo-");
  try {
    const pki = await makeDevPki(`${tmp.path}/pki`);
    const storescp = await startStorescp({ outputDir: tmp.path, pki });
    const dicomtls = await startDicomTls({ dir: tmp.path, pki, aet: "DICOMTLS" });
    console.log(`C-ECHO over DICOM TLS, N=${N} echoes per association, median of ${ROUNDS} rounds; Node ${process.version}, ${process.platform}`);
    console.log(`dev PKI (RSA-2048) in ${pki.dir}; storescp on ${storescp.port}, dicomtls-server on ${dicomtls.port}`);

    const a = await measure((n) => dcmtkEcho(pki, storescp, n));
    const b = await measure((n) => dcmtkEcho(pki, dicomtls, n));
    const c = await measure((n) => ourEcho(pki, dicomtls, n));
    const d = await measure((n) => ourEcho(pki, storescp, n));

    const opened = dicomtls.records().filter((r) => r["event"] === "association-opened");
    const dcmtkToOurs = opened.find((r) => r["callingAet"] === "ECHOSCU");
    const oursToOurs = opened.find((r) => r["callingAet"] === "DICOMTLS");
    const ourToStorescp = await negotiated(pki, storescp);
    const tlsOf = (r: Record<string, unknown> | undefined): string => (r === undefined ? "?" : `${String(r["tls"])} ${typeof r["cipher"] === "string" ? r["cipher"] : ""}`.trim());

    await dicomtls.stop();
    const stats = dicomtls.records().find((r) => r["event"] === "runtime-stats");
    await storescp.stop();

    console.log("");
    printTable(
      ["case", "SCU -> SCP", "setup ms", `total ms (N=${N})`, "per echo ms", "echoes/s", "vs a"],
      (
        [
          ["a", "echoscu -> storescp", a],
          ["b", "echoscu -> dicomtls", b],
          ["c", "dicomtls -> dicomtls", c],
          ["d", "dicomtls -> storescp", d],
        ] as const
      ).map(([id, name, r]) => [id, name, ms(r.setupMs), ms(r.totalMs), ms(r.perEchoMs), (1000 / r.perEchoMs).toFixed(0), id === "a" ? "1.00x" : ratio(r.perEchoMs, a.perEchoMs)]),
    );
    console.log("");
    console.log(`ratios (per echo): our SCP b/a ${ratio(b.perEchoMs, a.perEchoMs)}, our SCU d/a ${ratio(d.perEchoMs, a.perEchoMs)}, ours end to end c/a ${ratio(c.perEchoMs, a.perEchoMs)}`);
    console.log(`TLS: echoscu -> dicomtls ${tlsOf(dcmtkToOurs)}; dicomtls -> dicomtls ${tlsOf(oursToOurs)}; dicomtls -> storescp ${ourToStorescp}`);
    if (stats !== undefined) {
      console.log(`dicomtls-server while serving: event-loop delay p99 ${String(stats["loopDelayP99Ms"])} ms, max ${String(stats["loopDelayMaxMs"])} ms, peak RSS ${String(stats["peakRssMb"])} MB`);
    }
  } finally {
    await stopAll();
    tmp.remove();
  }
}

await main();
