import type { Pdu } from "../types.js";
import { PduType } from "../types.js";
import { encodeAAbort, readAAbortBody } from "./a-abort.js";
import { encodeAAssociateAc, readAAssociateAcBody } from "./a-associate-ac.js";
import { encodeAAssociateRj, readAAssociateRjBody } from "./a-associate-rj.js";
import { encodeAAssociateRq, readAAssociateRqBody } from "./a-associate-rq.js";
import { encodeAReleaseRp, readAReleaseRpBody } from "./a-release-rp.js";
import { encodeAReleaseRq, readAReleaseRqBody } from "./a-release-rq.js";
import { encodePDataTf, readPDataTfBody } from "./p-data-tf.js";
import { openPdu } from "./pdu-header.js";

/** The whole PDU, 6-byte header included, in one buffer. */
export function encodePdu(pdu: Pdu): Buffer {
  switch (pdu.type) {
    case PduType.AAssociateRq:
      return encodeAAssociateRq(pdu);
    case PduType.AAssociateAc:
      return encodeAAssociateAc(pdu);
    case PduType.AAssociateRj:
      return encodeAAssociateRj(pdu);
    case PduType.PDataTf:
      return encodePDataTf(pdu);
    case PduType.AReleaseRq:
      return encodeAReleaseRq(pdu);
    case PduType.AReleaseRp:
      return encodeAReleaseRp(pdu);
    case PduType.AAbort:
      return encodeAAbort(pdu);
  }
}

/** Decodes exactly one whole PDU (as the framer returns it); throws PduDecodeError on anything else. */
export function decodePdu(bytes: Uint8Array): Pdu {
  const { type, body } = openPdu(bytes);
  switch (type) {
    case PduType.AAssociateRq:
      return readAAssociateRqBody(body);
    case PduType.AAssociateAc:
      return readAAssociateAcBody(body);
    case PduType.AAssociateRj:
      return readAAssociateRjBody(body);
    case PduType.PDataTf:
      return readPDataTfBody(body);
    case PduType.AReleaseRq:
      return readAReleaseRqBody(body);
    case PduType.AReleaseRp:
      return readAReleaseRpBody(body);
    default:
      return readAAbortBody(body);
  }
}

