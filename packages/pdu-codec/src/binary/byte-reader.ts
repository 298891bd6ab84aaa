import { PduDecodeError, PduErrorCode, type PduErrorCodeValue } from "../errors.js";

/**
 * A bounded big-endian cursor over a byte view. Every read checks the bound, so a length field from
 * the wire can never make the decoder read outside its item; offsets in errors are absolute.
 */
export class ByteReader {
  readonly bytes: Uint8Array;
  readonly end: number;
  readonly code: PduErrorCodeValue;
  pos: number;

  constructor(bytes: Uint8Array, pos = 0, end = bytes.length, code: PduErrorCodeValue = PduErrorCode.Malformed) {
    this.bytes = bytes;
    this.pos = pos;
    this.end = end;
    this.code = code;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  fail(message: string, offset = this.pos): never {
    throw new PduDecodeError(this.code, `${message} (at byte ${offset})`, offset);
  }

  need(n: number, what: string): void {
    if (this.end - this.pos < n) this.fail(`${what}: needs ${n} bytes, only ${this.end - this.pos} left`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const b = this.bytes;
    const v = (b[this.pos]! << 8) | b[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const b = this.bytes;
    const p = this.pos;
    const v = b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
    this.pos += 4;
    return v;
  }

  /** A view (no copy) of the next n bytes. */
  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  advance(n: number, what: string): void {
    this.need(n, what);
    this.pos += n;
  }

  /** A reader bounded to the next n bytes; this reader moves past them. */
  sub(n: number, what: string): ByteReader {
    this.need(n, what);
    const r = new ByteReader(this.bytes, this.pos, this.pos + n, this.code);
    this.pos += n;
    return r;
  }

  latin1(n: number, what: string): string {
    const v = this.take(n, what);
    let s = "";
    for (let i = 0; i < v.length; i++) s += String.fromCharCode(v[i]!);
    return s;
  }
}
