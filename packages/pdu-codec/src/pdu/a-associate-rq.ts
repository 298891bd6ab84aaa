import { ByteWriter } from "../binary/byte-writer.js";
import { presentationContextRqItemLength, readPresentationContextRqItem, writePresentationContextRqItem } from "../items/presentation-context-rq.js";
import type { AAssociateRq, PresentationContextRqItem } from "../types.js";
import { ItemType, PduType } from "../types.js";
import type { PresentationContextCodec } from "./a-associate-common.js";
import { associateBodyLength, readAssociate, writeAssociate } from "./a-associate-common.js";
import type { ByteReader } from "../binary/byte-reader.js";
import { openPdu, PDU_HEADER_LENGTH } from "./pdu-header.js";

const RQ_CONTEXTS: PresentationContextCodec<PresentationContextRqItem> = {
  itemType: ItemType.PresentationContextRq,
  length: presentationContextRqItemLength,
  write: writePresentationContextRqItem,
  read: readPresentationContextRqItem,
};

/** PS3.8 §9.3.2, Table 9-11. */
export function encodeAAssociateRq(pdu: AAssociateRq): Buffer {
  const bodyLength = associateBodyLength(pdu, RQ_CONTEXTS);
  const w = new ByteWriter(PDU_HEADER_LENGTH + bodyLength);
  writeAssociate(w, PduType.AAssociateRq, bodyLength, pdu, RQ_CONTEXTS);
  return w.finish();
}

export function readAAssociateRqBody(body: ByteReader): AAssociateRq {
  return { type: PduType.AAssociateRq, ...readAssociate(body, PduType.AAssociateRq, RQ_CONTEXTS) };
}

export function decodeAAssociateRq(bytes: Uint8Array): AAssociateRq {
  return readAAssociateRqBody(openPdu(bytes, PduType.AAssociateRq).body);
}
