import type { ByteWriter } from "../binary/byte-writer.js";
import { PduEncodeError } from "../errors.js";
import type { UnknownSubItem } from "../types.js";
import { ITEM_HEADER_LENGTH, writeItemHeader } from "./item-header.js";

/** PS3.7 Annex D.3.3: user-information sub-items we do not interpret are kept raw so re-encoding is lossless. */
export function unknownSubItemLength(v: UnknownSubItem): number {
  return ITEM_HEADER_LENGTH + v.data.length;
}

export function writeUnknownSubItem(w: ByteWriter, v: UnknownSubItem): void {
  if (!Number.isInteger(v.itemType) || v.itemType < 0 || v.itemType > 0xff) {
    throw new PduEncodeError(`unknown sub-item type ${v.itemType} must be a byte`);
  }
  writeItemHeader(w, v.itemType, v.data.length);
  w.bytes(v.data);
}
