import { convertTransferSyntax, elementHeader } from "../dataset/convert.js";
import { elementEnd, LONG_LENGTH_VRS, readElementHeader, scanHeader, tagString, UNDEFINED_LENGTH, type ElementHeader } from "../dataset/element-reader.js";
import { DatasetError, DatasetErrorCode } from "../dataset/errors.js";
import { implicitVr, type VrContext } from "../dataset/implicit-vr.js";
import { DatasetTransferSyntax, datasetEncoding, type DatasetEncoding } from "../dataset/transfer-syntax.js";
import { FileError, FileErrorCode } from "./errors.js";
import type { FileReader } from "./part10.js";
import type { DatasetSegment, FileInfo } from "./protocol.js";

/** Values after the header longer than this are sent from the file; shorter ones are read into the plan. */
const BULK_ELEMENT_BYTES = 64 * 1024;
const FIRST_HEADER_READ = 64 * 1024;

export interface DatasetPlan {
  segments: DatasetSegment[];
  datasetLength: number;
  converted: boolean;
}

function isConvertible(from: string, to: string): boolean {
  const { ImplicitVrLittleEndian: i, ExplicitVrLittleEndian: e } = DatasetTransferSyntax;
  return (from === i && to === e) || (from === e && to === i);
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.byteLength;
  }
  return out;
}

/** The top-level attributes an ambiguous VR depends on (as the converter notes them, PS3.5 §A.1). */
function vrContext(header: Uint8Array, enc: DatasetEncoding): VrContext {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const ctx: VrContext = {};
  let p = 0;
  while (p < header.byteLength) {
    const h = readElementHeader(view, p, header.byteLength, enc);
    if (h === null) break;
    if (h.length === 2 && h.tag === 0x00280100) ctx.bitsAllocated = view.getUint16(h.valueOffset, true);
    if (h.length === 2 && h.tag === 0x00280103) ctx.pixelRepresentation = view.getUint16(h.valueOffset, true);
    const next = elementEnd(view, h, header.byteLength, enc);
    if (next < 0) break;
    p = next;
  }
  return ctx;
}

/**
 * What to send for a file's dataset in the accepted transfer syntax, without holding the dataset in memory: as
 * stored it is one file range; converted (Implicit <-> Explicit VR LE only), it is the converted header (everything
 * before the pixel data, converted whole by `convertTransferSyntax`), then each later element: a plain value gets a
 * rewritten header and is sent as stored (from the file when large), a sequence is converted whole.
 */
export function planDataset(file: FileReader, info: FileInfo, toUid: string): DatasetPlan {
  const fromUid = info.transferSyntaxUid;
  const datasetEnd = info.datasetOffset + info.datasetLength;
  if (fromUid === toUid) {
    return { segments: [{ kind: "file", start: info.datasetOffset, end: datasetEnd }], datasetLength: info.datasetLength, converted: false };
  }
  if (!isConvertible(fromUid, toUid)) {
    throw new DatasetError(
      DatasetErrorCode.NotConvertible,
      `${file.path}: stored in transfer syntax ${fromUid}, accepted ${toUid}: only Implicit VR LE <-> Explicit VR LE is converted; ` +
        `propose ${fromUid} in the association request`,
      0,
    );
  }
  const fromEnc = datasetEncoding(fromUid);
  const toExplicit = datasetEncoding(toUid).explicitVr;

  // The header: read a prefix, longer until the walk reaches the bulk data or the end of the dataset.
  let prefix = file.read(info.datasetOffset, Math.min(info.datasetLength, FIRST_HEADER_READ));
  let scan = scanHeader(prefix, fromEnc);
  while (scan.truncated && prefix.byteLength < info.datasetLength) {
    prefix = file.read(info.datasetOffset, Math.min(info.datasetLength, prefix.byteLength * 4));
    scan = scanHeader(prefix, fromEnc);
  }
  if (scan.truncated) {
    throw new FileError(FileErrorCode.NotPart10, file.path, `the dataset ends inside ${scan.truncatedIn === undefined ? "an element header" : tagString(scan.truncatedIn)} at dataset offset ${scan.end}`);
  }
  const headerBytes = prefix.subarray(0, scan.end);
  const segments: DatasetSegment[] = [];
  let length = 0;
  const pushBytes = (bytes: Uint8Array): void => {
    if (bytes.byteLength === 0) return;
    segments.push({ kind: "bytes", bytes });
    length += bytes.byteLength;
  };
  const header = convertTransferSyntax(headerBytes, fromUid, toUid);
  pushBytes(concat(header.parts, header.byteLength));
  const ctx = vrContext(headerBytes, fromEnc);

  // Elements from the bulk data on: tags ascend (PS3.5 §7.1), so the context above is complete for them.
  let p = info.datasetOffset + scan.end;
  while (p < datasetEnd) {
    const at = p - info.datasetOffset;
    const headRead = file.read(p, Math.min(12, datasetEnd - p));
    const h = readElementHeader(new DataView(headRead.buffer), 0, headRead.byteLength, fromEnc);
    if (h === null) throw new FileError(FileErrorCode.NotPart10, file.path, `the dataset ends inside an element header at dataset offset ${at}`);
    if (h.tag >>> 16 === 0xfffe) throw new DatasetError(DatasetErrorCode.Unparsable, `${file.path}: item tag ${tagString(h.tag)} at top level, dataset offset ${at}`, at);
    const vr = fromEnc.explicitVr ? h.vr : implicitVr(h.tag, ctx);
    if (h.length !== UNDEFINED_LENGTH && vr !== "SQ") {
      // A plain value is copied as is whatever the encoding; only its header changes (as the converter does).
      const valueStart = p + (h.valueOffset - h.offset);
      const valueEnd = valueStart + h.length;
      if (valueEnd > datasetEnd) {
        throw new FileError(FileErrorCode.NotPart10, file.path, `${tagString(h.tag)} at dataset offset ${at} announces ${h.length} bytes, beyond the end of the file`);
      }
      // PS3.5 §6.2.2: a value too long for a 16-bit explicit length can only be written as UN.
      const outVr = toExplicit ? (vr !== undefined && !LONG_LENGTH_VRS.has(vr) && h.length > 0xffff ? "UN" : vr) : undefined;
      const head = elementHeader(h.tag, outVr, h.length);
      if (h.length > BULK_ELEMENT_BYTES) {
        pushBytes(head);
        segments.push({ kind: "file", start: valueStart, end: valueEnd });
        length += h.length;
      } else {
        const whole = new Uint8Array(head.byteLength + h.length);
        whole.set(head, 0);
        file.readInto(whole, head.byteLength, h.length, valueStart);
        pushBytes(whole);
      }
      p = valueEnd;
      continue;
    }
    if (h.length === UNDEFINED_LENGTH && !toExplicit && vr !== "SQ" && vr !== "UN") {
      throw new DatasetError(
        DatasetErrorCode.NotConvertible,
        `${file.path}: ${tagString(h.tag)} (${vr ?? "?"}) has undefined length (encapsulated data) at dataset offset ${at}: ` +
          `Implicit VR Little Endian cannot carry it, keep an encapsulated transfer syntax`,
        at,
      );
    }
    const element = readWholeElement(file, p, datasetEnd, h, fromEnc);
    const converted = convertTransferSyntax(element, fromUid, toUid);
    pushBytes(concat(converted.parts, converted.byteLength));
    p += element.byteLength;
  }
  return { segments, datasetLength: length, converted: true };
}

/** The bytes of the element at file position `p` (a sequence or a small value), read until its end is found. */
function readWholeElement(file: FileReader, p: number, datasetEnd: number, h: ElementHeader, enc: DatasetEncoding): Uint8Array {
  let size = h.length === UNDEFINED_LENGTH ? Math.min(datasetEnd - p, FIRST_HEADER_READ) : h.valueOffset + h.length;
  for (;;) {
    if (p + size > datasetEnd) {
      throw new FileError(FileErrorCode.NotPart10, file.path, `${tagString(h.tag)} at file offset ${p} runs past the end of the file`);
    }
    const bytes = file.read(p, size);
    const end = elementEnd(new DataView(bytes.buffer), h, size, enc);
    if (end >= 0) return bytes.subarray(0, end);
    if (p + size === datasetEnd) {
      throw new FileError(FileErrorCode.NotPart10, file.path, `${tagString(h.tag)} at file offset ${p} is not closed before the end of the file`);
    }
    size = Math.min(datasetEnd - p, size * 4);
  }
}
