import type { ByteReader } from "../binary/byte-reader.js";
import { ByteWriter } from "../binary/byte-writer.js";
import type { AAbort } from "../types.js";
import { PduType } from "../types.js";
import { checkBytes } from "./a-associate-rj.js";
import { expectBodyLength, openPdu, PDU_HEADER_LENGTH, writePduHeader } from "./pdu-header.js";

/** PS3.8 §9.3.8, Table 9-26: reserved (2), source (1), reason/diag. (1). */
export function encodeAAbort(pdu: AAbort): Buffer {
  checkBytes({ source: pdu.source, reason: pdu.reason }, "A-ABORT");
  const w = new ByteWriter(PDU_HEADER_LENGTH + 4);
  writePduHeader(w, PduType.AAbort, 4);
  w.zeros(2);
  w.u8(pdu.source);
  w.u8(pdu.reason);
  return w.finish();
}

export function readAAbortBody(body: ByteReader): AAbort {
  expectBodyLength(body, PduType.AAbort, 4);
  body.advance(2, "reserved");
  return { type: PduType.AAbort, source: body.u8("source"), reason: body.u8("reason") };
}

export function decodeAAbort(bytes: Uint8Array): AAbort {
  return readAAbortBody(openPdu(bytes, PduType.AAbort).body);
}
