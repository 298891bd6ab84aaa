import { PduDecodeError, PduErrorCode, PduTooLargeError } from "./errors.js";
import { isKnownPduType, PDU_HEADER_LENGTH, pduTypeName } from "./pdu/pdu-header.js";
import { PduType } from "./types.js";

export interface PduFramerOptions {
  /** Largest P-DATA-TF PDU-length (variable field) accepted, as negotiated (PS3.8 D.1); 0 = unlimited. */
  readonly maxPDataLength: number;
  /** Largest PDU-length accepted for every other PDU type. Default 1 MiB. */
  readonly maxOtherLength?: number;
}

const DEFAULT_MAX_OTHER_LENGTH = 1024 * 1024;

function checkLimit(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`${what} ${n} must be an integer from 0 to 4294967295`);
  return n;
}

/** A P-DATA-TF PDU that arrived split across chunks, as views of them in order (the first holds the whole 6-byte header). */
export interface PduPieces {
  readonly pieces: readonly Buffer[];
  /** Total bytes, header included. */
  readonly length: number;
}

/**
 * Cuts a byte stream into whole PDUs (header + body), fed chunks of any size.
 * A PDU inside one chunk comes back as a view of that chunk; a PDU split across chunks is copied once
 * into a buffer of its announced size, allocated only after the announced length passed the limit.
 * `pushPieces` instead hands a split P-DATA-TF back as views of the chunks it spans (no copy, no allocation of its
 * size): a TLS socket delivers at most 16 KiB per read, so a 128 KiB PDU was always copied (issue 13).
 * After a thrown error the stream is out of step and every later push throws the same error.
 */
export class PduFramer {
  #maxPDataLength: number;
  readonly #maxOtherLength: number;
  readonly #header = Buffer.alloc(PDU_HEADER_LENGTH);
  #headerFill = 0;
  #pending: Buffer | undefined;
  #pendingFill = 0;
  /** The P-DATA-TF being gathered as views (pushPieces), and the bytes it still lacks. */
  #pieces: Buffer[] | undefined;
  #piecesLength = 0;
  #piecesNeed = 0;
  /** Stream offset of the PDU being read, for error offsets. */
  #streamOffset = 0;
  #failure: PduDecodeError | undefined;

  constructor(options: PduFramerOptions) {
    this.#maxPDataLength = checkLimit(options.maxPDataLength, "maxPDataLength");
    this.#maxOtherLength = checkLimit(options.maxOtherLength ?? DEFAULT_MAX_OTHER_LENGTH, "maxOtherLength");
  }

  /** Set once the association has negotiated our receive limit. */
  setMaxPDataLength(n: number): void {
    this.#maxPDataLength = checkLimit(n, "maxPDataLength");
  }

  /** Bytes held for the PDU not yet complete. */
  get bufferedBytes(): number {
    if (this.#pieces !== undefined) return this.#piecesLength - this.#piecesNeed;
    return this.#pending === undefined ? this.#headerFill : this.#pendingFill;
  }

  /** Whole PDUs completed by `chunk`, each in one buffer (a view of `chunk`, or a copy when it was split). */
  push(chunk: Buffer): Buffer[] {
    return this.#guarded(chunk, false) as Buffer[];
  }

  /**
   * As push, but a P-DATA-TF split across chunks comes back as its pieces (views of the chunks, which must then stay
   * unmodified for as long as the pieces are used). Every other PDU type is still returned in one buffer.
   */
  pushPieces(chunk: Buffer): Array<Buffer | PduPieces> {
    return this.#guarded(chunk, true);
  }

  #guarded(chunk: Buffer, views: boolean): Array<Buffer | PduPieces> {
    if (this.#failure) throw this.#failure;
    try {
      return this.#push(chunk, views);
    } catch (err) {
      if (err instanceof PduDecodeError) this.#failure = err;
      throw err;
    }
  }

  #push(chunk: Buffer, views: boolean): Array<Buffer | PduPieces> {
    const out: Array<Buffer | PduPieces> = [];
    let off = 0;
    while (off < chunk.length) {
      const pieces = this.#pieces;
      if (pieces !== undefined) {
        const n = Math.min(this.#piecesNeed, chunk.length - off);
        pieces.push(chunk.subarray(off, off + n));
        this.#piecesNeed -= n;
        off += n;
        if (this.#piecesNeed === 0) this.#completePieces(out);
        continue;
      }
      const pending = this.#pending;
      if (pending !== undefined) {
        const n = Math.min(pending.length - this.#pendingFill, chunk.length - off);
        chunk.copy(pending, this.#pendingFill, off, off + n);
        this.#pendingFill += n;
        off += n;
        if (this.#pendingFill === pending.length) this.#complete(out, pending);
        continue;
      }
      if (this.#headerFill === 0 && chunk.length - off >= PDU_HEADER_LENGTH) {
        const total = PDU_HEADER_LENGTH + this.#bodyLength(chunk, off);
        if (chunk.length - off >= total) {
          this.#complete(out, chunk.subarray(off, off + total));
          off += total;
        } else if (views && chunk[off] === PduType.PDataTf) {
          this.#startPieces(chunk.subarray(off), total);
          off = chunk.length;
        } else {
          this.#startPending(total);
          // Loop again: the pending branch copies the header and what there is of the body.
        }
        continue;
      }
      const n = Math.min(PDU_HEADER_LENGTH - this.#headerFill, chunk.length - off);
      // A stream that is not DICOM is refused on its first byte, without waiting for the rest of a header.
      if (this.#headerFill === 0) this.#checkType(chunk[off]!);
      chunk.copy(this.#header, this.#headerFill, off, off + n);
      this.#headerFill += n;
      off += n;
      if (this.#headerFill === PDU_HEADER_LENGTH) {
        const total = PDU_HEADER_LENGTH + this.#bodyLength(this.#header, 0);
        if (views && this.#header[0] === PduType.PDataTf && total > PDU_HEADER_LENGTH) {
          // The header buffer is reused: its 6 bytes are copied, the body will be views.
          this.#startPieces(Buffer.from(this.#header), total);
          this.#headerFill = 0;
          continue;
        }
        this.#startPending(total);
        this.#header.copy(this.#pending!, 0);
        this.#pendingFill = PDU_HEADER_LENGTH;
        this.#headerFill = 0;
        if (total === PDU_HEADER_LENGTH) this.#complete(out, this.#pending!);
      }
    }
    return out;
  }

  #startPieces(first: Buffer, total: number): void {
    this.#pieces = [first];
    this.#piecesLength = total;
    this.#piecesNeed = total - first.length;
  }

  #completePieces(out: Array<Buffer | PduPieces>): void {
    out.push({ pieces: this.#pieces!, length: this.#piecesLength });
    this.#streamOffset += this.#piecesLength;
    this.#pieces = undefined;
    this.#piecesLength = 0;
    this.#piecesNeed = 0;
  }

  #startPending(total: number): void {
    this.#pending = Buffer.allocUnsafe(total);
    this.#pendingFill = 0;
  }

  #complete(out: Array<Buffer | PduPieces>, pdu: Buffer): void {
    out.push(pdu);
    this.#streamOffset += pdu.length;
    this.#pending = undefined;
    this.#pendingFill = 0;
  }

  #checkType(type: number): void {
    if (!isKnownPduType(type)) {
      throw new PduDecodeError(PduErrorCode.UnknownType, `${pduTypeName(type)} at stream byte ${this.#streamOffset}; the peer is not speaking DICOM PS3.8`, this.#streamOffset);
    }
  }

  /** Validates the header at bytes[off..off+6] and returns its PDU-length. */
  #bodyLength(bytes: Uint8Array, off: number): number {
    const type = bytes[off]!;
    this.#checkType(type);
    const length = bytes[off + 2]! * 0x1000000 + ((bytes[off + 3]! << 16) | (bytes[off + 4]! << 8) | bytes[off + 5]!);
    const allowed = type === PduType.PDataTf ? this.#maxPDataLength : this.#maxOtherLength;
    // PS3.8 D.1: the limit bounds the variable field, so a PDU of limit + 6 bytes is allowed.
    if (allowed !== 0 && length > allowed) throw new PduTooLargeError(type, length, allowed, this.#streamOffset);
    return length;
  }
}
