/**
 * Issue 10, "what must be shown" 8: a store written by the code before the hierarchy (index schema 2: one flat table)
 * is opened by the built server, which migrates it (one `storage-migrated` record, before the port opens); a
 * storescu then stores into one of its studies; `dicomtls storage check` agrees, and the hierarchy answers queries
 * with the main tags read back from the old files and, for the new instance, parsed in the server's worker.
 */
import { strict as assert } from "node:assert";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import Database from "better-sqlite3";
import { parseDatasetHeader } from "@dicomtls/dataset";
import { FileSystemInstanceStore, INDEX_FILE_NAME, instanceRelativePath, QueryLevel, type IndexRecord } from "@dicomtls/storage";
import {
  dcmtkEnv,
  freePort,
  makeDataset,
  resolveSpec,
  runCli,
  runProcess,
  startServer,
  stopAll,
  tempDir,
  writePart10File,
  type SyntheticDatasetSpec,
} from "@dicomtls/test-peers";
import { requirePeers, writeConfig } from "./helpers.js";

requirePeers("storescu");
const tmp = tempDir("dicomtls-migration-");
after(async () => {
  await stopAll();
  tmp.remove();
});

/**
 * The schema-2 DDL, copied from packages/storage/src/sqlite-index.ts `migrate()` on main at b127394 (the last code
 * before the hierarchy; packages/storage/test/migration.test.ts holds the same copy).
 */
const V2_DDL = `
  CREATE TABLE IF NOT EXISTS instances (
    sop_instance_uid TEXT PRIMARY KEY, sop_class_uid TEXT NOT NULL, transfer_syntax_uid TEXT NOT NULL,
    patient_id TEXT, patient_name TEXT, study_instance_uid TEXT, series_instance_uid TEXT, study_date TEXT,
    modality TEXT, accession_number TEXT, path TEXT NOT NULL, size INTEGER NOT NULL, received_at TEXT NOT NULL,
    source_ae_title TEXT, peer_address TEXT, peer_certificate_fingerprint TEXT
  );
  CREATE INDEX IF NOT EXISTS instances_study ON instances (study_instance_uid);
  CREATE INDEX IF NOT EXISTS instances_series ON instances (series_instance_uid);
  CREATE INDEX IF NOT EXISTS instances_patient ON instances (patient_id);
  CREATE INDEX IF NOT EXISTS instances_path ON instances (path);
  PRAGMA user_version = 2;
`;

const STUDY = "1.2.826.0.1.3680043.9.7433.96.1";
const OLD: SyntheticDatasetSpec[] = [
  { seed: 9601, patientId: "MIG1", patientName: "MIGRATED^ONE", studyInstanceUid: STUDY, seriesInstanceUid: `${STUDY}.1`, modality: "CT" },
  { seed: 9602, patientId: "MIG1", patientName: "MIGRATED^ONE", studyInstanceUid: STUDY, seriesInstanceUid: `${STUDY}.1`, modality: "CT" },
  { seed: 9603, patientId: "MIG2", patientName: "MIGRATED^TWO" },
];

/** The instance files where the store keeps them, and the rows schema-2 code wrote for them. */
async function writeSchema2Store(folder: string): Promise<void> {
  mkdirSync(folder, { recursive: true });
  const db = new Database(join(folder, INDEX_FILE_NAME));
  db.pragma("journal_mode = WAL");
  db.exec(V2_DDL);
  const insert = db.prepare(
    "INSERT INTO instances (sop_instance_uid, sop_class_uid, transfer_syntax_uid, patient_id, patient_name, study_instance_uid, series_instance_uid, study_date, modality, accession_number, path, size, received_at, source_ae_title) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  for (const spec of OLD) {
    const r = resolveSpec(spec);
    const relativePath = instanceRelativePath(r.sopInstanceUid);
    mkdirSync(join(folder, relativePath.split("/")[0]!), { recursive: true });
    const file = await writePart10File(join(folder, ...relativePath.split("/")), spec);
    const h = parseDatasetHeader(makeDataset(spec), r.transferSyntax);
    insert.run(
      r.sopInstanceUid, r.sopClassUid, r.transferSyntax, h.patientId, h.patientName, h.studyInstanceUid,
      h.seriesInstanceUid, h.studyDate, h.modality, h.accessionNumber, relativePath, file.size, new Date().toISOString(), "OLDMODALITY",
    );
  }
  db.close();
}

describe("a store of the code before the hierarchy", () => {
  test("the server migrates it, stores into it, and check and queries agree", async () => {
    const storage = join(tmp.path, "storage");
    await writeSchema2Store(storage);
    const config = writeConfig(tmp.path, "node.json", { DicomAet: "NODE", DicomPort: await freePort(), StorageDirectory: storage });
    const server = await startServer(config, { built: true });
    const migrated = server.records().find((r) => r["event"] === "storage-migrated");
    assert.ok(migrated, `one storage-migrated record at start-up; log:\n${server.process.output()}`);
    assert.deepEqual([migrated["fromVersion"], migrated["rows"], migrated["withoutFile"]], [2, 3, 0]);
    const order = server.records().map((r) => r["event"]);
    assert.ok(order.indexOf("storage-migrated") < order.indexOf("listening"), "migrated before the port opens");

    // A new instance of the migrated study, through the server's whole C-STORE path (header parsed in its worker).
    const fresh = await writePart10File(join(tmp.path, "new.dcm"), { seed: 9604, patientId: "MIG1", patientName: "MIGRATED^ONE", studyInstanceUid: STUDY, seriesInstanceUid: `${STUDY}.2`, modality: "MR" });
    const sent = await runProcess("storescu", ["-aet", "STORESCU", "-aec", "NODE", "127.0.0.1", String(server.port), fresh.path], { env: dcmtkEnv(), timeoutMs: 30_000 });
    assert.equal(sent.code, 0, sent.output);
    await server.waitForRecord((r) => r["event"] === "instance-stored");
    await server.stop();

    const check = await runCli(["storage", "check", "--json", config], { built: true });
    const report = JSON.parse(check.stdout) as { agree: boolean; levels?: Record<string, number> };
    assert.equal(report.agree, true, check.output);
    assert.deepEqual(report.levels, { patients: 2, studies: 2, series: 3, instances: 4 });

    const store = await FileSystemInstanceStore.open({ folder: storage, implementationClassUid: "1.2.826.0.1.3680043.9.7433.1.1", recover: false });
    const studies: IndexRecord[] = [];
    for await (const r of store.queryIndex().find({ level: QueryLevel.Study, conditions: [{ keyword: "PatientName", prefix: "migrated^o", caseInsensitive: true }] })) studies.push(r);
    assert.equal(studies.length, 1);
    const a = studies[0]!.attributes;
    // StudyTime and PatientBirthDate were in no schema-2 row: read back from the old files when migrating.
    assert.deepEqual(
      [a["StudyInstanceUID"], a["StudyTime"], a["PatientBirthDate"], a["ModalitiesInStudy"], a["NumberOfStudyRelatedSeries"], a["NumberOfStudyRelatedInstances"]],
      [STUDY, "101010", "19700101", "CT\\MR", "2", "3"],
    );
    const images: IndexRecord[] = [];
    for await (const r of store.queryIndex().find({ level: QueryLevel.Image, conditions: [{ keyword: "SOPInstanceUID", anyOf: [fresh.spec.sopInstanceUid] }] })) images.push(r);
    // Tags only the worker's parse gives (the identifier fields of the old code do not hold them).
    assert.deepEqual(
      [images[0]?.attributes["Manufacturer"], images[0]?.attributes["InstanceNumber"], images[0]?.attributes["ImagePositionPatient"]],
      ["dicomtls synthetic", "9604", "-100\\-100\\0"],
    );
    await store.close();
  });
});
