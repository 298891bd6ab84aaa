/**
 * Handshake storm: COUNT DICOM TLS clients (another process) connect at once, each doing a C-ECHO, while this
 * process keeps echoing on an association opened before the storm. Prints, per DicomTlsMaximumHandshakes setting,
 * the server's event-loop delay (p50 / p99 / max, from its runtime-stats record: the serving period is mostly the
 * storm) and the echo round trip on the open association (p50 / p99 / max).
 * Run: node --conditions=dicomtls-source --import tsx tooling/bench/src/handshake-storm.ts [--count 200] [--caps 1024,8,2] [--rounds 3]
 *
 * A cap of 1024 is the "before": every handshake starts as soon as its ClientHello arrives. The dev PKI has
 * RSA-2048 keys (as `dicomtls cert dev-pki`), so each handshake costs the server one RSA signature.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { requestAssociation } from "@dicomtls/association";
import { runProcess, stopAll, tempDir } from "@dicomtls/test-peers";
import { buildClientOptions, loadTlsContext } from "@dicomtls/tls-context";
import { makeDevPki, median, ms, printTable, startDicomTls, type DevPki } from "./lib/index.js";

const VERIFICATION_SOP_CLASS = "1.2.840.10008.1.1";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? String(process.argv[i + 1]) : fallback;
}
const COUNT = Number(arg("--count", "200"));
const CAPS = arg("--caps", "1024,8,2").split(",").map(Number);
const ROUNDS = Number(arg("--rounds", "3"));
if (!Number.isInteger(COUNT) || COUNT < 1 || CAPS.some((c) => !Number.isInteger(c) || c < 1)) throw new Error("--count and --caps: whole numbers of at least 1");

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

interface Row {
  readonly cap: number;
  readonly loop: { p50: number; p99: number; max: number };
  readonly echo: { p50: number; p99: number; max: number; n: number };
  readonly stormMs: number;
  readonly failed: number;
  readonly gcMaxMs: number;
}

async function run(pki: DevPki, dir: string, cap: number): Promise<Row> {
  mkdirSync(`${dir}/cap-${cap}`, { recursive: true });
  const server = await startDicomTls({
    dir: `${dir}/cap-${cap}`,
    pki,
    config: { DicomTlsMaximumHandshakes: cap, DicomMaximumAssociations: COUNT + 16 },
    // STORM_SERVER_NODE_OPTIONS: e.g. "--import=/path/profiler.mjs" to profile the server during the storm.
    ...(process.env["STORM_SERVER_NODE_OPTIONS"] !== undefined && { env: { NODE_OPTIONS: process.env["STORM_SERVER_NODE_OPTIONS"] } }),
  });
  const ctx = await loadTlsContext({ certificateFile: pki.clientCert, privateKeyFile: pki.clientKey, trustedCertificatesFile: pki.caCert });
  const association = await requestAssociation({
    host: "127.0.0.1",
    port: server.port,
    callingAeTitle: "PROBE",
    calledAeTitle: server.aet,
    presentationContexts: [{ abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: ["1.2.840.10008.1.2"] }],
    tls: buildClientOptions(ctx, { host: "127.0.0.1", port: server.port }),
  });
  const context = association.findContext(VERIFICATION_SOP_CLASS);
  if (context === undefined) throw new Error("Verification not accepted");
  let storming = true;
  const latencies: number[] = [];
  const prober = (async () => {
    while (storming) {
      const t0 = performance.now();
      await association.request(context.id, { commandField: 0x0030, messageId: association.nextMessageId(), affectedSopClassUid: VERIFICATION_SOP_CLASS, commandDataSetType: 0x0101 });
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  const client = fileURLToPath(new URL("./lib/storm-client.ts", import.meta.url));
  const storm = await runProcess(process.execPath, ["--conditions=dicomtls-source", "--import", "tsx", client], {
    env: { ...process.env, PORT: String(server.port), COUNT: String(COUNT), CA: pki.caCert, CERT: pki.clientCert, KEY: pki.clientKey, AET: server.aet },
    timeoutMs: 300_000,
  });
  storming = false;
  await prober;
  await association.release();
  const line = storm.output.split("\n").find((l) => l.startsWith("{"));
  if (storm.code !== 0 || line === undefined) throw new Error(`storm client failed:\n${storm.output}`);
  const result = JSON.parse(line) as { ok: number; failed: number; ms: number; firstError?: string };
  if (result.firstError !== undefined) console.error(`cap ${cap}: ${result.failed} failed, first: ${result.firstError}`);
  await server.stop();
  const stats = server.records().find((r) => r["event"] === "runtime-stats");
  if (stats === undefined) throw new Error("no runtime-stats record");
  return {
    cap,
    loop: { p50: Number(stats["loopDelayP50Ms"]), p99: Number(stats["loopDelayP99Ms"]), max: Number(stats["loopDelayMaxMs"]) },
    echo: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies), n: latencies.length },
    stormMs: result.ms,
    failed: result.failed,
    gcMaxMs: Number(stats["gcMaxPauseMs"]),
  };
}

/** Per cap, the median of each figure over the rounds (a shared 2-core machine is noisy; one run is not a number). */
function summarise(cap: number, rows: readonly Row[]): string[] {
  const m = (f: (r: Row) => number): number => median(rows.map(f));
  return [
    String(cap),
    ms(m((r) => r.loop.p50)),
    ms(m((r) => r.loop.p99)),
    ms(m((r) => r.loop.max)),
    ms(m((r) => r.echo.p50)),
    ms(m((r) => r.echo.p99)),
    ms(m((r) => r.echo.max)),
    ms(m((r) => r.gcMaxMs)),
    String(Math.round(m((r) => r.stormMs))),
    String(rows.reduce((n, r) => n + r.failed, 0)),
  ];
}

const tmp = tempDir("dicomtls-storm-");
try {
  const pki = await makeDevPki(`${tmp.path}/pki`);
  const rows = new Map<number, Row[]>(CAPS.map((c) => [c, []]));
  // Interleaved (1024, 8, 2, 1024, 8, 2, ...): a load change on the machine hits every setting alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (const cap of CAPS) rows.get(cap)?.push(await run(pki, `${tmp.path}/r${round}`, cap));
  }
  console.log(`\n${COUNT} concurrent DICOM TLS echoes (another process) against dicomtls-server, RSA-2048 dev PKI, median of ${ROUNDS} rounds`);
  printTable(
    ["max handshakes", "loop p50 ms", "loop p99 ms", "loop max ms", "echo p50 ms", "echo p99 ms", "echo max ms", "gc max ms", "storm ms", "failed (all rounds)"],
    CAPS.map((cap) => summarise(cap, rows.get(cap) ?? [])),
  );
} finally {
  await stopAll();
  tmp.remove();
}
