import type { ByteReader } from "../binary/byte-reader.js";
import type { ByteWriter } from "../binary/byte-writer.js";
import { ItemType } from "../types.js";
import { readUidItem, uidItemLength, writeUidItem } from "./uid-item.js";

/** PS3.7 Annex D.3.3.2, Table D.3-1: implementation class UID item. */
export function implementationClassUidItemLength(value: string): number {
  return uidItemLength(value);
}

export function writeImplementationClassUidItem(w: ByteWriter, value: string): void {
  writeUidItem(w, ItemType.ImplementationClassUid, value, "implementation class UID");
}

export function readImplementationClassUidItem(value: ByteReader): string {
  return readUidItem(value, "implementation class UID");
}
