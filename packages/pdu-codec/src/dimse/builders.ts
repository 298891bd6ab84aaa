import type { CommandFieldCode, DimseCommand } from "../types.js";
import { CommandField, NO_DATASET, Priority, Status } from "../types.js";

/** PS3.7 §E.1: any value other than 0x0101 means a data set follows; this is the one we send. */
export const DATASET_PRESENT = 0x0001;

/** PS3.4 Annex A: the Verification SOP Class. */
export const VERIFICATION_SOP_CLASS = "1.2.840.10008.1.1";

/** Optional fields of a response; the builders fill in the ones that echo the request. */
export type ResponseExtras = Partial<Omit<DimseCommand, "commandField" | "messageIdBeingRespondedTo" | "status">>;

interface Request {
  readonly messageId?: number;
  readonly affectedSopClassUid?: string;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * A response to `rq`: its Message ID and SOP class echoed, then `extras` over the defaults, then the command field
 * and status. Built by assignment: the object spreads this replaces took V8's slow path, microseconds per response.
 */
function response(rq: Request, commandField: CommandFieldCode, status: number, commandDataSetType: number, extras: object, affectedSopInstanceUid?: string): DimseCommand {
  const out: Writable<DimseCommand> = { commandField, messageIdBeingRespondedTo: rq.messageId ?? 0, commandDataSetType, status };
  if (rq.affectedSopClassUid !== undefined) out.affectedSopClassUid = rq.affectedSopClassUid;
  if (affectedSopInstanceUid !== undefined) out.affectedSopInstanceUid = affectedSopInstanceUid;
  if (extras !== NO_EXTRAS) {
    Object.assign(out, extras);
    out.commandField = commandField;
    out.status = status;
  }
  return out;
}

/** The default `extras` of the builders: nothing to merge. */
const NO_EXTRAS: ResponseExtras = Object.freeze({});

function isPending(status: number): boolean {
  return status === Status.Pending || status === Status.PendingWarning;
}

/** PS3.7 §9.3.5.1 */
export function cEchoRq(messageId: number, affectedSopClassUid: string = VERIFICATION_SOP_CLASS): DimseCommand {
  return { commandField: CommandField.CEchoRq, messageId, affectedSopClassUid, commandDataSetType: NO_DATASET };
}

/** PS3.7 §9.3.5.2 */
export function cEchoRsp(rq: Request, status: number = Status.Success, extras: ResponseExtras = NO_EXTRAS): DimseCommand {
  return response(rq, CommandField.CEchoRsp, status, NO_DATASET, extras);
}

export interface CStoreRqFields {
  readonly messageId: number;
  readonly affectedSopClassUid: string;
  readonly affectedSopInstanceUid: string;
  readonly priority?: number;
  /** Set when the store is a C-MOVE sub-operation (PS3.7 §9.3.1.1). */
  readonly moveOriginatorApplicationEntityTitle?: string;
  readonly moveOriginatorMessageId?: number;
}

/** PS3.7 §9.3.1.1 */
export function cStoreRq(f: CStoreRqFields): DimseCommand {
  return { priority: Priority.Medium, ...f, commandField: CommandField.CStoreRq, commandDataSetType: DATASET_PRESENT };
}

/** PS3.7 §9.3.1.2: echoes the SOP class and instance of the request. */
export function cStoreRsp(rq: Request & { readonly affectedSopInstanceUid?: string }, status: number = Status.Success, extras: ResponseExtras = NO_EXTRAS): DimseCommand {
  return response(rq, CommandField.CStoreRsp, status, NO_DATASET, extras, rq.affectedSopInstanceUid);
}

export interface QueryRqFields {
  readonly messageId: number;
  readonly affectedSopClassUid: string;
  readonly priority?: number;
}

/** PS3.7 §9.3.2.1: an identifier follows. */
export function cFindRq(f: QueryRqFields): DimseCommand {
  return { priority: Priority.Medium, ...f, commandField: CommandField.CFindRq, commandDataSetType: DATASET_PRESENT };
}

/** PS3.7 §9.3.2.2: pending responses carry an identifier, final ones none. */
export function cFindRsp(rq: Request, status: number, extras: ResponseExtras = NO_EXTRAS): DimseCommand {
  return response(rq, CommandField.CFindRsp, status, isPending(status) ? DATASET_PRESENT : NO_DATASET, extras);
}

/** PS3.7 §9.3.3.1 */
export function cGetRq(f: QueryRqFields): DimseCommand {
  return { priority: Priority.Medium, ...f, commandField: CommandField.CGetRq, commandDataSetType: DATASET_PRESENT };
}

export interface SuboperationCounts {
  readonly numberOfRemainingSuboperations?: number;
  readonly numberOfCompletedSuboperations?: number;
  readonly numberOfFailedSuboperations?: number;
  readonly numberOfWarningSuboperations?: number;
}

/** PS3.7 §9.3.3.2; pass a failed-instance identifier via extras.commandDataSetType when one follows. */
export function cGetRsp(rq: Request, status: number, counts: SuboperationCounts = NO_EXTRAS, extras: ResponseExtras = NO_EXTRAS): DimseCommand {
  return response(rq, CommandField.CGetRsp, status, NO_DATASET, extras === NO_EXTRAS ? counts : { ...counts, commandDataSetType: NO_DATASET, ...extras });
}

/** PS3.7 §9.3.4.1 */
export function cMoveRq(f: QueryRqFields & { readonly moveDestination: string }): DimseCommand {
  return { priority: Priority.Medium, ...f, commandField: CommandField.CMoveRq, commandDataSetType: DATASET_PRESENT };
}

/** PS3.7 §9.3.4.2 */
export function cMoveRsp(rq: Request, status: number, counts: SuboperationCounts = NO_EXTRAS, extras: ResponseExtras = NO_EXTRAS): DimseCommand {
  return response(rq, CommandField.CMoveRsp, status, NO_DATASET, extras === NO_EXTRAS ? counts : { ...counts, commandDataSetType: NO_DATASET, ...extras });
}

/** PS3.7 §9.3.2.3 (and §9.3.3.3, §9.3.4.3): cancels the operation with this message id. */
export function cCancelRq(messageIdBeingRespondedTo: number): DimseCommand {
  return { commandField: CommandField.CCancelRq, messageIdBeingRespondedTo, commandDataSetType: NO_DATASET };
}

export interface NActionRqFields {
  readonly messageId: number;
  readonly requestedSopClassUid: string;
  readonly requestedSopInstanceUid: string;
  readonly actionTypeId: number;
  /** Default true: an Action Information data set follows (Storage Commitment's always does). */
  readonly withDataset?: boolean;
}

/** PS3.7 §10.3.4.1 */
export function nActionRq(f: NActionRqFields): DimseCommand {
  const { withDataset = true, ...fields } = f;
  return { ...fields, commandField: CommandField.NActionRq, commandDataSetType: withDataset ? DATASET_PRESENT : NO_DATASET };
}

/** PS3.7 §10.3.4.2: the Affected SOP Class/Instance echo the request's Requested ones (Table 10.3-4, U / C). */
export function nActionRsp(
  rq: { readonly messageId?: number; readonly requestedSopClassUid?: string; readonly requestedSopInstanceUid?: string; readonly actionTypeId?: number },
  status: number = Status.Success,
  extras: ResponseExtras = {},
): DimseCommand {
  return {
    messageIdBeingRespondedTo: rq.messageId ?? 0,
    ...(rq.requestedSopClassUid !== undefined && { affectedSopClassUid: rq.requestedSopClassUid }),
    ...(rq.requestedSopInstanceUid !== undefined && { affectedSopInstanceUid: rq.requestedSopInstanceUid }),
    ...(status === Status.Success && rq.actionTypeId !== undefined && { actionTypeId: rq.actionTypeId }),
    commandDataSetType: NO_DATASET,
    ...extras,
    commandField: CommandField.NActionRsp,
    status,
  };
}

export interface NEventReportRqFields {
  readonly messageId: number;
  readonly affectedSopClassUid: string;
  readonly affectedSopInstanceUid: string;
  readonly eventTypeId: number;
  /** Default true: an Event Information data set follows (Storage Commitment's always does). */
  readonly withDataset?: boolean;
}

/** PS3.7 §10.3.1.1 */
export function nEventReportRq(f: NEventReportRqFields): DimseCommand {
  const { withDataset = true, ...fields } = f;
  return { ...fields, commandField: CommandField.NEventReportRq, commandDataSetType: withDataset ? DATASET_PRESENT : NO_DATASET };
}

/** PS3.7 §10.3.1.2: echoes the request's SOP class, instance and (on success) event type. */
export function nEventReportRsp(
  rq: { readonly messageId?: number; readonly affectedSopClassUid?: string; readonly affectedSopInstanceUid?: string; readonly eventTypeId?: number },
  status: number = Status.Success,
  extras: ResponseExtras = {},
): DimseCommand {
  return {
    messageIdBeingRespondedTo: rq.messageId ?? 0,
    ...(rq.affectedSopClassUid !== undefined && { affectedSopClassUid: rq.affectedSopClassUid }),
    ...(rq.affectedSopInstanceUid !== undefined && { affectedSopInstanceUid: rq.affectedSopInstanceUid }),
    ...(status === Status.Success && rq.eventTypeId !== undefined && { eventTypeId: rq.eventTypeId }),
    commandDataSetType: NO_DATASET,
    ...extras,
    commandField: CommandField.NEventReportRsp,
    status,
  };
}
