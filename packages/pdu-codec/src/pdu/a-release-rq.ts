import type { ByteReader } from "../binary/byte-reader.js";
import { ByteWriter } from "../binary/byte-writer.js";
import type { AReleaseRq } from "../types.js";
import { PduType } from "../types.js";
import { expectBodyLength, openPdu, PDU_HEADER_LENGTH, writePduHeader } from "./pdu-header.js";

/** PS3.8 §9.3.6, Table 9-24: a 4-byte reserved body. */
export function encodeAReleaseRq(_pdu?: AReleaseRq): Buffer {
  const w = new ByteWriter(PDU_HEADER_LENGTH + 4);
  writePduHeader(w, PduType.AReleaseRq, 4);
  w.zeros(4);
  return w.finish();
}

export function readAReleaseRqBody(body: ByteReader): AReleaseRq {
  expectBodyLength(body, PduType.AReleaseRq, 4);
  return { type: PduType.AReleaseRq };
}

export function decodeAReleaseRq(bytes: Uint8Array): AReleaseRq {
  return readAReleaseRqBody(openPdu(bytes, PduType.AReleaseRq).body);
}
