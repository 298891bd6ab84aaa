import type { DimseMessage, HandlerResult, ProposedPresentationContext } from "@dicomtls/association";
import { CommandField, NO_DATASET, Status, cGetRq, cStoreRsp, type CommandFieldCode } from "@dicomtls/pdu-codec";
import { DatasetTransferSyntax } from "@dicomtls/dataset";
import { DEFAULT_GET_STORAGE_SOP_CLASSES } from "./get-storage-classes.js";
import { runRetrieve, type MoveProgress, type MoveResult } from "./retrieve-run.js";
import {
  QueryError,
  QueryErrorCode,
  QueryRetrieveSopClass,
  QueryStream,
  checkKeys,
  checkLevel,
  type QueryLevelName,
  type QueryRequestOptions,
} from "./query-common.js";
import { MAX_PRESENTATION_CONTEXTS } from "./store-contexts.js";

/** One instance a C-GET sub-operation delivers (PS3.4 C.4.3.1.2: a C-STORE-RQ on the same association). */
export interface ReceivedInstance {
  /** 1, 2, ... in arrival order. */
  readonly index: number;
  /** (0000,0002) Affected SOP Class UID. */
  readonly sopClassUid: string;
  /** (0000,1000) Affected SOP Instance UID. */
  readonly sopInstanceUid: string;
  /** The accepted context's transfer syntax: the encoding of `dataset` (the File Meta's (0002,0010)). */
  readonly transferSyntaxUid: string;
  /** The data set bytes as they arrive (no File Meta); read it whole before the returned promise settles. */
  readonly dataset: AsyncIterable<Uint8Array>;
}

/**
 * Takes one received instance. Resolve (with nothing, or a PS3.4 B.2.3 C-STORE status such as 0xB000) once it is
 * kept; throwing answers 0xA700 (Refused: Out of Resources), which the peer counts as a failed sub-operation.
 */
export type InstanceSink = (instance: ReceivedInstance) => Promise<number | void> | number | void;

export interface GetOptions extends QueryRequestOptions {
  /** Where each instance goes; it is answered with a C-STORE-RSP once this settles. */
  readonly onInstance: InstanceSink;
  /** Storage SOP classes to receive (each proposed with SCP role selection). Default DEFAULT_GET_STORAGE_SOP_CLASSES. */
  readonly sopClasses?: readonly string[];
  /** Transfer syntaxes proposed for each storage class, preferred first. Default Explicit then Implicit VR Little Endian. */
  readonly transferSyntaxes?: readonly string[];
}

export type GetProgress = MoveProgress;

export interface GetResult extends MoveResult {
  /** Instances handed to `onInstance` and answered with a success or warning status. */
  readonly received: number;
  /** Instances `onInstance` refused (threw): answered 0xA700. */
  readonly refused: number;
}

/** A C-GET that ended with a failure status (A701, A702, A900, Cxxx): the counts and failed list are in `result`. */
export class GetFailedError extends QueryError {
  override readonly name: string = "GetFailedError";
  readonly result: GetResult;
  constructor(message: string, result: GetResult, errorComment: string | undefined) {
    super(QueryErrorCode.Status, message, { status: result.status, ...(errorComment !== undefined && { errorComment }) });
    this.result = result;
  }
}

export function getSopClass(model: GetOptions["model"]): string {
  return model === "patient" ? QueryRetrieveSopClass.PatientRootGet : QueryRetrieveSopClass.StudyRootGet;
}

const LITTLE_ENDIAN = [DatasetTransferSyntax.ExplicitVrLittleEndian, DatasetTransferSyntax.ImplicitVrLittleEndian] as const;

/** One context per storage class, each with an SCP/SCU Role Selection item asking the SCP role (PS3.4 C.5.3, PS3.7 D.3.3.4). */
export function getStorageContexts(sopClasses: readonly string[], transferSyntaxes: readonly string[] = LITTLE_ENDIAN): ProposedPresentationContext[] {
  const unique = [...new Set(sopClasses)];
  if (unique.length === 0) throw new QueryError(QueryErrorCode.InvalidArgument, "sopClasses: list at least one Storage SOP Class to receive");
  if (unique.length > MAX_PRESENTATION_CONTEXTS - 1) {
    throw new QueryError(QueryErrorCode.InvalidArgument, `sopClasses: ${unique.length} listed, at most ${MAX_PRESENTATION_CONTEXTS - 1} fit beside the C-GET context (PS3.8: 128 contexts)`);
  }
  if (transferSyntaxes.length === 0) throw new QueryError(QueryErrorCode.InvalidArgument, "transferSyntaxes: list at least one transfer syntax");
  for (const uid of [...unique, ...transferSyntaxes]) {
    if (!/^[0-9]+(\.[0-9]+)*$/.test(uid) || uid.length > 64) throw new QueryError(QueryErrorCode.InvalidArgument, `${JSON.stringify(uid)} is not a UID`);
  }
  // We are the SCP of the storage class; the SCU role is not needed (PS3.4 C.5.3).
  return unique.map((uid) => ({ abstractSyntax: uid, transferSyntaxes, roles: { scu: false, scp: true } }));
}

/** Counts what the sink did, so the result can say it. */
interface SinkTally {
  received: number;
  refused: number;
  /** Sinks still at work (awaited before the result settles). */
  readonly inFlight: Set<Promise<unknown>>;
}

/** The onMessage handler: C-STORE-RQ sub-operations go to the sink; anything else is not ours to perform. */
function storeHandler(sink: InstanceSink, getSopClassUid: string, tally: SinkTally): (message: DimseMessage) => Promise<HandlerResult> {
  let index = 0;
  return async (message) => {
    const rq = message.command;
    if (rq.commandField !== CommandField.CStoreRq || message.context.abstractSyntax === getSopClassUid || message.dataset === undefined) {
      // PS3.7 Annex C: a request other than the sub-operations' C-STORE is not one we perform here.
      return {
        command: { commandField: (rq.commandField | 0x8000) as CommandFieldCode, messageIdBeingRespondedTo: rq.messageId ?? 0, commandDataSetType: NO_DATASET, status: Status.UnrecognizedOperation },
      };
    }
    index += 1;
    const instance: ReceivedInstance = {
      index,
      sopClassUid: rq.affectedSopClassUid ?? message.context.abstractSyntax,
      sopInstanceUid: rq.affectedSopInstanceUid ?? "",
      transferSyntaxUid: message.context.transferSyntax,
      dataset: message.dataset,
    };
    const work = Promise.resolve().then(() => sink(instance));
    tally.inFlight.add(work);
    let status: number;
    try {
      status = (await work) ?? Status.Success;
      tally.received += 1;
    } catch {
      tally.refused += 1;
      status = Status.OutOfResources;
    } finally {
      tally.inFlight.delete(work);
    }
    return { command: cStoreRsp(rq, status) };
  };
}

/**
 * PS3.4 C.4.3 C-GET SCU: asks the peer for what the identifier selects and receives it on the same association, as
 * C-STORE sub-operations on the storage contexts proposed with SCP role selection. Each instance goes to `onInstance`
 * and is answered once that settles. The stream yields the counts of each Pending response; `result()` gives the
 * final status, counts, Failed SOP Instance UID List and how many instances the sink took. Success, Warning (B000)
 * and Cancel resolve; a failure status throws GetFailedError (Orthanc answers C000 when it holds an instance of a
 * class we did not propose, facts §0.10). Aborting `signal` (or leaving the loop) sends C-CANCEL-RQ.
 *
 * ```ts
 * const op = get({ host, port, callingAeTitle, calledAeTitle, level: "STUDY", keys: { StudyInstanceUID: uid },
 *   onInstance: async (i) => { for await (const chunk of i.dataset) keep(i.sopInstanceUid, chunk); } });
 * for await (const p of op) console.log(`${p.completed} done, ${p.remaining} to go`);
 * const r = await op.result(); // { status, completed, failed, warning, failedSopInstanceUids, received, ok }
 * ```
 */
export function get(options: GetOptions): QueryStream<GetProgress, GetResult> {
  const model = options.model ?? "study";
  const level = checkLevel(options.level, model);
  const keys = checkKeys(options.keys);
  const contexts = getStorageContexts(options.sopClasses ?? DEFAULT_GET_STORAGE_SOP_CLASSES, options.transferSyntaxes);
  const sopClassUid = getSopClass(model);
  return new QueryStream<GetProgress, GetResult>((settle) => runGet({ ...options, keys }, level, sopClassUid, contexts, settle));
}

function runGet(
  options: GetOptions,
  level: QueryLevelName,
  sopClassUid: string,
  contexts: readonly ProposedPresentationContext[],
  settle: (r: GetResult) => void,
): AsyncGenerator<GetProgress, void, undefined> {
  const tally: SinkTally = { received: 0, refused: 0, inFlight: new Set() };
  return runRetrieve<GetResult>({
    options,
    level,
    sopClassUid,
    what: `${options.model === "patient" ? "Patient Root" : "Study Root"} C-GET`,
    extra: { contexts, onMessage: storeHandler(options.onInstance, sopClassUid, tally) },
    command: (messageId) => cGetRq({ messageId, affectedSopClassUid: sopClassUid, ...(options.priority !== undefined && { priority: options.priority }) }),
    // A sink still writing when the final response came (a peer that did not wait for our C-STORE-RSP) finishes first.
    beforeClose: () => Promise.allSettled([...tally.inFlight]),
    result: (base) => ({ ...base, received: tally.received, refused: tally.refused }),
    failure: (text, outcome, comment) => new GetFailedError(`C-GET from ${options.calledAeTitle} at ${options.host}:${options.port} ${text}`, outcome, comment),
    settle,
  });
}
