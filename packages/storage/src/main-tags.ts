/**
 * The attributes the index holds at each level of the hierarchy, by PS3.6 keyword: Orthanc's "main DICOM tags"
 * (OrthancFramework DicomMap.cpp, DEFAULT_1_11_*; query-retrieve-facts §2.2), so C-FIND matches them without reading a
 * file. The header parser (pdu-codec `parseDatasetHeader`, `tags`) reads the same list; a storage test keeps the two
 * lists equal. Each keyword is a column of its level's table.
 */
import { QueryLevel } from "./index-store.js";

/** Patient level (Orthanc also copies these to the study level: a study record here holds its patient's). */
export const PATIENT_TAGS = ["PatientName", "PatientID", "PatientBirthDate", "PatientSex", "OtherPatientIDs"] as const;

export const STUDY_TAGS = [
  "StudyDate",
  "StudyTime",
  "StudyID",
  "StudyDescription",
  "AccessionNumber",
  "StudyInstanceUID",
  "RequestedProcedureDescription",
  "InstitutionName",
  "RequestingPhysician",
  "ReferringPhysicianName",
] as const;

export const SERIES_TAGS = [
  "SeriesDate",
  "SeriesTime",
  "Modality",
  "Manufacturer",
  "StationName",
  "SeriesDescription",
  "BodyPartExamined",
  "SequenceName",
  "ProtocolName",
  "SeriesNumber",
  "CardiacNumberOfImages",
  "ImagesInAcquisition",
  "NumberOfTemporalPositions",
  "NumberOfSlices",
  "NumberOfTimeSlices",
  "SeriesInstanceUID",
  "ImageOrientationPatient",
  "SeriesType",
  "OperatorsName",
  "PerformedProcedureStepDescription",
  "AcquisitionDeviceProcessingDescription",
  "ContrastBolusAgent",
] as const;

/** Instance level; SOPInstanceUID and SOPClassUID are the instance row's own columns (`sop_instance_uid`, `sop_class_uid`). */
export const INSTANCE_TAGS = [
  "InstanceCreationDate",
  "InstanceCreationTime",
  "AcquisitionNumber",
  "ImageIndex",
  "InstanceNumber",
  "NumberOfFrames",
  "TemporalPositionIdentifier",
  "ImagePositionPatient",
  "ImageComments",
  "ImageOrientationPatient",
] as const;

/** Every keyword the header parse is asked for (ImageOrientationPatient sits at two levels, as in Orthanc). */
export const MAIN_TAG_KEYWORDS: ReadonlySet<string> = new Set<string>([
  ...PATIENT_TAGS,
  ...STUDY_TAGS,
  ...SERIES_TAGS,
  ...INSTANCE_TAGS,
  "SOPInstanceUID",
  "SOPClassUID",
]);

/** Computed per level (PS3.4 C.3, tables C.6-1..C.6-5): columns maintained on every insert and removal. */
export const PATIENT_COUNTS = ["NumberOfPatientRelatedStudies", "NumberOfPatientRelatedSeries", "NumberOfPatientRelatedInstances"] as const;
export const STUDY_COUNTS = ["NumberOfStudyRelatedSeries", "NumberOfStudyRelatedInstances"] as const;
export const SERIES_COUNTS = ["NumberOfSeriesRelatedInstances"] as const;
/** Computed multi-valued study attributes, kept as `\`-joined distinct values in order of arrival. */
export const STUDY_SETS = ["ModalitiesInStudy", "SOPClassesInStudy"] as const;

/**
 * PN attributes: each also has a `<keyword>_ci` column, upper-cased by JavaScript's toUpperCase (accented letters too,
 * as Orthanc's ToUpperCaseWithAccents: É = é, but accents kept), indexed, for case-insensitive prefix conditions.
 */
export const PERSON_NAME_TAGS: ReadonlySet<string> = new Set(["PatientName", "ReferringPhysicianName", "RequestingPhysician", "OperatorsName"]);

/**
 * Attributes whose value multiplicity allows several values (PS3.6): an SQL condition never excludes a stored value
 * holding a `\`, so the caller's exact test sees it.
 */
export const MULTI_VALUED_TAGS: ReadonlySet<string> = new Set([
  "OtherPatientIDs",
  "ImageOrientationPatient",
  "ImagePositionPatient",
  "SeriesType",
  "InstitutionName",
  "ReferringPhysicianName",
  "RequestingPhysician",
  "OperatorsName",
  "ContrastBolusAgent",
  "AcquisitionDeviceProcessingDescription",
  "ModalitiesInStudy",
  "SOPClassesInStudy",
]);

/** The table of a level and its own attribute columns. */
export const LEVEL_TABLES = {
  [QueryLevel.Patient]: { table: "patients", alias: "p", tags: PATIENT_TAGS as readonly string[], computed: PATIENT_COUNTS as readonly string[] },
  [QueryLevel.Study]: { table: "studies", alias: "st", tags: STUDY_TAGS as readonly string[], computed: [...STUDY_COUNTS, ...STUDY_SETS] as readonly string[] },
  [QueryLevel.Series]: { table: "series", alias: "se", tags: SERIES_TAGS as readonly string[], computed: SERIES_COUNTS as readonly string[] },
  [QueryLevel.Image]: { table: "instances", alias: "i", tags: INSTANCE_TAGS as readonly string[], computed: [] as readonly string[] },
} as const;

/** The levels from the top down to `level`. */
export function levelsDownTo(level: QueryLevel): QueryLevel[] {
  const order: QueryLevel[] = [QueryLevel.Patient, QueryLevel.Study, QueryLevel.Series, QueryLevel.Image];
  return order.slice(0, order.indexOf(level) + 1);
}
