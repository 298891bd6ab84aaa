import type { DimseCommand } from "@dicomtls/pdu-codec";
import { encodeIdentifier } from "@dicomtls/dataset";
import {
  QueryStatus,
  RequestRun,
  describeQueryStatus,
  hex4,
  openQueryAssociation,
  readFailedUids,
  type ExtraProposal,
  type QueryLevelName,
  type QueryRequestOptions,
} from "./query-common.js";

/** Sub-operation counts of a C-MOVE or C-GET response (PS3.7 §9.3.4.2, §9.3.3.2); absent counts are undefined. */
export interface MoveProgress {
  readonly status: number;
  readonly remaining: number | undefined;
  readonly completed: number;
  readonly failed: number;
  readonly warning: number;
}

export interface MoveResult extends MoveProgress {
  readonly statusName: string;
  /** (0008,0058) Failed SOP Instance UID List of the final response. */
  readonly failedSopInstanceUids: readonly string[];
  /** True when we sent C-CANCEL (the signal, or the iteration stopped early). */
  readonly cancelled: boolean;
  /** True when the final status is Success and no sub-operation failed or warned. */
  readonly ok: boolean;
  readonly level: QueryLevelName;
  readonly sopClassUid: string;
}

/** The counts of a C-MOVE or C-GET response (PS3.7 §9.3.3.2, §9.3.4.2). */
export function progressOf(command: DimseCommand): MoveProgress {
  return {
    status: command.status ?? -1,
    remaining: command.numberOfRemainingSuboperations,
    completed: command.numberOfCompletedSuboperations ?? 0,
    failed: command.numberOfFailedSuboperations ?? 0,
    warning: command.numberOfWarningSuboperations ?? 0,
  };
}

/** Success, Warning and Cancel end a C-MOVE or C-GET as asked; anything else is a failure (PS3.4 C.4.2.1.5). */
export function isCompleted(status: number): boolean {
  return status === QueryStatus.Success || status === QueryStatus.Warning || status === QueryStatus.Cancel;
}

/** What differs between a C-MOVE and a C-GET; the request/response/cancel/release cycle is the same. */
export interface RetrieveSpec<R extends MoveResult> {
  readonly options: QueryRequestOptions;
  readonly level: QueryLevelName;
  readonly sopClassUid: string;
  /** "Study Root C-MOVE", ... for messages. */
  readonly what: string;
  readonly extra?: ExtraProposal;
  readonly command: (messageId: number) => DimseCommand;
  /** Runs once the final response is in, before the release (C-GET: sinks still writing finish). */
  readonly beforeClose?: () => Promise<unknown>;
  readonly result: (base: MoveResult) => R;
  /** The error a failure status throws; `text` already names the status, comment and counts. */
  readonly failure: (text: string, outcome: R, comment: string | undefined) => Error;
  readonly settle: (r: R) => void;
}

/**
 * PS3.4 C.4.2 / C.4.3 as an SCU: sends the request, yields the counts of each Pending response, reads the Failed
 * SOP Instance UID List of the final one (PS3.4 C.4.2.1.5, C.4.3.1.4), cancels when the signal aborts or the
 * consumer leaves the loop, releases, then settles a completed outcome or throws `failure`.
 */
export async function* runRetrieve<R extends MoveResult>(spec: RetrieveSpec<R>): AsyncGenerator<MoveProgress, void, undefined> {
  const { options, level, sopClassUid } = spec;
  options.signal?.throwIfAborted();
  const { association, context } = await openQueryAssociation(options, sopClassUid, spec.what, spec.extra);
  let run: RequestRun | undefined;
  let failedUids: string[] = [];
  let outcome: R | undefined;
  try {
    const identifier = encodeIdentifier(options.keys, { transferSyntaxUid: context.transferSyntax, level });
    const messageId = association.nextMessageId();
    run = new RequestRun(association, context, messageId, association.responses(context.id, spec.command(messageId), identifier), options.signal);
    for (let rsp = await run.next(); rsp !== undefined; rsp = await run.next()) {
      if (run.finalStatus === undefined) {
        yield progressOf(rsp.command);
        continue;
      }
      failedUids = await readFailedUids(rsp);
    }
  } finally {
    // Also reached when the consumer leaves the loop early: cancel, read up to the final response, then release.
    if (run !== undefined && run.finalStatus === undefined && association.isEstablished) await run.drain().catch(() => undefined);
    await spec.beforeClose?.();
    if (run === undefined) await association.release().catch(() => association.abort().catch(() => undefined)); // nothing was sent
    else await run.close();
    if (run?.finalCommand !== undefined) {
      const counts = progressOf(run.finalCommand);
      outcome = spec.result({
        ...counts,
        statusName: describeQueryStatus(counts.status),
        failedSopInstanceUids: failedUids,
        cancelled: run.cancelled,
        ok: counts.status === QueryStatus.Success && counts.failed === 0 && counts.warning === 0,
        level,
        sopClassUid,
      });
      if (isCompleted(outcome.status)) spec.settle(outcome);
    }
  }
  if (outcome === undefined || isCompleted(outcome.status)) return;
  const comment = run.finalCommand?.errorComment;
  const text =
    `ended with ${hex4(outcome.status)} (${outcome.statusName})${comment === undefined ? "" : `: ${comment}`}; ` +
    `completed ${outcome.completed}, failed ${outcome.failed}, warning ${outcome.warning}` +
    `${outcome.failedSopInstanceUids.length === 0 ? "" : `; failed instances: ${outcome.failedSopInstanceUids.join(", ")}`}`;
  throw spec.failure(text, outcome, comment);
}
