/**
 * The identifier of a Pending C-FIND response (PS3.4 C.4.1.1.3.2, K.6.1.2): the keys the query asked for, with the
 * entry's values, zero-length when the entry has none; a sequence key returns the stored items that match its item,
 * each with the item's keys. Encoded in the presentation context's transfer syntax (Explicit or Implicit VR Little
 * Endian, the only ones the service accepts); values that are not ASCII go out as UTF-8 with (0008,0005) ISO_IR 192.
 */

import { resolveKey, type DecodedIdentifier, type IdentifierValue } from "@dicomtls/dataset";
import { matchingItems, type QueryItem, type QueryKey } from "./query.js";

const IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2";
const SPECIFIC_CHARACTER_SET = 0x00080005;
const UTF8 = "ISO_IR 192";
/** PS3.5 §7.1.2: Explicit VR elements of these VRs have a 4-byte length. */
const LONG_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]);
const NUMERIC: Readonly<Record<string, readonly [number, (b: Buffer, n: number, o: number) => void]>> = {
  US: [2, (b, n, o) => b.writeUInt16LE(n, o)],
  SS: [2, (b, n, o) => b.writeInt16LE(n, o)],
  UL: [4, (b, n, o) => b.writeUInt32LE(n, o)],
  SL: [4, (b, n, o) => b.writeInt32LE(n, o)],
  FL: [4, (b, n, o) => b.writeFloatLE(n, o)],
  FD: [8, (b, n, o) => b.writeDoubleLE(n, o)],
};
const TEXT_VRS = new Set(["AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UR", "UT"]);

/** An element of the answer before encoding. */
type Element = { readonly tag: number; readonly vr: string; readonly values: readonly IdentifierValue[] } | { readonly tag: number; readonly vr: "SQ"; readonly items: readonly Element[][] };

const isItem = (v: IdentifierValue): v is DecodedIdentifier => typeof v === "object";

/** Every key of a stored item, for a sequence the query asked for with no item (PS3.4 C.2.2.2.3 universal). */
function wholeItem(stored: DecodedIdentifier): QueryItem {
  const keys: QueryKey[] = [];
  for (const keyword of Object.keys(stored)) {
    if (/^[0-9A-F]{8}$/.test(keyword)) continue;
    const { tag, vr } = resolveKey(keyword);
    keys.push(vr === "SQ" ? { kind: "sequence", keyword, tag, item: undefined } : { kind: "value", keyword, tag, vr, constraint: undefined });
  }
  return { keys };
}

function elementsOf(query: QueryItem, dataset: DecodedIdentifier): Element[] {
  const out: Element[] = [];
  for (const k of query.keys) {
    const stored = dataset[k.keyword];
    if (k.kind === "value") {
      out.push({ tag: k.tag, vr: k.vr, values: (stored ?? []).filter((v) => !isItem(v)) });
    } else {
      const items = matchingItems(k.item, stored).map((item) => elementsOf(k.item ?? wholeItem(item), item));
      out.push({ tag: k.tag, vr: "SQ", items });
    }
  }
  return out.sort((a, b) => a.tag - b.tag);
}

function hasNonAscii(elements: readonly Element[]): boolean {
  return elements.some((e) => ("items" in e ? e.items.some(hasNonAscii) : e.values.some((v) => typeof v === "string" && [...v].some((c) => c.charCodeAt(0) > 0x7f))));
}

function valueBytes(vr: string, values: readonly IdentifierValue[]): Buffer {
  const numeric = NUMERIC[vr];
  if (numeric !== undefined) {
    const [size, write] = numeric;
    const nums = values.map(Number).filter(Number.isFinite);
    const b = Buffer.alloc(size * nums.length);
    nums.forEach((n, i) => write(b, n, i * size));
    return b;
  }
  // Bulk and other binary values are no worklist answer: returned empty, as Orthanc does.
  if (!TEXT_VRS.has(vr) || values.length === 0) return Buffer.alloc(0);
  const text = Buffer.from(values.map(String).join("\\"), "utf8");
  // PS3.5 §6.2: even length; UIDs padded with NUL, text with a space.
  return text.length % 2 === 0 ? text : Buffer.concat([text, Buffer.from([vr === "UI" ? 0 : 0x20])]);
}

function header(tag: number, vr: string, length: number, explicit: boolean): Buffer {
  const long = LONG_VRS.has(vr);
  const b = Buffer.alloc(explicit && !long ? 8 : explicit ? 12 : 8);
  b.writeUInt16LE(tag >>> 16, 0);
  b.writeUInt16LE(tag & 0xffff, 2);
  if (!explicit) b.writeUInt32LE(length, 4);
  else if (long) {
    b.write(vr, 4, "latin1");
    b.writeUInt32LE(length, 8);
  } else {
    b.write(vr, 4, "latin1");
    b.writeUInt16LE(length, 6);
  }
  return b;
}

/** PS3.5 §7.5: a sequence of explicit-length items (FFFE,E000). */
function encodeElements(elements: readonly Element[], explicit: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const e of elements) {
    if ("items" in e) {
      const items = e.items.map((item) => {
        const body = encodeElements(item, explicit);
        const h = Buffer.alloc(8);
        h.writeUInt16LE(0xfffe, 0);
        h.writeUInt16LE(0xe000, 2);
        h.writeUInt32LE(body.length, 4);
        return Buffer.concat([h, body]);
      });
      const body = Buffer.concat(items);
      parts.push(header(e.tag, "SQ", body.length, explicit), body);
    } else {
      const value = valueBytes(e.vr, e.values);
      parts.push(header(e.tag, e.vr, value.length, explicit), value);
    }
  }
  return Buffer.concat(parts);
}

/** The answer for one matching entry, in `transferSyntaxUid`. */
export function encodeAnswer(query: QueryItem, dataset: DecodedIdentifier, transferSyntaxUid: string): Buffer {
  let elements = elementsOf(query, dataset);
  const rest = elements.filter((e) => e.tag !== SPECIFIC_CHARACTER_SET);
  if (hasNonAscii(elements)) {
    elements = [{ tag: SPECIFIC_CHARACTER_SET, vr: "CS", values: [UTF8] }, ...rest];
  } else if (dataset["SpecificCharacterSet"] !== undefined) {
    // ASCII values read the same in the entry's character set: it goes with every answer, as Orthanc sends it.
    elements = [{ tag: SPECIFIC_CHARACTER_SET, vr: "CS", values: dataset["SpecificCharacterSet"] }, ...rest];
  }
  return encodeElements(elements, transferSyntaxUid !== IMPLICIT_VR_LITTLE_ENDIAN);
}
