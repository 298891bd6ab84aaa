import type { ByteReader } from "../binary/byte-reader.js";
import type { ByteWriter } from "../binary/byte-writer.js";
import { PduEncodeError } from "../errors.js";
import { ItemType } from "../types.js";
import { ITEM_HEADER_LENGTH, writeItemHeader } from "./item-header.js";

/** PS3.8 Annex D.1, Table D.1-1: maximum length sub-item; the value bounds the P-DATA-TF variable field, 0 = no limit. */
export const MAXIMUM_LENGTH_ITEM_LENGTH = ITEM_HEADER_LENGTH + 4;

export function writeMaximumLengthItem(w: ByteWriter, maxLength: number): void {
  if (!Number.isInteger(maxLength) || maxLength < 0 || maxLength > 0xffffffff) {
    throw new PduEncodeError(`maximum length ${maxLength} must be an integer from 0 to 4294967295`);
  }
  writeItemHeader(w, ItemType.MaximumLength, 4);
  w.u32(maxLength);
}

export function readMaximumLengthItem(value: ByteReader): number {
  if (value.remaining !== 4) value.fail(`maximum length sub-item must hold 4 bytes, it holds ${value.remaining}`);
  return value.u32("maximum length");
}
