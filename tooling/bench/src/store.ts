/**
 * C-STORE benchmark (issue 3): in ONE run, per data set,
 *   (a) DCMTK storescu +tls -> DCMTK storescp +tls, writing to disk      (the reference receiver)
 *   (b) DCMTK storescu +tls -> dicomtls-server over TLS, durable storage (ours as the receiver)
 *   (c) dicomtls store()     -> DCMTK storescp +tls                     (ours as the sender)
 *   (d) DCMTK storescu +tls -> DCMTK storescp +tls again                 (the reference for (c), measured next to it)
 *   (e) DCMTK storescu +tls -> Orthanc 1.10.1 over DICOM TLS              (a durable reference: SyncStorageArea, its
 *       default, fsyncs each file; Orthanc also indexes each instance in SQLite, as dicomtls does)
 * printing files/s, MB/s, ratio against DCMTK, and for (b) the server's peak RSS and event-loop delay (p50/p99/max)
 * from its `runtime-stats` record (SIGTERM at the end of the row). Each row runs on its own: a failing row prints
 * its error and the others still run.
 *
 *   pnpm bench:store [--quick] [--sets ct,mf10,mf200] [--rows a,b,c,d,e] [--rounds N]
 *
 * --rounds N runs the rows N times, interleaved (a b c d e a b c d e ...), and prints each row's median run (its stats
 * come from that run): on this shared VM one row can run 2x slower than the same operation a minute later.
 *
 * Data is generated deterministically and cached under $TMPDIR/dicomtls-bench/store-<hash of the spec>/.
 * storescp writes without fsync; dicomtls fsyncs each file and its folder before answering (durable): (a) vs (b) is
 * not like for like in dicomtls' favour. Every DCMTK tool runs with TCP_NODELAY=1. Our side chooses 128 KB PDUs
 * (storescp --max-pdu 131072, MaximumPduLength 131072). Shared 2-core VM: numbers are noisy, run it twice.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCodecRunner } from "@dicomtls/dataset";
import { store } from "@dicomtls/scu";
import { SyntheticPreset, dcmtkEnv, freePort, requireTool, startOrthanc, stopAll, writePart10File, type WritePart10Options } from "@dicomtls/test-peers";
import { makeDevPki, printTable, ratio, startDicomTls, startStorescp, timed, timedRun, type DevPki } from "./lib/index.js";

const MB = 1024 * 1024;
const quick = process.argv.includes("--quick");
const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const MAX_PDU = 131072;

interface DataSet {
  readonly key: string;
  readonly label: string;
  readonly count: number;
  readonly spec: WritePart10Options;
}

const DATA_SETS: readonly DataSet[] = [
  { key: "ct", label: quick ? "50 x 512 KB CT" : "500 x 512 KB CT", count: quick ? 50 : 500, spec: { ...SyntheticPreset.Ct512k } },
  { key: "mf10", label: quick ? "4 x 10 MB multi-frame" : "20 x 10 MB multi-frame", count: quick ? 4 : 20, spec: { ...SyntheticPreset.MultiFrame10m } },
  {
    key: "mf200",
    label: quick ? "1 x 50 MB multi-frame" : "1 x 200 MB multi-frame",
    count: 1,
    spec: quick ? { ...SyntheticPreset.MultiFrame200m, frames: 100 } : { ...SyntheticPreset.MultiFrame200m },
  },
];

/** Files of a data set, generated once (seeded by set and index) and reused while the spec is unchanged. */
async function dataSetFiles(root: string, set: DataSet): Promise<{ dir: string; files: string[]; bytes: number }> {
  const id = createHash("sha256").update(JSON.stringify({ v: 1, key: set.key, count: set.count, spec: set.spec })).digest("hex").slice(0, 12);
  const dir = join(root, `store-${set.key}-${id}`);
  const done = join(dir, ".complete");
  if (!existsSync(done)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    process.stderr.write(`generating ${set.label} in ${dir} ...\n`);
    const base = set.key === "ct" ? 1000 : set.key === "mf10" ? 2000 : 3000;
    for (let i = 0; i < set.count; i++) await writePart10File(join(dir, `${String(i).padStart(4, "0")}.dcm`), { ...set.spec, seed: base + i });
    writeFileSync(done, new Date().toISOString());
  }
  const files = readdirSync(dir)
    .filter((n) => n.endsWith(".dcm"))
    .sort()
    .map((n) => join(dir, n));
  return { dir, files, bytes: files.reduce((n, f) => n + statSync(f).size, 0) };
}

interface Row {
  readonly name: string;
  readonly ms?: number;
  readonly stats?: Record<string, unknown>;
  readonly error?: string;
  /** Every round's time, when --rounds > 1. */
  readonly runs?: readonly number[];
}

function num(v: unknown): string {
  if (typeof v !== "number") return "?";
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/**
 * A new, empty folder for one row's output. Outputs are deleted only when the benchmark ends, not between rows: on
 * ext4 without a journal (this VM's disk), creating a file skips every inode of its group freed in the last ~30 s,
 * reading each one's inode block (`recently_deleted` in ext4's find_inode_bit: 14-16% of the server's CPU in a
 * `perf` profile), so the row after a deletion of 500 files paid for the row before it.
 */
let rowOutputs = 0;
function freshDir(work: string, what: string): string {
  const dir = join(work, "out", `${String(++rowOutputs).padStart(2, "0")}-${what}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function storescuArgs(pki: DevPki, port: number, aet: string, dir: string): string[] {
  // -R: propose only the contexts the files need; +sd +r: the whole folder.
  return ["+tls", pki.clientKey, pki.clientCert, "+cf", pki.caCert, "-aet", "STORESCU", "-aec", aet, "-R", "+sd", "+r", "--scan-pattern", "*.dcm", "127.0.0.1", String(port), dir];
}

async function rowStorescuIntoStorescp(pki: DevPki, work: string, dir: string): Promise<number> {
  const out = freshDir(work, "storescp");
  const scp = await startStorescp({ outputDir: out, pki, args: ["--max-pdu", String(MAX_PDU)] });
  try {
    const { ms } = await timedRun("storescu", storescuArgs(pki, scp.port, scp.aet, dir), { env: dcmtkEnv(), timeoutMs: 600_000 });
    return ms;
  } finally {
    await scp.stop();
  }
}

async function rowStorescuIntoDicomTls(pki: DevPki, work: string, dir: string, count: number): Promise<{ ms: number; stats: Record<string, unknown> }> {
  const serverDir = freshDir(work, "dicomtls");
  const server = await startDicomTls({ dir: serverDir, pki, config: { MaximumPduLength: MAX_PDU, DicomAlwaysAllowStore: true, DicomCheckCalledAet: false } });
  try {
    const { ms } = await timedRun("storescu", storescuArgs(pki, server.port, server.aet, dir), { env: dcmtkEnv(), timeoutMs: 600_000 });
    await server.stop();
    const stats = await server.waitForRecord((r) => r["event"] === "runtime-stats", 10_000);
    const stored = countFiles(join(serverDir, "storage"));
    if (stored !== count) throw new Error(`dicomtls stored ${stored} of ${count} files`);
    return { ms, stats };
  } finally {
    await server.stop();
  }
}

async function rowStorescuIntoOrthanc(pki: DevPki, work: string, dir: string, count: number): Promise<number> {
  const orthanc = await startOrthanc({
    dir: freshDir(work, "orthanc"),
    dicomPort: await freePort(),
    httpPort: await freePort(),
    config: {
      DicomTlsEnabled: true,
      DicomTlsCertificate: pki.nodeCert,
      DicomTlsPrivateKey: pki.nodeKey,
      DicomTlsTrustedCertificates: pki.caCert,
      DicomAlwaysAllowStore: true,
      DicomCheckCalledAet: false,
      MaximumPduLength: MAX_PDU,
    },
  });
  try {
    const { ms } = await timedRun("storescu", storescuArgs(pki, orthanc.dicomPort, orthanc.aet, dir), { env: dcmtkEnv(), timeoutMs: 600_000 });
    const stats = (await orthanc.restOk("GET", "/statistics")) as { CountInstances?: number };
    if (stats.CountInstances !== count) throw new Error(`Orthanc stored ${String(stats.CountInstances)} of ${count} files`);
    return ms;
  } finally {
    await orthanc.stop();
  }
}

function countFiles(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) n += countFiles(join(dir, e.name));
    else if (e.name.endsWith(".dcm")) n++;
  }
  return n;
}

async function rowOursIntoStorescp(pki: DevPki, work: string, files: string[]): Promise<number> {
  const out = freshDir(work, "storescp");
  const scp = await startStorescp({ outputDir: out, pki, args: ["--max-pdu", String(MAX_PDU)] });
  const codec = createCodecRunner();
  try {
    // Start the worker and load its code before the clock: a long-running node keeps it warm (from sources a tsx
    // worker takes ~0.5-0.7 s to load, which readFileInfo, answered on this thread, never triggered).
    await codec.warmUp();
    const { ms, value } = await timed(() =>
      store({
        host: "127.0.0.1",
        port: scp.port,
        callingAeTitle: "DICOMTLS",
        calledAeTitle: scp.aet,
        tls: { ca: readFileSync(pki.caCert), cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey) },
        files,
        codec,
      }),
    );
    if (!value.ok) throw new Error(`our SCU failed ${value.failed} files: ${value.results.find((r) => !r.ok)?.error?.message ?? "?"}`);
    return ms;
  } finally {
    await codec.close();
    await scp.stop();
  }
}

async function main(): Promise<void> {
  for (const tool of ["storescu", "storescp"]) requireTool(tool);
  const wantedSets = (argValue("--sets") ?? "ct,mf10,mf200").split(",");
  const wantedRows = new Set((argValue("--rows") ?? "a,b,c,d,e").split(","));
  const rounds = Number(argValue("--rounds") ?? "1");
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${argValue("--rounds")}`);
  const root = join(tmpdir(), "dicomtls-bench");
  const work = join(root, `work-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const pki = await makeDevPki(join(work, "pki"));
  console.log(`store benchmark${quick ? " (--quick)" : ""}: DICOM TLS on 127.0.0.1, 128 KB PDUs, TCP_NODELAY=1 for DCMTK; ${process.version}, 2-core shared VM (noisy)`);
  try {
    for (const set of DATA_SETS.filter((s) => wantedSets.includes(s.key))) {
      const data = await dataSetFiles(root, set);
      const results = new Map<string, Array<{ ms: number; stats?: Record<string, unknown> } | { error: string }>>();
      const run = async (key: string, name: string, op: () => Promise<{ ms: number; stats?: Record<string, unknown> }>): Promise<void> => {
        if (!wantedRows.has(key)) return;
        const list = results.get(name) ?? [];
        results.set(name, list);
        // storescp does not fsync: the page cache still holds what the row before wrote, and the kernel writes it
        // back whenever it chooses, during whichever row runs then (a row with fsyncs waits behind it). Flushed here,
        // off the clock, every row starts with a clean cache.
        await timedRun("sync", [], { timeoutMs: 600_000 });
        try {
          list.push(await op());
        } catch (err) {
          list.push({ error: (err as Error).message.split("\n")[0] ?? String(err) });
          await stopAll();
        }
      };
      for (let round = 0; round < rounds; round++) {
        await run("a", "(a) storescu -> storescp", async () => ({ ms: await rowStorescuIntoStorescp(pki, work, data.dir) }));
        await run("b", "(b) storescu -> dicomtls", () => rowStorescuIntoDicomTls(pki, work, data.dir, data.files.length));
        await run("c", "(c) dicomtls SCU -> storescp", async () => ({ ms: await rowOursIntoStorescp(pki, work, data.files) }));
        await run("d", "(d) storescu -> storescp", async () => ({ ms: await rowStorescuIntoStorescp(pki, work, data.dir) }));
        await run("e", "(e) storescu -> Orthanc", async () => ({ ms: await rowStorescuIntoOrthanc(pki, work, data.dir, data.files.length) }));
      }
      const rows: Row[] = [...results].map(([name, list]): Row => {
        const failed = list.find((r): r is { error: string } => "error" in r);
        if (failed !== undefined) return { name, error: failed.error };
        const ok = (list as Array<{ ms: number; stats?: Record<string, unknown> }>).slice().sort((x, y) => x.ms - y.ms);
        const mid = ok[(ok.length - 1) >> 1]!;
        return { name, ms: mid.ms, ...(mid.stats !== undefined && { stats: mid.stats }), ...(ok.length > 1 && { runs: list.map((r) => ("ms" in r ? r.ms : NaN)) }) };
      });

      const reference = (name: string): number | undefined => rows.find((r) => r.name.startsWith(name))?.ms;
      const table = rows.map((r): string[] => {
        if (r.ms === undefined) return [r.name, "", "", "", "", "", "", "", "", "", "", `FAILED: ${r.error ?? "?"}`];
        const s = r.ms / 1000;
        const ref = r.name.startsWith("(b)") || r.name.startsWith("(e)") ? reference("(a)") : r.name.startsWith("(c)") ? reference("(d)") : undefined;
        const st = r.stats;
        return [
          r.name,
          s.toFixed(2),
          (data.files.length / s).toFixed(1),
          (data.bytes / MB / s).toFixed(1),
          ref === undefined ? "" : ratio(ref, r.ms),
          st === undefined ? "" : String(st["peakRssMb"]),
          st === undefined ? "" : `${num(st["rssStartMb"])} -> ${num(st["peakServingRssMb"])}`,
          st === undefined ? "" : num(st["rssGrowthMb"]),
          st === undefined ? "" : num(st["loopDelayP50Ms"]),
          st === undefined ? "" : num(st["loopDelayP99Ms"]),
          st === undefined ? "" : num(st["loopDelayMaxMs"]),
          r.runs === undefined ? "" : `median of ${r.runs.map((x) => (x / 1000).toFixed(2)).join(", ")} s`,
        ];
      });
      console.log(`\n${set.label} (${(data.bytes / MB).toFixed(0)} MB)`);
      const ours = reference("(b)");
      const orthanc = reference("(e)");
      if (ours !== undefined && orthanc !== undefined) table.push(["(b) over (e)", "", "", "", ratio(orthanc, ours), "", "", "", "", "", "", "dicomtls vs Orthanc, both durable"]);
      printTable(["row", "s", "files/s", "MB/s", "vs DCMTK", "peak RSS MB", "RSS serving MB", "RSS growth MB", "loop p50 ms", "loop p99 ms", "loop max ms", "note"], table);
    }
    console.log("\nvs DCMTK: throughput of (b) and of (e) over (a), and of (c) over (d); >1.00x is faster than storescp/storescu.");
    console.log("peak RSS: the server process's lifetime peak (start-up included); RSS serving: at listening -> peak until SIGTERM;");
    console.log("RSS growth: that difference (issue 3 target: < 150 MB for the 200 MB instance). Loop delay: listening to SIGTERM (target max < 20 ms).");
  } finally {
    await stopAll();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
