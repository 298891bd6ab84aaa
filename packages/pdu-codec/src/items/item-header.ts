import type { ByteReader } from "../binary/byte-reader.js";
import type { ByteWriter } from "../binary/byte-writer.js";
import { PduEncodeError } from "../errors.js";

/** PS3.8 §9.3.2.1 ff.: item-type (1), reserved (1), item-length (2, big endian). */
export const ITEM_HEADER_LENGTH = 4;

export function writeItemHeader(w: ByteWriter, itemType: number, valueLength: number, secondByte = 0): void {
  if (valueLength > 0xffff) {
    throw new PduEncodeError(`item 0x${itemType.toString(16)} would be ${valueLength} bytes long; an item holds at most 65535`);
  }
  w.u8(itemType);
  w.u8(secondByte);
  w.u16(valueLength);
}

/** Walks the items in r, handing each item's type and a reader bounded to its value. */
export function readItems(r: ByteReader, what: string, onItem: (itemType: number, value: ByteReader, start: number) => void): void {
  while (r.remaining > 0) {
    const start = r.pos;
    const itemType = r.u8(`${what}: item-type`);
    r.advance(1, `${what}: item reserved byte`);
    const length = r.u16(`${what}: item-length`);
    if (length > r.remaining) {
      r.fail(`${what}: item 0x${itemType.toString(16)} announces ${length} bytes but only ${r.remaining} remain`, start);
    }
    onItem(itemType, r.sub(length, what), start);
  }
}
