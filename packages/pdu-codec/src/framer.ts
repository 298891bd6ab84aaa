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

/**
 * Cuts a byte stream into whole PDUs (header + body), fed chunks of any size.
 * A PDU inside one chunk comes back as a view of that chunk; a PDU split across chunks is copied once
 * into a buffer of its announced size, allocated only after the announced length passed the limit.
 * After a thrown error the stream is out of step and every later push throws the same error.
 */
export class PduFramer {
  #maxPDataLength: number;
  readonly #maxOtherLength: number;
  readonly #header = Buffer.alloc(PDU_HEADER_LENGTH);
  #headerFill = 0;
  #pending: Buffer | undefined;
  #pendingFill = 0;
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
    return this.#pending === undefined ? this.#headerFill : this.#pendingFill;
  }

  push(chunk: Buffer): Buffer[] {
    if (this.#failure) throw this.#failure;
    try {
      return this.#push(chunk);
    } catch (err) {
      if (err instanceof PduDecodeError) this.#failure = err;
      throw err;
    }
  }

  #push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let off = 0;
    while (off < chunk.length) {
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
        this.#startPending(total);
        this.#header.copy(this.#pending!, 0);
        this.#pendingFill = PDU_HEADER_LENGTH;
        this.#headerFill = 0;
        if (total === PDU_HEADER_LENGTH) this.#complete(out, this.#pending!);
      }
    }
    return out;
  }

  #startPending(total: number): void {
    this.#pending = Buffer.allocUnsafe(total);
    this.#pendingFill = 0;
  }

  #complete(out: Buffer[], pdu: Buffer): void {
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
