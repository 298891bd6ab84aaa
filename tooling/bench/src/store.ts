/**
 * C-STORE benchmark (issue 3): in ONE run, per data set,
 *   (a) DCMTK storescu +tls -> DCMTK storescp +tls, writing to disk      (the reference receiver)
 *   (b) DCMTK storescu +tls -> dicomtls-server over TLS, durable storage (ours as the receiver)
 *   (c) dicomtls store()     -> DCMTK storescp +tls                     (ours as the sender; the sender's CPU per instance
 *       is printed for (c) and (d): our store() from process.cpuUsage, storescu from /proc)
 *   (d) DCMTK storescu +tls -> DCMTK storescp +tls again                 (the reference for (c), measured next to it)
 *   (e) DCMTK storescu +tls -> Orthanc 1.10.1 over DICOM TLS              (a durable reference: SyncStorageArea, its
 *       default, fsyncs each file; Orthanc also indexes each instance in SQLite, as dicomtls does)
 *   (f) DCMTK storescu +tls -> dicomtls-server with SyncStorageArea false (answers from the page cache, as storescp)
 *   (g) 4 DCMTK storescu at once (a quarter of the set each) -> storescp --fork
 *   (h) 4 DCMTK storescu at once -> dicomtls-server, durable
 *   (i) 4 DCMTK storescu at once -> Orthanc, durable
 *   (j), (k) with --baseline BIN: (b) and (f) against another build's server bin (the "before" in the same run)
 * The receiving server's CPU per instance (all threads and, for storescp --fork, its children; user + system, from
 * /proc) is printed next to files/s: with storescu on the other core, that CPU is what bounds the files/s.
 * printing files/s, MB/s, ratio against DCMTK, and for (b) the server's peak RSS and event-loop delay (p50/p99/max)
 * from its `runtime-stats` record (SIGTERM at the end of the row). Each row runs on its own: a failing row prints
 * its error and the others still run.
 *
 *   pnpm bench:store [--quick] [--sets ct,mf10,mf200] [--rows a,b,c,d,e,f,g,h,i] [--rounds N] [--pdu 131072] [--baseline BIN] [--warmup N]
 *
 * --rounds N runs the rows N times, interleaved (a b c d e a b c d e ...), and prints each row's median run (its stats
 * come from that run): on this shared VM one row can run 2x slower than the same operation a minute later.
 *
 * Data is generated deterministically and cached under $TMPDIR/dicomtls-bench/store-<hash of the spec>/.
 * storescp writes without fsync; dicomtls fsyncs each file and its folder before answering (durable): (a) vs (b) is
 * not like for like in dicomtls' favour. Every DCMTK tool runs with TCP_NODELAY=1. Every receiver gets the same receive
 * PDU limit, 128 KB by default (storescp --max-pdu, MaximumPduLength for dicomtls and Orthanc); --pdu 16384 runs
 * Orthanc's default. dicomtls-server runs from its build (apps/server/dist: `pnpm build` first), as users run it.
 * Shared 2-core VM: numbers are noisy, run it twice.
 */
import { createHash } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { store } from "@dicomtls/scu";
import { SyntheticPreset, dcmtkEnv, freePort, requireTool, startOrthanc, stopAll, writePart10File, type WritePart10Options } from "@dicomtls/test-peers";
import { cpuDuring, makeDevPki, printTable, ratio, reapedChildrenCpuSeconds, selfCpuSeconds, startDicomTls, startStorescp, timed, timedRun, type DevPki } from "./lib/index.js";

const MB = 1024 * 1024;
const quick = process.argv.includes("--quick");
const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const MAX_PDU = Number(argValue("--pdu") ?? "131072");
if (!Number.isInteger(MAX_PDU) || MAX_PDU < 4096) throw new Error(`--pdu must be an integer of at least 4096, got ${argValue("--pdu")}`);
/**
 * --warmup N: each dicomtls-server (rows b, f, h, j, k) first receives N other 512 KB instances in an association of its
 * own, off the clock, so the measured run sees the server's code compiled by V8's optimising tiers as a server that has
 * run a while does (a fresh server runs its first ~1,000 instances partly in the interpreter and baseline code).
 */
const WARMUP = Number(argValue("--warmup") ?? "0");
if (!Number.isInteger(WARMUP) || WARMUP < 0) throw new Error(`--warmup must be a whole number, got ${argValue("--warmup")}`);
/** Associations at once in rows g, h, i. */
const PARALLEL = 4;

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
    const base = set.key === "ct" ? 1000 : set.key === "mf10" ? 2000 : set.key === "warm" ? 900_000 : 3000;
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
  readonly cpuS?: number;
  /** The sending client's CPU seconds (rows c and d). */
  readonly clientCpuS?: number;
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

/** A row's result: wall time, and the receiving server's CPU seconds over it (all threads, children for --fork). */
interface Measured {
  readonly ms: number;
  readonly cpuS?: number;
  /** The sender's CPU seconds: storescu's (reaped children of this process), or our store()'s (this process, all threads). */
  readonly clientCpuS?: number;
  readonly stats?: Record<string, unknown>;
}

/** Runs storescu once per folder, all at once; the time is until the last one ended. */
async function storescus(pki: DevPki, port: number, aet: string, dirs: readonly string[]): Promise<number> {
  const { ms } = await timed(() => Promise.all(dirs.map((d) => timedRun("storescu", storescuArgs(pki, port, aet, d), { env: dcmtkEnv(), timeoutMs: 600_000 }))));
  return ms;
}

async function rowIntoStorescp(pki: DevPki, work: string, dirs: readonly string[]): Promise<Measured> {
  const out = freshDir(work, "storescp");
  // Several associations at once need --fork (storescp serves one at a time otherwise), as DCMTK users run it.
  const fork = dirs.length > 1 ? ["--fork"] : [];
  const scp = await startStorescp({ outputDir: out, pki, args: ["--max-pdu", String(MAX_PDU), ...fork] });
  try {
    const clientBefore = reapedChildrenCpuSeconds();
    const { cpuS, value: ms } = await cpuDuring(scp.process.pid, () => storescus(pki, scp.port, scp.aet, dirs), { children: dirs.length > 1 });
    return { ms, cpuS, clientCpuS: reapedChildrenCpuSeconds() - clientBefore };
  } finally {
    await scp.stop();
  }
}

async function rowIntoDicomTls(pki: DevPki, work: string, dirs: readonly string[], count: number, sync: boolean, serverBin?: string, warmDir?: string): Promise<Measured> {
  const serverDir = freshDir(work, "dicomtls");
  const server = await startDicomTls({
    dir: serverDir,
    pki,
    built: true,
    ...(serverBin !== undefined && { serverBin }),
    config: { MaximumPduLength: MAX_PDU, DicomAlwaysAllowStore: true, DicomCheckCalledAet: false, SyncStorageArea: sync },
  });
  try {
    if (warmDir !== undefined) await storescus(pki, server.port, server.aet, [warmDir]);
    const { cpuS, value: ms } = await cpuDuring(server.process.pid, () => storescus(pki, server.port, server.aet, dirs));
    await server.stop();
    const stats = await server.waitForRecord((r) => r["event"] === "runtime-stats", 10_000);
    const stored = countFiles(join(serverDir, "storage"));
    if (stored !== count + (warmDir === undefined ? 0 : WARMUP)) throw new Error(`dicomtls stored ${stored} of ${count} files`);
    return { ms, cpuS, stats };
  } finally {
    await server.stop();
  }
}

async function rowIntoOrthanc(pki: DevPki, work: string, dirs: readonly string[], count: number): Promise<Measured> {
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
    const { cpuS, value: ms } = await cpuDuring(orthanc.process.pid, () => storescus(pki, orthanc.dicomPort, orthanc.aet, dirs));
    const stats = (await orthanc.restOk("GET", "/statistics")) as { CountInstances?: number };
    if (stats.CountInstances !== count) throw new Error(`Orthanc stored ${String(stats.CountInstances)} of ${count} files`);
    return { ms, cpuS };
  } finally {
    await orthanc.stop();
  }
}

/** The set's files in `parts` folders of hard links (made once, next to the set), one per parallel storescu. */
function splitDirs(dir: string, files: readonly string[], parts: number): string[] {
  const root = `${dir}-split${parts}`;
  const dirs = Array.from({ length: parts }, (_, i) => join(root, String(i)));
  if (!existsSync(join(root, ".complete"))) {
    rmSync(root, { recursive: true, force: true });
    dirs.forEach((d) => mkdirSync(d, { recursive: true }));
    files.forEach((f, i) => linkSync(f, join(dirs[i % parts]!, f.slice(f.lastIndexOf("/") + 1))));
    writeFileSync(join(root, ".complete"), new Date().toISOString());
  }
  return dirs;
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

async function rowOursIntoStorescp(pki: DevPki, work: string, files: string[]): Promise<Measured> {
  const out = freshDir(work, "storescp");
  const scp = await startStorescp({ outputDir: out, pki, args: ["--max-pdu", String(MAX_PDU)] });
  try {
    // store() with its own codec runner, as `dicomtls store` runs it (inline: no worker to load or warm up).
    const clientBefore = selfCpuSeconds();
    const { cpuS, value: { ms, value } } = await cpuDuring(scp.process.pid, () => timed(() =>
      store({
        host: "127.0.0.1",
        port: scp.port,
        callingAeTitle: "DICOMTLS",
        calledAeTitle: scp.aet,
        tls: { ca: readFileSync(pki.caCert), cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey) },
        files,
      }),
    ));
    const clientCpuS = selfCpuSeconds() - clientBefore;
    if (!value.ok) throw new Error(`our SCU failed ${value.failed} files: ${value.results.find((r) => !r.ok)?.error?.message ?? "?"}`);
    return { ms, cpuS, clientCpuS };
  } finally {
    await scp.stop();
  }
}

const ROWS: ReadonlyArray<{ key: string; name: string; reference?: string }> = [
  { key: "a", name: "(a) storescu -> storescp" },
  { key: "b", name: "(b) storescu -> dicomtls", reference: "(a)" },
  { key: "c", name: "(c) dicomtls SCU -> storescp", reference: "(d)" },
  { key: "d", name: "(d) storescu -> storescp" },
  { key: "e", name: "(e) storescu -> Orthanc", reference: "(a)" },
  { key: "f", name: "(f) storescu -> dicomtls, sync off", reference: "(a)" },
  { key: "g", name: `(g) ${PARALLEL} x storescu -> storescp --fork` },
  { key: "h", name: `(h) ${PARALLEL} x storescu -> dicomtls`, reference: "(g)" },
  { key: "i", name: `(i) ${PARALLEL} x storescu -> Orthanc`, reference: "(g)" },
  { key: "j", name: "(j) storescu -> baseline dicomtls", reference: "(a)" },
  { key: "k", name: "(k) storescu -> baseline, sync off", reference: "(a)" },
];

/** The median run of a row (its stats and CPU come from that run), or its first failure. */
function summarize(name: string, list: ReadonlyArray<Measured | { error: string }>): Row {
  const failed = list.find((r): r is { error: string } => "error" in r);
  if (failed !== undefined) return { name, error: failed.error };
  const ok = (list as Measured[]).slice().sort((x, y) => x.ms - y.ms);
  const mid = ok[(ok.length - 1) >> 1]!;
  return {
    name,
    ms: mid.ms,
    ...(mid.cpuS !== undefined && { cpuS: mid.cpuS }),
    ...(mid.clientCpuS !== undefined && { clientCpuS: mid.clientCpuS }),
    ...(mid.stats !== undefined && { stats: mid.stats }),
    ...(ok.length > 1 && { runs: list.map((r) => ("ms" in r ? r.ms : NaN)) }),
  };
}

function printSet(label: string, bytes: number, count: number, rows: readonly Row[]): void {
  const find = (prefix: string): Row | undefined => rows.find((r) => r.name.startsWith(prefix));
  const perInstance = (r: Row | undefined): number | undefined => (r?.cpuS === undefined ? undefined : (r.cpuS * 1000) / count);
  const table = rows.map((r): string[] => {
    if (r.ms === undefined) return [r.name, "", "", "", "", "", "", "", "", "", "", "", "", `FAILED: ${r.error ?? "?"}`];
    const s = r.ms / 1000;
    const refName = ROWS.find((x) => r.name.startsWith(`(${x.key})`))?.reference;
    const ref = refName === undefined ? undefined : find(refName);
    const cpu = perInstance(r);
    const refCpu = perInstance(ref);
    const client = r.clientCpuS === undefined ? undefined : (r.clientCpuS * 1000) / count;
    const refClient = ref?.clientCpuS === undefined ? undefined : (ref.clientCpuS * 1000) / count;
    const st = r.stats;
    return [
      r.name,
      s.toFixed(2),
      (count / s).toFixed(1),
      (bytes / MB / s).toFixed(1),
      ref?.ms === undefined ? "" : ratio(ref.ms, r.ms),
      cpu === undefined ? "" : cpu.toFixed(2),
      cpu === undefined || refCpu === undefined ? "" : ratio(cpu, refCpu),
      client === undefined ? "" : client.toFixed(2),
      client === undefined || refClient === undefined ? "" : ratio(client, refClient),
      st === undefined ? "" : num(st["rssGrowthMb"]),
      st === undefined ? "" : num(st["loopDelayP99Ms"]),
      st === undefined ? "" : num(st["loopDelayMaxMs"]),
      r.runs === undefined ? "" : `median of ${r.runs.map((x) => (x / 1000).toFixed(2)).join(", ")} s`,
    ];
  });
  const over = (ours: string, theirs: string, note: string): void => {
    const o = find(ours);
    const t = find(theirs);
    if (o?.ms !== undefined && t?.ms !== undefined) table.push([`${ours} over ${theirs}`, "", "", "", ratio(t.ms, o.ms), "", ratio(perInstance(o) ?? NaN, perInstance(t) ?? NaN), "", "", "", "", "", note]);
  };
  over("(b)", "(e)", "dicomtls vs Orthanc, one association, both durable");
  over("(h)", "(i)", `dicomtls vs Orthanc, ${PARALLEL} associations, both durable`);
  over("(b)", "(j)", "this build vs the baseline build, durable");
  over("(f)", "(k)", "this build vs the baseline build, sync off");
  console.log(`\n${label} (${(bytes / MB).toFixed(0)} MB)`);
  printTable(["row", "s", "files/s", "MB/s", "vs DCMTK", "CPU ms/inst", "CPU vs DCMTK", "client CPU ms/inst", "client vs storescu", "RSS growth MB", "loop p99 ms", "loop max ms", "note"], table);
}

async function main(): Promise<void> {
  for (const tool of ["storescu", "storescp"]) requireTool(tool);
  const wantedSets = (argValue("--sets") ?? "ct,mf10,mf200").split(",");
  const baseline = argValue("--baseline");
  const wantedRows = new Set((argValue("--rows") ?? ROWS.filter((r) => baseline !== undefined || !"jk".includes(r.key)).map((r) => r.key).join(",")).split(","));
  if (baseline === undefined && (wantedRows.has("j") || wantedRows.has("k"))) throw new Error("rows j and k need --baseline PATH (another build's apps/server/bin/dicomtls-server.js)");
  const rounds = Number(argValue("--rounds") ?? "1");
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${argValue("--rounds")}`);
  const root = join(tmpdir(), "dicomtls-bench");
  const work = join(root, `work-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const pki = await makeDevPki(join(work, "pki"));
  console.log(`store benchmark${quick ? " (--quick)" : ""}: DICOM TLS on 127.0.0.1, ${MAX_PDU / 1024} KB PDUs, TCP_NODELAY=1 for DCMTK; ${process.version}, 2-core shared VM (noisy)${WARMUP > 0 ? `; each dicomtls-server warmed up with ${WARMUP} other instances first` : ""}`);
  try {
    for (const set of DATA_SETS.filter((s) => wantedSets.includes(s.key))) {
      const data = await dataSetFiles(root, set);
      const warm = WARMUP > 0 ? (await dataSetFiles(root, { key: "warm", label: `${WARMUP} x 512 KB CT (warm-up)`, count: WARMUP, spec: { ...SyntheticPreset.Ct512k } })).dir : undefined;
      const n = data.files.length;
      const split = n >= PARALLEL ? splitDirs(data.dir, data.files, PARALLEL) : [data.dir];
      const ops: Record<string, () => Promise<Measured>> = {
        a: () => rowIntoStorescp(pki, work, [data.dir]),
        b: () => rowIntoDicomTls(pki, work, [data.dir], n, true, undefined, warm),
        c: () => rowOursIntoStorescp(pki, work, data.files),
        d: () => rowIntoStorescp(pki, work, [data.dir]),
        e: () => rowIntoOrthanc(pki, work, [data.dir], n),
        f: () => rowIntoDicomTls(pki, work, [data.dir], n, false, undefined, warm),
        g: () => rowIntoStorescp(pki, work, split),
        h: () => rowIntoDicomTls(pki, work, split, n, true, undefined, warm),
        i: () => rowIntoOrthanc(pki, work, split, n),
        j: () => rowIntoDicomTls(pki, work, [data.dir], n, true, baseline, warm),
        k: () => rowIntoDicomTls(pki, work, [data.dir], n, false, baseline, warm),
      };
      const results = new Map<string, Array<Measured | { error: string }>>();
      for (let round = 0; round < rounds; round++) {
        for (const row of ROWS) {
          if (!wantedRows.has(row.key)) continue;
          const list = results.get(row.name) ?? [];
          results.set(row.name, list);
          // storescp does not fsync: the page cache still holds what the row before wrote, and the kernel writes it
          // back whenever it chooses, during whichever row runs then (a row with fsyncs waits behind it). Flushed
          // here, off the clock, every row starts with a clean cache.
          await timedRun("sync", [], { timeoutMs: 600_000 });
          try {
            list.push(await ops[row.key]!());
          } catch (err) {
            list.push({ error: (err as Error).message.split("\n")[0] ?? String(err) });
            await stopAll();
          }
        }
      }
      printSet(set.label, data.bytes, n, [...results].map(([name, list]) => summarize(name, list)));
    }
    console.log("\nvs DCMTK: files/s of b, e, f over a, of h, i over g, of c over d; >1.00x is faster than storescp/storescu.");
    console.log("CPU ms/inst: the receiving server's CPU (user + system, all threads; storescp --fork with its children) per instance;");
    console.log("client CPU ms/inst (rows c, d): the sender's CPU per instance: our store() (this process, all threads, process.cpuUsage)");
    console.log("or storescu (from /proc, reaped children); client vs storescu: (c) over (d), <1.00x is cheaper.");
    console.log("CPU vs DCMTK: that over storescp's in the reference row (<1.00x is cheaper). RSS growth: listening -> peak until SIGTERM");
    console.log("(issue 3 target: < 150 MB for the 200 MB instance). Loop delay: listening to SIGTERM (target max < 20 ms).");
  } finally {
    await stopAll();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
