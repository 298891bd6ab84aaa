import { PduEncodeError } from "../errors.js";

/**
 * Writes into one buffer allocated at its final size: encoders compute lengths first, so a PDU is
 * built without intermediate buffers or concatenation.
 */
export class ByteWriter {
  readonly buf: Buffer;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  u8(v: number): void {
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }

  u32(v: number): void {
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
  }

  zeros(n: number): void {
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }

  bytes(v: Uint8Array): void {
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  /** Callers have checked the text is ASCII (see text.ts), so one char is one byte. */
  ascii(v: string): void {
    this.pos += this.buf.write(v, this.pos, "latin1");
  }

  finish(): Buffer {
    if (this.pos !== this.buf.length) {
      throw new PduEncodeError(`internal: encoder wrote ${this.pos} of ${this.buf.length} bytes`);
    }
    return this.buf;
  }
}
