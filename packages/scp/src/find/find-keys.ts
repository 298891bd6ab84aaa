/**
 * The Query/Retrieve information models as data: levels, their order, and the level each well-known key belongs to
 * (PS3.4 C.6.1.1 / C.6.2.1 tables C.6-1..C.6-5, plus the main tags Orthanc indexes at each level).
 */

/** PS3.4 C.6.1.1.1: the levels, top first. */
export const FindLevel = {
  Patient: "PATIENT",
  Study: "STUDY",
  Series: "SERIES",
  Image: "IMAGE",
} as const;
export type FindLevel = (typeof FindLevel)[keyof typeof FindLevel];

export const LEVEL_ORDER: readonly FindLevel[] = [FindLevel.Patient, FindLevel.Study, FindLevel.Series, FindLevel.Image];

/** PS3.4 C.6.1.3, C.6.2.3: the C-FIND SOP classes this service serves. */
export const FindSopClass = {
  PatientRoot: "1.2.840.10008.5.1.4.1.2.1.1",
  StudyRoot: "1.2.840.10008.5.1.4.1.2.2.1",
} as const;
export type FindSopClass = (typeof FindSopClass)[keyof typeof FindSopClass];

/** PS3.4 C.6.1.1 / C.6.2.1: the unique key of each level. */
export const UNIQUE_KEY: Readonly<Record<FindLevel, string>> = {
  PATIENT: "PatientID",
  STUDY: "StudyInstanceUID",
  SERIES: "SeriesInstanceUID",
  IMAGE: "SOPInstanceUID",
};

const PATIENT_KEYS = [
  "PatientName",
  "PatientID",
  "IssuerOfPatientID",
  "PatientBirthDate",
  "PatientBirthTime",
  "PatientSex",
  "OtherPatientIDs",
  "OtherPatientNames",
  "PatientComments",
  "EthnicGroup",
  "NumberOfPatientRelatedStudies",
  "NumberOfPatientRelatedSeries",
  "NumberOfPatientRelatedInstances",
];
const STUDY_KEYS = [
  "StudyDate",
  "StudyTime",
  "AccessionNumber",
  "StudyID",
  "StudyInstanceUID",
  "ReferringPhysicianName",
  "StudyDescription",
  "ModalitiesInStudy",
  "SOPClassesInStudy",
  "InstitutionName",
  "RequestedProcedureDescription",
  "RequestingPhysician",
  "PatientAge",
  "PatientSize",
  "PatientWeight",
  "NumberOfStudyRelatedSeries",
  "NumberOfStudyRelatedInstances",
];
const SERIES_KEYS = [
  "Modality",
  "SeriesNumber",
  "SeriesInstanceUID",
  "SeriesDate",
  "SeriesTime",
  "SeriesDescription",
  "BodyPartExamined",
  "Manufacturer",
  "StationName",
  "ProtocolName",
  "PerformedProcedureStepStartDate",
  "NumberOfSeriesRelatedInstances",
];
const IMAGE_KEYS = [
  "SOPInstanceUID",
  "SOPClassUID",
  "InstanceNumber",
  "InstanceCreationDate",
  "InstanceCreationTime",
  "AcquisitionDate",
  "AcquisitionTime",
  "ContentDate",
  "ContentTime",
  "ImageType",
  "NumberOfFrames",
  "Rows",
  "Columns",
];

/** The level of the keys the models define; a key not listed is taken as one of the query level. */
export const KEY_LEVEL: ReadonlyMap<string, FindLevel> = new Map<string, FindLevel>([
  ...PATIENT_KEYS.map((k) => [k, FindLevel.Patient] as const),
  ...STUDY_KEYS.map((k) => [k, FindLevel.Study] as const),
  ...SERIES_KEYS.map((k) => [k, FindLevel.Series] as const),
  ...IMAGE_KEYS.map((k) => [k, FindLevel.Image] as const),
]);

/**
 * Keys the answer may hold without being asked (PS3.4 C.4.1.1.3.2): the level, the character set, the Retrieve AE
 * Title; never matched. Group-length and command-group elements are dropped as Orthanc does.
 */
export const NEVER_MATCHED = new Set(["QueryRetrieveLevel", "SpecificCharacterSet", "TimezoneOffsetFromUTC", "RetrieveAETitle", "InstanceAvailability"]);

/**
 * Keys whose value the node computes itself (PS3.4 C.6.1.1.x): they come from the index, never from a stored file
 * (a file does not hold them).
 */
export const COMPUTED_KEYS = new Set([
  "NumberOfPatientRelatedStudies",
  "NumberOfPatientRelatedSeries",
  "NumberOfPatientRelatedInstances",
  "NumberOfStudyRelatedSeries",
  "NumberOfStudyRelatedInstances",
  "NumberOfSeriesRelatedInstances",
  "ModalitiesInStudy",
  "SOPClassesInStudy",
]);

/**
 * Keys the index can pre-filter (an IndexCondition): identifiers, with exact lists or PN/LO prefixes. Anything else
 * is tested by the exact matcher on the record (or on the stored file).
 */
export const PREFILTER_KEYS = new Set(["PatientID", "PatientName", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "AccessionNumber"]);

/**
 * The level named by (0008,0052), Orthanc's way: case-insensitive, INSTANCE(S) and IMAGES as IMAGE, plurals
 * (facts §1). Undefined when it names none.
 */
export function parseLevel(value: string): FindLevel | undefined {
  const v = value.trim().toUpperCase();
  switch (v) {
    case "PATIENT":
    case "PATIENTS":
      return FindLevel.Patient;
    case "STUDY":
    case "STUDIES":
      return FindLevel.Study;
    case "SERIES":
      return FindLevel.Series;
    case "IMAGE":
    case "IMAGES":
    case "INSTANCE":
    case "INSTANCES":
      return FindLevel.Image;
    default:
      return undefined;
  }
}

/** 0 for PATIENT ... 3 for IMAGE. */
export function levelDepth(level: FindLevel): number {
  return LEVEL_ORDER.indexOf(level);
}
