/**
 * C-FIND over DICOM TLS: dicomtls-server next to Orthanc 1.10.1, in one run, on the same deterministic data set.
 * Run: pnpm bench:query [--patients 1000] [--runs 10] [--assoc-runs 5] [--server-bin PATH]   (the issue's 100,000 instances: 1,000
 *      patients x 2 studies x 2 series x 25 instances); pnpm bench:query --quick  (20 patients: 2,000 instances).
 *
 * The data set is written once as small Part 10 files (1x1 pixel, no sequences), then stored into each node with
 * DCMTK storescu +tls (one association). The same 21 queries (exact ID, PN wildcard, date range, modality,
 * accession, UID list, at each level, and a wide IMAGE date range of up to 10,000 matches) go `--runs` times each to
 * both nodes over TLS inside ONE association per node (our SCU's openFindSession: the query alone, every answer
 * read), interleaved; p50 / p99 per kind and the ratio dicomtls / Orthanc. Second column: the same query on a new
 * association each (`--assoc-runs` times; connect, TLS handshake, association and release included, as a
 * workstation that does not keep its association), the wide query left out. Also: the time to the first answer of
 * the wide query, and dicomtls' event-loop delay while serving the queries (the runtime-stats record of a server
 * restarted on the loaded store, so the loading is not in it). DCMTK's dcmqrscp is not part of the run.
 */
import { mkdirSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { find, openFindSession, type FindOptions, type FindSession } from "@dicomtls/scu";
import { dcmtkEnv, freePort, requireTool, startOrthanc, stopAll, tempDir, writePart10File } from "@dicomtls/test-peers";
import { buildClientOptions, loadTlsContext } from "@dicomtls/tls-context";
import { makeDevPki, ms, printTable, ratio, startDicomTls, timed, timedRun, type DevPki } from "./lib/index.js";

const CT = "1.2.840.10008.5.1.4.1.1.2";
const MR = "1.2.840.10008.5.1.4.1.1.4";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name}: expected a whole number of at least 1`);
  return v;
}

const QUICK = process.argv.includes("--quick");
const PATIENTS = flag("--patients", QUICK ? 20 : 1000);
const RUNS = flag("--runs", 10);
const ASSOC_RUNS = flag("--assoc-runs", 5);
/** Another build's dicomtls-server bin (e.g. /work/main/apps/server/bin/dicomtls-server.js): a "before" run. */
const SERVER_BIN = process.argv.includes("--server-bin") ? process.argv[process.argv.indexOf("--server-bin") + 1] : undefined;
const STUDIES_PER_PATIENT = 2;
const SERIES_PER_STUDY = 2;
const INSTANCES_PER_SERIES = 25;

const ROOT = "1.2.826.0.1.3680043.10.1172.500";
const patientId = (p: number): string => `P${String(p).padStart(5, "0")}`;
const studyUid = (p: number, s: number): string => `${ROOT}.${p}.${s}`;
const seriesUid = (p: number, s: number, r: number): string => `${studyUid(p, s)}.${r}`;
const sopUid = (p: number, s: number, r: number, i: number): string => `${seriesUid(p, s, r)}.${i}`;
/** Names: a tenth of the patients are DOE^..., the rest spread over 26 initials. */
const patientName = (p: number): string => (p % 10 === 0 ? `DOE^P${p}` : `${String.fromCharCode(65 + (p % 26))}NAME${p}^GIVEN`);
const studyDate = (p: number, s: number): string => {
  const d = new Date(Date.UTC(2000, 0, 1) + ((p * 37 + s * 11) % 8000) * 86_400_000);
  return d.toISOString().slice(0, 10).replaceAll("-", "");
};
const modality = (s: number, r: number): string => (r === 0 ? "CT" : s % 2 === 0 ? "MR" : "CT");

async function writeDataSet(dir: string): Promise<number> {
  mkdirSync(dir, { recursive: true });
  let n = 0;
  for (let p = 0; p < PATIENTS; p++) {
    for (let s = 0; s < STUDIES_PER_PATIENT; s++) {
      for (let r = 0; r < SERIES_PER_STUDY; r++) {
        for (let i = 0; i < INSTANCES_PER_SERIES; i++) {
          const m = modality(s, r);
          await writePart10File(join(dir, `${n++}.dcm`), {
            seed: n,
            sopClassUid: m === "MR" ? MR : CT,
            sopInstanceUid: sopUid(p, s, r, i),
            rows: 1,
            columns: 1,
            sequences: false,
            patientId: patientId(p),
            patientName: patientName(p),
            studyInstanceUid: studyUid(p, s),
            seriesInstanceUid: seriesUid(p, s, r),
            studyDate: studyDate(p, s),
            accessionNumber: `A${p}-${s}`,
            modality: m,
          });
        }
      }
    }
  }
  return n;
}

interface QueryKind {
  readonly name: string;
  readonly model?: "patient" | "study";
  readonly level: string;
  readonly keys: Readonly<Record<string, string>>;
}

const mid = Math.floor(PATIENTS / 2);
const QUERIES: readonly QueryKind[] = [
  { name: "PATIENT exact ID", model: "patient", level: "PATIENT", keys: { PatientID: patientId(mid), PatientName: "" } },
  { name: "PATIENT PN wildcard", model: "patient", level: "PATIENT", keys: { PatientName: "DOE*", PatientID: "" } },
  { name: "STUDY exact PatientID", level: "STUDY", keys: { PatientID: patientId(mid), StudyInstanceUID: "", StudyDate: "" } },
  { name: "STUDY PN wildcard", level: "STUDY", keys: { PatientName: "DOE*", StudyInstanceUID: "" } },
  { name: "STUDY date range (1 month)", level: "STUDY", keys: { StudyDate: `${studyDate(mid, 0).slice(0, 6)}01-${studyDate(mid, 0).slice(0, 6)}31`, StudyInstanceUID: "" } },
  { name: "STUDY date single", level: "STUDY", keys: { StudyDate: studyDate(mid, 0), StudyInstanceUID: "" } },
  { name: "STUDY accession", level: "STUDY", keys: { AccessionNumber: `A${mid}-1`, StudyInstanceUID: "" } },
  { name: "STUDY UID", level: "STUDY", keys: { StudyInstanceUID: studyUid(mid, 0), StudyDate: "", PatientName: "" } },
  { name: "STUDY UID list (3)", level: "STUDY", keys: { StudyInstanceUID: [studyUid(1, 0), studyUid(mid, 1), studyUid(PATIENTS - 1, 0)].join("\\") } },
  { name: "STUDY modality in study", level: "STUDY", keys: { ModalitiesInStudy: "MR", PatientID: patientId(mid), StudyInstanceUID: "" } },
  { name: "SERIES of a study", level: "SERIES", keys: { StudyInstanceUID: studyUid(mid, 0), SeriesInstanceUID: "", Modality: "" } },
  { name: "SERIES modality + PatientID", level: "SERIES", keys: { PatientID: patientId(mid), Modality: "CT", SeriesInstanceUID: "" } },
  { name: "SERIES UID", level: "SERIES", keys: { SeriesInstanceUID: seriesUid(mid, 1, 1), Modality: "" } },
  { name: "SERIES UID list (2)", level: "SERIES", keys: { SeriesInstanceUID: `${seriesUid(1, 0, 0)}\\${seriesUid(mid, 1, 0)}` } },
  { name: "IMAGE of a series (25)", level: "IMAGE", keys: { SeriesInstanceUID: seriesUid(mid, 0, 1), SOPInstanceUID: "", InstanceNumber: "" } },
  { name: "IMAGE of a study (50)", level: "IMAGE", keys: { StudyInstanceUID: studyUid(mid, 1), SOPInstanceUID: "" } },
  { name: "IMAGE UID", level: "IMAGE", keys: { SOPInstanceUID: sopUid(mid, 0, 0, 7), SOPClassUID: "" } },
  { name: "IMAGE UID list (3)", level: "IMAGE", keys: { SOPInstanceUID: [sopUid(1, 0, 0, 0), sopUid(mid, 1, 1, 3), sopUid(PATIENTS - 1, 0, 1, 24)].join("\\") } },
  { name: "IMAGE of a patient (100)", level: "IMAGE", keys: { PatientID: patientId(mid), SOPInstanceUID: "" } },
  { name: "IMAGE PN wildcard (10%)", level: "IMAGE", keys: { PatientName: "DOE*", SOPInstanceUID: "" } },
  wideQuery(),
];

/** IMAGE level, a StudyDate range covering the earliest studies: up to 10,000 matches (half the set when smaller). */
function wideQuery(): QueryKind {
  const perStudy = SERIES_PER_STUDY * INSTANCES_PER_SERIES;
  const studies = Math.max(1, Math.floor(Math.min(10_000, (PATIENTS * STUDIES_PER_PATIENT * perStudy) / 2) / perStudy));
  const dates: string[] = [];
  for (let p = 0; p < PATIENTS; p++) for (let s = 0; s < STUDIES_PER_PATIENT; s++) dates.push(studyDate(p, s));
  dates.sort();
  const last = dates[studies - 1]!;
  const expected = dates.filter((d) => d <= last).length * perStudy;
  return { name: `IMAGE wide date range (${expected})`, level: "IMAGE", keys: { StudyDate: `-${last}`, SOPInstanceUID: "" } };
}

interface Node {
  readonly label: string;
  readonly port: number;
  readonly aet: string;
}

interface Timing {
  readonly totalMs: number;
  readonly firstMs: number;
  readonly matches: number;
}

/** One query on a new association (connect, TLS, association, every answer, release). */
async function runQuery(node: Node, tls: FindOptions["tls"], q: QueryKind): Promise<Timing> {
  const t0 = process.hrtime.bigint();
  const query = find({ host: "127.0.0.1", port: node.port, callingAeTitle: "BENCHSCU", calledAeTitle: node.aet, ...(tls !== undefined && { tls }), level: q.level, keys: q.keys, model: q.model ?? "study", timeouts: { dimseMs: 120_000 } });
  return await timeAnswers(t0, query);
}

/** One query on the node's open session: from the C-FIND-RQ to the final response. */
async function runOnSession(session: FindSession, q: QueryKind): Promise<Timing> {
  const t0 = process.hrtime.bigint();
  return await timeAnswers(t0, session.find({ level: q.level, keys: q.keys, model: q.model ?? "study" }));
}

async function timeAnswers(t0: bigint, query: ReturnType<typeof find>): Promise<Timing> {
  let firstMs = Number.NaN;
  let matches = 0;
  for await (const _ of query) {
    if (matches++ === 0) firstMs = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  await query.result();
  return { totalMs: Number(process.hrtime.bigint() - t0) / 1e6, firstMs, matches };
}

type Results = Map<string, { total: number[]; first: number[]; matches: number }>;

function record(results: Results, key: string, r: Timing): void {
  const entry = results.get(key) ?? { total: [], first: [], matches: r.matches };
  entry.total.push(r.totalMs);
  if (!Number.isNaN(r.firstMs)) entry.first.push(r.firstMs);
  if (entry.matches !== r.matches) throw new Error(`${key}: ${r.matches} matches, earlier ${entry.matches}`);
  results.set(key, entry);
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function storeInto(pki: DevPki, node: Node, folder: string): Promise<number> {
  const args = ["-aet", "BENCHSCU", "-aec", node.aet, "+tls", pki.clientKey, pki.clientCert, "+cf", pki.caCert, "-R", "+sd", "127.0.0.1", String(node.port), folder];
  const { ms: elapsed } = await timedRun("storescu", args, { env: dcmtkEnv(), timeoutMs: 6 * 3600_000 });
  return elapsed;
}

async function main(): Promise<void> {
  requireTool("storescu");
  const tmp = tempDir("dicomtls-bench-query-");
  try {
    const pki = await makeDevPki(join(tmp.path, "pki"));
    const folder = join(tmp.path, "dataset");
    const { ms: writeMs, value: instances } = await timed(() => writeDataSet(folder));
    console.log(`C-FIND over DICOM TLS: ${PATIENTS} patients, ${PATIENTS * STUDIES_PER_PATIENT} studies, ${instances} instances (written in ${ms(writeMs)} ms); ${RUNS} runs per query; Node ${process.version}`);

    mkdirSync(join(tmp.path, "dicomtls"), { recursive: true });
    const dicomtlsOptions = { dir: join(tmp.path, "dicomtls"), pki, config: { DicomAlwaysAllowFind: true, SyncStorageArea: false }, built: true, ...(SERVER_BIN !== undefined && { serverBin: SERVER_BIN }) };
    const loader = await startDicomTls(dicomtlsOptions);
    const orthanc = await startOrthanc({
      dir: join(tmp.path, "orthanc"),
      dicomPort: await freePort(),
      httpPort: await freePort(),
      config: { DicomTlsEnabled: true, DicomTlsCertificate: pki.nodeCert, DicomTlsPrivateKey: pki.nodeKey, DicomTlsTrustedCertificates: pki.caCert, DicomAlwaysAllowFind: true },
    });
    console.log(`loaded into dicomtls with storescu +tls in ${ms(await storeInto(pki, { label: "dicomtls", port: loader.port, aet: loader.aet }, folder))} ms`);
    console.log(`loaded into orthanc with storescu +tls in ${ms(await storeInto(pki, { label: "orthanc", port: orthanc.dicomPort, aet: orthanc.aet }, folder))} ms`);
    // A fresh server on the loaded store: its runtime-stats (event-loop delay) then cover the queries only.
    await loader.stop();
    const dicomtls = await startDicomTls(dicomtlsOptions);
    const nodes: Node[] = [
      { label: "dicomtls", port: dicomtls.port, aet: dicomtls.aet },
      { label: "orthanc", port: orthanc.dicomPort, aet: orthanc.aet },
    ];

    const ctx = await loadTlsContext({ certificateFile: pki.clientCert, privateKeyFile: pki.clientKey, trustedCertificatesFile: pki.caCert });
    const tlsFor = (node: Node): NonNullable<FindOptions["tls"]> => buildClientOptions(ctx, { host: "127.0.0.1", port: node.port });
    const sessions = new Map<string, FindSession>();
    for (const node of nodes) {
      sessions.set(node.label, await openFindSession({ host: "127.0.0.1", port: node.port, callingAeTitle: "BENCHSCU", calledAeTitle: node.aet, tls: tlsFor(node), timeouts: { dimseMs: 120_000 } }));
    }
    const inSession: Results = new Map();
    const perAssociation: Results = new Map();
    const wide = QUERIES.at(-1)!;
    // Interleaved: run r of every query on both nodes before run r + 1, so load from other jobs hits both alike.
    const t0 = performance.now();
    for (let run = 0; run < RUNS; run++) {
      for (const q of QUERIES) for (const node of nodes) record(inSession, `${q.name}|${node.label}`, await runOnSession(sessions.get(node.label)!, q));
    }
    for (const session of sessions.values()) await session.release();
    for (let run = 0; run < ASSOC_RUNS; run++) {
      for (const q of QUERIES) {
        if (q === wide) continue;
        for (const node of nodes) record(perAssociation, `${q.name}|${node.label}`, await runQuery(node, tlsFor(node), q));
      }
    }
    const queryMs = performance.now() - t0;
    await dicomtls.stop();
    await orthanc.stop();
    const stats = dicomtls.records().find((r) => r["event"] === "runtime-stats");

    console.log("");
    const p50 = (results: Results, key: string): number => percentile(results.get(key)?.total ?? [], 50);
    const rows = QUERIES.map((q) => {
      const d = inSession.get(`${q.name}|dicomtls`)!;
      const o = inSession.get(`${q.name}|orthanc`)!;
      const dp50 = percentile(d.total, 50);
      const op50 = percentile(o.total, 50);
      const da = p50(perAssociation, `${q.name}|dicomtls`);
      const oa = p50(perAssociation, `${q.name}|orthanc`);
      const assoc = Number.isNaN(da) ? ["-", "-", "-"] : [ms(da), ms(oa), ratio(da, oa)];
      return [q.name, String(d.matches), String(o.matches), ms(dp50), ms(percentile(d.total, 99)), ms(op50), ms(percentile(o.total, 99)), ratio(dp50, op50), ...assoc];
    });
    printTable(["query", "matches", "orthanc matches", "dicomtls p50 ms", "p99 ms", "orthanc p50 ms", "p99 ms", "p50 ratio", "new assoc: dicomtls p50", "orthanc p50", "ratio"], rows);
    const wd = inSession.get(`${wide.name}|dicomtls`)!;
    const wo = inSession.get(`${wide.name}|orthanc`)!;
    console.log("");
    console.log(`first answer of "${wide.name}" (${wd.matches} matches, inside the open association): dicomtls p50 ${ms(percentile(wd.first, 50))} ms p99 ${ms(percentile(wd.first, 99))} ms, orthanc p50 ${ms(percentile(wo.first, 50))} ms p99 ${ms(percentile(wo.first, 99))} ms`);
    console.log(`queries took ${ms(queryMs / 1000)} s (${RUNS} runs in one association per node, ${ASSOC_RUNS} on new associations); load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
    if (stats !== undefined) {
      console.log(`dicomtls-server while serving the queries: event-loop delay p99 ${String(stats["loopDelayP99Ms"])} ms, max ${String(stats["loopDelayMaxMs"])} ms, GC max pause ${String(stats["gcMaxPauseMs"])} ms, peak RSS ${String(stats["peakRssMb"])} MB`);
    }
  } finally {
    await stopAll();
    tmp.remove();
  }
}

await main();
