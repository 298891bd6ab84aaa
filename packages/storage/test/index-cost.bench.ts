/**
 * What the hierarchy costs and gives (numbers for the README; never asserted): the index row of an instance written
 * as the C-STORE path writes it (one transaction per instance, with its hierarchy), on a deterministic set of
 * 1,000 patients / 2,000 studies / 4,000 series / N instances (100,000 by default), then the time of typical finds
 * (median of 5): to the first record and to the last, and the longest synchronous stretch (one page) of each.
 *
 *   node --conditions=dicomtls-source --import tsx packages/storage/test/index-cost.bench.ts [instances]
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { tempDir } from "@dicomtls/test-peers";
import { QueryLevel, type IndexQuery } from "../src/index.js";
import { SqliteIndex, type IndexedInstance } from "../src/sqlite-index.js";
import { SqliteIndexStore } from "../src/sqlite-index-store.js";

const N = Number(process.argv[2] ?? 100_000);
const PATIENTS = 1_000;
const STUDIES = 2_000;
const SERIES_PER_STUDY = 2;
const MODALITIES = ["CT", "MR", "US", "CR", "PT"];

function instance(k: number): IndexedInstance {
  const study = k % STUDIES;
  const patient = study % PATIENTS;
  const series = study * SERIES_PER_STUDY + (Math.floor(k / STUDIES) % SERIES_PER_STUDY);
  const date = `20${String(10 + (study % 15)).padStart(2, "0")}${String(1 + (study % 12)).padStart(2, "0")}${String(1 + (study % 28)).padStart(2, "0")}`;
  return {
    sopInstanceUid: `1.2.826.0.1.3680043.9.7433.50.${k}`,
    sopClassUid: "1.2.840.10008.5.1.4.1.1.2",
    transferSyntaxUid: "1.2.840.10008.1.2.1",
    relativePath: `00/1.2.826.0.1.3680043.9.7433.50.${k}.dcm`,
    size: 524_288,
    receivedAt: new Date(0).toISOString(),
    patientId: `PAT${String(patient).padStart(4, "0")}`,
    studyInstanceUid: `1.2.826.0.1.3680043.9.7433.51.${study}`,
    seriesInstanceUid: `1.2.826.0.1.3680043.9.7433.52.${series}`,
    tags: {
      PatientName: `NAME${String(patient).padStart(4, "0")}^GIVEN`,
      PatientBirthDate: "19700101",
      PatientSex: patient % 2 === 0 ? "F" : "M",
      StudyDate: date,
      StudyTime: "101500",
      AccessionNumber: `ACC${study}`,
      StudyDescription: "BENCH",
      Modality: MODALITIES[series % MODALITIES.length]!,
      SeriesNumber: String(series % SERIES_PER_STUDY),
      InstanceNumber: String(k),
    },
  };
}

const dir = tempDir("index-cost-");
const index = new SqliteIndex(join(dir.path, "index.sqlite"));
// The same rows into the flat table of schema 2 (the code before the hierarchy), interleaved in blocks so that both see
// the same load on this shared machine: the ratio is the number to read, not the microseconds.
const flat = new Database(join(dir.path, "flat.sqlite"));
flat.pragma("journal_mode = WAL");
flat.pragma("synchronous = NORMAL");
flat.exec(`CREATE TABLE instances (sop_instance_uid TEXT PRIMARY KEY, sop_class_uid TEXT NOT NULL, transfer_syntax_uid TEXT NOT NULL,
  patient_id TEXT, patient_name TEXT, study_instance_uid TEXT, series_instance_uid TEXT, study_date TEXT, modality TEXT,
  accession_number TEXT, path TEXT NOT NULL, size INTEGER NOT NULL, received_at TEXT NOT NULL, source_ae_title TEXT,
  peer_address TEXT, peer_certificate_fingerprint TEXT);
  CREATE INDEX instances_study ON instances (study_instance_uid); CREATE INDEX instances_series ON instances (series_instance_uid);
  CREATE INDEX instances_patient ON instances (patient_id); CREATE INDEX instances_path ON instances (path);`);
const flatInsert = flat.prepare(
  "INSERT OR REPLACE INTO instances (sop_instance_uid, sop_class_uid, transfer_syntax_uid, patient_id, patient_name, study_instance_uid, series_instance_uid, study_date, modality, accession_number, path, size, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
);
const BLOCK = 1_000;
let hierarchyMs = 0;
let flatMs = 0;
const tenths: string[] = [];
for (let from = 0; from < N; from += BLOCK) {
  let t = performance.now();
  for (let k = from; k < from + BLOCK; k++) index.upsert(instance(k));
  const h = performance.now() - t;
  t = performance.now();
  for (let k = from; k < from + BLOCK; k++) {
    const i = instance(k);
    flatInsert.run(i.sopInstanceUid, i.sopClassUid, i.transferSyntaxUid, i.patientId, i.tags!["PatientName"], i.studyInstanceUid, i.seriesInstanceUid, i.tags!["StudyDate"], i.tags!["Modality"], i.tags!["AccessionNumber"], i.relativePath, i.size, i.receivedAt);
  }
  const f = performance.now() - t;
  hierarchyMs += h;
  flatMs += f;
  if ((from + BLOCK) % (N / 10) === 0) tenths.push(`${((hierarchyMs * 1000) / (from + BLOCK)).toFixed(0)}/${((flatMs * 1000) / (from + BLOCK)).toFixed(0)}`);
}
flat.close();
console.log(`insert ${N} instances, one transaction each: hierarchy ${((hierarchyMs * 1000) / N).toFixed(1)} us/instance, flat schema 2 ${((flatMs * 1000) / N).toFixed(1)} us/instance: ratio ${(hierarchyMs / flatMs).toFixed(2)}`);
console.log(`  running averages at each tenth, hierarchy/flat (us): ${tenths.join(" ")}`);

const store = new SqliteIndexStore(index, dir.path, () => undefined);
const queries: Array<[string, IndexQuery]> = [
  ["STUDY PatientID exact", { level: QueryLevel.Study, conditions: [{ keyword: "PatientID", anyOf: ["PAT0123"] }] }],
  ["STUDY PatientName prefix, case-insensitive", { level: QueryLevel.Study, conditions: [{ keyword: "PatientName", prefix: "name012", caseInsensitive: true }] }],
  ["STUDY StudyDate range (one year)", { level: QueryLevel.Study, conditions: [{ keyword: "StudyDate", from: "20150101", to: "20151231" }] }],
  ["STUDY AccessionNumber exact", { level: QueryLevel.Study, conditions: [{ keyword: "AccessionNumber", anyOf: ["ACC777"] }] }],
  ["STUDY ModalitiesInStudy MR", { level: QueryLevel.Study, conditions: [{ keyword: "ModalitiesInStudy", anyOf: ["MR"] }] }],
  ["STUDY all", { level: QueryLevel.Study }],
  ["PATIENT all", { level: QueryLevel.Patient }],
  ["SERIES of one study", { level: QueryLevel.Series, conditions: [{ keyword: "StudyInstanceUID", anyOf: ["1.2.826.0.1.3680043.9.7433.51.5"] }] }],
  ["IMAGE of one series", { level: QueryLevel.Image, conditions: [{ keyword: "SeriesInstanceUID", anyOf: ["1.2.826.0.1.3680043.9.7433.52.11"] }] }],
  ["IMAGE SOPInstanceUID list of 3", { level: QueryLevel.Image, conditions: [{ keyword: "SOPInstanceUID", anyOf: ["1.2.826.0.1.3680043.9.7433.50.1", "1.2.826.0.1.3680043.9.7433.50.500", "1.2.826.0.1.3680043.9.7433.50.9999"] }] }],
  ["IMAGE PatientName prefix (10% of instances)", { level: QueryLevel.Image, conditions: [{ keyword: "PatientName", prefix: "NAME00", caseInsensitive: true }] }],
];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log("\nquery | matches | first record ms | all ms | longest page ms (median of 5)");
for (const [name, q] of queries) {
  const firsts: number[] = [];
  const alls: number[] = [];
  const pages: number[] = [];
  let matches = 0;
  for (let run = 0; run < 5; run++) {
    const start = performance.now();
    let first = 0;
    let last = start;
    let longest = 0;
    matches = 0;
    for await (const _ of store.find(q)) {
      const now = performance.now();
      if (matches === 0) first = now - start;
      // A gap between two records is a page read (records of one page come back to back).
      longest = Math.max(longest, now - last);
      last = now;
      matches++;
    }
    firsts.push(first);
    alls.push(performance.now() - start);
    pages.push(longest);
  }
  console.log(`${name} | ${matches} | ${median(firsts).toFixed(2)} | ${median(alls).toFixed(2)} | ${median(pages).toFixed(2)}`);
}
index.close();
dir.remove();
