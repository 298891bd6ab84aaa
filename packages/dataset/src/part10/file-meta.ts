/**
 * The File Meta Information of a Part 10 file (PS3.10 §7.1), written and read here only: the storage writer puts it
 * in front of every stored dataset, the CLI in front of every retrieved one; the worker tasks, storage's recovery,
 * check and reindex read it. Pure byte work: callers do their own I/O (sync in a worker, async in storage).
 */
import { FileError, FileErrorCode } from "../worker/errors.js";
import { FileMetaError } from "./errors.js";

/** PS3.10 §7.1: the File Meta Information written in front of every stored dataset. */
export interface FileMetaInformation {
  /** (0002,0002), from the C-STORE command's Affected SOP Class UID. */
  mediaStorageSopClassUid: string;
  /** (0002,0003), from the C-STORE command's Affected SOP Instance UID. */
  mediaStorageSopInstanceUid: string;
  /** (0002,0010): the transfer syntax of the presentation context the dataset arrived on. */
  transferSyntaxUid: string;
  /** (0002,0012): this node's implementation class UID. */
  implementationClassUid: string;
  /** (0002,0013): this node's implementation version name (at most 16 characters). */
  implementationVersionName?: string;
  /** (0002,0016): the calling AE title of the association. */
  sourceAeTitle?: string;
}

/** What a read File Meta says. (0002,0012) is Type 1, yet files from elsewhere lack it at times: they are still sent. */
export interface ReadFileMeta extends Omit<FileMetaInformation, "implementationClassUid"> {
  implementationClassUid?: string;
  /** Byte offset of the dataset in the file (after preamble, "DICM" and group 0002). */
  datasetOffset: number;
}

/** The outcome of decoding a file's first bytes: the File Meta, or how many first bytes to read for it. */
export type FileMetaDecoding = { readonly kind: "meta"; readonly meta: ReadFileMeta } | { readonly kind: "more"; readonly bytes: number };

export const PREAMBLE_LENGTH = 128;
const PREFIX = "DICM";
/** Preamble and "DICM": where group 0002 starts. */
const META_START = PREAMBLE_LENGTH + 4;
/** A longer File Meta is not one (real ones are a few hundred bytes): stop reading instead of growing forever. */
export const MAX_FILE_META_BYTES = 1 << 20;
/** More than any File Meta seen in practice: the first read of a file. */
export const FIRST_FILE_META_READ = 8192;
/** PS3.5 §7.1.2: explicit VRs with a 32-bit length. */
const LONG_VRS: ReadonlySet<string> = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]);
/** PS3.5 §9.1: a UID is digits and dots, components without leading zeros, at most 64 characters. */
const UID = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;

/** PS3.5 §9.1 */
export function isUid(value: string): boolean {
  return value.length > 0 && value.length <= 64 && UID.test(value);
}

function checkUid(value: string, what: string): void {
  if (!isUid(value)) throw new FileMetaError(`${what} ${JSON.stringify(value)} is not a valid UID (PS3.5 §9.1)`);
}

/** PS3.5 §6.2: even length; UI pads with NUL, text VRs with a space. */
function padded(value: string, pad: number): Buffer {
  const b = Buffer.from(value, "latin1");
  return b.length % 2 === 0 ? b : Buffer.concat([b, Buffer.from([pad])]);
}

/** PS3.5 §7.1.2: Explicit VR Little Endian element; OB/UN-style header for OB, short header otherwise. */
function element(group: number, elem: number, vr: "UL" | "OB" | "UI" | "SH" | "AE", value: Buffer): Buffer {
  const long = vr === "OB";
  const h = Buffer.alloc(long ? 12 : 8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(elem, 2);
  h.write(vr, 4, "latin1");
  if (long) h.writeUInt32LE(value.length, 8);
  else h.writeUInt16LE(value.length, 6);
  return Buffer.concat([h, value]);
}

function checkText(value: string, what: string, max: number): void {
  // PS3.5 §6.2 (AE, SH): default repertoire without backslash or control characters.
  if (value.length === 0 || value.length > max || !/^[\x20-\x5b\x5d-\x7e]+$/.test(value)) {
    throw new FileMetaError(`${what} ${JSON.stringify(value)} must be 1-${max} printable ASCII characters without "\\"`);
  }
}

/**
 * Preamble (128 zero bytes), "DICM" and group 0002 in Explicit VR Little Endian with its group length
 * (PS3.10 §7.1, §7.3). Throws FileMetaError (ERR_DICOM_FILE_META_INVALID_VALUE) for a value that cannot be written.
 */
export function encodeFileMeta(meta: FileMetaInformation): Buffer {
  checkUid(meta.mediaStorageSopClassUid, "Media Storage SOP Class UID");
  checkUid(meta.mediaStorageSopInstanceUid, "Media Storage SOP Instance UID");
  checkUid(meta.transferSyntaxUid, "Transfer Syntax UID");
  checkUid(meta.implementationClassUid, "Implementation Class UID");
  const parts = [
    element(0x0002, 0x0001, "OB", Buffer.from([0x00, 0x01])), // File Meta Information Version 00\01
    element(0x0002, 0x0002, "UI", padded(meta.mediaStorageSopClassUid, 0)),
    element(0x0002, 0x0003, "UI", padded(meta.mediaStorageSopInstanceUid, 0)),
    element(0x0002, 0x0010, "UI", padded(meta.transferSyntaxUid, 0)),
    element(0x0002, 0x0012, "UI", padded(meta.implementationClassUid, 0)),
  ];
  if (meta.implementationVersionName !== undefined) {
    checkText(meta.implementationVersionName, "Implementation Version Name", 16);
    parts.push(element(0x0002, 0x0013, "SH", padded(meta.implementationVersionName, 0x20)));
  }
  if (meta.sourceAeTitle !== undefined) {
    const ae = meta.sourceAeTitle.trim();
    checkText(ae, "Source AE title", 16);
    parts.push(element(0x0002, 0x0016, "AE", padded(ae, 0x20)));
  }
  const body = Buffer.concat(parts);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length, 0);
  return Buffer.concat([Buffer.alloc(PREAMBLE_LENGTH), Buffer.from(PREFIX, "latin1"), element(0x0002, 0x0000, "UL", groupLength), body]);
}

/** A UI or short text value without its padding (PS3.5 §6.2: NUL for UI, space for text). */
function text(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start)
    .toString("latin1")
    .replace(/[\0 ]+$/, "");
}

/**
 * Decodes the File Meta from the first `bytes` of the file at `path` (named in errors). `endOfFile` says `bytes` reach
 * the end of the file; otherwise a File Meta running past them asks for more (`kind: "more"`, the first bytes to read
 * next, always more than given). Group 0002 is walked element by element (PS3.10 §7.1: always Explicit VR Little
 * Endian), so a missing or wrong (0002,0000) group length does not misplace the dataset. Throws FileError
 * ERR_DICOM_FILE_NOT_PART10 naming the file and the fault.
 */
export function decodeFileMeta(bytes: Uint8Array, path: string, endOfFile: boolean): FileMetaDecoding {
  const notPart10 = (why: string): FileError => new FileError(FileErrorCode.NotPart10, path, `not a DICOM Part 10 file: ${why}`);
  const more = (atLeast: number): FileMetaDecoding => {
    if (atLeast > MAX_FILE_META_BYTES) throw notPart10(`the File Meta runs past ${MAX_FILE_META_BYTES} bytes`);
    return { kind: "more", bytes: Math.min(MAX_FILE_META_BYTES, Math.max(atLeast, bytes.byteLength * 4, FIRST_FILE_META_READ)) };
  };
  if (bytes.byteLength < META_START + 8) {
    if (endOfFile) throw notPart10(`only ${bytes.byteLength} bytes`);
    return more(META_START + 8);
  }
  if (text(bytes, PREAMBLE_LENGTH, META_START) !== PREFIX) throw notPart10(`no "DICM" at offset ${PREAMBLE_LENGTH}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields = new Map<number, string>();
  let p = META_START;
  for (;;) {
    if (p + 8 > bytes.byteLength) {
      if (endOfFile) break;
      return more(p + 12);
    }
    if (view.getUint16(p, true) !== 0x0002) break;
    const elem = view.getUint16(p + 2, true);
    const vr = String.fromCharCode(view.getUint8(p + 4), view.getUint8(p + 5));
    const long = LONG_VRS.has(vr);
    if (long && p + 12 > bytes.byteLength) {
      if (endOfFile) throw notPart10(`the File Meta element at offset ${p} is cut short by the end of the file`);
      return more(p + 12);
    }
    const length = long ? view.getUint32(p + 8, true) : view.getUint16(p + 6, true);
    const valueOffset = p + (long ? 12 : 8);
    if (valueOffset + length > bytes.byteLength) {
      if (endOfFile) throw notPart10(`the File Meta element at offset ${p} runs past the end of the file`);
      return more(valueOffset + length + 8);
    }
    fields.set(elem, text(bytes, valueOffset, valueOffset + length));
    p = valueOffset + length;
  }
  const need = (elem: number, name: string): string => {
    const v = fields.get(elem);
    if (v === undefined || v === "") throw notPart10(`the File Meta lacks ${name}`);
    return v;
  };
  const meta: ReadFileMeta = {
    mediaStorageSopClassUid: need(0x0002, "(0002,0002) Media Storage SOP Class UID"),
    mediaStorageSopInstanceUid: need(0x0003, "(0002,0003) Media Storage SOP Instance UID"),
    transferSyntaxUid: need(0x0010, "(0002,0010) Transfer Syntax UID"),
    datasetOffset: p,
  };
  const optional = { implementationClassUid: 0x0012, implementationVersionName: 0x0013, sourceAeTitle: 0x0016 } as const;
  for (const [key, elem] of Object.entries(optional) as Array<[keyof typeof optional, number]>) {
    const v = fields.get(elem);
    if (v) meta[key] = v;
  }
  return { kind: "meta", meta };
}
