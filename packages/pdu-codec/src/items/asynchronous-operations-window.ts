import type { ByteReader } from "../binary/byte-reader.js";
import type { ByteWriter } from "../binary/byte-writer.js";
import { PduEncodeError } from "../errors.js";
import type { AsynchronousOperationsWindow } from "../types.js";
import { ItemType } from "../types.js";
import { ITEM_HEADER_LENGTH, writeItemHeader } from "./item-header.js";

/** PS3.7 Annex D.3.3.3, Table D.3-7: two 16-bit counts, 0 = unlimited. */
export const ASYNCHRONOUS_OPERATIONS_WINDOW_ITEM_LENGTH = ITEM_HEADER_LENGTH + 4;

export function writeAsynchronousOperationsWindowItem(w: ByteWriter, v: AsynchronousOperationsWindow): void {
  for (const n of [v.maxOperationsInvoked, v.maxOperationsPerformed]) {
    if (!Number.isInteger(n) || n < 0 || n > 0xffff) {
      throw new PduEncodeError(`asynchronous operations window count ${n} must be an integer from 0 to 65535`);
    }
  }
  writeItemHeader(w, ItemType.AsynchronousOperationsWindow, 4);
  w.u16(v.maxOperationsInvoked);
  w.u16(v.maxOperationsPerformed);
}

export function readAsynchronousOperationsWindowItem(value: ByteReader): AsynchronousOperationsWindow {
  if (value.remaining !== 4) value.fail(`asynchronous operations window sub-item must hold 4 bytes, it holds ${value.remaining}`);
  return {
    maxOperationsInvoked: value.u16("maximum number of operations invoked"),
    maxOperationsPerformed: value.u16("maximum number of operations performed"),
  };
}
