/**
 * The index's tables. Schema versions (SQLite `user_version`):
 * - 1: one flat `instances` table;
 * - 2: plus an index on `path` (start-up recovery reads one instance folder's rows at a time);
 * - 3: the patient / study / series / instance hierarchy: `patients`, `studies`, `series`, with Orthanc's main DICOM
 *   tags as columns named by PS3.6 keyword, the series' instance count and SOP classes (the other computed attributes
 *   are summed from the series rows when read), and `instances` linked to its series (`series_id`) with the
 *   instance-level main tags;
 * - 4: without the indexes of `instances` on study_instance_uid, series_instance_uid and patient_id: the queries go
 *   through the hierarchy (`series_id`), and those three cost every C-STORE three more B-tree insertions and WAL pages
 *   (issue 13). The columns stay.
 *
 * Going from 1 or 2 to 3 adds tables and columns (idempotent: an interrupted migration is done again); the version is
 * set to 3 only once the hierarchy is built from the rows and their files (`migrate.ts`), so a crash in between
 * leaves a version-2 index that the next open migrates again. Going from 3 to 4 drops the three indexes, in one
 * transaction with the version.
 */
import type Database from "better-sqlite3";
import { INSTANCE_TAGS, PATIENT_TAGS, PERSON_NAME_TAGS, SERIES_TAGS, STUDY_TAGS } from "./main-tags.js";

export const SCHEMA_VERSION = 4;
/** The first version with the patient / study / series hierarchy (an older index needs it built: migrate.ts). */
export const HIERARCHY_VERSION = 3;

/** The flat table as version 2 made it, but for the three indexes version 4 drops (REDUNDANT_INDEXES). */
const FLAT_TABLE = `
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
  CREATE INDEX IF NOT EXISTS instances_path ON instances (path);
`;

/** Indexes of versions 1-3 on columns that the hierarchy now answers for (version 4 drops them). */
const REDUNDANT_INDEXES = ["instances_study", "instances_series", "instances_patient"] as const;

/** Tag columns, plus the upper-cased `_ci` twin of each person name. */
function tagColumns(tags: readonly string[]): string {
  return tags.flatMap((k) => (PERSON_NAME_TAGS.has(k) ? [`${k} TEXT`, `${k}_ci TEXT`] : [`${k} TEXT`])).join(",\n    ");
}

const HIERARCHY_TABLES = `
  CREATE TABLE IF NOT EXISTS patients (
    id INTEGER PRIMARY KEY,
    ${tagColumns(PATIENT_TAGS.filter((k) => k !== "PatientID"))},
    PatientID TEXT NOT NULL UNIQUE
  );
  CREATE INDEX IF NOT EXISTS patients_name ON patients (PatientName_ci);
  CREATE TABLE IF NOT EXISTS studies (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients (id),
    ${tagColumns(STUDY_TAGS.filter((k) => k !== "StudyInstanceUID"))},
    StudyInstanceUID TEXT NOT NULL UNIQUE
  );
  CREATE INDEX IF NOT EXISTS studies_patient ON studies (patient_id);
  CREATE INDEX IF NOT EXISTS studies_date ON studies (StudyDate);
  CREATE INDEX IF NOT EXISTS studies_accession ON studies (AccessionNumber);
  CREATE INDEX IF NOT EXISTS studies_id ON studies (StudyID);
  CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY,
    study_id INTEGER NOT NULL REFERENCES studies (id),
    ${tagColumns(SERIES_TAGS.filter((k) => k !== "SeriesInstanceUID"))},
    SeriesInstanceUID TEXT NOT NULL UNIQUE,
    NumberOfSeriesRelatedInstances INTEGER NOT NULL DEFAULT 0,
    sop_classes TEXT
  );
  CREATE INDEX IF NOT EXISTS series_study ON series (study_id);
  CREATE INDEX IF NOT EXISTS series_modality ON series (Modality);
  CREATE INDEX IF NOT EXISTS series_date ON series (SeriesDate);
`;

/** Columns version 3 adds to `instances`: the link to its series and the instance-level main tags. */
const INSTANCE_COLUMNS: readonly string[] = ["series_id INTEGER", ...INSTANCE_TAGS.map((k) => `${k} TEXT`)];

function columnsOf(db: Database.Database, table: string): Set<string> {
  return new Set((db.pragma(`table_info(${table})`) as Array<{ name: string }>).map((c) => c.name));
}

/** What `applySchema` found. */
export interface SchemaState {
  /** `user_version` before: 0 for a new database. */
  readonly previousVersion: number;
  /** The hierarchy must be built from existing rows (an index of version 1 or 2 with rows, or an interrupted migration). */
  readonly needsHierarchy: boolean;
}

/** Creates or upgrades the tables (in one transaction). */
export function applySchema(db: Database.Database): SchemaState {
  const previousVersion = db.pragma("user_version", { simple: true }) as number;
  if (previousVersion === SCHEMA_VERSION) return { previousVersion, needsHierarchy: false };
  let needsHierarchy = false;
  db.transaction(() => {
    db.exec(FLAT_TABLE);
    const have = columnsOf(db, "instances");
    for (const col of INSTANCE_COLUMNS) if (!have.has(col.split(" ")[0]!)) db.exec(`ALTER TABLE instances ADD COLUMN ${col}`);
    db.exec(HIERARCHY_TABLES);
    db.exec("CREATE INDEX IF NOT EXISTS instances_series_id ON instances (series_id)");
    for (const name of REDUNDANT_INDEXES) db.exec(`DROP INDEX IF EXISTS ${name}`);
    const rows = (db.prepare("SELECT COUNT(*) AS n FROM instances").get() as { n: number }).n;
    // Version 3 has its hierarchy already: 3 -> 4 only dropped the indexes.
    needsHierarchy = previousVersion < HIERARCHY_VERSION && rows > 0;
    // A new (or empty) index is complete now; one with rows becomes current once migrate.ts built the hierarchy.
    if (!needsHierarchy) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
  return { previousVersion, needsHierarchy };
}
