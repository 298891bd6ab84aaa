import type { FileHandle } from "node:fs/promises";
import { StorageError, StorageErrorCode } from "./errors.js";
import { checkUid } from "./layout.js";

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

export const PREAMBLE_LENGTH = 128;
const PREFIX = "DICM";
/** Preamble, "DICM", and the (0002,0000) element: where the rest of group 0002 starts. */
const GROUP_START = PREAMBLE_LENGTH + 4 + 12;

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
    throw new StorageError(StorageErrorCode.InvalidValue, `${what} ${JSON.stringify(value)} must be 1-${max} printable ASCII characters without "\\"`);
  }
}

/**
 * Preamble (128 zero bytes), "DICM" and group 0002 in Explicit VR Little Endian with its group length
 * (PS3.10 §7.1, §7.3).
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

export interface ReadFileMeta extends FileMetaInformation {
  /** Byte offset of the dataset in the file. */
  datasetOffset: number;
}

/** Reads and checks the File Meta of a Part 10 file (PS3.10 §7.1); throws ERR_DICOM_STORAGE_IO naming the file. */
export async function readFileMeta(fh: FileHandle, path: string): Promise<ReadFileMeta> {
  const bad = (why: string): StorageError => new StorageError(StorageErrorCode.Io, `${path} is not a DICOM Part 10 file: ${why}`, path);
  const head = Buffer.alloc(GROUP_START);
  const { bytesRead } = await fh.read(head, 0, GROUP_START, 0);
  if (bytesRead < GROUP_START || head.toString("latin1", PREAMBLE_LENGTH, PREAMBLE_LENGTH + 4) !== PREFIX) throw bad("no DICM prefix");
  if (head.readUInt32LE(132) !== 0x00000002 || head.toString("latin1", 136, 138) !== "UL") throw bad("no (0002,0000) group length");
  const groupLength = head.readUInt32LE(140);
  if (groupLength > 1 << 20) throw bad(`File Meta group length ${groupLength} is implausible`);
  const group = Buffer.alloc(groupLength);
  const r = await fh.read(group, 0, groupLength, GROUP_START);
  if (r.bytesRead < groupLength) throw bad("the File Meta is cut short");
  const values = new Map<number, string>();
  let p = 0;
  while (p + 8 <= groupLength) {
    const elem = group.readUInt16LE(p + 2);
    const vr = group.toString("latin1", p + 4, p + 6);
    const long = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"].includes(vr);
    const len = long ? group.readUInt32LE(p + 8) : group.readUInt16LE(p + 6);
    const start = p + (long ? 12 : 8);
    if (start + len > groupLength) throw bad("an element runs past the File Meta group length");
    values.set(elem, group.toString("latin1", start, start + len).replace(/[\0 ]+$/, ""));
    p = start + len;
  }
  const need = (elem: number, name: string): string => {
    const v = values.get(elem);
    if (v === undefined || v === "") throw bad(`File Meta lacks ${name}`);
    return v;
  };
  const meta: ReadFileMeta = {
    mediaStorageSopClassUid: need(0x0002, "(0002,0002) Media Storage SOP Class UID"),
    mediaStorageSopInstanceUid: need(0x0003, "(0002,0003) Media Storage SOP Instance UID"),
    transferSyntaxUid: need(0x0010, "(0002,0010) Transfer Syntax UID"),
    implementationClassUid: need(0x0012, "(0002,0012) Implementation Class UID"),
    datasetOffset: GROUP_START + groupLength,
  };
  const version = values.get(0x0013);
  if (version) meta.implementationVersionName = version;
  const ae = values.get(0x0016);
  if (ae) meta.sourceAeTitle = ae;
  return meta;
}
