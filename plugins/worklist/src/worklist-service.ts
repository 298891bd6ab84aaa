/**
 * The Modality Worklist Information Model - FIND SCP (PS3.4 K.4, SOP class 1.2.840.10008.5.1.4.31): one Pending
 * response per matching entry, with the keys asked for, then Success; a C-CANCEL ends it with Cancel (0xFE00) and no
 * data set (PS3.7 9.3.2.3; unlike DCMTK-based SCPs, see query-retrieve-facts §0.9); a query the matcher cannot take
 * ends with 0xC000 and an Error Comment naming the key.
 */

import type { DimseMessage, OutgoingMessage } from "@dicomtls/association";
import { Status, cFindRsp, type DimseCommand } from "@dicomtls/pdu-codec";
import { decodeIdentifier, type DecodedIdentifier } from "@dicomtls/dataset";
import { FindQueryError, type ServiceContext, type ServiceHandler } from "@dicomtls/scp";
import { encodeAnswer } from "./answer.js";
import { matches, parseQueryItem } from "./query.js";
import type { WorklistEntry } from "./wl-file.js";

/** PS3.4 Annex K.6.1.1: Modality Worklist Information Model - FIND. */
export const MODALITY_WORKLIST_FIND = "1.2.840.10008.5.1.4.31";

/** Where the entries come from (a WorklistFolder, or anything that lists entries). */
export interface WorklistSource {
  entries(): Promise<readonly WorklistEntry[]>;
}

/** What one C-FIND ended with, for the caller's log. */
export interface WorklistFindOutcome {
  readonly callingAet: string;
  readonly matches: number;
  readonly status: number;
  readonly error?: string;
  /** True when LimitAnswers cut the answers short. */
  readonly limited?: boolean;
}

export interface WorklistServiceOptions {
  readonly source: WorklistSource;
  /** Orthanc's CaseSensitivePN (default false). */
  readonly caseSensitivePN?: boolean;
  /** The character set of a query without (0008,0005) (Orthanc's DefaultEncoding; default the DICOM default repertoire). */
  readonly defaultCharacterSets?: readonly string[];
  /**
   * Orthanc's Worklists.LimitAnswers: at most this many Pending answers (0 = no limit). When more entries match, the
   * C-FIND ends with 0xFE00 after them, as Orthanc 1.10.1 ends an answer it marked incomplete (it sends one more).
   */
  readonly limitAnswers?: number;
  /**
   * Orthanc's Worklists.FilterIssuerAet: a query without a ScheduledStationAETitle (or with '*') gets the calling AE
   * title as one, inside the Scheduled Procedure Step Sequence, so a modality receives only its own entries. A named
   * station is kept (Orthanc 1.10.1 replaces it too: its check tests the item's type instead of the key's).
   */
  readonly filterIssuerAet?: boolean;
  /** Called once per C-FIND when it ends. */
  readonly onDone?: (outcome: WorklistFindOutcome) => void;
}

const SEQUENCE = "ScheduledProcedureStepSequence";
const STATION = "ScheduledStationAETitle";

/** FilterIssuerAet: the query with the calling AE title as ScheduledStationAETitle when it names none. */
export function withIssuerAet(identifier: DecodedIdentifier, callingAet: string): DecodedIdentifier {
  const items = identifier[SEQUENCE]?.filter((v): v is DecodedIdentifier => typeof v === "object") ?? [];
  const item = items[0] ?? {};
  const station = item[STATION]?.map(String).join("\\").trim() ?? "";
  if (station !== "" && station !== "*") return identifier;
  return { ...identifier, [SEQUENCE]: [{ ...item, [STATION]: [callingAet] }] };
}

/** PS3.7 C.1: Error Comment is LO, at most 64 characters of the default repertoire. */
const errorComment = (text: string): string => text.replaceAll("§", "").replace(/[^\x20-\x7e]/g, "?").slice(0, 64);

async function readAll(message: DimseMessage): Promise<Uint8Array> {
  if (message.dataset === undefined) return new Uint8Array(0);
  return await message.dataset.readAll();
}

function final(rq: DimseCommand, status: number, comment?: string): OutgoingMessage {
  return { command: cFindRsp(rq, status, comment === undefined ? {} : { errorComment: errorComment(comment) }) };
}

/** The C-FIND handler of the Modality Worklist model; register it for MODALITY_WORKLIST_FIND. */
export function worklistFindHandler(options: WorklistServiceOptions): ServiceHandler {
  const matchOptions = { caseSensitivePN: options.caseSensitivePN === true };
  const limit = options.limitAnswers ?? 0;
  return (message: DimseMessage, context: ServiceContext) => {
    const rq = message.command;
    const callingAet = context.association.callingAeTitle;
    const transferSyntax = message.context.transferSyntax;
    let outcome: WorklistFindOutcome = { callingAet, matches: 0, status: Status.CannotUnderstand };
    async function* run(): AsyncGenerator<OutgoingMessage> {
      let query;
      try {
        let identifier = decodeIdentifier(await readAll(message), transferSyntax, options.defaultCharacterSets);
        if (options.filterIssuerAet === true) identifier = withIssuerAet(identifier, callingAet);
        query = parseQueryItem(identifier, matchOptions);
      } catch (err) {
        const text = err instanceof Error ? err.message : String(err);
        outcome = { ...outcome, error: err instanceof FindQueryError ? text : `the identifier cannot be decoded: ${text}` };
        yield final(rq, Status.CannotUnderstand, outcome.error);
        return;
      }
      let count = 0;
      for (const entry of await options.source.entries()) {
        if (context.signal.aborted) break;
        if (!matches(query, entry.dataset)) continue;
        if (limit > 0 && count >= limit) {
          outcome = { ...outcome, matches: count, limited: true, status: Status.Cancel };
          yield final(rq, Status.Cancel);
          return;
        }
        count++;
        yield { command: cFindRsp(rq, Status.Pending), dataset: encodeAnswer(query, entry.dataset, transferSyntax) };
      }
      const status = context.signal.aborted ? Status.Cancel : Status.Success;
      outcome = { ...outcome, matches: count, status };
      yield final(rq, status);
    }
    async function* observed(): AsyncGenerator<OutgoingMessage> {
      try {
        yield* run();
      } finally {
        options.onDone?.(outcome);
      }
    }
    return observed();
  };
}
