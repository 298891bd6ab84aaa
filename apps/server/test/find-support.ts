/**
 * Shared setup of the find-*.interop tests: the fixture of query-retrieve-facts §9 (studies A-F) as Part 10 files
 * written here (identifier encoder + File Meta, no pixel data), loaded with DCMTK storescu over TLS, and findscu
 * over TLS with its output parsed into answers.
 */
import { strict as assert } from "node:assert";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { IMPLEMENTATION_CLASS_UID } from "@dicomtls/association";
import { encodeIdentifier, parseDatasetHeader } from "@dicomtls/dataset";
import { FileSystemInstanceStore } from "@dicomtls/storage";
import { identifiersOf } from "../src/plugins/storage.js";
import { dcmtkEnv, makeFileMeta, runProcess, type RunResult } from "@dicomtls/test-peers";
import type { NodeFiles } from "./store-support.js";

const EXPLICIT_LE = "1.2.840.10008.1.2.1";
export const CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2";
export const MR_IMAGE = "1.2.840.10008.5.1.4.1.1.4";
export const PARAMETRIC_MAP = "1.2.840.10008.5.1.4.1.1.30";
const ROOT = "1.2.826.0.1.3680043.10.1172";

/** The Study Instance UID of fixture study `n` (…1 for A, …2 for B, …3 for C, …4 for D, …5 for E, …9 for F). */
export const studyUid = (n: number): string => `${ROOT}.${n}`;
export const seriesUid = (n: number): string => `${ROOT}.${n}.1`;
export const instanceUid = (n: number, i: number): string => `${ROOT}.${n}.1.${i}`;

interface StudySpec {
  readonly n: number;
  readonly patientId: string;
  readonly patientName: string;
  readonly studyDate: string;
  readonly studyTime: string;
  readonly accession: string;
  readonly modality: string;
  readonly sopClassUid: string;
  readonly instances: number;
}

/** query-retrieve-facts §9 fixture: A..F (F holds 300 instances for the cancel tests). */
export const FIXTURE: Readonly<Record<"A" | "B" | "C" | "D" | "E" | "F", StudySpec>> = {
  A: { n: 1, patientId: "PAT001", patientName: "Doe^John", studyDate: "20200115", studyTime: "101500", accession: "ACC001", modality: "CT", sopClassUid: CT_IMAGE, instances: 2 },
  B: { n: 2, patientId: "PAT001", patientName: "Doe^John", studyDate: "20210620", studyTime: "235959", accession: "ACC002", modality: "MR", sopClassUid: MR_IMAGE, instances: 1 },
  C: { n: 3, patientId: "pat002", patientName: "Dupont^Émilie", studyDate: "20220301", studyTime: "080000", accession: "ACC003", modality: "CT", sopClassUid: CT_IMAGE, instances: 1 },
  D: { n: 4, patientId: "PAT003", patientName: "doe^jane", studyDate: "19991231", studyTime: "120000", accession: "ACC004", modality: "OT", sopClassUid: PARAMETRIC_MAP, instances: 1 },
  E: { n: 5, patientId: "PAT005", patientName: "Roe^Ann", studyDate: "", studyTime: "101500", accession: "ACC005", modality: "CT", sopClassUid: CT_IMAGE, instances: 1 },
  F: { n: 9, patientId: "PAT009", patientName: "Bulk^Test", studyDate: "20000101", studyTime: "130000", accession: "ACC009", modality: "CT", sopClassUid: CT_IMAGE, instances: 300 },
};

/** One instance's data set (Explicit VR Little Endian) holding `keys`, for `loadStore`. */
export function instanceDataset(sopClassUid: string, sopInstanceUid: string, keys: Record<string, string>): { sopClassUid: string; sopInstanceUid: string; dataset: Uint8Array } {
  return { sopClassUid, sopInstanceUid, dataset: encodeIdentifier({ ...keys, SOPClassUID: sopClassUid, SOPInstanceUID: sopInstanceUid }, { transferSyntaxUid: EXPLICIT_LE }) };
}

/**
 * Writes instances into a storage folder through the store API (what the storage plugin does per C-STORE, without
 * the network), before a server opens it: the fast way to load thousands of instances. Returns how many were stored.
 */
export async function loadStore(folder: string, instances: Iterable<{ sopClassUid: string; sopInstanceUid: string; dataset: Uint8Array }>): Promise<number> {
  const store = await FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID, sync: false });
  let n = 0;
  const source = instances[Symbol.iterator]();
  // Several writes in flight, as several associations would: each spends most of its time waiting on file calls.
  const worker = async (): Promise<void> => {
    for (let next = source.next(); next.done !== true; next = source.next()) {
      const i = next.value;
      const writer = await store.begin({ sopClassUid: i.sopClassUid, sopInstanceUid: i.sopInstanceUid, transferSyntaxUid: EXPLICIT_LE, sourceAeTitle: "LOADER" });
      await writer.write(i.dataset);
      await writer.commit(identifiersOf(parseDatasetHeader(i.dataset, EXPLICIT_LE)));
      n++;
    }
  };
  try {
    await Promise.all(Array.from({ length: 16 }, worker));
  } finally {
    await store.close();
  }
  return n;
}

/** The fixture's instances as data sets, for `loadStore` (or `writeFixture`). */
export function* fixtureInstances(): Generator<ReturnType<typeof instanceDataset> & { file: string }> {
  for (const s of Object.values(FIXTURE)) {
    for (let i = 1; i <= s.instances; i++) {
      const keys = {
        PatientID: s.patientId,
        PatientName: s.patientName,
        PatientComments: "",
        StudyInstanceUID: studyUid(s.n),
        StudyDate: s.studyDate,
        StudyTime: s.studyTime,
        AccessionNumber: s.accession,
        StudyDescription: `Study ${s.n}`,
        SeriesInstanceUID: seriesUid(s.n),
        SeriesNumber: "1",
        Modality: s.modality,
        InstanceNumber: String(i),
      };
      yield { ...instanceDataset(s.sopClassUid, instanceUid(s.n, i), keys), file: `${s.n}-${i}.dcm` };
    }
  }
}

/** Writes the fixture's instances as Part 10 files under `dir`; returns their paths. */
export function writeFixture(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const paths: string[] = [];
  for (const i of fixtureInstances()) {
    const meta = makeFileMeta({ mediaStorageSopClassUid: i.sopClassUid, mediaStorageSopInstanceUid: i.sopInstanceUid, transferSyntaxUid: EXPLICIT_LE });
    const path = join(dir, i.file);
    writeFileSync(path, Buffer.concat([meta, i.dataset]));
    paths.push(path);
  }
  return paths;
}

/** storescu +tls of a folder (-R: propose only the classes of the files), every file acknowledged. */
export async function storeFolder(files: NodeFiles, port: number, folder: string): Promise<void> {
  const r = await runProcess(
    "storescu",
    ["-aet", "STORESCU", "-aec", "DICOMTLS", "+tls", files.clientKey, files.clientCert, "+cf", files.caFile, "-R", "+sd", "127.0.0.1", String(port), folder],
    { env: dcmtkEnv(), timeoutMs: 300_000 },
  );
  assert.equal(r.code, 0, r.output.slice(-4000));
  assert.doesNotMatch(r.output, /Store Failed|E: /, r.output.slice(-4000));
}

/** findscu +tls (always -S or -P: its default -W is the worklist model). */
export async function findscuTls(files: NodeFiles, port: number, model: "-S" | "-P", args: readonly string[], timeoutMs = 120_000): Promise<RunResult> {
  return await runProcess(
    "findscu",
    ["-v", model, "-aet", "FINDSCU", "-aec", "DICOMTLS", "+tls", files.clientKey, files.clientCert, "+cf", files.caFile, "127.0.0.1", String(port), ...args],
    { env: dcmtkEnv(), timeoutMs },
  );
}

/** One Pending answer as findscu -v printed it: keyword -> raw value ("" for zero-length, as DCMTK prints "(no value available)"). */
export type FoundAnswer = Record<string, string>;

export interface FindscuOutcome {
  readonly answers: FoundAnswer[];
  /** The final status name findscu printed: "Success", "Cancel: ...", "Failed: ...", or undefined. */
  readonly final: string | undefined;
  /** The final response's text ("DataSetType!=NULL" warnings and all): what followed the last answer. */
  readonly output: string;
}

/**
 * Parses findscu -v: "Find Response: N (Pending)" blocks of "(gggg,eeee) VR [value] # len, vm Keyword" lines,
 * then "Received Final Find Response (STATUS)".
 */
export function parseFindscu(output: string): FindscuOutcome {
  const answers: FoundAnswer[] = [];
  let current: FoundAnswer | undefined;
  for (const line of output.split("\n")) {
    if (/Find Response: \d+ \(Pending/.test(line)) {
      current = {};
      answers.push(current);
      continue;
    }
    if (/Received Final Find Response/.test(line)) current = undefined;
    const m = /\([0-9a-f]{4},[0-9a-f]{4}\) [A-Z]{2} (?:\[(.*)\]|\(no value available\)|=\S*|\(Sequence.*\))\s+#\s*\d+,\s*\d+\s+(\S+)/.exec(line);
    // Values are printed with their padding (a space, or a NUL shown as is for UI).
    if (m !== null && current !== undefined) current[m[2]!] = (m[1] ?? "").replace(/[\0 ]+$/, "");
  }
  const final = /Received Final Find Response \(([^)]*)\)/.exec(output)?.[1];
  return { answers, final, output };
}
