/**
 * `storage check` of the hierarchy: every instance row with Study and Series Instance UIDs is linked to the series of
 * that UID; every level row has rows under it; each series' stored count and SOP classes are what its instance rows
 * give (the study's and patient's computed attributes are summed from the series when read: nothing to disagree). Read-only SQL over the index; the files were compared with the rows before.
 */
import type Database from "better-sqlite3";
import { INDEX_FILE_NAME } from "./layout.js";
import { HIERARCHY_VERSION } from "./schema.js";

/** What check.ts reports for each problem (its `Disagreement` without the kind, which is always the hierarchy's). */
export interface HierarchyProblem {
  readonly path: string;
  readonly sopInstanceUid?: string;
  readonly detail: string;
}

export interface LevelCounts {
  readonly patients: number;
  readonly studies: number;
  readonly series: number;
  readonly instances: number;
}

/** The stored columns of the series and what its instance rows give (correlated on `r`). */
const SERIES_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ["NumberOfSeriesRelatedInstances", "SELECT COUNT(*) FROM instances i WHERE i.series_id = r.id"],
  ["sop_classes", "SELECT group_concat(c, '\\') FROM (SELECT DISTINCT i.sop_class_uid AS c FROM instances i WHERE i.series_id = r.id)"],
];

const sameSet = (a: string | null, b: string | null): boolean => {
  const set = (s: string | null): string => (s ?? "").split("\\").filter((x) => x !== "").sort().join("\\");
  return set(a) === set(b);
};

/** How many rows each level holds (instances: those linked into the hierarchy). */
export function levelCounts(db: Database.Database): LevelCounts {
  const n = (sql: string): number => db.prepare(sql).pluck().get() as number;
  return {
    patients: n("SELECT COUNT(*) FROM patients"),
    studies: n("SELECT COUNT(*) FROM studies"),
    series: n("SELECT COUNT(*) FROM series"),
    instances: n("SELECT COUNT(*) FROM instances WHERE series_id IS NOT NULL"),
  };
}

export function hierarchyProblems(db: Database.Database, schemaVersion: number): HierarchyProblem[] {
  if (schemaVersion < HIERARCHY_VERSION) {
    return [{ path: INDEX_FILE_NAME, detail: `the index is of schema version ${schemaVersion}, without the patient/study/series hierarchy: the server builds it when it opens the store (or run storage reindex)` }];
  }
  const out: HierarchyProblem[] = [];
  const unlinked = db.prepare<[], { uid: string; path: string; series: string }>(
    "SELECT sop_instance_uid AS uid, path, series_instance_uid AS series FROM instances WHERE series_id IS NULL AND study_instance_uid IS NOT NULL AND series_instance_uid IS NOT NULL",
  );
  for (const r of unlinked.iterate()) out.push({ path: r.path, sopInstanceUid: r.uid, detail: `the instance is in no series of the hierarchy (its series ${r.series} has no row for it)` });
  const misplaced = db.prepare<[], { uid: string; path: string; want: string | null; linked: string | null }>(
    "SELECT i.sop_instance_uid AS uid, i.path, i.series_instance_uid AS want, se.SeriesInstanceUID AS linked FROM instances i LEFT JOIN series se ON se.id = i.series_id " +
      "WHERE i.series_id IS NOT NULL AND (se.id IS NULL OR se.SeriesInstanceUID IS NOT i.series_instance_uid)",
  );
  for (const r of misplaced.iterate()) {
    out.push({ path: r.path, sopInstanceUid: r.uid, detail: `the instance of series ${r.want ?? "(none)"} is linked to ${r.linked === null ? "a series row that does not exist" : `series ${r.linked}`}` });
  }
  const orphans: ReadonlyArray<readonly [string, string, string, string]> = [
    ["studies", "StudyInstanceUID", "patient_id", "patients"],
    ["series", "SeriesInstanceUID", "study_id", "studies"],
  ];
  for (const [table, key, parent, parentTable] of orphans) {
    const rows = db.prepare(`SELECT r.${key} FROM ${table} r WHERE NOT EXISTS (SELECT 1 FROM ${parentTable} x WHERE x.id = r.${parent})`).pluck().all() as string[];
    for (const k of rows) out.push({ path: INDEX_FILE_NAME, detail: `${table} row ${k} belongs to no row of ${parentTable}` });
  }
  const empties: ReadonlyArray<readonly [string, string, string, string]> = [
    ["patients", "PatientID", "studies", "patient_id"],
    ["studies", "StudyInstanceUID", "series", "study_id"],
    ["series", "SeriesInstanceUID", "instances", "series_id"],
  ];
  for (const [table, key, child, link] of empties) {
    const rows = db.prepare(`SELECT r.${key} FROM ${table} r WHERE NOT EXISTS (SELECT 1 FROM ${child} c WHERE c.${link} = r.id)`).pluck().all() as string[];
    for (const k of rows) out.push({ path: INDEX_FILE_NAME, detail: `${table} row ${JSON.stringify(k)} has no ${child} under it (an extra row)` });
  }
  for (const [column, actual] of SERIES_COLUMNS) {
    const rows = db.prepare<[], { k: string; stored: string | number | null; actual: string | number | null }>(
      `SELECT r.SeriesInstanceUID AS k, r.${column} AS stored, (${actual}) AS actual FROM series r`,
    );
    for (const r of rows.iterate()) {
      const agree = typeof r.stored === "number" ? r.stored === r.actual : sameSet(r.stored, r.actual as string | null);
      if (!agree) out.push({ path: INDEX_FILE_NAME, detail: `series row ${r.k}: ${column} is ${JSON.stringify(r.stored)}, its instance rows give ${JSON.stringify(r.actual)}` });
    }
  }
  return out;
}
