import type { ConnectionOptions } from "node:tls";
import {
  requestAssociation,
  type Association,
  type AcceptedPresentationContext,
  type DimseMessage,
  type MessageHandler,
  type ProposedPresentationContext,
  type RequestTimeouts,
  type VerifyTransport,
} from "@dicomtls/association";
import { cCancelRq } from "@dicomtls/pdu-codec";
import { DatasetTransferSyntax, decodeIdentifier, resolveKey, type DecodedIdentifier, type IdentifierKeyValue } from "@dicomtls/dataset";

/** PS3.4 C.6.1.3, C.6.2.3: the SOP classes of the Patient Root and Study Root Query/Retrieve information models. */
export const QueryRetrieveSopClass = {
  PatientRootFind: "1.2.840.10008.5.1.4.1.2.1.1",
  PatientRootMove: "1.2.840.10008.5.1.4.1.2.1.2",
  PatientRootGet: "1.2.840.10008.5.1.4.1.2.1.3",
  StudyRootFind: "1.2.840.10008.5.1.4.1.2.2.1",
  StudyRootMove: "1.2.840.10008.5.1.4.1.2.2.2",
  StudyRootGet: "1.2.840.10008.5.1.4.1.2.2.3",
} as const;

/** The information model: "patient" (Patient Root) or "study" (Study Root). */
export type QueryModel = "patient" | "study";

/** PS3.4 C.6.1.1 / C.6.2.1: (0008,0052) values. Study Root has no PATIENT level. */
export const QueryLevel = { Patient: "PATIENT", Study: "STUDY", Series: "SERIES", Image: "IMAGE" } as const;
export type QueryLevelName = (typeof QueryLevel)[keyof typeof QueryLevel];

/** C-FIND / C-MOVE statuses by name (PS3.4 C.4.1.1.4, C.4.2.1.5; PS3.7 Annex C). */
export const QueryStatus = {
  Success: 0x0000,
  Cancel: 0xfe00,
  Pending: 0xff00,
  /** C-FIND: pending, but one or more Optional keys were not supported. */
  PendingWarning: 0xff01,
  /** C-MOVE: sub-operations complete, one or more failures or warnings. */
  Warning: 0xb000,
  RefusedOutOfResources: 0xa700,
  RefusedOutOfResourcesMatches: 0xa701,
  RefusedOutOfResourcesSuboperations: 0xa702,
  MoveDestinationUnknown: 0xa801,
  IdentifierDoesNotMatchSopClass: 0xa900,
  UnableToProcess: 0xc000,
  SopClassNotSupported: 0x0122,
} as const;

/** What a C-FIND/C-MOVE/C-GET response status means, in words. */
export function describeQueryStatus(status: number): string {
  switch (status) {
    case 0x0000:
      return "Success";
    case 0xfe00:
      return "Cancel: matching or sub-operations terminated due to a cancel request";
    case 0xff00:
      return "Pending";
    case 0xff01:
      return "Pending: one or more Optional keys were not supported";
    case 0xb000:
      return "Warning: sub-operations complete, one or more failures or warnings";
    case 0xa700:
      return "Refused: Out of Resources";
    case 0xa701:
      return "Refused: Out of Resources, unable to calculate number of matches";
    case 0xa702:
      return "Refused: Out of Resources, unable to perform sub-operations";
    case 0xa801:
      return "Refused: Move Destination unknown";
    case 0xa900:
      return "Failed: Identifier does not match SOP Class";
    case 0x0122:
      return "Refused: SOP Class not supported";
    case 0x0124:
      return "Refused: Not Authorized";
  }
  if ((status & 0xf000) === 0xc000) return "Failed: Unable to process";
  return "Failure";
}

export function hex4(n: number): string {
  return `0x${n.toString(16).padStart(4, "0").toUpperCase()}`;
}

/** Stable codes of query/retrieve failures; association errors (connect, TLS, abort, timeout) keep their own. */
export const QueryErrorCode = {
  /** The peer accepted the association but not the model's SOP class (it does not support that model). */
  NoContext: "ERR_DICOM_QUERY_NO_CONTEXT",
  /** The final response carried a failure status (A700, A801, A900, Cxxx ...): see `status`. */
  Status: "ERR_DICOM_QUERY_STATUS",
  /** Bad options: an unknown level, a level the model does not have, no destination ... */
  InvalidArgument: "ERR_DICOM_QUERY_INVALID_ARGUMENT",
} as const;
export type QueryErrorCodeValue = (typeof QueryErrorCode)[keyof typeof QueryErrorCode];

export class QueryError extends Error {
  override readonly name: string = "QueryError";
  readonly code: QueryErrorCodeValue;
  /** The final status for ERR_DICOM_QUERY_STATUS. */
  readonly status: number | undefined;
  /** (0000,0902) Error Comment the peer sent, if any. */
  readonly errorComment: string | undefined;
  constructor(code: QueryErrorCodeValue, message: string, details: { status?: number; errorComment?: string; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.status = details.status;
    this.errorComment = details.errorComment;
  }
}

/** The query keys: keyword or tag -> value ("" or undefined for a return key), as an object or [key, value] pairs. */
export type QueryKeys = Readonly<Record<string, IdentifierKeyValue>> | Iterable<readonly [string, IdentifierKeyValue]>;

/** Connection options shared with echo and store. */
export interface QueryConnectionOptions {
  readonly host: string;
  readonly port: number;
  /** DICOM TLS: options for tls.connect (ca, cert, key ...). The server certificate is verified unless you turn that off here. */
  readonly tls?: ConnectionOptions;
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  readonly maxPduLength?: number;
  /** `dimseMs` bounds the wait for each response (pending ones included); expiry aborts. */
  readonly timeouts?: RequestTimeouts;
  /** Peer-certificate policy after the TLS handshake, before the A-ASSOCIATE-RQ. */
  readonly verifyTransport?: VerifyTransport;
}

export interface QueryRequestOptions extends QueryConnectionOptions {
  /** Information model; default "study" (Study Root). */
  readonly model?: QueryModel;
  /** (0008,0052): PATIENT (Patient Root only), STUDY, SERIES or IMAGE; case-insensitive. */
  readonly level: string;
  readonly keys: QueryKeys;
  /** PS3.7 §9.1.1.1.5 priority: 0 medium (default), 1 high, 2 low. */
  readonly priority?: number;
  /** Aborting sends C-CANCEL-RQ; the operation then ends with the peer's final status (Cancel, or Success if it was done). */
  readonly signal?: AbortSignal;
}

/** The level, upper-cased and checked against the model (PS3.4 C.6.2.1: Study Root has no PATIENT level). */
export function checkLevel(level: string, model: QueryModel): QueryLevelName {
  const upper = level.trim().toUpperCase();
  const levels = Object.values(QueryLevel) as string[];
  if (!levels.includes(upper)) {
    throw new QueryError(QueryErrorCode.InvalidArgument, `level ${JSON.stringify(level)}: expected one of ${levels.join(", ")}`);
  }
  if (upper === QueryLevel.Patient && model === "study") {
    throw new QueryError(QueryErrorCode.InvalidArgument, "level PATIENT exists only in the Patient Root model (PS3.4 C.6.2.1): use model \"patient\"");
  }
  return upper as QueryLevelName;
}

/** The keys as pairs, each resolved once so that a typo fails (ERR_DICOM_DATASET_UNKNOWN_KEY) before anything connects. */
export function checkKeys(keys: QueryKeys): Array<readonly [string, IdentifierKeyValue]> {
  const entries = Symbol.iterator in keys ? [...keys] : Object.entries(keys);
  for (const [key] of entries) resolveKey(key);
  return entries;
}

/** PS3.5 Annex A: Q/R contexts in Explicit VR LE first, Implicit VR LE as the fallback every node accepts. */
export const QUERY_TRANSFER_SYNTAXES = [DatasetTransferSyntax.ExplicitVrLittleEndian, DatasetTransferSyntax.ImplicitVrLittleEndian] as const;

const RESULT_WORDS: Readonly<Record<number, string>> = { 1: "user rejection", 2: "no reason given", 3: "abstract syntax not supported", 4: "transfer syntaxes not supported" };

/** What a C-GET adds to the Q/R context: the storage contexts it receives on, and the handler of their C-STORE-RQs. */
export interface ExtraProposal {
  readonly contexts: readonly ProposedPresentationContext[];
  readonly onMessage: MessageHandler;
}

/** Opens an association proposing one Q/R SOP class (and `extra`); throws QueryError ERR_DICOM_QUERY_NO_CONTEXT (after releasing) if refused. */
export async function openQueryAssociation(
  options: QueryConnectionOptions,
  sopClass: string,
  what: string,
  extra?: ExtraProposal,
): Promise<{ association: Association; context: AcceptedPresentationContext }> {
  const association = await requestAssociation({
    host: options.host,
    port: options.port,
    callingAeTitle: options.callingAeTitle,
    calledAeTitle: options.calledAeTitle,
    presentationContexts: [{ abstractSyntax: sopClass, transferSyntaxes: QUERY_TRANSFER_SYNTAXES }, ...(extra?.contexts ?? [])],
    ...(extra !== undefined && { onMessage: extra.onMessage }),
    ...(options.tls !== undefined && { tls: options.tls }),
    ...(options.maxPduLength !== undefined && { maxPduLength: options.maxPduLength }),
    ...(options.timeouts !== undefined && { timeouts: options.timeouts }),
    ...(options.verifyTransport !== undefined && { verifyTransport: options.verifyTransport }),
  });
  const context = association.findContext(sopClass);
  if (context !== undefined) return { association, context };
  const outcome = association.outcomes.find((o) => o.abstractSyntax === sopClass);
  await association.release().catch(() => association.abort().catch(() => undefined));
  throw new QueryError(
    QueryErrorCode.NoContext,
    `${options.calledAeTitle} at ${options.host}:${options.port} does not support ${what} (${sopClass}): presentation context rejected (${RESULT_WORDS[outcome?.result ?? 2] ?? "no reason given"}); try the other information model`,
  );
}

/** Where one request stands: the responses, and the C-CANCEL to send once. */
export class RequestRun {
  readonly #association: Association;
  readonly #context: AcceptedPresentationContext;
  readonly #messageId: number;
  readonly #responses: AsyncGenerator<DimseMessage, void, undefined>;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.cancel();
  #cancelSent = false;
  #requested = false;
  /** The final response's status once it arrived. */
  finalStatus: number | undefined;
  finalCommand: DimseMessage["command"] | undefined;
  /** Pending responses received so far (read by the caller or drained). */
  pendingCount = 0;

  constructor(association: Association, context: AcceptedPresentationContext, messageId: number, responses: AsyncGenerator<DimseMessage, void, undefined>, signal: AbortSignal | undefined) {
    this.#association = association;
    this.#context = context;
    this.#messageId = messageId;
    this.#responses = responses;
    this.#signal = signal;
    signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  get cancelled(): boolean {
    return this.#cancelSent;
  }

  /** PS3.7 §9.3.2.3: C-CANCEL-RQ for the outstanding request, at most once; the final response still comes. */
  cancel(): void {
    // Before the request is queued a C-CANCEL would overtake it; next() sends it right after the request instead.
    if (!this.#requested || this.#cancelSent || this.finalStatus !== undefined || !this.#association.isEstablished) return;
    this.#cancelSent = true;
    this.#association.send({ presentationContextId: this.#context.id, command: cCancelRq(this.#messageId) }).catch(() => undefined);
  }

  /** The next response, or undefined after the final one. */
  async next(): Promise<DimseMessage | undefined> {
    // The first next() queues the request on the association's writer before its first await.
    const pending = this.#responses.next();
    this.#requested = true;
    if (this.#signal?.aborted === true) this.cancel();
    const r = await pending;
    if (r.done === true) return undefined;
    const status = r.value.command.status ?? -1;
    if (status === QueryStatus.Pending || status === QueryStatus.PendingWarning) this.pendingCount += 1;
    else {
      this.finalStatus = status;
      this.finalCommand = r.value.command;
    }
    return r.value;
  }

  /** Cancels if still running, reads the remaining responses (discarding their data sets) until the final one. */
  async drain(): Promise<void> {
    if (this.finalStatus === undefined) this.cancel();
    while ((await this.next()) !== undefined) {
      /* discarded by the association when the next one is read */
    }
  }

  /**
   * Ends the association: release when the request is done, abort when it is not (or the association broke).
   * `keepOpen` (a session's request): a done request leaves the association established for the next one.
   */
  async close(keepOpen = false): Promise<void> {
    this.#signal?.removeEventListener("abort", this.#onAbort);
    // Lets the association drop what is left of the final response's data set (Orthanc's FE00 may carry one).
    await this.#responses.return().catch(() => undefined);
    if (!this.#association.isEstablished) return;
    if (this.finalStatus === undefined) await this.#association.abort().catch(() => undefined);
    else if (keepOpen) return;
    else await this.#association.release().catch(() => this.#association.abort().catch(() => undefined));
  }
}

/** Reads and decodes a response's identifier, if it has one. */
export async function readIdentifier(message: DimseMessage): Promise<DecodedIdentifier | undefined> {
  if (message.dataset === undefined) return undefined;
  const bytes = await message.dataset.readAll();
  return decodeIdentifier(bytes, message.context.transferSyntax);
}

/**
 * PS3.4 C.4.2.1.5 / C.4.3.1.4: (0008,0058) Failed SOP Instance UID List of a C-MOVE/C-GET response, from its data set,
 * or from the command set's status detail where DCMTK-based peers put it (Orthanc 1.10.1's C-GET responses).
 */
export async function readFailedUids(message: DimseMessage): Promise<string[]> {
  const found =
    message.dataset !== undefined
      ? await readIdentifier(message).catch(() => undefined)
      : message.command.statusDetail !== undefined
        ? (() => {
            try {
              return decodeIdentifier(message.command.statusDetail, DatasetTransferSyntax.ImplicitVrLittleEndian);
            } catch {
              return undefined;
            }
          })()
        : undefined;
  return (found?.["FailedSOPInstanceUIDList"] ?? []).filter((v): v is string => typeof v === "string" && v !== "");
}

/**
 * Results that stream: iterate for the items (matches, progress), then `result()` for the outcome. Calling `result()`
 * without iterating runs the operation and drops the items. Iterate once only. Stopping the iteration early (break)
 * cancels the operation (C-CANCEL) and `result()` then says how it ended.
 */
export class QueryStream<T, R> implements AsyncIterable<T> {
  readonly #run: (settle: (outcome: R) => void) => AsyncGenerator<T, void, undefined>;
  readonly #result: Promise<R>;
  #resolve!: (r: R) => void;
  #reject!: (e: unknown) => void;
  #started = false;

  /** `run` yields the items and calls `settle` with the outcome before it ends (also when stopped early). */
  constructor(run: (settle: (outcome: R) => void) => AsyncGenerator<T, void, undefined>) {
    this.#run = run;
    this.#result = new Promise<R>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // The caller sees an error from the iteration itself; result() hands it out again.
    this.#result.catch(() => undefined);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    if (this.#started) throw new QueryError(QueryErrorCode.InvalidArgument, "a query's results can be iterated only once");
    this.#started = true;
    try {
      yield* this.#run((outcome) => this.#resolve(outcome));
    } catch (err) {
      this.#reject(err);
      throw err;
    }
  }

  /** The final outcome; runs the operation (dropping its items) when nobody iterates. */
  async result(): Promise<R> {
    if (!this.#started) {
      for await (const item of this) void item;
    }
    return await this.#result;
  }
}
