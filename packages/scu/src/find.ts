import type { AcceptedPresentationContext, Association } from "@dicomtls/association";
import { cFindRq } from "@dicomtls/pdu-codec";
import { encodeIdentifier, type DecodedIdentifier } from "@dicomtls/dataset";
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
  readIdentifier,
  type QueryLevelName,
  type QueryRequestOptions,
} from "./query-common.js";

export type FindOptions = QueryRequestOptions;

/** One C-FIND match (a Pending response's identifier). */
export interface FindMatch {
  /** 1, 2, ... in the order the peer sent them. */
  readonly index: number;
  /** Keyword (or "GGGGEEEE") -> values, decoded with the answer's Specific Character Set. */
  readonly identifier: DecodedIdentifier;
  /** 0xFF01 when the peer did not support one or more Optional keys for this match. */
  readonly status: number;
}

export interface FindResult {
  /** Final status: 0x0000 Success, or 0xFE00 Cancel after our C-CANCEL (failures throw QueryError). */
  readonly status: number;
  readonly statusName: string;
  /** Matches delivered (none after a cancel). */
  readonly matches: number;
  /** Pending responses the peer sent, those that came after our C-CANCEL included (facts §0.9: DCMTK polls for it). */
  readonly pendingResponses: number;
  /** True when we sent C-CANCEL (the signal, or the iteration stopped early). */
  readonly cancelled: boolean;
  readonly level: QueryLevelName;
  readonly sopClassUid: string;
  /** Transfer syntax of the accepted context. */
  readonly transferSyntax: string;
}

/** The C-FIND SOP class of a model. */
export function findSopClass(model: FindOptions["model"]): string {
  return model === "patient" ? QueryRetrieveSopClass.PatientRootFind : QueryRetrieveSopClass.StudyRootFind;
}

/**
 * PS3.4 C.4.1 C-FIND SCU: one association, one query, the matches streamed as the peer sends them (nothing is
 * buffered beyond the match being read), then release. Aborting `signal` (or leaving the loop) sends C-CANCEL-RQ; the
 * stream then ends with the peer's final status, Cancel or Success if it had finished. A failure status (A700, A900,
 * Cxxx) throws QueryError ERR_DICOM_QUERY_STATUS after the matches before it; a model the peer does not support
 * throws ERR_DICOM_QUERY_NO_CONTEXT; connection problems are the association package's errors.
 *
 * ```ts
 * const query = find({ host, port, callingAeTitle, calledAeTitle, level: "STUDY", keys: { PatientName: "DOE*", StudyInstanceUID: "" } });
 * for await (const m of query) console.log(m.identifier.StudyInstanceUID);
 * console.log((await query.result()).status);
 * ```
 */
export function find(options: FindOptions): QueryStream<FindMatch, FindResult> {
  const model = options.model ?? "study";
  const level = checkLevel(options.level, model);
  const keys = checkKeys(options.keys);
  const sopClassUid = findSopClass(model);
  return new QueryStream<FindMatch, FindResult>((settle) => runFind({ ...options, keys }, level, sopClassUid, settle));
}

async function* runFind(options: FindOptions, level: QueryLevelName, sopClassUid: string, settle: (r: FindResult) => void): AsyncGenerator<FindMatch, void, undefined> {
  options.signal?.throwIfAborted();
  const model = options.model === "patient" ? "Patient Root" : "Study Root";
  const { association, context } = await openQueryAssociation(options, sopClassUid, `${model} C-FIND`);
  yield* findOn(association, context, options, level, sopClassUid, settle, false);
}

/** What one request on an open association needs: its keys, priority and signal, and the peer named in errors. */
type FindRequest = Pick<FindOptions, "host" | "port" | "calledAeTitle" | "keys" | "priority" | "signal">;

/**
 * One C-FIND on an open association: the matches, then the final status. `keepOpen`: the association stays
 * established after a finished request (a session's); otherwise it is released (or aborted when it broke).
 */
export async function* findOn(
  association: Association,
  context: AcceptedPresentationContext,
  options: FindRequest,
  level: QueryLevelName,
  sopClassUid: string,
  settle: (r: FindResult) => void,
  keepOpen: boolean,
): AsyncGenerator<FindMatch, void, undefined> {
  let run: RequestRun | undefined;
  let matches = 0;
  try {
    const identifier = encodeIdentifier(options.keys, { transferSyntaxUid: context.transferSyntax, level });
    const messageId = association.nextMessageId();
    const command = cFindRq({ messageId, affectedSopClassUid: sopClassUid, ...(options.priority !== undefined && { priority: options.priority }) });
    run = new RequestRun(association, context, messageId, association.responses(context.id, command, identifier), options.signal);
    for (let rsp = await run.next(); rsp !== undefined; rsp = await run.next()) {
      if (run.finalStatus !== undefined) break;
      // After our C-CANCEL the peer may still send matches it had queued (facts §0.9): they are not wanted any more.
      if (run.cancelled) continue;
      const found = await readIdentifier(rsp);
      if (found === undefined) continue;
      matches += 1;
      yield { index: matches, identifier: found, status: rsp.command.status ?? QueryStatus.Pending };
    }
    const status = run.finalStatus ?? -1;
    if (status !== QueryStatus.Success && status !== QueryStatus.Cancel) {
      const comment = run.finalCommand?.errorComment;
      throw new QueryError(
        QueryErrorCode.Status,
        `C-FIND to ${options.calledAeTitle} at ${options.host}:${options.port} ended with ${hex4(status)} (${describeQueryStatus(status)})${comment === undefined ? "" : `: ${comment}`} after ${matches} matches`,
        { status, ...(comment !== undefined && { errorComment: comment }) },
      );
    }
  } finally {
    // Also reached when the consumer leaves the loop early: cancel, read up to the final response, then release.
    if (run !== undefined && run.finalStatus === undefined && association.isEstablished) {
      await run.drain().catch(() => undefined);
    }
    if (run !== undefined && (run.finalStatus === QueryStatus.Success || run.finalStatus === QueryStatus.Cancel)) {
      settle({
        status: run.finalStatus,
        statusName: describeQueryStatus(run.finalStatus),
        matches,
        pendingResponses: run.pendingCount,
        cancelled: run.cancelled,
        level,
        sopClassUid,
        transferSyntax: context.transferSyntax,
      });
    }
    if (run === undefined) {
      // nothing was sent
      if (!keepOpen) await association.release().catch(() => association.abort().catch(() => undefined));
    } else await run.close(keepOpen);
  }
}
