import type { ByteReader } from "../binary/byte-reader.js";
import type { ByteWriter } from "../binary/byte-writer.js";
import { checkAscii, readAsciiValue } from "../binary/text.js";
import { ITEM_HEADER_LENGTH, writeItemHeader } from "./item-header.js";

/**
 * The shape shared by items whose value is one UID or name (application context, abstract and transfer
 * syntax, implementation class UID and version name). Encoded without a pad byte, as PS3.8 allows.
 */
export function uidItemLength(value: string): number {
  return ITEM_HEADER_LENGTH + value.length;
}

export function writeUidItem(w: ByteWriter, itemType: number, value: string, what: string, maxLength = 64): void {
  checkAscii(value, what, maxLength);
  writeItemHeader(w, itemType, value.length);
  w.ascii(value);
}

export function readUidItem(value: ByteReader, what: string, maxLength = 64): string {
  return readAsciiValue(value, value.remaining, what, maxLength);
}
