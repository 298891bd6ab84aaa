import type { DecodedIdentifier } from "@dicomtls/pdu-codec";
import { RetrieveSopClass, RetrieveStatus, type RetrieveLevel, type RetrieveSelector } from "./retrieve-types.js";

/** A retrieve request we refuse before any sub-operation: the status to answer and why (the Error Comment). */
export class RetrieveRequestError extends Error {
  readonly code = "ERR_DICOM_RETRIEVE_REQUEST";
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "RetrieveRequestError";
    this.status = status;
  }
}

/** Level spellings Orthanc accepts besides the standard ones (case-insensitive, INSTANCE for IMAGE). */
const LEVELS: Readonly<Record<string, RetrieveLevel>> = { PATIENT: "PATIENT", STUDY: "STUDY", SERIES: "SERIES", IMAGE: "IMAGE", INSTANCE: "IMAGE" };

/** The levels of each information model, top down (PS3.4 C.6.1.1, C.6.2.1). */
const MODEL_LEVELS: Readonly<Record<string, readonly RetrieveLevel[]>> = {
  [RetrieveSopClass.PatientRootMove]: ["PATIENT", "STUDY", "SERIES", "IMAGE"],
  [RetrieveSopClass.PatientRootGet]: ["PATIENT", "STUDY", "SERIES", "IMAGE"],
  [RetrieveSopClass.StudyRootMove]: ["STUDY", "SERIES", "IMAGE"],
  [RetrieveSopClass.StudyRootGet]: ["STUDY", "SERIES", "IMAGE"],
};

/** The unique key of each level (PS3.4 Tables C.6-1..C.6-5). */
const UNIQUE_KEY: Readonly<Record<RetrieveLevel, string>> = {
  PATIENT: "PatientID",
  STUDY: "StudyInstanceUID",
  SERIES: "SeriesInstanceUID",
  IMAGE: "SOPInstanceUID",
};

function values(identifier: DecodedIdentifier, key: string): string[] {
  return (identifier[key] ?? []).filter((v): v is string => typeof v === "string").map((v) => v.trim()).filter((v) => v !== "");
}

/**
 * PS3.4 C.4.2.1.4.1 / C.4.3.1.3.1: the level and unique keys of a C-MOVE / C-GET identifier. The level's unique key
 * is required (a list of UIDs allowed, as Orthanc also allows for PatientID); unique keys of the levels above narrow
 * the selection when present. At STUDY level, AccessionNumber stands in for an empty StudyInstanceUID (Orthanc).
 * Throws RetrieveRequestError 0xA900 for a missing or foreign level or a missing unique key.
 */
export function retrieveSelector(identifier: DecodedIdentifier, sopClassUid: string): RetrieveSelector {
  const levelText = values(identifier, "QueryRetrieveLevel")[0]?.toUpperCase();
  const modelLevels = MODEL_LEVELS[sopClassUid] ?? [];
  if (levelText === undefined) {
    throw new RetrieveRequestError(RetrieveStatus.IdentifierDoesNotMatchSopClass, "the identifier has no Query/Retrieve Level (0008,0052)");
  }
  const level = LEVELS[levelText];
  if (level === undefined || !modelLevels.includes(level)) {
    throw new RetrieveRequestError(
      RetrieveStatus.IdentifierDoesNotMatchSopClass,
      `Query/Retrieve Level "${levelText}" is not one of ${modelLevels.join(", ")} of this information model`,
    );
  }
  const keysUpTo = modelLevels.slice(0, modelLevels.indexOf(level) + 1);
  const selector: { -readonly [K in keyof RetrieveSelector]: RetrieveSelector[K] } = { level };
  for (const l of keysUpTo) {
    const v = values(identifier, UNIQUE_KEY[l]);
    if (v.length === 0) continue;
    if (l === "PATIENT") selector.patientIds = v;
    else if (l === "STUDY") selector.studyInstanceUids = v;
    else if (l === "SERIES") selector.seriesInstanceUids = v;
    else selector.sopInstanceUids = v;
  }
  // Study Root has no PATIENT level, but a PatientID beside the study keys still narrows (Orthanc matches it too).
  if (selector.patientIds === undefined && level !== "PATIENT") {
    const ids = values(identifier, "PatientID");
    if (ids.length > 0) selector.patientIds = ids;
  }
  if (level === "STUDY" && selector.studyInstanceUids === undefined) {
    const accessions = values(identifier, "AccessionNumber");
    if (accessions.length > 0) selector.accessionNumbers = accessions;
  }
  const hasUnique =
    (level === "PATIENT" && selector.patientIds !== undefined) ||
    (level === "STUDY" && (selector.studyInstanceUids !== undefined || selector.accessionNumbers !== undefined)) ||
    (level === "SERIES" && selector.seriesInstanceUids !== undefined) ||
    (level === "IMAGE" && selector.sopInstanceUids !== undefined);
  if (!hasUnique) {
    const extra = level === "STUDY" ? " (or AccessionNumber)" : "";
    throw new RetrieveRequestError(RetrieveStatus.IdentifierDoesNotMatchSopClass, `a ${level} level retrieve needs a value in ${UNIQUE_KEY[level]}${extra}`);
  }
  return selector;
}
