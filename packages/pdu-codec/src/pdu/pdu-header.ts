import { ByteReader } from "../binary/byte-reader.js";
import type { ByteWriter } from "../binary/byte-writer.js";
import { PduDecodeError, PduErrorCode } from "../errors.js";
import { PduType } from "../types.js";

/** PS3.8 §9.3.1: PDU-type (1), reserved (1), PDU-length (4, big endian) of the variable field that follows. */
export const PDU_HEADER_LENGTH = 6;

const NAMES: Record<number, string> = {
  [PduType.AAssociateRq]: "A-ASSOCIATE-RQ",
  [PduType.AAssociateAc]: "A-ASSOCIATE-AC",
  [PduType.AAssociateRj]: "A-ASSOCIATE-RJ",
  [PduType.PDataTf]: "P-DATA-TF",
  [PduType.AReleaseRq]: "A-RELEASE-RQ",
  [PduType.AReleaseRp]: "A-RELEASE-RP",
  [PduType.AAbort]: "A-ABORT",
};

export function pduTypeName(type: number): string {
  return NAMES[type] ?? `unknown PDU type 0x${type.toString(16).padStart(2, "0")}`;
}

export function isKnownPduType(type: number): boolean {
  return type >= PduType.AAssociateRq && type <= PduType.AAbort;
}

export function writePduHeader(w: ByteWriter, type: number, length: number): void {
  w.u8(type);
  w.u8(0);
  w.u32(length);
}

/**
 * Checks that `bytes` is exactly one whole PDU (of `expected` type when given) and returns a reader over
 * its variable field.
 */
export function openPdu(bytes: Uint8Array, expected?: number): { type: number; body: ByteReader } {
  if (bytes.length < PDU_HEADER_LENGTH) {
    throw new PduDecodeError(PduErrorCode.Malformed, `a PDU needs a 6-byte header; got ${bytes.length} bytes`, 0);
  }
  const type = bytes[0]!;
  if (!isKnownPduType(type)) {
    throw new PduDecodeError(PduErrorCode.UnknownType, `${pduTypeName(type)} (PS3.8 §9.3.1 defines 0x01-0x07)`, 0);
  }
  if (expected !== undefined && type !== expected) {
    throw new PduDecodeError(PduErrorCode.Malformed, `expected ${pduTypeName(expected)}, got ${pduTypeName(type)}`, 0);
  }
  const reader = new ByteReader(bytes);
  reader.advance(2, "PDU header");
  const length = reader.u32("PDU-length");
  if (length !== bytes.length - PDU_HEADER_LENGTH) {
    throw new PduDecodeError(
      PduErrorCode.Malformed,
      `${pduTypeName(type)} announces ${length} bytes after its header but ${bytes.length - PDU_HEADER_LENGTH} were given`,
      2,
    );
  }
  return { type, body: reader };
}

/** The fixed 4-byte body of A-ASSOCIATE-RJ, A-RELEASE-RQ/RP and A-ABORT. */
export function expectBodyLength(body: ByteReader, type: number, length: number): void {
  if (body.remaining !== length) body.fail(`${pduTypeName(type)} must have a ${length}-byte body, this one has ${body.remaining}`, 2);
}
