import type { ByteReader } from "../binary/byte-reader.js";
import type { ByteWriter } from "../binary/byte-writer.js";
import { PduDecodeError, PduEncodeError, PduErrorCode } from "../errors.js";
import type { PresentationContextAcItem, PresentationContextResultCode } from "../types.js";
import { ItemType } from "../types.js";
import { ITEM_HEADER_LENGTH, readItems, writeItemHeader } from "./item-header.js";
import { checkPresentationContextId, readPresentationContextId } from "./presentation-context-rq.js";
import { readTransferSyntaxItem, transferSyntaxItemLength, writeTransferSyntaxItem } from "./transfer-syntax.js";

/**
 * PS3.8 §9.3.3.2, Table 9-18: context id (1), reserved (1), result/reason (1), reserved (1), one transfer syntax.
 * The transfer syntax sub-item is always written (empty when not accepted); a peer that leaves it out decodes as "".
 */
export function presentationContextAcItemLength(v: PresentationContextAcItem): number {
  return ITEM_HEADER_LENGTH + 4 + transferSyntaxItemLength(v.transferSyntax);
}

export function writePresentationContextAcItem(w: ByteWriter, v: PresentationContextAcItem): void {
  checkPresentationContextId(v.id);
  if (!Number.isInteger(v.result) || v.result < 0 || v.result > 4) {
    throw new PduEncodeError(`presentation context ${v.id} result/reason ${v.result} must be 0-4 (PS3.8 Table 9-18)`);
  }
  writeItemHeader(w, ItemType.PresentationContextAc, presentationContextAcItemLength(v) - ITEM_HEADER_LENGTH);
  w.u8(v.id);
  w.u8(0);
  w.u8(v.result);
  w.u8(0);
  writeTransferSyntaxItem(w, v.transferSyntax);
}

export function readPresentationContextAcItem(value: ByteReader): PresentationContextAcItem {
  const id = readPresentationContextId(value);
  value.advance(1, "presentation context reserved byte");
  const at = value.pos;
  const result = value.u8("result/reason");
  if (result > 4) {
    throw new PduDecodeError(PduErrorCode.InvalidValue, `presentation context ${id} result/reason ${result} is not in PS3.8 Table 9-18 (0-4) (at byte ${at})`, at);
  }
  value.advance(1, "presentation context reserved byte");
  let transferSyntax: string | undefined;
  readItems(value, `presentation context ${id}`, (itemType, sub, start) => {
    if (itemType !== ItemType.TransferSyntax) {
      value.fail(`accepted presentation context ${id} holds an item of type 0x${itemType.toString(16)}; only 0x40 belongs there`, start);
    }
    if (transferSyntax !== undefined) value.fail(`presentation context ${id} has a second transfer syntax`, start);
    transferSyntax = readTransferSyntaxItem(sub);
  });
  return { id, result: result as PresentationContextResultCode, transferSyntax: transferSyntax ?? "" };
}
