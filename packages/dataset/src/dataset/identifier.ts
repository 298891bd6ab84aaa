import { dcmjs } from "./dcmjs-runtime.js";
import { ITEM, ITEM_DELIMITATION, LONG_LENGTH_VRS, MAX_NESTING, SEQUENCE_DELIMITATION, UNDEFINED_LENGTH, elementEnd, readElementHeader, tagString } from "./element-reader.js";
import { DatasetError, DatasetErrorCode } from "./errors.js";
import { elementHeader } from "./convert.js";
import { implicitVr } from "./implicit-vr.js";
import { DatasetTransferSyntax, IMPLICIT_LITTLE_ENDIAN, datasetEncoding, type DatasetEncoding } from "./transfer-syntax.js";
import { decodeText, encodeText } from "./identifier-charset.js";

/** (0008,0005) Specific Character Set. */
export const SPECIFIC_CHARACTER_SET_TAG = 0x00080005;
/** (0008,0052) Query/Retrieve Level. */
export const QUERY_RETRIEVE_LEVEL_TAG = 0x00080052;
/** PS3.3 C.12.1.1.2: the term for UTF-8, what we send when a value is not ASCII. */
export const UTF8_CHARACTER_SET = "ISO_IR 192";

/** A key of a query identifier (PS3.4 C.4.1.1.3): its tag, dictionary keyword (when it has one) and VR. */
export interface ResolvedKey {
  readonly tag: number;
  readonly keyword: string | undefined;
  readonly vr: string;
}

/**
 * One key of an identifier to send: a value (`\`-separated or an array for several), or empty / undefined for a
 * return key (PS3.4 C.2.2.2.3 universal matching: zero-length value).
 */
export type IdentifierKeyValue = string | readonly string[] | undefined;

export interface EncodeIdentifierOptions {
  /** The transfer syntax of the accepted presentation context (Explicit or Implicit VR Little Endian, ...). */
  readonly transferSyntaxUid: string;
  /** (0008,0052) QueryRetrieveLevel, e.g. STUDY; left out when undefined (or give it as a key). */
  readonly level?: string;
}

/** A decoded value: text (one per `\` value), a number (binary VRs), or the items of a sequence. */
export type IdentifierValue = string | number | DecodedIdentifier;

/** A response identifier: keyword (or "GGGGEEEE" for a tag without one, e.g. private) -> values. */
export interface DecodedIdentifier {
  readonly [key: string]: readonly IdentifierValue[];
}

const TEXT_VRS = new Set(["AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UR", "UT"]);
/** PS3.5 §6.1.2.3: only these VRs may hold characters other than the default repertoire. */
const CHARSET_VRS = new Set(["LO", "LT", "PN", "SH", "ST", "UC", "UT"]);
/** Single-valued text VRs: a `\` inside is part of the value (PS3.5 Table 6.2-1). */
const SINGLE_VALUE_VRS = new Set(["LT", "ST", "UT", "UR"]);
const NUMERIC: Readonly<Record<string, readonly [size: number, read: (v: DataView, o: number) => number, write: (v: DataView, o: number, n: number) => void]>> = {
  US: [2, (v, o) => v.getUint16(o, true), (v, o, n) => v.setUint16(o, n, true)],
  SS: [2, (v, o) => v.getInt16(o, true), (v, o, n) => v.setInt16(o, n, true)],
  UL: [4, (v, o) => v.getUint32(o, true), (v, o, n) => v.setUint32(o, n, true)],
  SL: [4, (v, o) => v.getInt32(o, true), (v, o, n) => v.setInt32(o, n, true)],
  FL: [4, (v, o) => v.getFloat32(o, true), (v, o, n) => v.setFloat32(o, n, true)],
  FD: [8, (v, o) => v.getFloat64(o, true), (v, o, n) => v.setFloat64(o, n, true)],
};

function keyError(key: string, why: string): DatasetError {
  return new DatasetError(DatasetErrorCode.UnknownKey, `query key ${JSON.stringify(key)}: ${why}`, 0);
}

/**
 * Resolves a key given as a dictionary keyword ("PatientName"), a tag ("0010,0010", "(0010,0010)", "00100010").
 * Throws DatasetError ERR_DICOM_DATASET_UNKNOWN_KEY naming the key when it is neither, or its VR is unknown.
 */
export function resolveKey(key: string): ResolvedKey {
  const k = key.trim();
  const dict = dcmjs.data.DicomMetaDictionary;
  const tagMatch = /^\(?([0-9A-Fa-f]{4}),?([0-9A-Fa-f]{4})\)?$/.exec(k);
  if (tagMatch !== null) {
    const hex = `${tagMatch[1]}${tagMatch[2]}`.toUpperCase();
    const tag = parseInt(hex, 16) >>> 0;
    const entry = dict.dictionary[hex];
    const group = tag >>> 16;
    if (entry === undefined && group % 2 === 1) {
      throw keyError(key, `${tagString(tag)} is private: its VR is not in the dictionary, so it cannot be sent as a query key`);
    }
    if (entry === undefined && (tag & 0xffff) !== 0) throw keyError(key, `${tagString(tag)} is not in the DICOM dictionary`);
    return { tag, keyword: entry?.name, vr: implicitVr(tag, {}) };
  }
  const entry = dict.nameMap[k];
  if (entry === undefined) {
    throw keyError(key, "not a DICOM keyword (PS3.6 spelling, e.g. PatientName, StudyInstanceUID) nor a tag like 0010,0010");
  }
  const tag = parseInt(entry.tag.replace(/[(),]/g, ""), 16) >>> 0;
  return { tag, keyword: entry.name, vr: implicitVr(tag, {}) };
}

/** The name a decoded element goes by: its keyword, or "GGGGEEEE". */
export function keyName(tag: number): string {
  const hex = tag.toString(16).toUpperCase().padStart(8, "0");
  const entry = dcmjs.data.DicomMetaDictionary.dictionary[hex];
  return entry?.name !== undefined && !entry.name.startsWith("RETIRED_") ? entry.name : hex;
}

function valuesOf(v: IdentifierKeyValue, vr: string): string[] {
  if (v === undefined) return [];
  if (typeof v !== "string") return [...v];
  if (v === "") return [];
  return SINGLE_VALUE_VRS.has(vr) ? [v] : v.split("\\");
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function encodeValue(key: string, resolved: ResolvedKey, values: readonly string[], utf8: boolean): Uint8Array {
  const { vr } = resolved;
  if (values.length === 0) return new Uint8Array(0);
  const numeric = NUMERIC[vr];
  if (numeric !== undefined) {
    const [size, , write] = numeric;
    const out = new Uint8Array(size * values.length);
    const view = new DataView(out.buffer);
    values.forEach((s, i) => {
      const n = Number(s);
      if (s.trim() === "" || !Number.isFinite(n)) throw keyError(key, `${vr} value ${JSON.stringify(s)} is not a number`);
      write(view, i * size, n);
    });
    return out;
  }
  if (vr === "SQ") throw keyError(key, "a sequence can only be asked for as a return key (empty value)");
  if (!TEXT_VRS.has(vr)) throw keyError(key, `VR ${vr} cannot carry a query value; give it without a value`);
  const text = values.join("\\");
  if (!isAscii(text) && !CHARSET_VRS.has(vr)) throw keyError(key, `VR ${vr} allows only ASCII characters, got ${JSON.stringify(text)}`);
  const bytes = encodeText(text, utf8);
  if (bytes.length % 2 === 0) return bytes;
  // PS3.5 §6.2: even length; UIDs are padded with NUL, text with a space.
  const padded = new Uint8Array(bytes.length + 1);
  padded.set(bytes);
  padded[bytes.length] = vr === "UI" ? 0 : 0x20;
  return padded;
}

function elementBytes(tag: number, vr: string, value: Uint8Array, enc: DatasetEncoding): Uint8Array {
  if (enc.explicitVr && !LONG_LENGTH_VRS.has(vr) && value.length > 0xffff) throw keyError(tagString(tag), `the value is ${value.length} bytes, more than ${vr} can hold`);
  const header = elementHeader(tag, enc.explicitVr ? vr : undefined, value.length);
  const out = new Uint8Array(header.length + value.length);
  out.set(header, 0);
  out.set(value, header.length);
  return out;
}

/**
 * PS3.4 C.4.1.1.3: a query/retrieve identifier as a data set in the negotiated transfer syntax (Explicit or Implicit
 * VR Little Endian; Big Endian and Deflated are refused). Keys are keywords or tags; the VR comes from the
 * dictionary. (0008,0052) is added from `level`; (0008,0005) = ISO_IR 192 when a value is not ASCII, the values then
 * encoded as UTF-8. Elements come out in ascending tag order (PS3.5 §7.1). Throws DatasetError
 * ERR_DICOM_DATASET_UNKNOWN_KEY naming the key at fault.
 */
export function encodeIdentifier(keys: Iterable<readonly [string, IdentifierKeyValue]> | Readonly<Record<string, IdentifierKeyValue>>, options: EncodeIdentifierOptions): Uint8Array {
  const enc = datasetEncoding(options.transferSyntaxUid);
  if (!enc.littleEndian || enc.deflated) {
    throw new DatasetError(DatasetErrorCode.NotConvertible, `identifiers are encoded in Explicit or Implicit VR Little Endian, not ${options.transferSyntaxUid}`, 0);
  }
  const entries: Iterable<readonly [string, IdentifierKeyValue]> = Symbol.iterator in keys ? keys : Object.entries(keys);
  const byTag = new Map<number, { key: string; resolved: ResolvedKey; values: string[] }>();
  for (const [key, value] of entries) {
    const resolved = resolveKey(key);
    if (byTag.has(resolved.tag)) throw keyError(key, `${tagString(resolved.tag)} is given twice`);
    byTag.set(resolved.tag, { key, resolved, values: valuesOf(value, resolved.vr) });
  }
  if (options.level !== undefined) {
    if (byTag.has(QUERY_RETRIEVE_LEVEL_TAG)) throw keyError("QueryRetrieveLevel", "given both as a key and as the level");
    byTag.set(QUERY_RETRIEVE_LEVEL_TAG, { key: "QueryRetrieveLevel", resolved: resolveKey("QueryRetrieveLevel"), values: [options.level] });
  }
  const utf8 = [...byTag.values()].some((e) => e.values.some((v) => !isAscii(v)));
  if (utf8) {
    const given = byTag.get(SPECIFIC_CHARACTER_SET_TAG);
    if (given !== undefined && given.values.join("\\") !== UTF8_CHARACTER_SET) {
      throw keyError(given.key, `values are not ASCII, so they are sent as UTF-8 with ${UTF8_CHARACTER_SET}; remove SpecificCharacterSet or set it to ${UTF8_CHARACTER_SET}`);
    }
    byTag.set(SPECIFIC_CHARACTER_SET_TAG, { key: "SpecificCharacterSet", resolved: resolveKey("SpecificCharacterSet"), values: [UTF8_CHARACTER_SET] });
  }
  const parts: Uint8Array[] = [];
  for (const tag of [...byTag.keys()].sort((a, b) => a - b)) {
    const e = byTag.get(tag);
    if (e === undefined) continue;
    parts.push(elementBytes(tag, e.resolved.vr, encodeValue(e.key, e.resolved, e.values, utf8), enc));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

// --- decoding -------------------------------------------------------------------------------------

function unparsable(message: string, offset: number): DatasetError {
  return new DatasetError(DatasetErrorCode.Unparsable, message, offset);
}

function textValues(bytes: Uint8Array, vr: string, charsets: readonly string[]): string[] {
  if (bytes.length === 0) return [];
  const s = CHARSET_VRS.has(vr) ? decodeText(bytes, charsets) : decodeText(bytes, []);
  // PS3.5 §6.2: trailing pad (space, or NUL for UI); leading spaces are insignificant too except in LT/ST/UT.
  const trim = (v: string): string => (vr === "UI" ? v.replace(/[\0 ]+$/, "") : SINGLE_VALUE_VRS.has(vr) ? v.replace(/[\0 ]+$/, "") : v.replace(/^ +|[\0 ]+$/g, ""));
  const parts = SINGLE_VALUE_VRS.has(vr) ? [s] : s.split("\\");
  return parts.map(trim);
}

function binaryValues(bytes: Uint8Array, vr: string): IdentifierValue[] {
  const numeric = NUMERIC[vr];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (numeric !== undefined) {
    const [size, read] = numeric;
    const out: number[] = [];
    for (let o = 0; o + size <= bytes.length; o += size) out.push(read(view, o));
    return out;
  }
  if (vr === "AT") {
    const out: string[] = [];
    for (let o = 0; o + 4 <= bytes.length; o += 4) out.push(((view.getUint16(o, true) << 16) | view.getUint16(o + 2, true)).toString(16).toUpperCase().padStart(8, "0"));
    return out;
  }
  // OB, OW, UN ...: bulk bytes are no query answer (Orthanc returns them empty); kept as base64 when present.
  return bytes.length === 0 ? [] : [Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")];
}

interface DecodeState {
  readonly view: DataView;
  readonly bytes: Uint8Array;
  readonly depth: number;
}

function decodeItems(state: DecodeState, start: number, end: number, enc: DatasetEncoding, charsets: readonly string[]): DecodedIdentifier[] {
  const items: DecodedIdentifier[] = [];
  let p = start;
  while (p < end) {
    const h = readElementHeader(state.view, p, end, enc);
    if (h === null) throw unparsable(`a sequence item header is cut short at offset ${p}`, p);
    if (h.tag === SEQUENCE_DELIMITATION) return items;
    if (h.tag !== ITEM) throw unparsable(`expected an item (FFFE,E000) at offset ${p}, found ${tagString(h.tag)}`, p);
    const itemEnd = h.length === UNDEFINED_LENGTH ? end : h.valueOffset + h.length;
    const [item, next] = decodeElements({ ...state, depth: state.depth + 1 }, h.valueOffset, itemEnd, enc, charsets, h.length === UNDEFINED_LENGTH);
    items.push(item);
    p = h.length === UNDEFINED_LENGTH ? next : itemEnd;
  }
  return items;
}

/** Decodes elements from `start` to `end` (or an item delimiter when `delimited`); returns them and where it stopped. */
function decodeElements(state: DecodeState, start: number, end: number, enc: DatasetEncoding, inherited: readonly string[], delimited: boolean): [DecodedIdentifier, number] {
  if (state.depth > MAX_NESTING) throw unparsable(`sequences nested deeper than ${MAX_NESTING} levels at offset ${start}`, start);
  const out: Record<string, IdentifierValue[]> = {};
  let charsets = inherited;
  let p = start;
  while (p < end) {
    const h = readElementHeader(state.view, p, end, enc);
    if (h === null) throw unparsable(`the identifier ends inside an element header at offset ${p}`, p);
    if (h.tag === ITEM_DELIMITATION && delimited) return [out, h.valueOffset];
    const vr = h.vr ?? implicitVr(h.tag, {});
    const next = elementEnd(state.view, h, end, enc, state.depth);
    if (next < 0) throw unparsable(`element ${tagString(h.tag)} at offset ${p} runs past the end of the identifier`, p);
    const name = keyName(h.tag);
    if (vr === "SQ" || (h.length === UNDEFINED_LENGTH && vr !== "UN")) {
      const inner = h.length === UNDEFINED_LENGTH ? next : h.valueOffset + h.length;
      out[name] = decodeItems(state, h.valueOffset, inner, enc, charsets);
    } else if (h.length === UNDEFINED_LENGTH) {
      out[name] = decodeItems(state, h.valueOffset, next, IMPLICIT_LITTLE_ENDIAN, charsets);
    } else {
      const value = state.bytes.subarray(h.valueOffset, h.valueOffset + h.length);
      out[name] = TEXT_VRS.has(vr) ? textValues(value, vr, charsets) : binaryValues(value, vr);
      if (h.tag === SPECIFIC_CHARACTER_SET_TAG) charsets = (out[name] as string[]).map((c) => c.trim());
    }
    p = next;
  }
  if (delimited) throw unparsable(`a sequence item of undefined length has no item delimiter before offset ${end}`, end);
  return [out, p];
}

/**
 * Decodes a response identifier (C-FIND pending, C-MOVE/C-GET failed list) in the transfer syntax of its
 * presentation context: keyword -> values, text as strings (one per `\` value, padding removed), binary numbers as
 * numbers, sequences as lists of nested identifiers. Text of LO, LT, PN, SH, ST, UC, UT is decoded with (0008,0005):
 * see `SUPPORTED_CHARACTER_SETS`. Throws DatasetError ERR_DICOM_DATASET_UNPARSABLE on malformed bytes and
 * ERR_DICOM_DATASET_CHARACTER_SET on a character set it cannot decode.
 */
export function decodeIdentifier(bytes: Uint8Array, transferSyntaxUid: string = DatasetTransferSyntax.ExplicitVrLittleEndian): DecodedIdentifier {
  const enc = datasetEncoding(transferSyntaxUid);
  if (!enc.littleEndian || enc.deflated) {
    throw new DatasetError(DatasetErrorCode.NotConvertible, `identifiers are decoded from Explicit or Implicit VR Little Endian, not ${transferSyntaxUid}`, 0);
  }
  const state: DecodeState = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), bytes, depth: 0 };
  return decodeElements(state, 0, bytes.byteLength, enc, [], false)[0];
}

/** The first value of a decoded key as text ("" when absent or empty). */
export function identifierText(identifier: DecodedIdentifier, key: string): string {
  const v = identifier[key]?.[0];
  return v === undefined ? "" : typeof v === "object" ? "" : String(v);
}
