import type { ByteReader } from "../binary/byte-reader.js";
import type { ByteWriter } from "../binary/byte-writer.js";
import { checkAscii, readAsciiValue } from "../binary/text.js";
import { PduEncodeError } from "../errors.js";
import type { SopClassCommonExtendedNegotiation } from "../types.js";
import { ItemType } from "../types.js";
import { ITEM_HEADER_LENGTH, writeItemHeader } from "./item-header.js";

/**
 * PS3.7 Annex D.3.3.6, Table D.3-12: the second header byte is the sub-item version (0); then
 * SOP class UID, service class UID and the related general SOP class identification, each length-prefixed.
 */
export function sopClassCommonExtendedNegotiationItemLength(v: SopClassCommonExtendedNegotiation): number {
  return ITEM_HEADER_LENGTH + valueLength(v);
}

function relatedLength(v: SopClassCommonExtendedNegotiation): number {
  let n = 0;
  for (const uid of v.relatedGeneralSopClassUids) n += 2 + uid.length;
  return n;
}

function valueLength(v: SopClassCommonExtendedNegotiation): number {
  return 2 + v.sopClassUid.length + 2 + v.serviceClassUid.length + 2 + relatedLength(v);
}

export function writeSopClassCommonExtendedNegotiationItem(w: ByteWriter, v: SopClassCommonExtendedNegotiation): void {
  checkAscii(v.sopClassUid, "common extended negotiation SOP class UID", 64);
  checkAscii(v.serviceClassUid, "common extended negotiation service class UID", 64);
  for (const uid of v.relatedGeneralSopClassUids) checkAscii(uid, "related general SOP class UID", 64);
  const related = relatedLength(v);
  if (related > 0xffff) throw new PduEncodeError(`related general SOP class identification is ${related} bytes; at most 65535 fit`);
  writeItemHeader(w, ItemType.SopClassCommonExtendedNegotiation, valueLength(v), 0);
  w.u16(v.sopClassUid.length);
  w.ascii(v.sopClassUid);
  w.u16(v.serviceClassUid.length);
  w.ascii(v.serviceClassUid);
  w.u16(related);
  for (const uid of v.relatedGeneralSopClassUids) {
    w.u16(uid.length);
    w.ascii(uid);
  }
}

export function readSopClassCommonExtendedNegotiationItem(value: ByteReader): SopClassCommonExtendedNegotiation {
  const sopClassUid = readAsciiValue(value, value.u16("SOP-class-uid-length"), "common extended negotiation SOP class UID");
  const serviceClassUid = readAsciiValue(value, value.u16("service-class-uid-length"), "service class UID");
  const related = value.sub(value.u16("related-general-sop-class-identification-length"), "related general SOP class identification");
  const relatedGeneralSopClassUids: string[] = [];
  while (related.remaining > 0) {
    relatedGeneralSopClassUids.push(readAsciiValue(related, related.u16("related-general-sop-class-uid-length"), "related general SOP class UID"));
  }
  // PS3.7 Table D.3-12 leaves room for future fields after the related list: ignore them.
  return { sopClassUid, serviceClassUid, relatedGeneralSopClassUids };
}
