import type { ByteReader } from "../binary/byte-reader.js";
import type { ByteWriter } from "../binary/byte-writer.js";
import { ItemType } from "../types.js";
import { readUidItem, uidItemLength, writeUidItem } from "./uid-item.js";

/** PS3.8 §9.3.2.1, Table 9-12: application context name item. */
export function applicationContextItemLength(value: string): number {
  return uidItemLength(value);
}

export function writeApplicationContextItem(w: ByteWriter, value: string): void {
  writeUidItem(w, ItemType.ApplicationContext, value, "application context name");
}

export function readApplicationContextItem(value: ByteReader): string {
  return readUidItem(value, "application context name");
}
