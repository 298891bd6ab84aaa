/**
 * Keeps the patient / study / series levels and their computed attributes in step with the `instances` rows: an
 * instance row is linked into the hierarchy after it is written and unlinked before it is removed or replaced, inside
 * the caller's transaction (the same durable step as the row). A level row holds the attributes of the first instance
 * that created it, as Orthanc keeps them; it disappears with its last instance.
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
function tagParams(tags: readonly string[], values: TagValues): Record<string, string | null> {
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

interface Link {
  series: number;
  study: number;
  patient: number;
  sopClassUid: string;
}

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
      study: p("SELECT id, patient_id AS patient FROM studies WHERE StudyInstanceUID = ?"),
      insertStudy: p(insertSql("studies", STUDY_TAGS, ["patient_id"])),
      series: p("SELECT se.id, se.study_id AS study, st.patient_id AS patient, se.Modality AS modality FROM series se JOIN studies st ON st.id = se.study_id WHERE SeriesInstanceUID = ?"),
      insertSeries: p(insertSql("series", SERIES_TAGS, ["study_id"])),
      linkInstance: p(`UPDATE instances SET series_id = @series_id, ${INSTANCE_TAGS.map((k) => `${k} = @${k}`).join(", ")} WHERE sop_instance_uid = @uid`),
      linkOf: p("SELECT i.series_id AS series, se.study_id AS study, st.patient_id AS patient, i.sop_class_uid AS sopClassUid FROM instances i JOIN series se ON se.id = i.series_id JOIN studies st ON st.id = se.study_id WHERE i.sop_instance_uid = ?"),
      unlinkInstance: p("UPDATE instances SET series_id = NULL WHERE sop_instance_uid = ?"),
      patientAdd: p("UPDATE patients SET NumberOfPatientRelatedStudies = NumberOfPatientRelatedStudies + @studies, NumberOfPatientRelatedSeries = NumberOfPatientRelatedSeries + @series, NumberOfPatientRelatedInstances = NumberOfPatientRelatedInstances + @instances WHERE id = @id"),
      studyAdd: p("UPDATE studies SET NumberOfStudyRelatedSeries = NumberOfStudyRelatedSeries + @series, NumberOfStudyRelatedInstances = NumberOfStudyRelatedInstances + @instances WHERE id = @id"),
      seriesAdd: p("UPDATE series SET NumberOfSeriesRelatedInstances = NumberOfSeriesRelatedInstances + @instances WHERE id = @id"),
      studySets: p("SELECT ModalitiesInStudy AS modalities, SOPClassesInStudy AS classes FROM studies WHERE id = ?"),
      setStudySets: p("UPDATE studies SET ModalitiesInStudy = @modalities, SOPClassesInStudy = @classes WHERE id = @id"),
      seriesLeft: p("SELECT NumberOfSeriesRelatedInstances FROM series WHERE id = ?").pluck(),
      studyLeft: p("SELECT NumberOfStudyRelatedInstances FROM studies WHERE id = ?").pluck(),
      patientLeft: p("SELECT NumberOfPatientRelatedInstances FROM patients WHERE id = ?").pluck(),
      deleteSeries: p("DELETE FROM series WHERE id = ?"),
      deleteStudy: p("DELETE FROM studies WHERE id = ?"),
      deletePatient: p("DELETE FROM patients WHERE id = ?"),
      // Recomputed after a removal (rare): distinct values in order of first arrival.
      modalitiesOf: p("SELECT Modality FROM series WHERE study_id = ? AND Modality IS NOT NULL GROUP BY Modality ORDER BY MIN(id)").pluck(),
      classesOf: p("SELECT i.sop_class_uid FROM instances i JOIN series se ON se.id = i.series_id WHERE se.study_id = ? GROUP BY i.sop_class_uid ORDER BY MIN(i.rowid)").pluck(),
    };
  }

  /**
   * Links the row of `uid` (already written) under its series, study and patient, creating them as needed. An instance
   * without a Study or Series Instance UID (type 1 attributes: a malformed dataset) stays outside the hierarchy.
   */
  link(uid: string, sopClassUid: string, tags: TagValues): void {
    const studyUid = tags["StudyInstanceUID"];
    const seriesUid = tags["SeriesInstanceUID"];
    if (studyUid === undefined || seriesUid === undefined) return;
    let series = this.s["series"]!.get(seriesUid) as { id: number; study: number; patient: number; modality: string | null } | undefined;
    if (series === undefined) {
      let study = this.s["study"]!.get(studyUid) as { id: number; patient: number } | undefined;
      if (study === undefined) {
        // PatientID is type 2: an empty one is a patient of its own, as in Orthanc.
        const patientKey = tags["PatientID"] ?? "";
        let patient = this.s["patientId"]!.get(patientKey) as number | undefined;
        if (patient === undefined) {
          patient = Number(this.s["insertPatient"]!.run({ ...tagParams(PATIENT_TAGS, tags), PatientID: patientKey }).lastInsertRowid);
        }
        const id = Number(this.s["insertStudy"]!.run({ ...tagParams(STUDY_TAGS, tags), patient_id: patient }).lastInsertRowid);
        this.s["patientAdd"]!.run({ id: patient, studies: 1, series: 0, instances: 0 });
        study = { id, patient };
      }
      const id = Number(this.s["insertSeries"]!.run({ ...tagParams(SERIES_TAGS, tags), study_id: study.id }).lastInsertRowid);
      this.s["studyAdd"]!.run({ id: study.id, series: 1, instances: 0 });
      this.s["patientAdd"]!.run({ id: study.patient, studies: 0, series: 1, instances: 0 });
      series = { id, study: study.id, patient: study.patient, modality: tags["Modality"] ?? null };
    }
    this.s["linkInstance"]!.run({ ...tagParams(INSTANCE_TAGS, tags), series_id: series.id, uid });
    this.s["seriesAdd"]!.run({ id: series.id, instances: 1 });
    this.s["studyAdd"]!.run({ id: series.study, series: 0, instances: 1 });
    this.s["patientAdd"]!.run({ id: series.patient, studies: 0, series: 0, instances: 1 });
    const sets = this.s["studySets"]!.get(series.study) as { modalities: string | null; classes: string | null };
    const modalities = series.modality === null ? sets.modalities : addToSet(sets.modalities, series.modality);
    const classes = addToSet(sets.classes, sopClassUid);
    if (modalities !== sets.modalities || classes !== sets.classes) this.s["setStudySets"]!.run({ id: series.study, modalities, classes });
  }

  /** Takes the row of `uid` out of the hierarchy (before it is removed or replaced); empty levels go with it. */
  unlink(uid: string): void {
    const link = this.s["linkOf"]!.get(uid) as Link | undefined;
    if (link === undefined) return;
    this.s["unlinkInstance"]!.run(uid);
    this.s["seriesAdd"]!.run({ id: link.series, instances: -1 });
    this.s["studyAdd"]!.run({ id: link.study, series: 0, instances: -1 });
    this.s["patientAdd"]!.run({ id: link.patient, studies: 0, series: 0, instances: -1 });
    if ((this.s["seriesLeft"]!.get(link.series) as number) === 0) {
      this.s["deleteSeries"]!.run(link.series);
      this.s["studyAdd"]!.run({ id: link.study, series: -1, instances: 0 });
      this.s["patientAdd"]!.run({ id: link.patient, studies: 0, series: -1, instances: 0 });
    }
    if ((this.s["studyLeft"]!.get(link.study) as number) === 0) {
      this.s["deleteStudy"]!.run(link.study);
      this.s["patientAdd"]!.run({ id: link.patient, studies: -1, series: 0, instances: 0 });
    } else {
      const modalities = (this.s["modalitiesOf"]!.all(link.study) as string[]).join("\\");
      const classes = (this.s["classesOf"]!.all(link.study) as string[]).join("\\");
      this.s["setStudySets"]!.run({ id: link.study, modalities: modalities === "" ? null : modalities, classes: classes === "" ? null : classes });
    }
    if ((this.s["patientLeft"]!.get(link.patient) as number) === 0) this.s["deletePatient"]!.run(link.patient);
  }

  /** Empties the three level tables and every instance's link (reindex, migration). */
  clear(): void {
    this.db.exec("UPDATE instances SET series_id = NULL WHERE series_id IS NOT NULL; DELETE FROM series; DELETE FROM studies; DELETE FROM patients;");
  }
}
