import type { DcmjsDict } from "dcmjs";

/**
 * Orthanc's "main DICOM tags" of every level (OrthancFramework DicomMap.cpp, DEFAULT_1_11_*), which the index holds so
 * that C-FIND matches them without reading files: dcmjs tag key and PS3.6 keyword. @dicomtls/storage keeps the same
 * keywords per level (its main-tags.ts; a storage test compares the two lists).
 */
export const MAIN_TAGS: ReadonlyArray<readonly [string, string]> = [
  // Patient
  ["00100010", "PatientName"],
  ["00100020", "PatientID"],
  ["00100030", "PatientBirthDate"],
  ["00100040", "PatientSex"],
  ["00101000", "OtherPatientIDs"],
  // Study
  ["00080020", "StudyDate"],
  ["00080030", "StudyTime"],
  ["00200010", "StudyID"],
  ["00081030", "StudyDescription"],
  ["00080050", "AccessionNumber"],
  ["0020000D", "StudyInstanceUID"],
  ["00321060", "RequestedProcedureDescription"],
  ["00080080", "InstitutionName"],
  ["00321032", "RequestingPhysician"],
  ["00080090", "ReferringPhysicianName"],
  // Series
  ["00080021", "SeriesDate"],
  ["00080031", "SeriesTime"],
  ["00080060", "Modality"],
  ["00080070", "Manufacturer"],
  ["00081010", "StationName"],
  ["0008103E", "SeriesDescription"],
  ["00180015", "BodyPartExamined"],
  ["00180024", "SequenceName"],
  ["00181030", "ProtocolName"],
  ["00200011", "SeriesNumber"],
  ["00181090", "CardiacNumberOfImages"],
  ["00201002", "ImagesInAcquisition"],
  ["00200105", "NumberOfTemporalPositions"],
  ["00540081", "NumberOfSlices"],
  ["00540101", "NumberOfTimeSlices"],
  ["0020000E", "SeriesInstanceUID"],
  ["00200037", "ImageOrientationPatient"],
  ["00541000", "SeriesType"],
  ["00081070", "OperatorsName"],
  ["00400254", "PerformedProcedureStepDescription"],
  ["00181400", "AcquisitionDeviceProcessingDescription"],
  ["00180010", "ContrastBolusAgent"],
  // Instance
  ["00080012", "InstanceCreationDate"],
  ["00080013", "InstanceCreationTime"],
  ["00200012", "AcquisitionNumber"],
  ["00541330", "ImageIndex"],
  ["00200013", "InstanceNumber"],
  ["00280008", "NumberOfFrames"],
  ["00200100", "TemporalPositionIdentifier"],
  ["00080018", "SOPInstanceUID"],
  ["00200032", "ImagePositionPatient"],
  ["00204000", "ImageComments"],
  ["00080016", "SOPClassUID"],
];

/** Trailing padding (PS3.5 §6.2: space for text, NUL for UI) and the leading spaces text VRs may carry. */
const trimText = (s: string): string => s.replace(/[\0 ]+$/, "").replace(/^ +/, "");

/** One value as text: PN as its component groups joined with "=" (PS3.5 §6.2.1), numbers as the dataset wrote them. */
function valueText(value: unknown, raw: unknown): string {
  if (typeof value === "string") return trimText(value);
  if (typeof raw === "string") return trimText(raw);
  if (typeof value === "number") return String(value);
  if (value !== null && typeof value === "object") {
    const pn = value as { Alphabetic?: unknown; Ideographic?: unknown; Phonetic?: unknown };
    const groups = [pn.Alphabetic, pn.Ideographic, pn.Phonetic].map((g) => (typeof g === "string" ? g : ""));
    return trimText(groups.join("=").replace(/=+$/, ""));
  }
  return "";
}

/**
 * The main tags present in `dict` (the selected header elements dcmjs read), by keyword: strings as decoded through
 * the Specific Character Set, several values joined with `\`, IS/DS as written (dcmjs' raw strings, not numbers).
 * Absent and empty attributes are left out.
 */
export function readMainTags(dict: DcmjsDict): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [tag, keyword] of MAIN_TAGS) {
    const el = dict[tag];
    const values = el?.Value;
    if (el === undefined || !Array.isArray(values) || values.length === 0) continue;
    const raw: unknown = el._rawValue;
    const numeric = el.vr === "IS" || el.vr === "DS";
    const texts = values.map((v: unknown, i: number) => valueText(v, numeric && Array.isArray(raw) ? raw[i] : undefined));
    const joined = texts.join("\\");
    if (joined.replace(/\\/g, "") !== "") out[keyword] = joined;
  }
  return out;
}
