import { prebuiltDataset, type AcceptedPresentationContext, type Association, type OutgoingMessage } from "@dicomtls/association";
import { type CodecRunner, type PreparedFile, encodeIdentifier } from "@dicomtls/dataset";
import { DATASET_PRESENT, cStoreRq, type DimseCommand, type PduBatch, type SuboperationCounts } from "@dicomtls/pdu-codec";
import { RetrieveStatus, type RetrieveInstance } from "./retrieve-types.js";

/** How a C-STORE sub-operation ended (PS3.4 C.4.2.3.1: its status decides which count it joins). */
export type SubOperationOutcome = { readonly kind: "completed" | "warning" } | { readonly kind: "failed"; readonly reason: string };

/** Failure reasons kept for the summary; the count is always complete. */
const FAILURES_KEPT = 20;
/** Explicit VR: a UI element holds at most 0xFFFE bytes; a longer Failed SOP Instance UID List is cut there. */
const MAX_UID_LIST_BYTES = 0xfffe;

/** PS3.7 Annex C: 0000 Success, Bxxx Warning, anything else a failure of the sub-operation. */
export function storeOutcome(status: number, comment: string | undefined): SubOperationOutcome {
  if (status === 0x0000) return { kind: "completed" };
  if ((status & 0xf000) === 0xb000) return { kind: "warning" };
  const hex = `0x${status.toString(16).toUpperCase().padStart(4, "0")}`;
  return { kind: "failed", reason: `C-STORE answered ${hex}${comment !== undefined && comment !== "" ? `: ${comment}` : ""}` };
}

/** The counts of one C-MOVE / C-GET while it runs, and the responses they make. */
export class SubOperationTally {
  readonly total: number;
  completed = 0;
  failed = 0;
  warning = 0;
  readonly failedUids: string[] = [];
  readonly failures: Array<{ sopInstanceUid?: string; reason: string }> = [];

  constructor(total: number) {
    this.total = total;
  }

  get done(): number {
    return this.completed + this.failed + this.warning;
  }

  add(instance: Pick<RetrieveInstance, "sopInstanceUid">, outcome: SubOperationOutcome): void {
    if (outcome.kind === "failed") {
      this.failed++;
      this.failedUids.push(instance.sopInstanceUid);
      if (this.failures.length < FAILURES_KEPT) this.failures.push({ sopInstanceUid: instance.sopInstanceUid, reason: outcome.reason });
    } else if (outcome.kind === "warning") this.warning++;
    else this.completed++;
  }

  /** PS3.4 C.4.2.1.5: a Pending response has all four counts and no data set. */
  pending(): SuboperationCounts {
    return {
      numberOfRemainingSuboperations: this.total - this.done,
      numberOfCompletedSuboperations: this.completed,
      numberOfFailedSuboperations: this.failed,
      numberOfWarningSuboperations: this.warning,
    };
  }

  /** PS3.4 C.4.2.3.1 / C.4.3.3.1: the final status from the counts (cancelled: FE00). */
  finalStatus(cancelled: boolean): number {
    if (cancelled) return RetrieveStatus.Cancel;
    if (this.failed === 0 && this.warning === 0) return RetrieveStatus.Success;
    if (this.completed === 0 && this.warning === 0) return RetrieveStatus.SubOperationsFailed;
    return RetrieveStatus.Warning;
  }

  /**
   * The final response's counts and identifier: no Remaining except after a cancel (the sub-operations not started),
   * and the Failed SOP Instance UID List (0008,0058) when one failed (PS3.4 C.4.2.1.5).
   */
  final(cancelled: boolean, transferSyntaxUid: string): { counts: SuboperationCounts; dataset: Uint8Array | undefined } {
    const counts: SuboperationCounts = {
      ...(cancelled && { numberOfRemainingSuboperations: this.total - this.done }),
      numberOfCompletedSuboperations: this.completed,
      numberOfFailedSuboperations: this.failed,
      numberOfWarningSuboperations: this.warning,
    };
    if (this.failedUids.length === 0) return { counts, dataset: undefined };
    return { counts, dataset: failedUidList(this.failedUids, transferSyntaxUid) };
  }
}

/** (0008,0058) as a data set; a list too long for one element keeps the first UIDs that fit. */
function failedUidList(uids: readonly string[], transferSyntaxUid: string): Uint8Array {
  const kept: string[] = [];
  let length = 0;
  for (const uid of uids) {
    const add = uid.length + (kept.length > 0 ? 1 : 0);
    if (length + add > MAX_UID_LIST_BYTES) break;
    kept.push(uid);
    length += add;
  }
  return encodeIdentifier({ FailedSOPInstanceUIDList: kept }, { transferSyntaxUid });
}

/** A response carrying an identifier data set. */
export function withDataset(command: DimseCommand, dataset: Uint8Array | undefined): OutgoingMessage {
  return dataset === undefined ? { command } : { command: { ...command, commandDataSetType: DATASET_PRESENT }, dataset };
}

export interface SendInstanceOptions {
  readonly codec: CodecRunner;
  /** C-MOVE: PS3.7 §9.3.1.1 Move Originator AE Title (0000,1030) and Message ID (0000,1031). */
  readonly moveOriginator?: { readonly aeTitle: string; readonly messageId: number };
  readonly priority?: number;
  /** The instance's file already being prepared (PrepareAhead), for this context and the association's PDU limit. */
  readonly prepared?: Promise<PreparedFile> | undefined;
  /** Called once the C-STORE-RQ's data set is all with the socket: the next instance may be prepared. */
  readonly onQueued?: () => void;
}

/**
 * Sub-operations go one at a time (PS3.7 §9.1.1: no asynchronous window), so while one C-STORE is on the wire and the
 * destination stores it, the next instance's file is read and cut into PDUs: its read is then off the path from one
 * C-STORE-RSP to the next C-STORE-RQ (issue 13, as `store()` of @dicomtls/scu does).
 */
export class PrepareAhead {
  #wanted: RetrieveInstance | undefined;
  #ahead: { readonly instance: RetrieveInstance; readonly prepared: Promise<PreparedFile> } | undefined;

  constructor(private readonly codec: CodecRunner) {}

  /** The preparation started for `instance`, if any; the caller sends (and closes) it. */
  take(instance: RetrieveInstance): Promise<PreparedFile> | undefined {
    if (this.#wanted === instance) this.#wanted = undefined;
    const ahead = this.#ahead;
    if (ahead?.instance !== instance) return undefined;
    this.#ahead = undefined;
    return ahead.prepared;
  }

  /**
   * Prepares `instance` for `context` on the next turn (called once the current C-STORE's PDUs were written: an inline
   * read would hold them back otherwise), unless it was taken meanwhile, `stop` aborted or the association ended.
   */
  start(association: Association, context: AcceptedPresentationContext, instance: RetrieveInstance, stop: AbortSignal): void {
    this.#wanted = instance;
    setImmediate(() => {
      if (this.#wanted !== instance || stop.aborted || !association.isEstablished) return;
      this.#wanted = undefined;
      this.close();
      const prepared = prepare(this.codec, association, context, instance);
      prepared.catch(() => undefined);
      this.#ahead = { instance, prepared };
    });
  }

  /** Drops a preparation nobody will send. */
  close(): void {
    this.#wanted = undefined;
    this.#ahead?.prepared.then((p) => p.close(), () => undefined);
    this.#ahead = undefined;
  }
}

/** The batches, then `written()` once the association's writer came back for more after the last one (its 'drain'). */
async function* thenWritten(batches: AsyncIterable<PduBatch>, written: (() => void) | undefined): AsyncGenerator<PduBatch> {
  yield* batches;
  written?.();
}

function prepare(codec: CodecRunner, association: Association, context: AcceptedPresentationContext, instance: RetrieveInstance): Promise<PreparedFile> {
  return codec.prepareFile(instance.path, { transferSyntaxUid: context.transferSyntax, presentationContextId: context.id, maxPduLength: association.peerMaxPduLength });
}

/** One C-STORE sub-operation: the file read (and converted if the context asks) by the codec runner, sent, answered. */
export async function sendInstance(association: Association, context: AcceptedPresentationContext, instance: RetrieveInstance, options: SendInstanceOptions): Promise<SubOperationOutcome> {
  if (!association.isEstablished) return { kind: "failed", reason: "the association for the sub-operations is no longer established" };
  let prepared;
  try {
    prepared = await (options.prepared ?? prepare(options.codec, association, context, instance));
  } catch (err) {
    return { kind: "failed", reason: `reading ${instance.path}: ${(err as Error).message}` };
  }
  const rq = cStoreRq({
    messageId: association.nextMessageId(),
    affectedSopClassUid: instance.sopClassUid,
    affectedSopInstanceUid: instance.sopInstanceUid,
    ...(options.priority !== undefined && { priority: options.priority }),
    ...(options.moveOriginator !== undefined && {
      moveOriginatorApplicationEntityTitle: options.moveOriginator.aeTitle,
      moveOriginatorMessageId: options.moveOriginator.messageId,
    }),
  });
  try {
    const rsp = await association.request(context.id, rq, prebuiltDataset(thenWritten(prepared, options.onQueued), context.id, association.peerMaxPduLength));
    return storeOutcome(rsp.command.status ?? -1, rsp.command.errorComment);
  } catch (err) {
    return { kind: "failed", reason: (err as Error).message };
  } finally {
    prepared.close();
  }
}
