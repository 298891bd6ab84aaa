import type { ByteReader } from "../binary/byte-reader.js";
import type { ByteWriter } from "../binary/byte-writer.js";
import { ItemType } from "../types.js";
import { readUidItem, uidItemLength, writeUidItem } from "./uid-item.js";

/** PS3.7 Annex D.3.3.2, Table D.3-3: implementation version name sub-item (1-16 characters). */
export function implementationVersionNameItemLength(value: string): number {
  return uidItemLength(value);
}

export function writeImplementationVersionNameItem(w: ByteWriter, value: string): void {
  writeUidItem(w, ItemType.ImplementationVersionName, value, "implementation version name", 16);
}

export function readImplementationVersionNameItem(value: ByteReader): string {
  return readUidItem(value, "implementation version name", 16);
}
