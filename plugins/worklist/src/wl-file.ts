/**
 * One worklist entry: a `.wl` file, a DICOM Part 10 file (as `dump2dcm` writes them, PS3.10 §7.1), decoded into the
 * same keyword -> values shape a C-FIND identifier decodes to, so one matcher serves both.
 */

import { readFile } from "node:fs/promises";
import { decodeIdentifier, type DecodedIdentifier } from "@dicomtls/dataset";

/** A worklist file that cannot be served; the message names the file and what is wrong with it. */
export class WorklistFileError extends Error {
  readonly code = "ERR_DICOM_WORKLIST_FILE";
  constructor(
    readonly path: string,
    why: string,
  ) {
    super(`${path}: ${why}`);
    this.name = "WorklistFileError";
  }
}

export interface WorklistEntry {
  /** The file name without its folder ("exam1.wl"). */
  readonly name: string;
  readonly path: string;
  /** Its data set, keyword (or "GGGGEEEE") -> values, sequences as lists of items. */
  readonly dataset: DecodedIdentifier;
}

/** PS3.10 §7.1: 128-byte preamble, "DICM", then the File Meta group (Explicit VR Little Endian). */
const PREAMBLE = 128;
const MAGIC = "DICM";
/** (0002,0010) Transfer Syntax UID. */
const TRANSFER_SYNTAX_UID = 0x00020010;
/** PS3.5 §7.1.2: these VRs have a 2-byte reserved field and a 4-byte length in Explicit VR. */
const LONG_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]);

/** Where the data set starts and its transfer syntax, from the File Meta group. */
function metaOf(bytes: Buffer, path: string): { start: number; transferSyntaxUid: string } {
  if (bytes.length < PREAMBLE + 4 || bytes.toString("latin1", PREAMBLE, PREAMBLE + 4) !== MAGIC) {
    throw new WorklistFileError(path, `not a DICOM Part 10 file (no "DICM" at offset ${PREAMBLE}); make it with dump2dcm`);
  }
  let p = PREAMBLE + 4;
  let transferSyntaxUid: string | undefined;
  while (p + 8 <= bytes.length && bytes.readUInt16LE(p) === 0x0002) {
    const tag = ((bytes.readUInt16LE(p) << 16) | bytes.readUInt16LE(p + 2)) >>> 0;
    const vr = bytes.toString("latin1", p + 4, p + 6);
    const long = LONG_VRS.has(vr);
    const length = long ? bytes.readUInt32LE(p + 8) : bytes.readUInt16LE(p + 6);
    const valueAt = p + (long ? 12 : 8);
    if (valueAt + length > bytes.length) throw new WorklistFileError(path, `the File Meta element at offset ${p} runs past the end of the file`);
    if (tag === TRANSFER_SYNTAX_UID) transferSyntaxUid = bytes.toString("latin1", valueAt, valueAt + length).replace(/[\0 ]+$/, "");
    p = valueAt + length;
  }
  if (transferSyntaxUid === undefined) throw new WorklistFileError(path, "the File Meta group has no Transfer Syntax UID (0002,0010)");
  return { start: p, transferSyntaxUid };
}

/** Decodes a `.wl` file's bytes; throws WorklistFileError naming the file. */
export function decodeWorklistFile(bytes: Buffer, path: string): DecodedIdentifier {
  const { start, transferSyntaxUid } = metaOf(bytes, path);
  try {
    return decodeIdentifier(bytes.subarray(start), transferSyntaxUid);
  } catch (err) {
    throw new WorklistFileError(path, err instanceof Error ? err.message : String(err));
  }
}

/** Reads and decodes one `.wl` file. */
export async function readWorklistFile(path: string, name: string): Promise<WorklistEntry> {
  const bytes = await readFile(path);
  return { name, path, dataset: decodeWorklistFile(bytes, path) };
}
