import type { ByteReader } from "../binary/byte-reader.js";
import type { ByteWriter } from "../binary/byte-writer.js";
import { PduDecodeError, PduEncodeError, PduErrorCode } from "../errors.js";
import type { PresentationContextRqItem } from "../types.js";
import { ItemType } from "../types.js";
import { abstractSyntaxItemLength, readAbstractSyntaxItem, writeAbstractSyntaxItem } from "./abstract-syntax.js";
import { ITEM_HEADER_LENGTH, readItems, writeItemHeader } from "./item-header.js";
import { readTransferSyntaxItem, transferSyntaxItemLength, writeTransferSyntaxItem } from "./transfer-syntax.js";

/** PS3.8 §9.3.2.2, Table 9-13: context id (1), reserved (3), one abstract syntax, one or more transfer syntaxes. */
export function presentationContextRqItemLength(v: PresentationContextRqItem): number {
  let n = ITEM_HEADER_LENGTH + 4 + abstractSyntaxItemLength(v.abstractSyntax);
  for (const ts of v.transferSyntaxes) n += transferSyntaxItemLength(ts);
  return n;
}

export function checkPresentationContextId(id: number): void {
  // PS3.8 §9.3.2.2: odd integers between 1 and 255.
  if (!Number.isInteger(id) || id < 1 || id > 255 || id % 2 === 0) {
    throw new PduEncodeError(`presentation context id ${id} must be an odd integer from 1 to 255`);
  }
}

/** The decoder's side of the same rule: an even or zero id cannot be answered in an A-ASSOCIATE-AC (PS3.8 §9.3.2.2). */
export function readPresentationContextId(value: ByteReader): number {
  const at = value.pos;
  const id = value.u8("presentation-context-ID");
  if (id % 2 === 0) {
    throw new PduDecodeError(PduErrorCode.InvalidValue, `presentation context id ${id} is even; PS3.8 §9.3.2.2 allows odd ids 1-255 only (at byte ${at})`, at);
  }
  return id;
}

export function writePresentationContextRqItem(w: ByteWriter, v: PresentationContextRqItem): void {
  checkPresentationContextId(v.id);
  writeItemHeader(w, ItemType.PresentationContextRq, presentationContextRqItemLength(v) - ITEM_HEADER_LENGTH);
  w.u8(v.id);
  w.zeros(3);
  writeAbstractSyntaxItem(w, v.abstractSyntax);
  for (const ts of v.transferSyntaxes) writeTransferSyntaxItem(w, ts);
}

export function readPresentationContextRqItem(value: ByteReader, itemStart: number): PresentationContextRqItem {
  const id = readPresentationContextId(value);
  value.advance(3, "presentation context reserved bytes");
  let abstractSyntax: string | undefined;
  const transferSyntaxes: string[] = [];
  readItems(value, `presentation context ${id}`, (itemType, sub, start) => {
    if (itemType === ItemType.AbstractSyntax) {
      if (abstractSyntax !== undefined) value.fail(`presentation context ${id} has a second abstract syntax`, start);
      abstractSyntax = readAbstractSyntaxItem(sub);
    } else if (itemType === ItemType.TransferSyntax) {
      transferSyntaxes.push(readTransferSyntaxItem(sub));
    } else {
      value.fail(`presentation context ${id} holds an item of type 0x${itemType.toString(16)}; only 0x30 and 0x40 belong there`, start);
    }
  });
  if (abstractSyntax === undefined) value.fail(`presentation context ${id} has no abstract syntax`, itemStart);
  // No transfer syntax at all is left to negotiation to refuse, not a framing error.
  return { id, abstractSyntax, transferSyntaxes };
}
