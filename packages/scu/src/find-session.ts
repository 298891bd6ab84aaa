import { requestAssociation, type Association } from "@dicomtls/association";
import { findOn, findSopClass, type FindMatch, type FindResult } from "./find.js";
import {
  QueryError,
  QueryErrorCode,
  QUERY_TRANSFER_SYNTAXES,
  QueryStream,
  checkKeys,
  checkLevel,
  type QueryConnectionOptions,
  type QueryKeys,
  type QueryModel,
} from "./query-common.js";

export interface FindSessionOptions extends QueryConnectionOptions {
  /** Information models proposed (one presentation context each); default both. */
  readonly models?: readonly QueryModel[];
}

/** One C-FIND of a session: what `find()` takes, less the connection. */
export interface FindSessionRequest {
  /** Default "study" (Study Root); it must be one of the session's accepted models. */
  readonly model?: QueryModel;
  readonly level: string;
  readonly keys: QueryKeys;
  readonly priority?: number;
  readonly signal?: AbortSignal;
}

/** An open association on which C-FIND requests go one after another (no connect, TLS handshake or release each). */
export interface FindSession {
  readonly association: Association;
  /** The models the peer accepted. */
  readonly models: readonly QueryModel[];
  /** One C-FIND, streamed as `find()`'s; iterating it while another is still being read throws ERR_DICOM_QUERY_INVALID_ARGUMENT. */
  find(request: FindSessionRequest): QueryStream<FindMatch, FindResult>;
  /** A-RELEASE (abort when the peer does not answer it). */
  release(): Promise<void>;
}

/**
 * Opens an association proposing Patient Root and Study Root C-FIND (or `models`) and keeps it for a series of
 * queries: a workstation browsing, or a benchmark measuring the query rather than the association. Throws QueryError
 * ERR_DICOM_QUERY_NO_CONTEXT (after releasing) when the peer accepted none of the models.
 *
 * ```ts
 * const session = await openFindSession({ host, port, callingAeTitle, calledAeTitle, tls });
 * for (const id of ["P1", "P2"]) {
 *   for await (const m of session.find({ level: "STUDY", keys: { PatientID: id, StudyInstanceUID: "" } })) console.log(m.identifier.StudyInstanceUID);
 * }
 * await session.release();
 * ```
 */
export async function openFindSession(options: FindSessionOptions): Promise<FindSession> {
  const wanted = options.models ?? (["patient", "study"] as const);
  const association = await requestAssociation({
    host: options.host,
    port: options.port,
    callingAeTitle: options.callingAeTitle,
    calledAeTitle: options.calledAeTitle,
    presentationContexts: wanted.map((m) => ({ abstractSyntax: findSopClass(m), transferSyntaxes: QUERY_TRANSFER_SYNTAXES })),
    ...(options.tls !== undefined && { tls: options.tls }),
    ...(options.maxPduLength !== undefined && { maxPduLength: options.maxPduLength }),
    ...(options.timeouts !== undefined && { timeouts: options.timeouts }),
    ...(options.verifyTransport !== undefined && { verifyTransport: options.verifyTransport }),
  });
  const models = wanted.filter((m) => association.findContext(findSopClass(m)) !== undefined);
  const peer = `${options.calledAeTitle} at ${options.host}:${options.port}`;
  if (models.length === 0) {
    await association.release().catch(() => association.abort().catch(() => undefined));
    throw new QueryError(QueryErrorCode.NoContext, `${peer} accepted none of the C-FIND models proposed (${wanted.join(", ")})`);
  }
  let busy = false;
  return {
    association,
    models,
    find(request) {
      const model = request.model ?? "study";
      const level = checkLevel(request.level, model);
      const keys = checkKeys(request.keys);
      const sopClassUid = findSopClass(model);
      const context = association.findContext(sopClassUid);
      if (context === undefined) throw new QueryError(QueryErrorCode.NoContext, `${peer} did not accept the ${model} root C-FIND model on this session (accepted: ${models.join(", ")})`);
      const req = { host: options.host, port: options.port, calledAeTitle: options.calledAeTitle, keys, ...(request.priority !== undefined && { priority: request.priority }), ...(request.signal !== undefined && { signal: request.signal }) };
      return new QueryStream<FindMatch, FindResult>(async function* (settle) {
        // One request at a time: the association's responses are read in order, and a session's user reads each
        // query to its end (or leaves its loop, which cancels) before the next.
        if (busy) throw new QueryError(QueryErrorCode.InvalidArgument, `a C-FIND is still running on the session with ${peer}: read it to its end first`);
        busy = true;
        try {
          yield* findOn(association, context, req, level, sopClassUid, settle, true);
        } finally {
          busy = false;
        }
      });
    },
    async release() {
      if (association.isEstablished) await association.release().catch(() => association.abort().catch(() => undefined));
    },
  };
}
