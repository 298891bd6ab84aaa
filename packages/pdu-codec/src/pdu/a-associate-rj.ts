import type { ByteReader } from "../binary/byte-reader.js";
import { ByteWriter } from "../binary/byte-writer.js";
import { PduEncodeError } from "../errors.js";
import type { AAssociateRj } from "../types.js";
import { PduType } from "../types.js";
import { expectBodyLength, openPdu, PDU_HEADER_LENGTH, writePduHeader } from "./pdu-header.js";

/** PS3.8 §9.3.4, Table 9-21: reserved (1), result (1), source (1), reason/diag. (1). */
export function encodeAAssociateRj(pdu: AAssociateRj): Buffer {
  checkBytes({ result: pdu.result, source: pdu.source, reason: pdu.reason }, "A-ASSOCIATE-RJ");
  const w = new ByteWriter(PDU_HEADER_LENGTH + 4);
  writePduHeader(w, PduType.AAssociateRj, 4);
  w.u8(0);
  w.u8(pdu.result);
  w.u8(pdu.source);
  w.u8(pdu.reason);
  return w.finish();
}

export function readAAssociateRjBody(body: ByteReader): AAssociateRj {
  expectBodyLength(body, PduType.AAssociateRj, 4);
  body.advance(1, "reserved");
  return { type: PduType.AAssociateRj, result: body.u8("result"), source: body.u8("source"), reason: body.u8("reason") };
}

export function decodeAAssociateRj(bytes: Uint8Array): AAssociateRj {
  return readAAssociateRjBody(openPdu(bytes, PduType.AAssociateRj).body);
}

export function checkBytes(fields: Record<string, number>, what: string): void {
  for (const [name, v] of Object.entries(fields)) {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new PduEncodeError(`${what} ${name} ${v} must be a byte (0-255)`);
  }
}
