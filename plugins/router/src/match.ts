/** Rule matching: CallingAet and header keywords, `*` and `?` wildcards (as Orthanc's and DICOM's C-FIND use them). */

import type { StoredInstanceEvent } from "@dicomtls/plugin-api";

/** The keywords a rule may match on, and where each is read. */
const FIELDS: Readonly<Record<string, (i: StoredInstanceEvent) => string | number | undefined>> = {
  CallingAet: (i) => i.callingAet,
  CalledAet: (i) => i.calledAet,
  SOPClassUID: (i) => i.sopClassUid,
  SOPInstanceUID: (i) => i.sopInstanceUid,
  Modality: (i) => i.header.modality,
  PatientID: (i) => i.header.patientId,
  PatientName: (i) => i.header.patientName,
  StudyInstanceUID: (i) => i.header.studyInstanceUid,
  SeriesInstanceUID: (i) => i.header.seriesInstanceUid,
  StudyDate: (i) => i.header.studyDate,
  StudyDescription: (i) => i.header.studyDescription,
  SeriesDescription: (i) => i.header.seriesDescription,
  AccessionNumber: (i) => i.header.accessionNumber,
  StudyID: (i) => i.header.studyId,
};

export const MATCH_KEYS: ReadonlySet<string> = new Set(Object.keys(FIELDS));

/** `*` any run of characters, `?` one character; the rest literal; the whole value must match. */
export function wildcardRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "s");
}

export type CompiledMatch = (i: StoredInstanceEvent) => boolean;

/** Every key must match; an attribute the instance lacks matches only `*`. */
export function compileMatch(match: Readonly<Record<string, string>>): CompiledMatch {
  const tests = Object.entries(match).map(([key, pattern]) => {
    const read = FIELDS[key]!;
    const re = wildcardRegExp(pattern);
    return (i: StoredInstanceEvent): boolean => {
      const v = read(i);
      return v === undefined ? pattern === "*" : re.test(String(v).trim());
    };
  });
  return (i) => tests.every((t) => t(i));
}
