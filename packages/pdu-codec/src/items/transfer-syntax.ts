import type { ByteReader } from "../binary/byte-reader.js";
import type { ByteWriter } from "../binary/byte-writer.js";
import { ItemType } from "../types.js";
import { readUidItem, uidItemLength, writeUidItem } from "./uid-item.js";

/** PS3.8 §9.3.2.2.2, Table 9-15: transfer syntax name item. */
export function transferSyntaxItemLength(value: string): number {
  return uidItemLength(value);
}

export function writeTransferSyntaxItem(w: ByteWriter, value: string): void {
  writeUidItem(w, ItemType.TransferSyntax, value, "transfer syntax name");
}

export function readTransferSyntaxItem(value: ByteReader): string {
  return readUidItem(value, "transfer syntax name");
}
