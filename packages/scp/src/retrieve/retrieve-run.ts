import { channel } from "node:diagnostics_channel";
import type { Association, DimseMessage, OutgoingMessage } from "@dicomtls/association";
import { type DimseCommand, type SuboperationCounts } from "@dicomtls/pdu-codec";
import { decodeIdentifier } from "@dicomtls/dataset";
import { RetrieveRequestError, retrieveSelector } from "./retrieve-identifier.js";
import { RetrieveChannels, RetrieveStatus, type RetrieveInstance, type RetrieveLevel, type RetrieveSelector, type RetrieveSource, type RetrieveSummary } from "./retrieve-types.js";
import { SubOperationTally, withDataset, type SubOperationOutcome } from "./sub-operations.js";

/** What differs between C-MOVE and C-GET; the identifier, counting, Pending and final responses are the same. */
export interface RetrieveSpec {
  readonly kind: RetrieveSummary["kind"];
  readonly message: DimseMessage;
  readonly association: Association;
  readonly source: RetrieveSource;
  /** cMoveRsp / cGetRsp for this request. */
  readonly respond: (status: number, counts?: SuboperationCounts, extras?: Partial<DimseCommand>) => DimseCommand;
  /** Checks made before the instances are looked up (C-MOVE: the destination); a RetrieveRequestError refuses. */
  readonly before?: () => Promise<void>;
  /**
   * Runs the sub-operations, yielding each outcome as it ends; stops starting new ones once `signal` aborts
   * (C-CANCEL). Every instance it does not yield counts as not started.
   */
  readonly subOperations: (instances: readonly RetrieveInstance[], signal: AbortSignal) => AsyncIterable<{ readonly instance: RetrieveInstance; readonly outcome: SubOperationOutcome }>;
  readonly destination?: string;
  /** C-MOVE: the address the sub-associations reached (and whether over TLS), once one opened. */
  readonly destinationReached?: () => { readonly address: string; readonly encrypted: boolean } | undefined;
  readonly onFinished?: (summary: RetrieveSummary) => void;
}

const finishedChannel = channel(RetrieveChannels.finished);

async function readSelector(message: DimseMessage): Promise<RetrieveSelector> {
  if (message.dataset === undefined) throw new RetrieveRequestError(RetrieveStatus.IdentifierDoesNotMatchSopClass, "the request carries no identifier");
  const bytes = await message.dataset.readAll();
  let identifier;
  try {
    identifier = decodeIdentifier(bytes, message.context.transferSyntax);
  } catch (err) {
    throw new RetrieveRequestError(RetrieveStatus.UnableToProcess, `the identifier cannot be decoded: ${(err as Error).message}`);
  }
  return retrieveSelector(identifier, message.context.abstractSyntax);
}

async function listInstances(source: RetrieveSource, selector: RetrieveSelector, signal: AbortSignal): Promise<RetrieveInstance[]> {
  // Remaining (0000,1020) needs the total before the first sub-operation: the list is small records, not data.
  const out: RetrieveInstance[] = [];
  for await (const instance of source.instances(selector, { signal })) {
    if (signal.aborted) break;
    out.push(instance);
  }
  return out;
}

/**
 * PS3.4 C.4.2 / C.4.3: one C-MOVE or C-GET as its responses. Pending (FF00, counts, no data set) after each
 * sub-operation but the last; then the final: 0000, B000 (some failed or warned), A702 (all failed) or FE00 after a
 * C-CANCEL (with the sub-operations not started as Remaining), the Failed SOP Instance UID List when one failed.
 */
export async function* runRetrieve(spec: RetrieveSpec): AsyncGenerator<OutgoingMessage> {
  const { message } = spec;
  const signal = message.signal;
  let level: RetrieveLevel | undefined;
  const finished = (s: RetrieveSummary): void => {
    if (finishedChannel.hasSubscribers) finishedChannel.publish(s);
    spec.onFinished?.(s);
  };
  const sent: RetrieveInstance[] = [];
  const summary = (status: number, tally: SubOperationTally, cancelled: boolean, failures = tally.failures): RetrieveSummary => {
    const reached = spec.destinationReached?.();
    return {
      kind: spec.kind,
      association: spec.association,
      sopClassUid: message.context.abstractSyntax,
      level,
      ...(spec.destination !== undefined && { destination: spec.destination }),
      ...(reached !== undefined && { destinationAddress: reached.address, destinationEncrypted: reached.encrypted }),
      status,
      matched: tally.total,
      completed: tally.completed,
      failed: tally.failed,
      warning: tally.warning,
      cancelled,
      sent,
      failures,
    };
  };
  let instances: RetrieveInstance[];
  try {
    const selector = await readSelector(message);
    level = selector.level;
    await spec.before?.();
    instances = await listInstances(spec.source, selector, signal);
  } catch (err) {
    const refused = err instanceof RetrieveRequestError;
    const status = refused ? err.status : RetrieveStatus.UnableToProcess;
    const reason = (err as Error).message;
    finished(summary(status, new SubOperationTally(0), false, [{ reason }]));
    yield { command: spec.respond(status, {}, { errorComment: reason.slice(0, 64) }) };
    return;
  }
  // A C-CANCEL during the look-up cut the list short: what was not listed was not started either.
  const listingCut = signal.aborted;
  const tally = new SubOperationTally(instances.length);
  for await (const { instance, outcome } of spec.subOperations(instances, signal)) {
    tally.add(instance, outcome);
    if (outcome.kind !== "failed") sent.push(instance);
    if (tally.done < tally.total && !signal.aborted) yield { command: spec.respond(RetrieveStatus.Pending, tally.pending()) };
  }
  // PS3.7 §9.3.4.3: a cancel that comes after the last sub-operation ended does not apply.
  const cancelled = signal.aborted && (listingCut || tally.done < tally.total);
  const status = tally.finalStatus(cancelled);
  const { counts, dataset } = tally.final(cancelled, message.context.transferSyntax);
  finished(summary(status, tally, cancelled));
  yield withDataset(spec.respond(status, counts), dataset);
}
