/**
 * The C-FIND SCP, PS3.4 C.4.1 (Patient Root and Study Root, every level): the request identifier is decoded and
 * parsed, the index streams its records (pre-filtered by what it can evaluate, narrowed by the PS3.4 C.2.2.2
 * matcher), keys the index does not hold are read from a stored file (Orthanc's StorageAccessOnFind), and each match
 * goes out as a Pending response as soon as it is found. The association holds the generator at 16 unread responses,
 * so a query matching 100,000 instances never sits in memory.
 */
import { channel } from "node:diagnostics_channel";
import { setImmediate as nextMacrotask } from "node:timers/promises";
import type { DimseMessage, OutgoingMessage } from "@dicomtls/association";
import { Status, cFindRsp, type DimseCommand } from "@dicomtls/pdu-codec";
import { decodeIdentifier, encodeIdentifier, type DecodedIdentifier } from "@dicomtls/dataset";
import { matchesAll, type KeyConstraint } from "./matching.js";
import { COMPUTED_KEYS, FindLevel, FindSopClass } from "./find-keys.js";
import { LevelOutsideModelError, parseFindQuery, type FindIndexCondition, type ParsedFindQuery } from "./find-query.js";
import type { ServiceContext, ServiceHandler } from "../types.js";

/** One record of the index (the shape of @dicomtls/storage's IndexRecord; scp does not import storage). */
export interface FindIndexRecord {
  readonly level: FindLevel;
  /** Attribute values by keyword, multi-valued joined with '\'. A keyword absent here is not held by the index. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly sampleSopInstanceUid: string;
}

export interface FindIndexQuery {
  readonly level: FindLevel;
  readonly conditions?: readonly FindIndexCondition[];
  readonly accept?: (record: FindIndexRecord) => boolean;
  readonly limit?: number;
  readonly signal?: AbortSignal;
}

/** What the service needs of the index (@dicomtls/storage's IndexStore satisfies it). */
export interface FindIndex {
  find(query: FindIndexQuery): AsyncIterable<FindIndexRecord>;
}

/** Orthanc's StorageAccessOnFind: read keys the index lacks from a stored file to filter and answer, to answer only, or never. */
export const StorageAccessOnFind = { Always: "Always", Answers: "Answers", Never: "Never" } as const;
export type StorageAccessOnFind = (typeof StorageAccessOnFind)[keyof typeof StorageAccessOnFind];

/** Reads attributes from the stored file of an instance (in a worker): keyword -> value ('\'-joined); undefined when gone. */
export type ReadStoredAttributes = (sopInstanceUid: string, keywords: readonly string[], signal: AbortSignal) => Promise<Readonly<Record<string, string>> | undefined>;

export interface FindServiceOptions {
  readonly index: FindIndex;
  /** Our AE title: Retrieve AE Title (0008,0054) of every answer. */
  readonly aeTitle: string;
  /** Orthanc's CaseSensitivePN (default false). */
  readonly caseSensitivePN?: boolean;
  /** Orthanc's LimitFindResults (PATIENT, STUDY, SERIES) and LimitFindInstances (IMAGE); 0 = no limit. */
  readonly limitFindResults?: number;
  readonly limitFindInstances?: number;
  /** Default Always. Without `readStoredAttributes` it acts as Never. */
  readonly storageAccessOnFind?: StorageAccessOnFind;
  readonly readStoredAttributes?: ReadStoredAttributes;
  /**
   * Keywords the index holds (a record leaves out those whose value is empty): they are never read from a file.
   * Default: only those a record carries, and the computed ones.
   */
  readonly indexedKeywords?: ReadonlySet<string>;
  /** (0008,0005) term(s) a query without one is decoded with (Orthanc's DefaultEncoding); default ISO_IR 100 (Latin1). */
  readonly defaultCharacterSets?: readonly string[];
}

/**
 * Longest stretch of answering without giving the event loop a turn. Every await of the response path (index page
 * already read, identifier encoded, PDU written while the socket buffer has room) settles as a microtask, so without
 * this a whole index page (hundreds of answers, the TLS encryption of each included) ran as one task: a 300-match
 * query stalled the loop 100-150 ms on a loaded 2-core machine, and every other association waited.
 */
const ANSWER_SLICE_MS = 4;

export const FindChannels = {
  /**
   * One per C-FIND: `{ association, sopClassUid, transferSyntaxUid, identifier?, level, matches, status, durationMs, error? }`
   * (`identifier`: the request's identifier bytes as received, for the audit trail's Query message).
   */
  findDone: "dicom:scp:find-done",
} as const;
const findDoneChannel = channel(FindChannels.findDone);

/** Where a find ended, for the diagnostics record. */
interface FindOutcome {
  /** The FIND SOP Class of the request and the transfer syntax its identifier came in. */
  sopClassUid?: string;
  transferSyntaxUid?: string;
  /** The identifier bytes as received (undefined when it could not be read). */
  identifier?: Uint8Array;
  matches: number;
  status: number;
  level?: FindLevel;
  error?: string;
}

/** PS3.7 C.1: Error Comment is LO, at most 64 characters of the default repertoire. */
function errorCommentOf(text: string): string {
  return text.replaceAll("§", "").replace(/[^\x20-\x7e]/g, "?").slice(0, 64);
}

function finalResponse(rq: DimseCommand, status: number, errorComment?: string): OutgoingMessage {
  return { command: cFindRsp(rq, status, errorComment === undefined ? {} : { errorComment: errorCommentOf(errorComment) }) };
}

async function readAll(message: DimseMessage): Promise<Uint8Array> {
  if (message.dataset === undefined) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  for await (const chunk of message.dataset) parts.push(chunk);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

function splitValue(value: string | undefined): readonly string[] | undefined {
  return value === undefined || value === "" ? undefined : value.split("\\");
}

/** The exact test on what the index holds; constraints on keys it does not hold are left for the file. */
function indexAccept(constraints: readonly KeyConstraint[], held: (keyword: string, record: FindIndexRecord) => boolean): (record: FindIndexRecord) => boolean {
  return (record) => {
    for (const c of constraints) {
      if (held(c.keyword, record) && !c.matches(splitValue(record.attributes[c.keyword]))) return false;
    }
    return true;
  };
}

class FindRun {
  readonly #options: FindServiceOptions;
  readonly #query: ParsedFindQuery;
  readonly #rq: DimseCommand;
  readonly #transferSyntaxUid: string;
  readonly #signal: AbortSignal;

  constructor(options: FindServiceOptions, query: ParsedFindQuery, rq: DimseCommand, transferSyntaxUid: string, signal: AbortSignal) {
    this.#options = options;
    this.#query = query;
    this.#rq = rq;
    this.#transferSyntaxUid = transferSyntaxUid;
    this.#signal = signal;
  }

  /** True when the index answers for `keyword` (its value is the record's, empty when left out). */
  readonly held = (keyword: string, record: FindIndexRecord): boolean =>
    keyword in record.attributes || COMPUTED_KEYS.has(keyword) || this.#options.indexedKeywords?.has(keyword) === true;

  get #access(): StorageAccessOnFind {
    return this.#options.readStoredAttributes === undefined ? StorageAccessOnFind.Never : (this.#options.storageAccessOnFind ?? StorageAccessOnFind.Always);
  }

  get #limit(): number {
    const o = this.#options;
    return (this.#query.level === FindLevel.Image ? o.limitFindInstances : o.limitFindResults) ?? 0;
  }

  /** Pending responses, then the final one; `outcome` is filled as it goes. */
  async *responses(outcome: FindOutcome): AsyncGenerator<OutgoingMessage> {
    const q = this.#query;
    if (q.matchesNothing) {
      yield finalResponse(this.#rq, Status.Success);
      return;
    }
    const limit = this.#limit;
    const records = this.#options.index.find({
      level: q.level,
      conditions: q.conditions,
      accept: indexAccept(q.constraints, this.held),
      signal: this.#signal,
    });
    let sliceStart = performance.now();
    try {
      for await (const record of records) {
        if (this.#signal.aborted) break;
        const answer = await this.#answer(record);
        if (answer === undefined) continue;
        outcome.matches++;
        yield answer;
        if (limit > 0 && outcome.matches >= limit) break;
        if (performance.now() - sliceStart >= ANSWER_SLICE_MS) {
          await nextMacrotask();
          sliceStart = performance.now();
        }
      }
    } catch (err) {
      if (!this.#signal.aborted) throw err;
    }
    // PS3.4 C.4.1.2.2.2 / facts §0.9: Cancel carries no identifier (DCMTK-based SCPs wrongly add one).
    outcome.status = this.#signal.aborted ? Status.Cancel : Status.Success;
    yield finalResponse(this.#rq, outcome.status);
  }

  /** The Pending response for a record, or undefined when a key read from its file does not match. */
  async #answer(record: FindIndexRecord): Promise<OutgoingMessage | undefined> {
    const q = this.#query;
    const attributes = record.attributes;
    const deferred = q.constraints.filter((c) => !this.held(c.keyword, record));
    const missing = q.returnKeys.filter((k) => !k.alwaysEmpty && !this.held(k.keyword, record)).map((k) => k.keyword);
    let fromFile: Readonly<Record<string, string>> | undefined;
    if (missing.length > 0 && this.#access !== StorageAccessOnFind.Never) {
      fromFile = await this.#options.readStoredAttributes?.(record.sampleSopInstanceUid, missing, this.#signal);
    }
    let unsupported = q.unsupportedConstraints.length > 0;
    if (deferred.length > 0) {
      if (this.#access === StorageAccessOnFind.Always && fromFile !== undefined) {
        if (!matchesAll(deferred, (k) => splitValue(fromFile?.[k]))) return undefined;
      } else {
        // StorageAccessOnFind Answers / Never: the constraint cannot be applied (PS3.4 C.4.1.1.4: 0xFF01).
        unsupported = true;
      }
    }
    const keys: Array<[string, string | undefined]> = [];
    for (const k of q.returnKeys) {
      if (k.alwaysEmpty) keys.push([k.keyword, undefined]);
      else keys.push([k.keyword, attributes[k.keyword] ?? fromFile?.[k.keyword]]);
    }
    keys.push(["RetrieveAETitle", this.#options.aeTitle]);
    const status = unsupported ? Status.PendingWarning : Status.Pending;
    return {
      command: cFindRsp(this.#rq, status),
      dataset: encodeIdentifier(keys, { transferSyntaxUid: this.#transferSyntaxUid, level: q.levelText }),
    };
  }
}

/**
 * The C-FIND handler for Patient Root and Study Root. Register it for `FIND_SOP_CLASSES` (createFindService does).
 */
export function findHandler(options: FindServiceOptions): ServiceHandler {
  const matchOptions = { caseSensitivePN: options.caseSensitivePN === true };
  const defaults = options.defaultCharacterSets ?? ["ISO_IR 100"];
  return (message: DimseMessage, context: ServiceContext) => {
    const rq = message.command;
    const started = performance.now();
    const outcome: FindOutcome = {
      sopClassUid: rq.affectedSopClassUid ?? message.context.abstractSyntax,
      transferSyntaxUid: message.context.transferSyntax,
      matches: 0,
      status: Status.UnableToProcess,
    };
    async function* run(): AsyncGenerator<OutgoingMessage> {
      let identifier: DecodedIdentifier;
      let query: ParsedFindQuery;
      try {
        const bytes = await readAll(message);
        outcome.identifier = bytes;
        identifier = decodeIdentifier(bytes, message.context.transferSyntax, defaults);
        query = parseFindQuery(identifier, rq.affectedSopClassUid === FindSopClass.StudyRoot, matchOptions);
      } catch (err) {
        // PS3.4 C.4.1.1.4: Failed / Refused responses carry no identifier; the Error Comment names the key.
        outcome.status = err instanceof LevelOutsideModelError ? Status.IdentifierDoesNotMatchSopClass : Status.CannotUnderstand;
        outcome.error = err instanceof Error ? err.message : String(err);
        yield finalResponse(rq, outcome.status, outcome.error);
        return;
      }
      outcome.level = query.level;
      yield* new FindRun(options, query, rq, message.context.transferSyntax, context.signal).responses(outcome);
    }
    async function* observed(): AsyncGenerator<OutgoingMessage> {
      try {
        yield* run();
      } finally {
        if (findDoneChannel.hasSubscribers) {
          findDoneChannel.publish({ association: context.association, ...outcome, durationMs: performance.now() - started });
        }
      }
    }
    return observed();
  };
}

export const FIND_SOP_CLASSES: readonly string[] = [FindSopClass.PatientRoot, FindSopClass.StudyRoot];

/** Registers the C-FIND handler for both models on an SCP (or anything with `handle`). */
export function registerFindService(scp: { handle(sopClassUid: string, handler: ServiceHandler): void }, options: FindServiceOptions): void {
  const handler = findHandler(options);
  for (const uid of FIND_SOP_CLASSES) scp.handle(uid, handler);
}
