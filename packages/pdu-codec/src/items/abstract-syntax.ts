import type { ByteReader } from "../binary/byte-reader.js";
import type { ByteWriter } from "../binary/byte-writer.js";
import { ItemType } from "../types.js";
import { readUidItem, uidItemLength, writeUidItem } from "./uid-item.js";

/** PS3.8 §9.3.2.2.1, Table 9-14: abstract syntax name item. */
export function abstractSyntaxItemLength(value: string): number {
  return uidItemLength(value);
}

export function writeAbstractSyntaxItem(w: ByteWriter, value: string): void {
  writeUidItem(w, ItemType.AbstractSyntax, value, "abstract syntax name");
}

export function readAbstractSyntaxItem(value: ByteReader): string {
  return readUidItem(value, "abstract syntax name");
}
