import { PduDecodeError, PduErrorCode } from "../errors.js";
import type { PDataTf, Pdv } from "../types.js";
import { PduType } from "../types.js";
import { PDU_HEADER_LENGTH, pduTypeName } from "./pdu-header.js";

/** A cursor over consecutive views, reading big-endian fields that may straddle two of them. */
class PiecesCursor {
  #index = 0;
  #pos = 0;
  /** Absolute offset in the PDU, for error messages. */
  offset = 0;
  constructor(readonly pieces: readonly Uint8Array[]) {}

  u8(): number {
    let piece = this.pieces[this.#index]!;
    while (this.#pos === piece.length) {
      piece = this.pieces[++this.#index]!;
      this.#pos = 0;
    }
    this.offset++;
    return piece[this.#pos++]!;
  }

  u32(): number {
    const piece = this.pieces[this.#index]!;
    if (piece.length - this.#pos >= 4) {
      const p = this.#pos;
      this.#pos += 4;
      this.offset += 4;
      return piece[p]! * 0x1000000 + ((piece[p + 1]! << 16) | (piece[p + 2]! << 8) | piece[p + 3]!);
    }
    return this.u8() * 0x1000000 + ((this.u8() << 16) | (this.u8() << 8) | this.u8());
  }

  /** The next `n` bytes as views (one per piece they lie in), passed to `each` in order; no copy. */
  take(n: number, each: (view: Uint8Array, last: boolean) => void): void {
    let left = n;
    this.offset += n;
    for (;;) {
      const piece = this.pieces[this.#index]!;
      const here = Math.min(left, piece.length - this.#pos);
      left -= here;
      // An empty view is passed only for empty data, or when the data ends exactly at a piece's end.
      if (here > 0 || n === 0) each(piece.subarray(this.#pos, this.#pos + here), left === 0);
      this.#pos += here;
      if (left === 0) return;
      this.#index++;
      this.#pos = 0;
    }
  }
}

function fail(message: string, offset: number): never {
  throw new PduDecodeError(PduErrorCode.Malformed, `${message} (at byte ${offset})`, offset);
}

/**
 * PS3.8 §9.3.5: a P-DATA-TF given as consecutive views (PduFramer.pushPieces), decoded without joining them. A PDV
 * whose data spans views comes back as consecutive PDVs of the same context and kind, one per view, the
 * last-fragment bit on the final one only: what a DIMSE message assembler makes of them is the same message
 * (PS3.8 Annex E: command fragments are joined, data set fragments streamed). decodePDataTf walks a PDU in one
 * buffer through here too.
 */
export function decodePDataTfPieces(pieces: readonly Uint8Array[]): PDataTf {
  let length = 0;
  for (const piece of pieces) length += piece.length;
  const first = pieces[0];
  if (first === undefined || first.length < PDU_HEADER_LENGTH) fail(`a P-DATA-TF in pieces needs its 6-byte header in the first one`, 0);
  if (first[0] !== PduType.PDataTf) throw new PduDecodeError(PduErrorCode.Malformed, `expected P-DATA-TF, got ${pduTypeName(first[0]!)}`, 0);
  const c = new PiecesCursor(pieces);
  c.u8();
  c.u8();
  const announced = c.u32();
  if (announced !== length - PDU_HEADER_LENGTH) {
    throw new PduDecodeError(PduErrorCode.Malformed, `P-DATA-TF announces ${announced} bytes after its header but ${length - PDU_HEADER_LENGTH} were given`, 2);
  }
  const pdvs: Pdv[] = [];
  while (c.offset < length) {
    const start = c.offset;
    const remaining = length - start;
    if (remaining < 4) fail(`PDV item-length: needs 4 bytes, only ${remaining} left`, start);
    const itemLength = c.u32();
    if (itemLength < 2) fail(`PDV item-length ${itemLength} is shorter than its 2 header bytes`, start);
    if (itemLength > remaining - 4) fail(`PDV announces ${itemLength} bytes but only ${remaining - 4} remain in the PDU`, start);
    const presentationContextId = c.u8();
    // PS3.8 §9.3.5.1: ids are 1-255; 0 names no context at all.
    if (presentationContextId === 0) fail("PDV presentation-context-ID is 0", start + 4);
    const control = c.u8();
    const isCommand = (control & 1) !== 0;
    const isLast = (control & 2) !== 0;
    c.take(itemLength - 2, (data, last) => pdvs.push({ presentationContextId, isCommand, isLast: last && isLast, data }));
  }
  if (pdvs.length === 0) fail("P-DATA-TF holds no PDV item (PS3.8 §9.3.5 requires one or more)", 0);
  return { type: PduType.PDataTf, pdvs };
}
