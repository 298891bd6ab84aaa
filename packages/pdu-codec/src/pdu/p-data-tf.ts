import type { ByteReader } from "../binary/byte-reader.js";
import { ByteWriter } from "../binary/byte-writer.js";
import { PduEncodeError } from "../errors.js";
import type { PDataTf } from "../types.js";
import { decodePDataTfPieces } from "./p-data-tf-pieces.js";
import { PduType } from "../types.js";
import { openPdu, PDU_HEADER_LENGTH, writePduHeader } from "./pdu-header.js";

/** PS3.8 §9.3.5.1, Table 9-23: item-length (4), presentation-context-ID (1), message control header (1), data. */
export const PDV_HEADER_LENGTH = 6;
/** PDU header + PDV item header: what goes in front of each fragment's data. */
export const P_DATA_TF_HEADER_LENGTH = PDU_HEADER_LENGTH + PDV_HEADER_LENGTH;

/** PS3.8 Annex E.2: bit 0 = command, bit 1 = last fragment. */
function messageControlHeader(isCommand: boolean, isLast: boolean): number {
  return (isCommand ? 1 : 0) | (isLast ? 2 : 0);
}

function checkPdv(presentationContextId: number, dataLength: number): void {
  if (!Number.isInteger(presentationContextId) || presentationContextId < 1 || presentationContextId > 255) {
    throw new PduEncodeError(`PDV presentation context id ${presentationContextId} must be 1-255`);
  }
  // PDU-length is 32 bits and counts the 6 PDV header bytes too.
  if (dataLength > 0xffffffff - PDV_HEADER_LENGTH) throw new PduEncodeError(`PDV data of ${dataLength} bytes does not fit one PDU`);
}

/**
 * The 12 bytes that precede a one-PDV P-DATA-TF's data: write them, then the payload slice, and the
 * payload is never copied.
 */
export function encodePDataTfHeader(presentationContextId: number, isCommand: boolean, isLast: boolean, dataLength: number): Buffer {
  const out = Buffer.allocUnsafe(P_DATA_TF_HEADER_LENGTH);
  writePDataTfHeader(out, 0, presentationContextId, isCommand, isLast, dataLength);
  return out;
}

/** The same 12 bytes written at `offset` of `out` (a buffer that holds the PDV data after them). */
export function writePDataTfHeader(out: Buffer, offset: number, presentationContextId: number, isCommand: boolean, isLast: boolean, dataLength: number): void {
  checkPdv(presentationContextId, dataLength);
  out[offset] = PduType.PDataTf;
  out[offset + 1] = 0;
  out.writeUInt32BE(PDV_HEADER_LENGTH + dataLength, offset + 2);
  out.writeUInt32BE(2 + dataLength, offset + 6);
  out[offset + 10] = presentationContextId;
  out[offset + 11] = messageControlHeader(isCommand, isLast);
}

/** The whole P-DATA-TF PDU in one buffer (copies the PDV data; the sender's path uses encodePDataTfHeader). */
export function encodePDataTf(pdu: PDataTf): Buffer {
  if (pdu.pdvs.length === 0) throw new PduEncodeError("a P-DATA-TF needs at least one PDV (PS3.8 §9.3.5)");
  let bodyLength = 0;
  for (const pdv of pdu.pdvs) {
    checkPdv(pdv.presentationContextId, pdv.data.length);
    bodyLength += PDV_HEADER_LENGTH + pdv.data.length;
  }
  const w = new ByteWriter(PDU_HEADER_LENGTH + bodyLength);
  writePduHeader(w, PduType.PDataTf, bodyLength);
  for (const pdv of pdu.pdvs) {
    w.u32(2 + pdv.data.length);
    w.u8(pdv.presentationContextId);
    w.u8(messageControlHeader(pdv.isCommand, pdv.isLast));
    w.bytes(pdv.data);
  }
  return w.finish();
}

/**
 * PDV data are views of the input bytes, not copies. `body` is past the header openPdu checked; the PDV items are
 * walked by decodePDataTfPieces (one walker, one set of checks, whether the PDU came in one buffer or in pieces).
 */
export function readPDataTfBody(body: ByteReader): PDataTf {
  return decodePDataTfPieces([body.bytes.subarray(body.pos - PDU_HEADER_LENGTH, body.end)]);
}

export function decodePDataTf(bytes: Uint8Array): PDataTf {
  return readPDataTfBody(openPdu(bytes, PduType.PDataTf).body);
}
