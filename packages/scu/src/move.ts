import { cMoveRq, encodeIdentifier, type DimseCommand } from "@dicomtls/pdu-codec";
import {
  QueryError,
  QueryErrorCode,
  QueryRetrieveSopClass,
  QueryStatus,
  QueryStream,
  RequestRun,
  checkKeys,
  checkLevel,
  describeQueryStatus,
  hex4,
  openQueryAssociation,
  readFailedUids,
  type QueryLevelName,
  type QueryRequestOptions,
} from "./query-common.js";

export interface MoveOptions extends QueryRequestOptions {
  /** (0000,0600) Move Destination: the AE title the peer sends the instances to (it must know its address). */
  readonly destination: string;
}

/** Sub-operation counts of a C-MOVE response (PS3.7 §9.3.4.2); absent counts are undefined. */
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

/** A C-MOVE that ended with a failure status (A701, A702, A801, A900, Cxxx): the counts and failed list are in `result`. */
export class MoveFailedError extends QueryError {
  override readonly name: string = "MoveFailedError";
  readonly result: MoveResult;
  constructor(message: string, result: MoveResult, errorComment: string | undefined) {
    super(QueryErrorCode.Status, message, { status: result.status, ...(errorComment !== undefined && { errorComment }) });
    this.result = result;
  }
}

export function moveSopClass(model: MoveOptions["model"]): string {
  return model === "patient" ? QueryRetrieveSopClass.PatientRootMove : QueryRetrieveSopClass.StudyRootMove;
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

/**
 * PS3.4 C.4.2 C-MOVE SCU: asks the peer to send what the identifier selects (level + unique keys, PS3.4 C.4.2.1.4.1)
 * to `destination`, and streams the sub-operation counts of each Pending response. `result()` gives the final status,
 * counts and the Failed SOP Instance UID List; Success, Warning (B000) and Cancel (FE00) resolve, a failure status
 * throws MoveFailedError (ERR_DICOM_QUERY_STATUS; Orthanc answers C000 for an unknown destination, the standard
 * A801). Aborting `signal` (or leaving the loop) sends C-CANCEL-RQ and waits for the final response.
 *
 * ```ts
 * const op = move({ host, port, callingAeTitle, calledAeTitle, destination: "STORESCP", level: "STUDY", keys: { StudyInstanceUID: uid } });
 * for await (const p of op) console.log(`${p.completed} done, ${p.remaining} to go`);
 * const r = await op.result(); // { status, completed, failed, warning, failedSopInstanceUids, ok }
 * ```
 */
export function move(options: MoveOptions): QueryStream<MoveProgress, MoveResult> {
  const model = options.model ?? "study";
  const level = checkLevel(options.level, model);
  const keys = checkKeys(options.keys);
  const destination = options.destination.trim();
  // PS3.8 §9.3.2 / PS3.5: an AE title is 1-16 printable ASCII characters without a backslash.
  if (!/^[\x20-\x5b\x5d-\x7e]{1,16}$/.test(destination)) {
    throw new QueryError(QueryErrorCode.InvalidArgument, `destination ${JSON.stringify(options.destination)} is not an AE title (1-16 printable ASCII characters, no backslash)`);
  }
  const sopClassUid = moveSopClass(model);
  return new QueryStream<MoveProgress, MoveResult>((settle) => runMove({ ...options, keys }, level, sopClassUid, settle));
}

async function* runMove(options: MoveOptions, level: QueryLevelName, sopClassUid: string, settle: (r: MoveResult) => void): AsyncGenerator<MoveProgress, void, undefined> {
  options.signal?.throwIfAborted();
  const model = options.model === "patient" ? "Patient Root" : "Study Root";
  const { association, context } = await openQueryAssociation(options, sopClassUid, `${model} C-MOVE`);
  let run: RequestRun | undefined;
  let failedUids: string[] = [];
  let outcome: MoveResult | undefined;
  try {
    const identifier = encodeIdentifier(options.keys, { transferSyntaxUid: context.transferSyntax, level });
    const messageId = association.nextMessageId();
    const command = cMoveRq({ messageId, affectedSopClassUid: sopClassUid, moveDestination: options.destination.trim(), ...(options.priority !== undefined && { priority: options.priority }) });
    run = new RequestRun(association, context, messageId, association.responses(context.id, command, identifier), options.signal);
    for (let rsp = await run.next(); rsp !== undefined; rsp = await run.next()) {
      if (run.finalStatus === undefined) {
        yield progressOf(rsp.command);
        continue;
      }
      // PS3.4 C.4.2.1.5: the final response lists the failed instances in (0008,0058) when some failed.
      failedUids = await readFailedUids(rsp);
    }
  } finally {
    // Also reached when the consumer leaves the loop early: cancel, read up to the final response, then release.
    if (run !== undefined && run.finalStatus === undefined && association.isEstablished) await run.drain().catch(() => undefined);
    if (run === undefined) await association.release().catch(() => association.abort().catch(() => undefined)); // nothing was sent
    else await run.close();
    if (run?.finalCommand !== undefined) {
      outcome = resultOf(run.finalCommand, failedUids, run.cancelled, level, sopClassUid);
      if (isCompleted(outcome.status)) settle(outcome);
    }
  }
  if (outcome === undefined || isCompleted(outcome.status)) return;
  const comment = run.finalCommand?.errorComment;
  throw new MoveFailedError(
    `C-MOVE to ${options.destination} via ${options.calledAeTitle} at ${options.host}:${options.port} ended with ${hex4(outcome.status)} (${outcome.statusName})` +
      `${comment === undefined ? "" : `: ${comment}`}; completed ${outcome.completed}, failed ${outcome.failed}, warning ${outcome.warning}`,
    outcome,
    comment,
  );
}

/** Success, Warning and Cancel end a C-MOVE or C-GET as asked; anything else is a failure (PS3.4 C.4.2.1.5). */
export function isCompleted(status: number): boolean {
  return status === QueryStatus.Success || status === QueryStatus.Warning || status === QueryStatus.Cancel;
}

function resultOf(final: DimseCommand, failedSopInstanceUids: string[], cancelled: boolean, level: QueryLevelName, sopClassUid: string): MoveResult {
  const counts = progressOf(final);
  return {
    ...counts,
    statusName: describeQueryStatus(counts.status),
    failedSopInstanceUids,
    cancelled,
    ok: counts.status === QueryStatus.Success && counts.failed === 0 && counts.warning === 0,
    level,
    sopClassUid,
  };
}
