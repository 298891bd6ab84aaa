import {
  ITEM,
  ITEM_DELIMITATION,
  LONG_LENGTH_VRS,
  MAX_NESTING,
  readElementHeader,
  SEQUENCE_DELIMITATION,
  tagString,
  UNDEFINED_LENGTH,
  type ElementHeader,
} from "./element-reader.js";
import { DatasetError, DatasetErrorCode } from "./errors.js";
import { implicitVr, type VrContext } from "./implicit-vr.js";
import { DatasetTransferSyntax, EXPLICIT_LITTLE_ENDIAN, IMPLICIT_LITTLE_ENDIAN, type DatasetEncoding } from "./transfer-syntax.js";

/**
 * The converted dataset as a list of parts: new element headers, and subarrays of the input for every value
 * (pixel data included), so nothing large is copied. `Buffer.concat(parts)` gives contiguous bytes; a sender can
 * also fragment the parts directly.
 */
export interface ConvertedDataset {
  parts: Uint8Array[];
  byteLength: number;
}

interface Direction {
  from: DatasetEncoding;
  to: DatasetEncoding;
}

const TO_EXPLICIT: Direction = { from: IMPLICIT_LITTLE_ENDIAN, to: EXPLICIT_LITTLE_ENDIAN };
const TO_IMPLICIT: Direction = { from: EXPLICIT_LITTLE_ENDIAN, to: IMPLICIT_LITTLE_ENDIAN };

class Out {
  readonly parts: Uint8Array[] = [];
  length = 0;
  push(part: Uint8Array): void {
    if (part.byteLength === 0) return;
    this.parts.push(part);
    this.length += part.byteLength;
  }
  append(other: Out): void {
    for (const p of other.parts) this.parts.push(p);
    this.length += other.length;
  }
}

/** PS3.5 §7.1.2 (explicit) and §7.1.3 (implicit) element headers, Little Endian (also used by the worker's file plan). */
export function elementHeader(tag: number, vr: string | undefined, length: number): Uint8Array {
  const long = vr === undefined || LONG_LENGTH_VRS.has(vr);
  const b = new Uint8Array(vr === undefined ? 8 : long ? 12 : 8);
  const v = new DataView(b.buffer);
  v.setUint16(0, tag >>> 16, true);
  v.setUint16(2, tag & 0xffff, true);
  if (vr === undefined) {
    v.setUint32(4, length, true);
  } else {
    b[4] = vr.charCodeAt(0);
    b[5] = vr.charCodeAt(1);
    if (long) v.setUint32(8, length, true);
    else v.setUint16(6, length, true);
  }
  return b;
}

/** PS3.5 §7.5: item and delimitation headers are the same in every VR encoding. */
function itemHeader(tag: number, length: number): Uint8Array {
  return elementHeader(tag, undefined, length);
}

function malformed(message: string, offset: number): DatasetError {
  return new DatasetError(DatasetErrorCode.Unparsable, message, offset);
}

function need(h: ElementHeader | null, offset: number): ElementHeader {
  if (h === null) throw malformed(`the dataset ends inside an element header at offset ${offset}`, offset);
  return h;
}

/** Reads a small unsigned value already seen, to resolve "US or SS" and "OB or OW" later at the same level. */
function noteContext(view: DataView, h: ElementHeader, ctx: VrContext): void {
  if (h.length !== 2) return;
  if (h.tag === 0x00280103) ctx.pixelRepresentation = view.getUint16(h.valueOffset, true);
  else if (h.tag === 0x00280100) ctx.bitsAllocated = view.getUint16(h.valueOffset, true);
}

class Converter {
  private readonly view: DataView;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly dir: Direction,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Converts the elements in [start, end), or up to an item delimitation when `untilDelimiter`. Returns the offset after. */
  elements(start: number, end: number, untilDelimiter: boolean, out: Out, depth: number): number {
    const ctx: VrContext = {};
    let p = start;
    while (untilDelimiter || p < end) {
      const h = need(readElementHeader(this.view, p, end, this.dir.from), p);
      if (h.tag === ITEM_DELIMITATION && untilDelimiter) {
        out.push(itemHeader(ITEM_DELIMITATION, 0));
        return h.valueOffset;
      }
      if (h.tag >>> 16 === 0xfffe) throw malformed(`unexpected ${tagString(h.tag)} at offset ${p}`, p);
      noteContext(this.view, h, ctx);
      p = this.element(h, end, out, ctx, depth);
    }
    if (p !== end) throw malformed(`an element runs past the end of its container at offset ${p}`, p);
    return p;
  }

  private element(h: ElementHeader, end: number, out: Out, ctx: VrContext, depth: number): number {
    const toExplicit = this.dir.to.explicitVr;
    let vr = toExplicit ? implicitVr(h.tag, ctx) : h.vr;
    if (h.length === UNDEFINED_LENGTH) {
      if (depth >= MAX_NESTING) throw malformed(`sequences nested deeper than ${MAX_NESTING} levels at offset ${h.offset}`, h.offset);
      const isSequence = toExplicit ? vr === "SQ" : h.vr === "SQ";
      if (!isSequence) {
        if (!toExplicit && h.vr !== "UN") {
          throw new DatasetError(
            DatasetErrorCode.NotConvertible,
            `${tagString(h.tag)} (${h.vr ?? "?"}) has undefined length (encapsulated data) at offset ${h.offset}: ` +
              `Implicit VR Little Endian cannot carry it, keep an encapsulated transfer syntax`,
            h.offset,
          );
        }
        // PS3.5 §6.2.2: an undefined-length UN holds Implicit VR LE content in either encoding: copied verbatim.
        const after = this.endOfImplicitUndefined(h, end, depth);
        out.push(toExplicit ? elementHeader(h.tag, "UN", UNDEFINED_LENGTH) : itemHeader(h.tag, UNDEFINED_LENGTH));
        out.push(this.bytes.subarray(h.valueOffset, after));
        return after;
      }
      out.push(toExplicit ? elementHeader(h.tag, "SQ", UNDEFINED_LENGTH) : itemHeader(h.tag, UNDEFINED_LENGTH));
      return this.items(h, end, true, out, depth + 1);
    }
    const valueEnd = h.valueOffset + h.length;
    if (valueEnd > end) throw malformed(`${tagString(h.tag)} at offset ${h.offset} announces ${h.length} bytes, beyond the end of its container`, h.offset);
    if ((toExplicit ? vr : h.vr) === "SQ") {
      const body = new Out();
      this.items(h, valueEnd, false, body, depth + 1);
      out.push(toExplicit ? elementHeader(h.tag, "SQ", body.length) : itemHeader(h.tag, body.length));
      out.append(body);
      return valueEnd;
    }
    // PS3.5 §6.2.2: a value too long for a 16-bit explicit length can only be written as UN.
    if (toExplicit && vr !== undefined && !LONG_LENGTH_VRS.has(vr) && h.length > 0xffff) vr = "UN";
    out.push(toExplicit ? elementHeader(h.tag, vr, h.length) : itemHeader(h.tag, h.length));
    out.push(this.bytes.subarray(h.valueOffset, valueEnd));
    return valueEnd;
  }

  /** The items of a sequence whose header is `h`; defined-length items get their new length. */
  private items(h: ElementHeader, end: number, undefinedLength: boolean, out: Out, depth: number): number {
    const limit = undefinedLength ? end : h.valueOffset + h.length;
    let p = h.valueOffset;
    while (undefinedLength || p < limit) {
      const item = need(readElementHeader(this.view, p, limit, this.dir.from), p);
      if (item.tag === SEQUENCE_DELIMITATION && undefinedLength) {
        out.push(itemHeader(SEQUENCE_DELIMITATION, 0));
        return item.valueOffset;
      }
      if (item.tag !== ITEM) throw malformed(`expected an item in ${tagString(h.tag)} at offset ${p}, found ${tagString(item.tag)}`, p);
      if (item.length === UNDEFINED_LENGTH) {
        out.push(itemHeader(ITEM, UNDEFINED_LENGTH));
        p = this.elements(item.valueOffset, limit, true, out, depth);
      } else {
        const itemEnd = item.valueOffset + item.length;
        if (itemEnd > limit) throw malformed(`item at offset ${p} runs past the end of ${tagString(h.tag)}`, p);
        const body = new Out();
        this.elements(item.valueOffset, itemEnd, false, body, depth);
        out.push(itemHeader(ITEM, body.length));
        out.append(body);
        p = itemEnd;
      }
    }
    if (p !== limit) throw malformed(`the items of ${tagString(h.tag)} overrun its length at offset ${p}`, p);
    return p;
  }

  /** End of an undefined-length value whose content is Implicit VR LE (walked, not converted). */
  private endOfImplicitUndefined(h: ElementHeader, end: number, depth: number): number {
    const walker = new Converter(this.bytes, { from: IMPLICIT_LITTLE_ENDIAN, to: IMPLICIT_LITTLE_ENDIAN });
    const sink = new Out();
    return walker.items({ ...h, vr: "SQ" }, end, true, sink, depth + 1);
  }
}

function convert(dataset: Uint8Array, dir: Direction): ConvertedDataset {
  const out = new Out();
  new Converter(dataset, dir).elements(0, dataset.byteLength, false, out, 0);
  return { parts: out.parts, byteLength: out.length };
}

/**
 * Implicit VR Little Endian -> Explicit VR Little Endian (PS3.5 §7.1.2, §7.1.3). VRs come from the data dictionary;
 * private and unknown elements become UN (§6.2.2), private creators LO (§7.8.1), group lengths UL. Sequence and item
 * lengths are recomputed; values are subarrays of `dataset`. The dataset must be complete.
 */
export function convertImplicitToExplicit(dataset: Uint8Array): ConvertedDataset {
  return convert(dataset, TO_EXPLICIT);
}

/**
 * Explicit VR Little Endian -> Implicit VR Little Endian. Refuses encapsulated (undefined-length) pixel data with
 * ERR_DICOM_DATASET_NOT_CONVERTIBLE: only native pixel data exists in Implicit VR (PS3.5 §A.4).
 */
export function convertExplicitToImplicit(dataset: Uint8Array): ConvertedDataset {
  return convert(dataset, TO_IMPLICIT);
}

/**
 * Converts between the two native Little Endian syntaxes, or returns the dataset as one part when `from` equals
 * `to`. Anything else (Big Endian, Deflated, encapsulated to Implicit) is ERR_DICOM_DATASET_NOT_CONVERTIBLE.
 */
export function convertTransferSyntax(dataset: Uint8Array, fromUid: string, toUid: string): ConvertedDataset {
  if (fromUid === toUid) return { parts: [dataset], byteLength: dataset.byteLength };
  if (fromUid === DatasetTransferSyntax.ImplicitVrLittleEndian && toUid === DatasetTransferSyntax.ExplicitVrLittleEndian) {
    return convertImplicitToExplicit(dataset);
  }
  if (fromUid === DatasetTransferSyntax.ExplicitVrLittleEndian && toUid === DatasetTransferSyntax.ImplicitVrLittleEndian) {
    return convertExplicitToImplicit(dataset);
  }
  throw new DatasetError(
    DatasetErrorCode.NotConvertible,
    `no conversion from transfer syntax ${fromUid} to ${toUid}: only Implicit VR LE <-> Explicit VR LE is converted; ` +
      `propose the stored transfer syntax in the association request`,
    0,
  );
}
