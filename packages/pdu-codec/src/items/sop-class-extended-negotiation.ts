import type { ByteReader } from "../binary/byte-reader.js";
import type { ByteWriter } from "../binary/byte-writer.js";
import { checkAscii, readAsciiValue } from "../binary/text.js";
import type { SopClassExtendedNegotiation } from "../types.js";
import { ItemType } from "../types.js";
import { ITEM_HEADER_LENGTH, writeItemHeader } from "./item-header.js";

/** PS3.7 Annex D.3.3.5, Table D.3-11: SOP-class-uid-length (2), UID, service-class-application-information (rest). */
export function sopClassExtendedNegotiationItemLength(v: SopClassExtendedNegotiation): number {
  return ITEM_HEADER_LENGTH + 2 + v.sopClassUid.length + v.serviceClassApplicationInformation.length;
}

export function writeSopClassExtendedNegotiationItem(w: ByteWriter, v: SopClassExtendedNegotiation): void {
  checkAscii(v.sopClassUid, "extended negotiation SOP class UID", 64);
  writeItemHeader(w, ItemType.SopClassExtendedNegotiation, 2 + v.sopClassUid.length + v.serviceClassApplicationInformation.length);
  w.u16(v.sopClassUid.length);
  w.ascii(v.sopClassUid);
  w.bytes(v.serviceClassApplicationInformation);
}

export function readSopClassExtendedNegotiationItem(value: ByteReader): SopClassExtendedNegotiation {
  const uidLength = value.u16("extended negotiation SOP-class-uid-length");
  const sopClassUid = readAsciiValue(value, uidLength, "extended negotiation SOP class UID");
  return { sopClassUid, serviceClassApplicationInformation: value.take(value.remaining, "service-class-application-information") };
}
