import type { ByteReader } from "../binary/byte-reader.js";
import { ByteWriter } from "../binary/byte-writer.js";
import type { AReleaseRp } from "../types.js";
import { PduType } from "../types.js";
import { expectBodyLength, openPdu, PDU_HEADER_LENGTH, writePduHeader } from "./pdu-header.js";

/** PS3.8 §9.3.7, Table 9-25: a 4-byte reserved body. */
export function encodeAReleaseRp(_pdu?: AReleaseRp): Buffer {
  const w = new ByteWriter(PDU_HEADER_LENGTH + 4);
  writePduHeader(w, PduType.AReleaseRp, 4);
  w.zeros(4);
  return w.finish();
}

export function readAReleaseRpBody(body: ByteReader): AReleaseRp {
  expectBodyLength(body, PduType.AReleaseRp, 4);
  return { type: PduType.AReleaseRp };
}

export function decodeAReleaseRp(bytes: Uint8Array): AReleaseRp {
  return readAReleaseRpBody(openPdu(bytes, PduType.AReleaseRp).body);
}
