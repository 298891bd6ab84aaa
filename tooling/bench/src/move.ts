/**
 * C-MOVE benchmark (issue 10): a 500-instance study (512 KB CT each) moved over DICOM TLS by dicomtls-server and by
 * Orthanc 1.10.1, in ONE run, to the same destination: DCMTK `storescp +tls` (+B, bit-preserving, TCP_NODELAY=1), listed
 * in both nodes' DicomModalities with UseDicomTls. Both moves are triggered the same way: our SCU's move() over DICOM TLS
 * (Study Root, level STUDY, the study's UID) to each node's DICOM TLS port; each node then opens its own TLS
 * sub-association to storescp and C-STOREs the instances.
 *
 *   pnpm bench:move [--quick] [--rounds 3] [--pdu 131072] [--prof DIR] [--perf FILE]
 *
 * The study is generated once (seeded) and cached under $TMPDIR/dicomtls-bench/move-<hash>/, then stored into both
 * nodes with `storescu +tls` (off the clock). Rounds alternate dicomtls, Orthanc, dicomtls, ...; one storescp runs
 * throughout, its output folder renamed aside after each move, which is checked then: every instance arrived, with its data set's length.
 * Printed per node: the median round's wall time (move() called to final response), instances/s, MB/s, the node's CPU
 * per instance (user + system, all threads, from /proc) and the ratios dicomtls / Orthanc. --quick: 100 small
 * (64 x 64) instances. --prof DIR: the dicomtls server's main thread is profiled during the moves (.cpuprofile in DIR,
 * the top self-time functions printed). --perf FILE: `perf record -g` of the dicomtls server (all threads, kernel
 * included) over the moves, its top symbols printed. Every receiver and sender uses the same PDU limit (--pdu, default 128 KB).
 * Shared 2-core VM: numbers are noisy; the load average is printed at the start and the end.
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { move } from "@dicomtls/scu";
import { SyntheticPreset, dcmtkEnv, freePort, requireTool, startOrthanc, startProcess, stopAll, writePart10File, type TrackedProcess } from "@dicomtls/test-peers";
import { cpuDuring, makeDevPki, median, printTable, profilerEnv, ratio, startDicomTls, summarizeProfiles, timed, timedRun, waitListening, type DevPki } from "./lib/index.js";

const MB = 1024 * 1024;
const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const QUICK = args.includes("--quick");
const ROUNDS = Number(opt("--rounds") ?? "3");
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`--rounds must be a positive integer, got ${opt("--rounds")}`);
const MAX_PDU = Number(opt("--pdu") ?? "131072");
if (!Number.isInteger(MAX_PDU) || MAX_PDU < 4096) throw new Error(`--pdu must be an integer of at least 4096, got ${opt("--pdu")}`);
const PROF = opt("--prof");
const PERF = opt("--perf");
const COUNT = QUICK ? 100 : 500;
const PER_SERIES = 100;
const DEST_AET = "MOVEDEST";

const ROOT = "1.2.826.0.1.3680043.10.1172.600";
const STUDY_UID = `${ROOT}.${COUNT}`;
const sopUid = (i: number): string => `${STUDY_UID}.${Math.floor(i / PER_SERIES) + 1}.${i + 1}`;

/** The study's files, generated once (seeded) and reused while the spec is unchanged. */
async function studyFiles(root: string): Promise<{ dir: string; files: string[]; bytes: number }> {
  // No sequences: storescu re-encodes their undefined lengths, and each data set must arrive as long as its file's.
  const spec = { ...SyntheticPreset.Ct512k, ...(QUICK && { rows: 64, columns: 64 }), sequences: false, patientId: "MOVEBENCH", patientName: "Move^Bench", studyInstanceUid: STUDY_UID };
  const id = createHash("sha256").update(JSON.stringify({ v: 1, COUNT, spec })).digest("hex").slice(0, 12);
  const dir = join(root, `move-${COUNT}-${id}`);
  if (!existsSync(join(dir, ".complete"))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    process.stderr.write(`generating ${COUNT} instances in ${dir} ...\n`);
    for (let i = 0; i < COUNT; i++) {
      const seriesInstanceUid = `${STUDY_UID}.${Math.floor(i / PER_SERIES) + 1}`;
      await writePart10File(join(dir, `${String(i).padStart(4, "0")}.dcm`), { ...spec, seed: 6000 + i, seriesInstanceUid, sopInstanceUid: sopUid(i) });
    }
    writeFileSync(join(dir, ".complete"), new Date().toISOString());
  }
  const files = readdirSync(dir)
    .filter((n) => n.endsWith(".dcm"))
    .sort()
    .map((n) => join(dir, n));
  return { dir, files, bytes: files.reduce((n, f) => n + statSync(f).size, 0) };
}

/** Bytes of a Part 10 file's data set: its size less preamble, "DICM" and the File Meta group (PS3.10 §7.1). */
function datasetLength(path: string): number {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(144);
    if (readSync(fd, head, 0, 144, 0) !== 144 || head.toString("latin1", 128, 132) !== "DICM") throw new Error(`${path} is not a Part 10 file`);
    // (0002,0000) UL File Meta Information Group Length, explicit VR little endian: its value at byte 140.
    return statSync(path).size - 144 - head.readUInt32LE(140);
  } finally {
    closeSync(fd);
  }
}

/** Throws unless `dir` holds exactly the study's instances (storescp names them "CT.<SOP Instance UID>"), each data set as long as its source's. */
function checkArrived(dir: string, expected: ReadonlyMap<string, number>, node: string): number {
  const names = readdirSync(dir).filter((n) => !n.startsWith("."));
  const got = new Map(names.map((n) => [n.slice(n.indexOf(".") + 1), join(dir, n)]));
  const missing = [...expected.keys()].filter((uid) => !got.has(uid));
  if (missing.length > 0 || got.size !== expected.size) throw new Error(`${node}: ${got.size} of ${expected.size} instances at the destination (${missing.length} missing, e.g. ${missing[0] ?? "-"})`);
  let bytes = 0;
  for (const [uid, length] of expected) {
    const n = datasetLength(got.get(uid)!);
    if (n !== length) throw new Error(`${node}: ${uid} arrived with a ${n}-byte data set, ${length} sent`);
    bytes += statSync(got.get(uid)!).size;
  }
  return bytes;
}

/**
 * storescp +tls as the Move Destination, started once (before the loading, so its port is bound while the nodes'
 * DicomModalities name it) and writing into `inbox`; each move's files are moved aside afterwards by renaming the folder.
 */
async function startDestination(pki: DevPki, inbox: string): Promise<{ port: number; process: TrackedProcess }> {
  mkdirSync(inbox, { recursive: true });
  const port = await freePort();
  const tls = ["+tls", pki.nodeKey, pki.nodeCert, "+cf", pki.caCert];
  const proc = await startProcess("storescp", [...tls, "-aet", DEST_AET, "+B", "--max-pdu", String(MAX_PDU), "-od", inbox, String(port)], { env: dcmtkEnv() });
  await waitListening(port);
  return { port, process: proc };
}

/** Throws if storescp ended (e.g. its port was taken: then another listener would have answered waitListening). */
async function checkAlive(dest: TrackedProcess): Promise<void> {
  const ended = await Promise.race([dest.exited, Promise.resolve(undefined)]);
  if (ended !== undefined) throw new Error(`the destination storescp ended (${String(ended)}): ${dest.output().slice(-500)}`);
}

function storescu(pki: DevPki, port: number, aet: string, dir: string): Promise<{ ms: number }> {
  const a = ["+tls", pki.clientKey, pki.clientCert, "+cf", pki.caCert, "-aet", "STORESCU", "-aec", aet, "-R", "+sd", "--scan-pattern", "*.dcm", "127.0.0.1", String(port), dir];
  return timedRun("storescu", a, { env: dcmtkEnv(), timeoutMs: 1_800_000 });
}

/** `perf record` of one process (every thread, call graphs), written to `file` when stopped (SIGTERM). */
async function startPerf(file: string, pid: number): Promise<TrackedProcess> {
  requireTool("perf");
  // perf prints nothing until it stops; it attaches within milliseconds, before the first move's association.
  const proc = await startProcess("perf", ["record", "-F", "499", "-g", "-p", String(pid), "-o", file]);
  return proc;
}

async function printPerf(file: string): Promise<void> {
  const { result } = await timedRun("perf", ["report", "-i", file, "--no-children", "--sort", "comm,dso,sym", "--stdio", "-g", "none", "--percent-limit", "1"], { timeoutMs: 300_000 });
  console.log(`\nperf profile of dicomtls-server over the moves (${file}), self time >= 1%:`);
  console.log(result.stdout.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#")).slice(0, 40).join("\n"));
}

interface Node {
  readonly label: string;
  readonly port: number;
  readonly aet: string;
  readonly pid: number;
}

interface Run {
  readonly ms: number;
  readonly cpuS: number;
}

async function moveOnce(pki: DevPki, node: Node, dest: { inbox: string; process: TrackedProcess }, out: string, expected: ReadonlyMap<string, number>): Promise<Run> {
  // storescp does not fsync: what the last move wrote is flushed here, off the clock, not during this move.
  await timedRun("sync", [], { timeoutMs: 600_000 });
  await checkAlive(dest.process);
  const tls = { ca: readFileSync(pki.caCert), cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey) };
  const op = () => move({ host: "127.0.0.1", port: node.port, callingAeTitle: "BENCHSCU", calledAeTitle: node.aet, tls, destination: DEST_AET, level: "STUDY", keys: { StudyInstanceUID: STUDY_UID }, timeouts: { dimseMs: 600_000 } }).result();
  const { cpuS, value } = await cpuDuring(node.pid, () => timed(op));
  const r = value.value;
  if (!r.ok || r.completed !== expected.size) throw new Error(`${node.label}: C-MOVE ended ${r.statusName}, ${r.completed} completed, ${r.failed} failed, ${r.warning} warnings`);
  await checkAlive(dest.process);
  // storescp answered every C-STORE after writing its file: the inbox is complete. A new, empty one for the next move.
  mkdirSync(dirname(out), { recursive: true });
  renameSync(dest.inbox, out);
  mkdirSync(dest.inbox);
  checkArrived(out, expected, node.label);
  return { ms: value.ms, cpuS };
}

async function main(): Promise<void> {
  for (const tool of ["storescu", "storescp"]) requireTool(tool);
  const root = join(tmpdir(), "dicomtls-bench");
  const work = join(root, `move-work-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const load0 = loadavg();
  try {
    const pki = await makeDevPki(join(work, "pki"));
    const study = await studyFiles(root);
    const expected = new Map(study.files.map((f, i) => [sopUid(i), datasetLength(f)]));
    const inbox = join(work, "inbox");
    const dest = await startDestination(pki, inbox);
    const destination = { AET: DEST_AET, Host: "127.0.0.1", Port: dest.port, UseDicomTls: true };
    console.log(
      `move benchmark${QUICK ? " (--quick)" : ""}: one study of ${COUNT} instances (${(study.bytes / MB).toFixed(0)} MB), C-MOVE over DICOM TLS to storescp +tls, ` +
        `${MAX_PDU / 1024} KB PDUs, ${ROUNDS} rounds; ${process.version}, 2-core shared VM, load average ${load0.map((l) => l.toFixed(2)).join(" ")}`,
    );

    const dicomtlsOptions = {
      dir: join(work, "dicomtls"),
      pki,
      built: true,
      config: { MaximumPduLength: MAX_PDU, DicomAlwaysAllowStore: true, DicomAlwaysAllowMove: true, DicomCheckCalledAet: false, DicomModalities: { movedest: destination } },
    };
    mkdirSync(dicomtlsOptions.dir, { recursive: true });
    const loader = await startDicomTls(dicomtlsOptions);
    console.log(`stored into dicomtls with storescu +tls in ${((await storescu(pki, loader.port, loader.aet, study.dir)).ms / 1000).toFixed(1)} s`);
    await loader.stop();
    // A fresh server on the loaded store: its CPU profile (--prof) covers the moves only.
    const profDir = PROF === undefined ? undefined : resolve(PROF);
    const dicomtls = await startDicomTls({ ...dicomtlsOptions, ...(profDir !== undefined && { env: profilerEnv(work, profDir) }) });
    const orthanc = await startOrthanc({
      dir: join(work, "orthanc"),
      dicomPort: await freePort(),
      httpPort: await freePort(),
      config: {
        DicomTlsEnabled: true,
        DicomTlsCertificate: pki.nodeCert,
        DicomTlsPrivateKey: pki.nodeKey,
        DicomTlsTrustedCertificates: pki.caCert,
        DicomAlwaysAllowMove: true,
        MaximumPduLength: MAX_PDU,
        DicomModalities: { movedest: destination },
      },
    });
    console.log(`stored into Orthanc with storescu +tls in ${((await storescu(pki, orthanc.dicomPort, orthanc.aet, study.dir)).ms / 1000).toFixed(1)} s`);
    const stats = (await orthanc.restOk("GET", "/statistics")) as { CountInstances?: number };
    if (stats.CountInstances !== COUNT) throw new Error(`Orthanc stored ${String(stats.CountInstances)} of ${COUNT} instances`);

    const nodes: Node[] = [
      { label: "dicomtls", port: dicomtls.port, aet: dicomtls.aet, pid: dicomtls.process.pid },
      { label: "Orthanc 1.10.1", port: orthanc.dicomPort, aet: orthanc.aet, pid: orthanc.process.pid },
    ];
    const runs = new Map<string, Run[]>(nodes.map((n) => [n.label, []]));
    const perf = PERF === undefined ? undefined : await startPerf(resolve(PERF), dicomtls.process.pid);
    let outputs = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const node of nodes) {
        // A folder per move (renamed from the inbox), all deleted at the end (see freshDir() in store.ts: ext4 pays for recent deletions).
        const r = await moveOnce(pki, node, { inbox, process: dest.process }, join(work, "out", `${String(++outputs).padStart(2, "0")}-${node.aet}`), expected);
        runs.get(node.label)!.push(r);
        process.stderr.write(`round ${round + 1} ${node.label}: ${(r.ms / 1000).toFixed(2)} s, CPU ${r.cpuS.toFixed(2)} s\n`);
      }
    }
    await perf?.stop(30_000);
    await dicomtls.stop();
    await orthanc.stop();
    printResults(runs, study.bytes);
    if (PERF !== undefined) await printPerf(resolve(PERF));
    if (profDir !== undefined) summarizeProfiles(profDir, 25);
  } finally {
    await stopAll();
    rmSync(work, { recursive: true, force: true });
    console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  }
}

function printResults(runs: ReadonlyMap<string, readonly Run[]>, bytes: number): void {
  const mid = (list: readonly Run[]): Run => list.slice().sort((a, b) => a.ms - b.ms)[(list.length - 1) >> 1]!;
  const rows: string[][] = [];
  const medians = new Map<string, Run>();
  for (const [label, list] of runs) {
    const m = mid(list);
    medians.set(label, m);
    const s = m.ms / 1000;
    rows.push([label, s.toFixed(2), (COUNT / s).toFixed(1), (bytes / MB / s).toFixed(1), ((m.cpuS * 1000) / COUNT).toFixed(2), `median of ${list.map((r) => (r.ms / 1000).toFixed(2)).join(", ")} s; CPU median ${median(list.map((r) => r.cpuS)).toFixed(2)} s`]);
  }
  const [ours, theirs] = [...medians.values()];
  if (ours !== undefined && theirs !== undefined) rows.push(["dicomtls / Orthanc", "", ratio(theirs.ms, ours.ms), "", ratio(ours.cpuS, theirs.cpuS), "instances/s: >1.00x is faster; CPU: <1.00x is cheaper"]);
  console.log("");
  printTable(["node", "s", "instances/s", "MB/s", "CPU ms/inst", "note"], rows);
}

await main();
