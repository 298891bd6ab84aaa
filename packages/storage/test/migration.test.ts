/**
 * An index written by the code before the hierarchy (schema 2: one flat table) is migrated when the store opens: the
 * hierarchy is built from its rows, the main tags the rows lack are read back from the files; `storage check` covers
 * the hierarchy's tables and `rebuildIndex` repairs them.
 */
import assert from "node:assert/strict";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { datasetChunks, makeDataset, resolveSpec, tempDir, type SyntheticDatasetSpec } from "@dicomtls/test-peers";
import { parseDatasetHeader } from "@dicomtls/dataset";
import { checkStorage, DisagreementKind, FileSystemInstanceStore, INDEX_FILE_NAME, QueryLevel, rebuildIndex, type IndexQuery, type IndexRecord, type IndexStore } from "../src/index.js";
import { SqliteIndex } from "../src/sqlite-index.js";

const IMPLEMENTATION_CLASS_UID = "1.2.826.0.1.3680043.9.7433.1.1";
const readIdentifiers = (prefix: Uint8Array, ts: string) => parseDatasetHeader(prefix, ts);
const dirs: Array<{ remove: () => void }> = [];
after(() => dirs.forEach((d) => d.remove()));

function newFolder(): string {
  const d = tempDir("storage-migration-");
  dirs.push(d);
  return join(d.path, "store");
}

/**
 * The schema-2 DDL, copied from packages/storage/src/sqlite-index.ts `migrate()` on main at b127394 (the code before
 * the hierarchy), so this test keeps an index of that code whatever the current schema becomes.
 */
const V2_DDL = `
  CREATE TABLE IF NOT EXISTS instances (
    sop_instance_uid TEXT PRIMARY KEY,
    sop_class_uid TEXT NOT NULL,
    transfer_syntax_uid TEXT NOT NULL,
    patient_id TEXT,
    patient_name TEXT,
    study_instance_uid TEXT,
    series_instance_uid TEXT,
    study_date TEXT,
    modality TEXT,
    accession_number TEXT,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    source_ae_title TEXT,
    peer_address TEXT,
    peer_certificate_fingerprint TEXT
  );
  CREATE INDEX IF NOT EXISTS instances_study ON instances (study_instance_uid);
  CREATE INDEX IF NOT EXISTS instances_series ON instances (series_instance_uid);
  CREATE INDEX IF NOT EXISTS instances_patient ON instances (patient_id);
  CREATE INDEX IF NOT EXISTS instances_path ON instances (path);
  PRAGMA user_version = 2;
`;

/** Files as the store writes them (the file format did not change), then the index replaced by a schema-2 one. */
async function v2Store(folder: string, specs: SyntheticDatasetSpec[], extraRows: Array<{ uid: string; path: string }> = []): Promise<void> {
  const s = await FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID, sync: false });
  const rows: unknown[][] = [];
  for (const spec of specs) {
    const r = resolveSpec(spec);
    const w = await s.begin({ sopClassUid: r.sopClassUid, sopInstanceUid: r.sopInstanceUid, transferSyntaxUid: r.transferSyntax, sourceAeTitle: "OLDMODALITY" });
    for (const chunk of datasetChunks(spec, 65_536)) await w.write(chunk);
    const result = await w.commit();
    // The row schema-2 code wrote: the identifiers its parser picked (no other tag), where, size, when, who.
    const h = parseDatasetHeader(makeDataset(spec), r.transferSyntax);
    rows.push([r.sopInstanceUid, r.sopClassUid, r.transferSyntax, h.patientId, h.patientName, h.studyInstanceUid, h.seriesInstanceUid, h.studyDate, h.modality, h.accessionNumber, result.relativePath, result.size, new Date().toISOString(), "OLDMODALITY"]);
  }
  await s.close();
  for (const f of readdirSync(folder).filter((f) => f.startsWith(INDEX_FILE_NAME))) rmSync(join(folder, f));
  const db = new Database(join(folder, INDEX_FILE_NAME));
  db.pragma("journal_mode = WAL");
  db.exec(V2_DDL);
  const insert = db.prepare(
    "INSERT INTO instances (sop_instance_uid, sop_class_uid, transfer_syntax_uid, patient_id, patient_name, study_instance_uid, series_instance_uid, study_date, modality, accession_number, path, size, received_at, source_ae_title) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  for (const row of rows) insert.run(...row);
  for (const e of extraRows) insert.run(e.uid, "1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.1.2.1", "P1", null, "1.2.9.1", "1.2.9.2", null, "CT", null, e.path, 10, new Date().toISOString(), null);
  db.close();
}

async function all(idx: IndexStore, level: QueryLevel, conditions: IndexQuery["conditions"] = []): Promise<IndexRecord[]> {
  const out: IndexRecord[] = [];
  for await (const r of idx.find({ level, conditions })) out.push(r);
  return out;
}

const STUDY = "1.2.826.0.1.3680043.9.7433.97.1";
const FIXTURE: SyntheticDatasetSpec[] = [
  { seed: 41, patientId: "OLD1", patientName: "OLD^ONE", studyInstanceUid: STUDY, seriesInstanceUid: `${STUDY}.1`, modality: "CT" },
  { seed: 42, patientId: "OLD1", patientName: "OLD^ONE", studyInstanceUid: STUDY, seriesInstanceUid: `${STUDY}.2`, modality: "PT" },
  { seed: 43, patientId: "OLD2", patientName: "OLD^TWO" },
];

describe("migration of a schema-2 index", () => {
  it("opens, builds the hierarchy with the tags read from the files, and answers queries; check agrees after", async () => {
    const folder = newFolder();
    await v2Store(folder, FIXTURE, [{ uid: "1.2.9.3", path: "00/1.2.9.3.dcm" }]);
    // Before: check reports the missing hierarchy (and the row without a file), and changes nothing.
    const before = await checkStorage({ folder, readIdentifiers });
    assert.deepEqual(before.disagreements.map((d) => d.kind).sort(), [DisagreementKind.HierarchyDiffers, DisagreementKind.RowWithoutFile]);
    assert.equal(before.levels, undefined);

    const s = await FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID, readIdentifiers });
    assert.deepEqual({ ...s.migration, durationMs: 0 }, { fromVersion: 2, rows: 4, withoutFile: 1, durationMs: 0 });
    assert.deepEqual(s.recovery.removedRows, [{ sopInstanceUid: "1.2.9.3", path: "00/1.2.9.3.dcm" }]);
    const idx = s.queryIndex();
    assert.deepEqual([await idx.count(QueryLevel.Patient), await idx.count(QueryLevel.Study), await idx.count(QueryLevel.Series), await idx.count(QueryLevel.Image)], [2, 2, 3, 3]);
    const [study] = await all(idx, QueryLevel.Study, [{ keyword: "StudyInstanceUID", anyOf: [STUDY] }]);
    assert.ok(study);
    // StudyTime and PatientBirthDate were in no schema-2 row: read back from the files.
    assert.deepEqual(
      [study.attributes["PatientName"], study.attributes["StudyTime"], study.attributes["PatientBirthDate"], study.attributes["ModalitiesInStudy"], study.attributes["NumberOfStudyRelatedInstances"]],
      ["OLD^ONE", "101010", "19700101", "CT\\PT", "2"],
    );
    const names = await all(idx, QueryLevel.Patient, [{ keyword: "PatientName", prefix: "old^t", caseInsensitive: true }]);
    assert.deepEqual(names.map((p) => p.attributes["PatientID"]), ["OLD2"]);
    // The rows themselves are what they were (reception time, calling AE).
    assert.equal((await s.get(resolveSpec(FIXTURE[0]).sopInstanceUid))?.sourceAeTitle, "OLDMODALITY");
    await s.close();

    const again = await FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID, readIdentifiers });
    assert.equal(again.migration, undefined, "migrated once");
    await again.close();
    const report = await checkStorage({ folder, readIdentifiers });
    assert.deepEqual(report.disagreements, []);
    assert.deepEqual(report.levels, { patients: 2, studies: 2, series: 3, instances: 3 });
  });

  it("an interrupted migration (tables made, version still 2) is done again from the start", async () => {
    const folder = newFolder();
    await v2Store(folder, FIXTURE);
    // What a kill during the migration leaves: the new tables, part of a hierarchy, version 2.
    const partial = new SqliteIndex(join(folder, INDEX_FILE_NAME));
    assert.equal(partial.needsHierarchy, true);
    partial.db.exec("INSERT INTO patients (PatientID) VALUES ('HALF')");
    partial.close();
    const s = await FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID, readIdentifiers });
    assert.equal(s.migration?.rows, 3);
    assert.deepEqual((await all(s.queryIndex(), QueryLevel.Patient)).map((p) => p.attributes["PatientID"]), ["OLD1", "OLD2"]);
    await s.close();
    assert.deepEqual((await checkStorage({ folder, readIdentifiers })).disagreements, []);
  });
});

describe("storage check and reindex cover the hierarchy", () => {
  it("a missing link, an extra row and a wrong count are disagreements; rebuildIndex repairs them", async () => {
    const folder = newFolder();
    await v2Store(folder, FIXTURE);
    await (await FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID, readIdentifiers })).close();
    const db = new Database(join(folder, INDEX_FILE_NAME));
    db.prepare("UPDATE instances SET series_id = NULL WHERE sop_instance_uid = ?").run(resolveSpec(FIXTURE[2]).sopInstanceUid);
    db.exec("INSERT INTO patients (PatientID) VALUES ('EXTRA')");
    db.exec(`UPDATE series SET NumberOfSeriesRelatedInstances = 5 WHERE SeriesInstanceUID = '${STUDY}.1'`);
    db.close();
    const report = await checkStorage({ folder, readIdentifiers });
    const details = report.disagreements.map((d) => `${d.kind} ${d.detail}`);
    assert.ok(report.disagreements.every((d) => d.kind === DisagreementKind.HierarchyDiffers), details.join("\n"));
    const expect = [
      /in no series of the hierarchy/,
      /patients row "EXTRA" has no studies/,
      new RegExp(`series row ${STUDY}\\.1: NumberOfSeriesRelatedInstances is 5, its instance rows give 1`),
      /series row .*: NumberOfSeriesRelatedInstances is 1, its instance rows give 0/,
    ];
    for (const re of expect) assert.ok(details.some((d) => re.test(d)), `${re} in\n${details.join("\n")}`);
    assert.equal(report.disagreements.find((d) => /in no series/.test(d.detail))?.sopInstanceUid, resolveSpec(FIXTURE[2]).sopInstanceUid);

    assert.equal((await rebuildIndex({ folder, readIdentifiers })).indexed, 3);
    const repaired = await checkStorage({ folder, readIdentifiers });
    assert.deepEqual(repaired.disagreements, []);
    assert.deepEqual(repaired.levels, { patients: 2, studies: 2, series: 3, instances: 3 });
  });
});

describe("migration of a schema-3 index (to 4: three indexes of instances dropped)", () => {
  /** The three indexes schema 3 had on `instances` (packages/storage/src/schema.ts at 536b9a0): all a v3 index has more. */
  const V3_INDEXES = `
    CREATE INDEX instances_study ON instances (study_instance_uid);
    CREATE INDEX instances_series ON instances (series_instance_uid);
    CREATE INDEX instances_patient ON instances (patient_id);
    PRAGMA user_version = 3;`;
  const indexNames = (folder: string): string[] => {
    const db = new Database(join(folder, INDEX_FILE_NAME), { readonly: true });
    try {
      return db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'instances' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
    } finally {
      db.close();
    }
  };

  it("drops the indexes without rebuilding the hierarchy; rows, levels and list filters stay as they were", async () => {
    const folder = newFolder();
    const s = await FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID, readIdentifiers });
    for (const spec of FIXTURE) {
      const r = resolveSpec(spec);
      const w = await s.begin({ sopClassUid: r.sopClassUid, sopInstanceUid: r.sopInstanceUid, transferSyntaxUid: r.transferSyntax, sourceAeTitle: "V3MODALITY" });
      for (const chunk of datasetChunks(spec, 4096)) await w.write(chunk);
      await w.commit(parseDatasetHeader(makeDataset(spec), r.transferSyntax));
    }
    const rowsBefore = await s.list();
    await s.close();
    const db = new Database(join(folder, INDEX_FILE_NAME));
    db.exec(V3_INDEXES);
    db.close();
    assert.deepEqual(indexNames(folder), ["instances_path", "instances_patient", "instances_series", "instances_series_id", "instances_study"]);
    const asV3 = await checkStorage({ folder, readIdentifiers });
    assert.deepEqual(asV3.disagreements, [], "a v3 index has its hierarchy: check does not ask for a migration");
    assert.deepEqual(asV3.levels, { patients: 2, studies: 2, series: 3, instances: 3 });

    const v4 = await FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID, readIdentifiers });
    assert.equal(v4.migration, undefined, "no hierarchy rebuild");
    assert.equal(v4.index.schemaVersion, 4);
    assert.deepEqual(await v4.list(), rowsBefore, "every row as it was (reception time, calling AE)");
    assert.deepEqual((await v4.list({ patientId: "OLD1" })).map((r) => r.sopInstanceUid).sort(), [resolveSpec(FIXTURE[0]).sopInstanceUid, resolveSpec(FIXTURE[1]).sopInstanceUid].sort());
    assert.deepEqual((await v4.list({ studyInstanceUid: STUDY, seriesInstanceUid: `${STUDY}.2` })).map((r) => r.sopInstanceUid), [resolveSpec(FIXTURE[1]).sopInstanceUid]);
    assert.deepEqual((await v4.list({ seriesInstanceUid: resolveSpec(FIXTURE[2]).seriesInstanceUid })).map((r) => r.sopInstanceUid), [resolveSpec(FIXTURE[2]).sopInstanceUid]);
    assert.deepEqual(await v4.list({ patientId: "NOBODY" }), []);
    await v4.close();
    assert.deepEqual(indexNames(folder), ["instances_path", "instances_series_id"]);
    const report = await checkStorage({ folder, readIdentifiers });
    assert.deepEqual(report.disagreements, []);
    assert.deepEqual(report.levels, { patients: 2, studies: 2, series: 3, instances: 3 });
  });

  it("list finds an instance outside the hierarchy (no Study or Series UID) by its patient", () => {
    const index = new SqliteIndex(`${newFolder()}-index.sqlite`);
    const row = { sopInstanceUid: "1.2.9.77", sopClassUid: "1.2.840.10008.5.1.4.1.1.7", transferSyntaxUid: "1.2.840.10008.1.2.1", relativePath: "00/1.2.9.77.dcm", size: 10, receivedAt: new Date(0).toISOString(), patientId: "LOOSE" };
    index.upsert(row);
    assert.deepEqual(index.list({ patientId: "LOOSE" }).map((r) => r.sopInstanceUid), ["1.2.9.77"]);
    index.close();
  });
});
