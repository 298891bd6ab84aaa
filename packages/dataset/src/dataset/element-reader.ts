import { DatasetError, DatasetErrorCode } from "./errors.js";
import type { DatasetEncoding } from "./transfer-syntax.js";
import { IMPLICIT_LITTLE_ENDIAN } from "./transfer-syntax.js";

/** PS3.5 §7.1.1: a value length of 0xFFFFFFFF means "undefined", closed by a delimitation item. */
export const UNDEFINED_LENGTH = 0xffffffff;
/** PS3.5 §7.5: item and delimitation tags (group FFFE), always tag + 32-bit length, never a VR. */
export const ITEM = 0xfffee000;
export const ITEM_DELIMITATION = 0xfffee00d;
export const SEQUENCE_DELIMITATION = 0xfffee0dd;
export const PIXEL_DATA = 0x7fe00010;
/** Elements of group 7FE0 (float/double pixel data, extended offset table, pixel data) are bulk: the header ends there. */
export const BULK_GROUP_START = 0x7fe00000;

/** Nesting deeper than this is treated as malformed: it bounds recursion on hostile input. */
export const MAX_NESTING = 64;

/** PS3.5 §7.1.2 Table 7.1-1: explicit VRs with 2 reserved bytes and a 32-bit length. */
export const LONG_LENGTH_VRS: ReadonlySet<string> = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]);

export interface ElementHeader {
  tag: number;
  /** The explicit VR, or undefined in Implicit VR and for items/delimiters. */
  vr: string | undefined;
  /** Value length in bytes, or UNDEFINED_LENGTH. */
  length: number;
  /** Offset of the tag. */
  offset: number;
  /** Offset of the first value byte. */
  valueOffset: number;
}

export function tagString(tag: number): string {
  const h = tag.toString(16).toUpperCase().padStart(8, "0");
  return `(${h.slice(0, 4)},${h.slice(4)})`;
}

function isVrLetter(c: number): boolean {
  return c >= 0x41 && c <= 0x5a;
}

/** Reads the element (or item) header at `offset`; null when fewer bytes than the header remain before `end`. */
export function readElementHeader(view: DataView, offset: number, end: number, enc: DatasetEncoding): ElementHeader | null {
  if (offset + 8 > end) return null;
  const le = enc.littleEndian;
  const tag = ((view.getUint16(offset, le) << 16) | view.getUint16(offset + 2, le)) >>> 0;
  if (tag >>> 16 === 0xfffe || !enc.explicitVr) {
    return { tag, vr: undefined, length: view.getUint32(offset + 4, le), offset, valueOffset: offset + 8 };
  }
  const c0 = view.getUint8(offset + 4);
  const c1 = view.getUint8(offset + 5);
  if (!isVrLetter(c0) || !isVrLetter(c1)) {
    throw new DatasetError(
      DatasetErrorCode.Unparsable,
      `element ${tagString(tag)} at offset ${offset} has no explicit VR (bytes 0x${c0.toString(16)} 0x${c1.toString(16)}): ` +
        `the dataset is probably not in an Explicit VR transfer syntax, check the negotiated transfer syntax`,
      offset,
    );
  }
  const vr = String.fromCharCode(c0, c1);
  if (LONG_LENGTH_VRS.has(vr)) {
    if (offset + 12 > end) return null;
    return { tag, vr, length: view.getUint32(offset + 8, le), offset, valueOffset: offset + 12 };
  }
  return { tag, vr, length: view.getUint16(offset + 6, le), offset, valueOffset: offset + 8 };
}

/**
 * Offset just past the element whose header is `h`, or -1 when the bytes end first. Undefined-length values are
 * walked item by item (PS3.5 §7.5.2); an explicit UN of undefined length holds Implicit VR LE (PS3.5 §6.2.2).
 */
export function elementEnd(view: DataView, h: ElementHeader, end: number, enc: DatasetEncoding, depth = 0): number {
  if (h.length !== UNDEFINED_LENGTH) {
    const next = h.valueOffset + h.length;
    return next <= end ? next : -1;
  }
  if (depth >= MAX_NESTING) {
    throw new DatasetError(DatasetErrorCode.Unparsable, `sequences nested deeper than ${MAX_NESTING} levels at offset ${h.offset}`, h.offset);
  }
  const inner = enc.explicitVr && h.vr === "UN" ? IMPLICIT_LITTLE_ENDIAN : enc;
  let p = h.valueOffset;
  for (;;) {
    const item = readElementHeader(view, p, end, inner);
    if (item === null) return -1;
    if (item.tag === SEQUENCE_DELIMITATION) return item.valueOffset;
    if (item.tag !== ITEM) {
      throw new DatasetError(
        DatasetErrorCode.Unparsable,
        `expected an item (FFFE,E000) or sequence delimitation at offset ${p} inside ${tagString(h.tag)}, found ${tagString(item.tag)}`,
        p,
      );
    }
    if (item.length !== UNDEFINED_LENGTH) {
      p = item.valueOffset + item.length;
      if (p > end) return -1;
      continue;
    }
    p = item.valueOffset;
    for (;;) {
      const el = readElementHeader(view, p, end, inner);
      if (el === null) return -1;
      if (el.tag === ITEM_DELIMITATION) {
        p = el.valueOffset;
        break;
      }
      p = elementEnd(view, el, end, inner, depth + 1);
      if (p < 0) return -1;
    }
  }
}

export interface HeaderScan {
  /** Offset where the header ends: the first bulk (group 7FE0) element, or the end of the last complete element. */
  end: number;
  /** Offset of the (7FE0,xxxx) element that stopped the scan, if the bytes reached one. */
  bulkDataOffset?: number;
  bulkDataTag?: number;
  /** True when the input ended inside an element before any bulk data. */
  truncated: boolean;
  /** The element the input ended in, when truncated. */
  truncatedIn?: number;
}

/**
 * Walks top-level elements up to the pixel data without decoding values (PS3.5 §7.1). With `select`, the byte ranges
 * `[start, end)` of the complete top-level elements whose tags it holds are appended to `selected`, in dataset order.
 */
export function scanHeader(bytes: Uint8Array, enc: DatasetEncoding, select?: ReadonlySet<number>, selected?: Array<[number, number]>): HeaderScan {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.byteLength;
  let p = 0;
  while (p < end) {
    const h = readElementHeader(view, p, end, enc);
    if (h === null) return { end: p, truncated: true };
    if (h.tag >>> 16 === 0xfffe) {
      throw new DatasetError(DatasetErrorCode.Unparsable, `item tag ${tagString(h.tag)} at top level, offset ${p}`, p);
    }
    if (h.tag >= BULK_GROUP_START) return { end: p, bulkDataOffset: p, bulkDataTag: h.tag, truncated: false };
    const next = elementEnd(view, h, end, enc);
    if (next < 0) return { end: p, truncated: true, truncatedIn: h.tag };
    if (select?.has(h.tag) === true) selected?.push([p, next]);
    p = next;
  }
  return { end: p, truncated: false };
}
