import type { ByteReader } from "../binary/byte-reader.js";
import { ByteWriter } from "../binary/byte-writer.js";
import { presentationContextAcItemLength, readPresentationContextAcItem, writePresentationContextAcItem } from "../items/presentation-context-ac.js";
import type { AAssociateAc, PresentationContextAcItem } from "../types.js";
import { ItemType, PduType } from "../types.js";
import type { PresentationContextCodec } from "./a-associate-common.js";
import { associateBodyLength, readAssociate, writeAssociate } from "./a-associate-common.js";
import { openPdu, PDU_HEADER_LENGTH } from "./pdu-header.js";

const AC_CONTEXTS: PresentationContextCodec<PresentationContextAcItem> = {
  itemType: ItemType.PresentationContextAc,
  length: presentationContextAcItemLength,
  write: writePresentationContextAcItem,
  read: readPresentationContextAcItem,
};

/** PS3.8 §9.3.3, Table 9-17. */
export function encodeAAssociateAc(pdu: AAssociateAc): Buffer {
  const bodyLength = associateBodyLength(pdu, AC_CONTEXTS);
  const w = new ByteWriter(PDU_HEADER_LENGTH + bodyLength);
  writeAssociate(w, PduType.AAssociateAc, bodyLength, pdu, AC_CONTEXTS);
  return w.finish();
}

export function readAAssociateAcBody(body: ByteReader): AAssociateAc {
  return { type: PduType.AAssociateAc, ...readAssociate(body, PduType.AAssociateAc, AC_CONTEXTS) };
}

export function decodeAAssociateAc(bytes: Uint8Array): AAssociateAc {
  return readAAssociateAcBody(openPdu(bytes, PduType.AAssociateAc).body);
}
