import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { FileError, FileErrorCode } from "./errors.js";
import type { FileInfo } from "./protocol.js";

/** PS3.10 §7.1: 128-byte preamble, then "DICM". */
const PREAMBLE_LENGTH = 128;
const META_START = PREAMBLE_LENGTH + 4;
/** PS3.5 §7.1.2: explicit VRs with a 32-bit length. */
const LONG_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]);
/** More than any File Meta seen in practice; a longer one is read again in full. */
const FIRST_READ = 8192;

/** An open file read with positional sync reads: the worker's thread is ours to block, and sync reads cost least. */
export class FileReader {
  readonly fd: number;
  readonly size: number;
  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, "r");
      this.size = fstatSync(this.fd).size;
    } catch (err) {
      throw new FileError(FileErrorCode.Read, path, `cannot open the file (${(err as Error).message})`, { cause: err });
    }
  }

  /** Fills `target[offset, offset + length)` from file position `position`; the bytes must all be there. */
  readInto(target: Uint8Array, offset: number, length: number, position: number): void {
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        n = readSync(this.fd, target, offset + done, length - done, position + done);
      } catch (err) {
        throw new FileError(FileErrorCode.Read, this.path, `read failed at offset ${position + done} (${(err as Error).message})`, { cause: err });
      }
      if (n === 0) {
        throw new FileError(FileErrorCode.Read, this.path, `the file ended at offset ${position + done}, expected ${position + length} bytes: it changed while being read`);
      }
      done += n;
    }
  }

  read(position: number, length: number): Uint8Array {
    const b = new Uint8Array(length);
    this.readInto(b, 0, length, position);
    return b;
  }

  close(): void {
    closeSync(this.fd);
  }
}

export function withFile<T>(path: string, use: (file: FileReader) => T): T {
  const file = new FileReader(path);
  try {
    return use(file);
  } finally {
    file.close();
  }
}

function uid(bytes: Uint8Array): string {
  // PS3.5 §6.2: UI values are padded with NUL to even length.
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1").replace(/[\0 ]+$/, "");
}

/** Reads preamble and File Meta (PS3.10 §7.1; group 0002 is always Explicit VR Little Endian). */
export function readFileInfo(file: FileReader): FileInfo {
  const notPart10 = (why: string): FileError => new FileError(FileErrorCode.NotPart10, file.path, `not a DICOM Part 10 file: ${why}`);
  if (file.size < META_START + 8) throw notPart10(`only ${file.size} bytes`);
  let head = file.read(0, Math.min(file.size, FIRST_READ));
  if (Buffer.from(head.buffer, PREAMBLE_LENGTH, 4).toString("latin1") !== "DICM") throw notPart10(`no "DICM" at offset ${PREAMBLE_LENGTH}`);
  let view = new DataView(head.buffer);
  const fields = new Map<number, Uint8Array>();
  let p = META_START;
  for (;;) {
    if (p + 8 > head.byteLength) {
      if (head.byteLength === file.size) break;
      head = file.read(0, Math.min(file.size, head.byteLength * 4));
      view = new DataView(head.buffer);
      continue;
    }
    const group = view.getUint16(p, true);
    if (group !== 0x0002) break;
    const tag = ((group << 16) | view.getUint16(p + 2, true)) >>> 0;
    const vr = String.fromCharCode(view.getUint8(p + 4), view.getUint8(p + 5));
    const long = LONG_VRS.has(vr);
    if (long && p + 12 > head.byteLength && head.byteLength < file.size) {
      head = file.read(0, Math.min(file.size, head.byteLength * 4));
      view = new DataView(head.buffer);
      continue;
    }
    const length = long ? view.getUint32(p + 8, true) : view.getUint16(p + 6, true);
    const valueOffset = p + (long ? 12 : 8);
    if (valueOffset + length > file.size) throw notPart10(`File Meta element at offset ${p} runs past the end of the file`);
    if (valueOffset + length > head.byteLength) {
      head = file.read(0, Math.min(file.size, Math.max(head.byteLength * 4, valueOffset + length)));
      view = new DataView(head.buffer);
      continue;
    }
    fields.set(tag, head.subarray(valueOffset, valueOffset + length));
    p = valueOffset + length;
  }
  const need = (tag: number, name: string): string => {
    const v = fields.get(tag);
    const s = v === undefined ? "" : uid(v);
    if (s === "") throw notPart10(`the File Meta lacks ${name}`);
    return s;
  };
  return {
    sopClassUid: need(0x00020002, "(0002,0002) Media Storage SOP Class UID"),
    sopInstanceUid: need(0x00020003, "(0002,0003) Media Storage SOP Instance UID"),
    transferSyntaxUid: need(0x00020010, "(0002,0010) Transfer Syntax UID"),
    datasetOffset: p,
    datasetLength: file.size - p,
    fileSize: file.size,
  };
}
