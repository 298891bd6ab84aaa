import { cMoveRq } from "@dicomtls/pdu-codec";
import { QueryError, QueryErrorCode, QueryRetrieveSopClass, QueryStream, checkKeys, checkLevel, type QueryLevelName, type QueryRequestOptions } from "./query-common.js";
import { runRetrieve, type MoveProgress, type MoveResult } from "./retrieve-run.js";

export { isCompleted, progressOf, type MoveProgress, type MoveResult } from "./retrieve-run.js";

export interface MoveOptions extends QueryRequestOptions {
  /** (0000,0600) Move Destination: the AE title the peer sends the instances to (it must know its address). */
  readonly destination: string;
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

function runMove(options: MoveOptions, level: QueryLevelName, sopClassUid: string, settle: (r: MoveResult) => void): AsyncGenerator<MoveProgress, void, undefined> {
  const destination = options.destination.trim();
  return runRetrieve<MoveResult>({
    options,
    level,
    sopClassUid,
    what: `${options.model === "patient" ? "Patient Root" : "Study Root"} C-MOVE`,
    command: (messageId) => cMoveRq({ messageId, affectedSopClassUid: sopClassUid, moveDestination: destination, ...(options.priority !== undefined && { priority: options.priority }) }),
    result: (base) => base,
    failure: (text, outcome, comment) => new MoveFailedError(`C-MOVE to ${destination} via ${options.calledAeTitle} at ${options.host}:${options.port} ${text}`, outcome, comment),
    settle,
  });
}
