import { TRANSFER_SYNTAXES } from "../uids/transfer-syntaxes.js";

/** PS3.5 §A.2 */
export const EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1";
/** PS3.5 §A.1 */
export const IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2";

/**
 * Table A-1 rows that no Storage SCU sends a dataset in over DIMSE, so a C-STORE SCP never offers them: the retired
 * RFC 2557 MIME and XML encodings (media encodings, not dataset byte streams), the SMPTE ST 2110 syntaxes (the
 * DICOM-RTV real-time flow) and Papyrus 3 (a file format). DCMTK's table of usable syntaxes (dcxfer.cc) lacks them too.
 */
const NOT_FOR_STORAGE: ReadonlySet<string> = new Set([
  "1.2.840.10008.1.2.6.1",
  "1.2.840.10008.1.2.6.2",
  "1.2.840.10008.1.2.7.1",
  "1.2.840.10008.1.2.7.2",
  "1.2.840.10008.1.2.7.3",
  "1.2.840.10008.1.20",
]);

/**
 * The transfer syntaxes a Storage SCP can accept, in our order of preference: Explicit VR Little Endian, Implicit VR
 * Little Endian, then the rest of PS3.6 Table A-1 in UID order (the native retired ones, the encapsulated ones, JPIP).
 * Every one is stored as received (the bytes on disk are the bytes on the wire), so none needs a codec here.
 */
export const STORAGE_TRANSFER_SYNTAXES: readonly string[] = Object.freeze([
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
  ...TRANSFER_SYNTAXES.map((t) => t.uid).filter((uid) => uid !== EXPLICIT_VR_LITTLE_ENDIAN && uid !== IMPLICIT_VR_LITTLE_ENDIAN && !NOT_FOR_STORAGE.has(uid)),
]);

/**
 * Orthanc's legacy `*TransferSyntaxAccepted` switches and the syntaxes each one adds (true) or removes (false) after
 * `AcceptedTransferSyntaxes` was applied [Orthanc `OrthancConfiguration::GetAcceptedTransferSyntaxes`,
 * `GetTransferSyntaxGroup`]. Orthanc's own grouping, including its naming: "JpegLossless" is JPEG-LS, while the
 * lossless JPEG processes belong to "Jpeg". Beyond Orthanc 1.10.1, which does not know them: the fragmentable MPEG
 * variants join their MPEG group, HTJ2K joins JPEG 2000 and JPIP HTJ2K joins JPIP, so that switching a codec family
 * off switches all of it off.
 */
export const ORTHANC_TRANSFER_SYNTAX_GROUPS = {
  DeflatedTransferSyntaxAccepted: ["1.2.840.10008.1.2.1.99"],
  JpegTransferSyntaxAccepted: [
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.52",
    "1.2.840.10008.1.2.4.53",
    "1.2.840.10008.1.2.4.54",
    "1.2.840.10008.1.2.4.55",
    "1.2.840.10008.1.2.4.56",
    "1.2.840.10008.1.2.4.57",
    "1.2.840.10008.1.2.4.58",
    "1.2.840.10008.1.2.4.59",
    "1.2.840.10008.1.2.4.60",
    "1.2.840.10008.1.2.4.61",
    "1.2.840.10008.1.2.4.62",
    "1.2.840.10008.1.2.4.63",
    "1.2.840.10008.1.2.4.64",
    "1.2.840.10008.1.2.4.65",
    "1.2.840.10008.1.2.4.66",
    "1.2.840.10008.1.2.4.70",
  ],
  Jpeg2000TransferSyntaxAccepted: [
    "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.4.91",
    "1.2.840.10008.1.2.4.92",
    "1.2.840.10008.1.2.4.93",
    "1.2.840.10008.1.2.4.201",
    "1.2.840.10008.1.2.4.202",
    "1.2.840.10008.1.2.4.203",
  ],
  JpegLosslessTransferSyntaxAccepted: ["1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"],
  JpipTransferSyntaxAccepted: ["1.2.840.10008.1.2.4.94", "1.2.840.10008.1.2.4.95", "1.2.840.10008.1.2.4.204", "1.2.840.10008.1.2.4.205"],
  Mpeg2TransferSyntaxAccepted: ["1.2.840.10008.1.2.4.100", "1.2.840.10008.1.2.4.100.1", "1.2.840.10008.1.2.4.101", "1.2.840.10008.1.2.4.101.1"],
  Mpeg4TransferSyntaxAccepted: [
    "1.2.840.10008.1.2.4.102",
    "1.2.840.10008.1.2.4.102.1",
    "1.2.840.10008.1.2.4.103",
    "1.2.840.10008.1.2.4.103.1",
    "1.2.840.10008.1.2.4.104",
    "1.2.840.10008.1.2.4.104.1",
    "1.2.840.10008.1.2.4.105",
    "1.2.840.10008.1.2.4.105.1",
    "1.2.840.10008.1.2.4.106",
    "1.2.840.10008.1.2.4.106.1",
  ],
  RleTransferSyntaxAccepted: ["1.2.840.10008.1.2.5"],
  H265TransferSyntaxAccepted: ["1.2.840.10008.1.2.4.107", "1.2.840.10008.1.2.4.108"],
} as const satisfies Record<string, readonly string[]>;

export type OrthancTransferSyntaxGroup = keyof typeof ORTHANC_TRANSFER_SYNTAX_GROUPS;

/** Orthanc `Toolbox::WildcardToRegularExpression`: `*` any run, `?` one character, the whole UID must match. */
function wildcardMatcher(pattern: string): (uid: string) => boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  const re = new RegExp(`^${source}$`);
  return (uid) => re.test(uid);
}

/**
 * The transfer syntaxes to accept for storage, in our preference order, from Orthanc's options: the UIDs of
 * STORAGE_TRANSFER_SYNTAXES matching any `AcceptedTransferSyntaxes` pattern (wildcards `*` and `?`; Orthanc's
 * default `1.2.840.10008.1.*` matches all of them), then each legacy group switch that is set adds or removes its
 * syntaxes (unset, `null` or `undefined`: no change).
 */
export function acceptedTransferSyntaxes(
  patterns: readonly string[],
  groups: Readonly<Partial<Record<string, boolean | null>>> = {},
): string[] {
  const matchers = patterns.map(wildcardMatcher);
  const accepted = new Set(STORAGE_TRANSFER_SYNTAXES.filter((uid) => matchers.some((m) => m(uid))));
  for (const [option, members] of Object.entries(ORTHANC_TRANSFER_SYNTAX_GROUPS)) {
    const on = groups[option];
    if (on === true) for (const uid of members) accepted.add(uid);
    else if (on === false) for (const uid of members) accepted.delete(uid);
  }
  return STORAGE_TRANSFER_SYNTAXES.filter((uid) => accepted.has(uid));
}
