/**
 * Keeps the patient / study / series levels in step with the `instances` rows, inside the caller's transaction (the
 * same durable step as the row). A level row holds the attributes of the first instance that created it, as Orthanc
 * keeps them; it disappears with its last instance. Per stored instance of a known series this costs one look-up and
 * one UPDATE (the series' count); the study's and patient's computed attributes are summed from the series when read.
 */
import type Database from "better-sqlite3";
import type { TagValues } from "./index-store.js";
import { INSTANCE_TAGS, PATIENT_TAGS, PERSON_NAME_TAGS, SERIES_TAGS, STUDY_TAGS } from "./main-tags.js";
import type { InstanceIdentifiers } from "./sqlite-index.js";

/** The tags of an instance as the index takes them: `tags` from the header parse, else the identifier fields. */
export function effectiveTags(i: InstanceIdentifiers): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (k: string, v: string | undefined): void => {
    if (v !== undefined && v !== "") out[k] = v;
  };
  put("PatientID", i.patientId);
  put("PatientName", i.patientName);
  put("StudyInstanceUID", i.studyInstanceUid);
  put("SeriesInstanceUID", i.seriesInstanceUid);
  put("StudyDate", i.studyDate);
  put("Modality", i.modality);
  put("AccessionNumber", i.accessionNumber);
  for (const [k, v] of Object.entries(i.tags ?? {})) put(k, v);
  return out;
}

/** Named parameters for the tag columns of one level (absent and empty values are NULL; PN gets its `_ci` twin). */
export function tagParams(tags: readonly string[], values: TagValues): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const k of tags) {
    const v = values[k];
    out[k] = v === undefined || v === "" ? null : v;
    if (PERSON_NAME_TAGS.has(k)) out[`${k}_ci`] = out[k] === null ? null : out[k].toUpperCase();
  }
  return out;
}

function insertSql(table: string, tags: readonly string[], extra: readonly string[]): string {
  const cols = [...extra, ...tags.flatMap((k) => (PERSON_NAME_TAGS.has(k) ? [k, `${k}_ci`] : [k]))];
  return `INSERT INTO ${table} (${cols.join(", ")}) VALUES (${cols.map((c) => `@${c}`).join(", ")})`;
}

/** The instance-level tag columns of `instances`, for the row's own INSERT. */
export const INSTANCE_TAG_COLUMNS: readonly string[] = INSTANCE_TAGS;

/** Adds `value` to a `\`-joined set (unchanged when present). */
function addToSet(set: string | null, value: string): string {
  if (set === null || set === "") return value;
  return set.split("\\").includes(value) ? set : `${set}\\${value}`;
}

export class Hierarchy {
  private readonly s: Record<string, Database.Statement>;

  constructor(private readonly db: Database.Database) {
    const p = (sql: string): Database.Statement => db.prepare(sql);
    this.s = {
      patientId: p("SELECT id FROM patients WHERE PatientID = ?").pluck(),
      insertPatient: p(insertSql("patients", PATIENT_TAGS, [])),
      studyId: p("SELECT id FROM studies WHERE StudyInstanceUID = ?").pluck(),
      insertStudy: p(insertSql("studies", STUDY_TAGS, ["patient_id"])),
      series: p("SELECT id, sop_classes AS classes FROM series WHERE SeriesInstanceUID = ?"),
      insertSeries: p(insertSql("series", SERIES_TAGS, ["study_id"])),
      added: p("UPDATE series SET NumberOfSeriesRelatedInstances = NumberOfSeriesRelatedInstances + 1 WHERE id = ?"),
      addedWithClass: p("UPDATE series SET NumberOfSeriesRelatedInstances = NumberOfSeriesRelatedInstances + 1, sop_classes = @classes WHERE id = @id"),
      removed: p("UPDATE series SET NumberOfSeriesRelatedInstances = NumberOfSeriesRelatedInstances - 1 WHERE id = ? RETURNING NumberOfSeriesRelatedInstances AS n, study_id AS study"),
      seriesClasses: p("SELECT sop_class_uid FROM instances WHERE series_id = ? GROUP BY sop_class_uid ORDER BY MIN(rowid)").pluck(),
      setClasses: p("UPDATE series SET sop_classes = @classes WHERE id = @id"),
      deleteSeries: p("DELETE FROM series WHERE id = ?"),
      deleteStudyIfEmpty: p("DELETE FROM studies WHERE id = ? AND NOT EXISTS (SELECT 1 FROM series WHERE study_id = studies.id) RETURNING patient_id AS patient"),
      deletePatientIfEmpty: p("DELETE FROM patients WHERE id = ? AND NOT EXISTS (SELECT 1 FROM studies WHERE patient_id = patients.id)"),
    };
  }

  /**
   * The series an instance with these tags belongs to, created with its study and patient as needed (counted once the
   * row is written: `added`). Undefined for an instance without a Study or Series Instance UID (type 1 attributes: a
   * malformed dataset), which stays outside the hierarchy.
   */
  seriesFor(tags: TagValues): { id: number; classes: string | null } | undefined {
    const studyUid = tags["StudyInstanceUID"];
    const seriesUid = tags["SeriesInstanceUID"];
    if (studyUid === undefined || seriesUid === undefined) return undefined;
    const found = this.s["series"]!.get(seriesUid) as { id: number; classes: string | null } | undefined;
    if (found !== undefined) return found;
    let study = this.s["studyId"]!.get(studyUid) as number | undefined;
    if (study === undefined) {
      // PatientID is type 2: an empty one is a patient of its own, as in Orthanc.
      const patientKey = tags["PatientID"] ?? "";
      let patient = this.s["patientId"]!.get(patientKey) as number | undefined;
      patient ??= Number(this.s["insertPatient"]!.run({ ...tagParams(PATIENT_TAGS, tags), PatientID: patientKey }).lastInsertRowid);
      study = Number(this.s["insertStudy"]!.run({ ...tagParams(STUDY_TAGS, tags), patient_id: patient }).lastInsertRowid);
    }
    return { id: Number(this.s["insertSeries"]!.run({ ...tagParams(SERIES_TAGS, tags), study_id: study }).lastInsertRowid), classes: null };
  }

  /** An instance row of `series` was written: its count, and its SOP class when new to the series. */
  added(series: { id: number; classes: string | null }, sopClassUid: string): void {
    const classes = addToSet(series.classes, sopClassUid);
    if (classes === series.classes) this.s["added"]!.run(series.id);
    else this.s["addedWithClass"]!.run({ id: series.id, classes });
  }

  /** An instance row of `seriesId` is about to go (removed or replaced): empty levels go with it. */
  removed(seriesId: number): void {
    const left = this.s["removed"]!.get(seriesId) as { n: number; study: number } | undefined;
    if (left === undefined) return;
    if (left.n > 0) return void this.s["setClasses"]!.run({ id: seriesId, classes: this.classesWithout(seriesId) });
    this.s["deleteSeries"]!.run(seriesId);
    const study = this.s["deleteStudyIfEmpty"]!.get(left.study) as { patient: number } | undefined;
    if (study !== undefined) this.s["deletePatientIfEmpty"]!.run(study.patient);
  }

  /** The series' SOP classes once the instance being removed is unlinked (the caller cleared its series_id first). */
  private classesWithout(seriesId: number): string | null {
    const classes = (this.s["seriesClasses"]!.all(seriesId) as string[]).join("\\");
    return classes === "" ? null : classes;
  }

  /** Empties the three level tables and every instance's link (migration). */
  clear(): void {
    this.db.exec("UPDATE instances SET series_id = NULL WHERE series_id IS NOT NULL; DELETE FROM series; DELETE FROM studies; DELETE FROM patients;");
  }
}
