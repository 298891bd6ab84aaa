import { NO_DATASET, type CommandFieldCode, type DimseCommand } from "@dicomtls/pdu-codec";

/** PS3.7 §9.1, §10.1: a request's response command field has bit 15 set (C-services; N-services alike). */
export function responseField(requestField: number): CommandFieldCode {
  return (requestField | 0x8000) as CommandFieldCode;
}

/** PS3.7 Annex C: a response to `rq` with only a status (and an optional Error Comment, max 64 chars). */
export function statusResponse(rq: DimseCommand, status: number, errorComment?: string): DimseCommand {
  const sopClass = rq.affectedSopClassUid ?? rq.requestedSopClassUid;
  const sopInstance = rq.affectedSopInstanceUid ?? rq.requestedSopInstanceUid;
  return {
    commandField: responseField(rq.commandField),
    messageIdBeingRespondedTo: rq.messageId ?? 0,
    // PS3.7 §10.3: an N-service response names as Affected what its request named as Requested (N-ACTION, N-GET ...).
    ...(sopClass !== undefined && { affectedSopClassUid: sopClass }),
    ...(sopInstance !== undefined && { affectedSopInstanceUid: sopInstance }),
    commandDataSetType: NO_DATASET,
    status,
    ...(errorComment !== undefined && { errorComment: errorComment.slice(0, 64) }),
  };
}
