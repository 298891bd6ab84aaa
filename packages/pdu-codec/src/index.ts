export * from "./types.js";
export * from "./errors.js";
export { encodePdu, decodePdu } from "./pdu/pdu.js";
export { encodeAAssociateRq, decodeAAssociateRq } from "./pdu/a-associate-rq.js";
export { encodeAAssociateAc, decodeAAssociateAc } from "./pdu/a-associate-ac.js";
export { encodeAAssociateRj, decodeAAssociateRj } from "./pdu/a-associate-rj.js";
export { encodePDataTf, decodePDataTf, encodePDataTfHeader, writePDataTfHeader, PDV_HEADER_LENGTH, P_DATA_TF_HEADER_LENGTH } from "./pdu/p-data-tf.js";
export { decodePDataTfPieces } from "./pdu/p-data-tf-pieces.js";
export { encodeAReleaseRq, decodeAReleaseRq } from "./pdu/a-release-rq.js";
export { encodeAReleaseRp, decodeAReleaseRp } from "./pdu/a-release-rp.js";
export { encodeAAbort, decodeAAbort } from "./pdu/a-abort.js";
export { PDU_HEADER_LENGTH, pduTypeName } from "./pdu/pdu-header.js";
export { aeTitleProblem, trimAeTitle } from "./binary/text.js";
export { PduFramer, type PduFramerOptions, type PduPieces } from "./framer.js";
export { encodeCommand, encodeCommandPdus, decodeCommand, hasDataset, isKnownCommandField, missingCommandFields } from "./dimse/command-set.js";
export {
  DATASET_PRESENT,
  VERIFICATION_SOP_CLASS,
  cEchoRq,
  cEchoRsp,
  cStoreRq,
  cStoreRsp,
  cFindRq,
  cFindRsp,
  cGetRq,
  cGetRsp,
  cMoveRq,
  cMoveRsp,
  cCancelRq,
  nActionRq,
  nActionRsp,
  nEventReportRq,
  nEventReportRsp,
  type NActionRqFields,
  type NEventReportRqFields,
  type ResponseExtras,
  type CStoreRqFields,
  type QueryRqFields,
  type SuboperationCounts,
} from "./dimse/builders.js";
export {
  fragmentMessage,
  fragmentToBuffers,
  maxPdvDataLength,
  UNLIMITED_PEER_PDU_LENGTH,
  type FragmentOptions,
  type PDataTfFragment,
  type PduBatch,
} from "./fragmenter.js";
