import type { ConnectionOptions } from "node:tls";
import {
  AssociationError,
  AssociationErrorCode,
  prebuiltDataset,
  requestAssociation,
  type AcceptedPresentationContext,
  type Association,
  type RequestTimeouts,
  type VerifyTransport,
} from "@dicomtls/association";
import { CodecError, CodecErrorCode, createCodecRunner, InlineCodecRunner, type CodecRunner, type FileInfo, type PreparedFile } from "@dicomtls/dataset";
import { cStoreRq, type PduBatch } from "@dicomtls/pdu-codec";
import { chooseContext, groupContexts, type ContextGroup } from "./store-contexts.js";
import { StoreError, StoreErrorCode, describeStoreStatus, hex4, isStoredStatus } from "./store-errors.js";

export interface StoreOptions {
  readonly host: string;
  readonly port: number;
  /** DICOM TLS: options for tls.connect (ca, cert, key ...). The server certificate is verified unless you turn that off here. */
  readonly tls?: ConnectionOptions;
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  /** Part 10 files, in the order they should go (several associations share them out). */
  readonly files: readonly string[];
  /** Parallel associations sharing the files; default 1. */
  readonly associations?: number;
  /** Our receive limit announced in the A-ASSOCIATE-RQ (PS3.8 D.1); the PDUs we send follow the peer's. */
  readonly maxPduLength?: number;
  /** Where files are read and cut into PDUs; default an inline runner (this thread) made and closed for this call. */
  readonly codec?: CodecRunner;
  /** Called after each file (with its result) and as each batch of a file goes out. */
  readonly onProgress?: (progress: StoreProgress) => void;
  /** PS3.7 §9.1.1.1.5 priority: 0 medium (default), 1 high, 2 low. */
  readonly priority?: number;
  readonly timeouts?: RequestTimeouts;
  /** Peer-certificate policy after the TLS handshake, before the A-ASSOCIATE-RQ. */
  readonly verifyTransport?: VerifyTransport;
  /** Stops taking new files; those not sent are reported failed with the abort reason. */
  readonly signal?: AbortSignal;
}

/** What happened to one file: stored (Success or a Warning status), failed, or skipped (not DICOM). */
export type StoreOutcome = "stored" | "failed" | "skipped";

export interface StoreFileResult {
  readonly file: string;
  readonly outcome: StoreOutcome;
  /** The C-STORE-RSP status, when the peer answered. */
  readonly status: number | undefined;
  /** True when the peer answered Success or a Warning (PS3.7 Annex C): the instance is stored. */
  readonly ok: boolean;
  /** Why it failed or was skipped: a StoreError, CodecError or association error, each with a stable `code`. */
  readonly error?: Error & { readonly code?: string };
  readonly sopClassUid?: string;
  readonly sopInstanceUid?: string;
  /** The transfer syntax it went in, and whether it was converted to get there. */
  readonly transferSyntax?: string;
  readonly converted?: boolean;
  /** Dataset bytes sent. */
  readonly bytes: number;
}

export interface StoreProgress {
  readonly filesDone: number;
  readonly filesTotal: number;
  /** Dataset bytes sent or settled (a failed file counts as settled). */
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Set when a file just finished. */
  readonly result?: StoreFileResult;
}

export interface StoreResult {
  /** One per input file, in input order. */
  readonly results: readonly StoreFileResult[];
  /** True when every DICOM file was stored (skipped non-DICOM files do not count against it). */
  readonly ok: boolean;
  readonly stored: number;
  readonly failed: number;
  readonly skipped: number;
  /** Dataset bytes of the stored files. */
  readonly bytes: number;
  /** Associations opened. */
  readonly associations: number;
}

interface Entry {
  readonly index: number;
  readonly file: string;
  readonly info: FileInfo;
  readonly group: ContextGroup;
  /** Bytes already counted in the progress. */
  counted: number;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

function asError(err: unknown): Error & { code?: string } {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * PS3.4 Annex B Storage SCU: reads each file's File Meta, proposes a presentation context per SOP class and stored
 * transfer syntax (plus Explicit/Implicit VR Little Endian so a file can be converted when the acceptor wants the
 * other one), at most 128 per association, and sends the files over `associations` parallel associations, several
 * files each. Each dataset is read and cut into PDUs by the codec runner before its C-STORE-RQ goes out, so a
 * conversion fault never leaves half a message on the wire. Per-file failures are results, not exceptions; only
 * invalid options throw.
 */
export async function store(options: StoreOptions): Promise<StoreResult> {
  const parallel = options.associations ?? 1;
  if (!Number.isInteger(parallel) || parallel < 1) {
    throw new StoreError(StoreErrorCode.InvalidArgument, `associations: ${parallel} must be a whole number of at least 1`);
  }
  // Our own runner works inline: a file that needs no conversion is read straight into its PDU buffer on this thread,
  // without a worker round trip per batch (500 x 512 KB into storescp: 1.50-1.54 ms of CPU per file inline, 1.83-1.88
  // through the pool; 10 MB files 16-19 ms against 21-22; tooling/bench/src/profile-scu.ts). The inline runner yields
  // to the event loop between 4 MB batches, so parallel associations and timers keep running.
  const codec = options.codec ?? createCodecRunner({ threads: 0 });
  // File Meta reads are a few KB each: on this thread they cost less than a pool round trip (500 x 512 KB files:
  // 17 ms inline, 178 ms pooled, tooling/bench store runs); datasets still go through `codec`.
  const metaReader = new InlineCodecRunner();
  const results: Array<StoreFileResult | undefined> = new Array<StoreFileResult | undefined>(options.files.length);
  const where = `${options.calledAeTitle} at ${options.host}:${options.port}`;
  let filesDone = 0;
  let bytesDone = 0;
  let bytesTotal = 0;
  let opened = 0;

  const progress = (result?: StoreFileResult): void => {
    options.onProgress?.({ filesDone, filesTotal: options.files.length, bytesDone, bytesTotal, ...(result !== undefined && { result }) });
  };
  const finish = (index: number, result: StoreFileResult, entry?: Entry): void => {
    results[index] = result;
    filesDone++;
    if (entry !== undefined) {
      bytesDone += Math.max(0, entry.info.datasetLength - entry.counted);
      entry.counted = entry.info.datasetLength;
    }
    progress(result);
  };
  const fail = (entry: Entry, error: Error, extra: Partial<StoreFileResult> = {}): void => {
    finish(
      entry.index,
      { file: entry.file, outcome: "failed", status: undefined, ok: false, error, sopClassUid: entry.info.sopClassUid, sopInstanceUid: entry.info.sopInstanceUid, bytes: 0, ...extra },
      entry,
    );
  };

  try {
    // 1. File Meta of every file: what to propose; non-DICOM files are reported and skipped here.
    const infos: Array<FileInfo | undefined> = new Array<FileInfo | undefined>(options.files.length);
    await eachLimited(options.files, 8, async (file, i) => {
      try {
        infos[i] = await metaReader.readFileInfo(file, options.signal === undefined ? {} : { signal: options.signal });
      } catch (err) {
        const notDicom = err instanceof CodecError && err.code === CodecErrorCode.FileNotPart10;
        const error = notDicom ? new StoreError(StoreErrorCode.NotDicom, `${err.message.startsWith(file) ? err.message : `${file}: ${err.message}`} (skipped)`, { file, cause: err }) : asError(err);
        finish(i, { file, outcome: notDicom ? "skipped" : "failed", status: undefined, ok: false, error, bytes: 0 });
      }
    });
    const groups = groupContexts(infos.filter((x): x is FileInfo => x !== undefined));
    const groupOf = new Map<string, ContextGroup>();
    for (const g of groups) for (const sop of g.sopClasses) groupOf.set(sop, g);
    const queue: Entry[] = [];
    infos.forEach((info, index) => {
      if (info === undefined) return;
      queue.push({ index, file: options.files[index] as string, info, group: groupOf.get(info.sopClassUid) as ContextGroup, counted: 0 });
      bytesTotal += info.datasetLength;
    });
    // Files of one group together, so a lane rarely has to open an association for another group.
    queue.sort((a, b) => a.group.index - b.group.index || a.index - b.index);
    progress();

    const open = async (group: ContextGroup): Promise<Association> => {
      opened++;
      return await requestAssociation({
        host: options.host,
        port: options.port,
        callingAeTitle: options.callingAeTitle,
        calledAeTitle: options.calledAeTitle,
        presentationContexts: group.contexts,
        ...(options.tls !== undefined && { tls: options.tls }),
        ...(options.maxPduLength !== undefined && { maxPduLength: options.maxPduLength }),
        ...(options.timeouts !== undefined && { timeouts: options.timeouts }),
        ...(options.verifyTransport !== undefined && { verifyTransport: options.verifyTransport }),
      });
    };

    const prepare = (assoc: Association, ctx: AcceptedPresentationContext, entry: Entry): Promise<PreparedFile> =>
      codec.prepareFile(entry.file, {
        transferSyntaxUid: ctx.transferSyntax,
        presentationContextId: ctx.id,
        maxPduLength: assoc.peerMaxPduLength,
        ...(options.signal !== undefined && { signal: options.signal }),
      });

    /** Sends one file; `early` is its preparation started while the previous file was in flight; `lookAhead` runs once its PDUs are written. */
    const sendOne = async (assoc: Association, entry: Entry, early: Promise<PreparedFile> | undefined, lookAhead: () => void): Promise<void> => {
      const ctx = chooseContext(assoc.contexts, entry.info);
      if (ctx === undefined) {
        early?.then((p) => p.close(), () => undefined);
        const offered = assoc.outcomes.filter((o) => o.abstractSyntax === entry.info.sopClassUid);
        const why = offered.length === 0 ? "it was not proposed" : `results ${offered.map((o) => o.result).join(", ")} (PS3.8 Table 9-18: 3 = SOP class not supported, 4 = transfer syntaxes not supported)`;
        fail(
          entry,
          new StoreError(
            StoreErrorCode.NoContext,
            `${entry.file}: ${where} accepted no presentation context for SOP class ${entry.info.sopClassUid} in ${entry.info.transferSyntaxUid} or a syntax it converts to: ${why}`,
            { file: entry.file },
          ),
        );
        return;
      }
      let prepared: PreparedFile;
      try {
        prepared = await (early ?? prepare(assoc, ctx, entry));
      } catch (err) {
        fail(entry, asError(err));
        return;
      }
      const extra = { transferSyntax: ctx.transferSyntax, converted: prepared.converted };
      let sent = 0;
      async function* counted(): AsyncGenerator<PduBatch> {
        for await (const batch of prepared) {
          yield batch;
          sent += batch.dataLength;
          const add = Math.min(batch.dataLength, Math.max(0, entry.info.datasetLength - entry.counted));
          entry.counted += add;
          bytesDone += add;
          if (!batch.last) progress();
        }
        // Every PDU is now with the socket (the association awaited its 'drain'): while the peer stores this file, the
        // next one is read. Earlier, an inline read would hold back the POLLOUT turns that flush this file's tail.
        lookAhead();
      }
      const rq = cStoreRq({
        messageId: assoc.nextMessageId(),
        affectedSopClassUid: entry.info.sopClassUid,
        affectedSopInstanceUid: entry.info.sopInstanceUid,
        ...(options.priority !== undefined && { priority: options.priority }),
      });
      const request = assoc.request(ctx.id, rq, prebuiltDataset(counted(), ctx.id, assoc.peerMaxPduLength));
      let status: number;
      let comment: string | undefined;
      try {
        const rsp = await request;
        status = rsp.command.status ?? -1;
        comment = rsp.command.errorComment;
      } catch (err) {
        prepared.close();
        fail(entry, asError(err), { ...extra, bytes: sent });
        return;
      }
      if (isStoredStatus(status)) {
        finish(
          entry.index,
          { file: entry.file, outcome: "stored", status, ok: true, sopClassUid: entry.info.sopClassUid, sopInstanceUid: entry.info.sopInstanceUid, ...extra, bytes: sent },
          entry,
        );
        return;
      }
      const msg = `${entry.file}: ${where} answered ${hex4(status)} (${describeStoreStatus(status)})${comment !== undefined && comment !== "" ? `: ${comment}` : ""}`;
      fail(entry, new StoreError(StoreErrorCode.Status, msg, { file: entry.file, status }), { ...extra, status, bytes: sent });
    };

    const lane = async (): Promise<void> => {
      let assoc: Association | undefined;
      let assocGroup: ContextGroup | undefined;
      let ahead: { entry: Entry; prepared: Promise<PreparedFile> } | undefined;
      /** The file whose C-STORE is on the wire. */
      let inFlight: Entry | undefined;
      try {
        for (;;) {
          if (options.signal?.aborted === true) break;
          let entry: Entry | undefined;
          let early: Promise<PreparedFile> | undefined;
          if (ahead !== undefined) {
            ({ entry, prepared: early } = ahead);
            ahead = undefined;
          } else {
            entry = queue.shift();
          }
          if (entry === undefined) break;
          if (assoc === undefined || !assoc.isEstablished || assocGroup !== entry.group) {
            early?.then((p) => p.close(), () => undefined);
            early = undefined;
            if (assoc?.isEstablished === true) await assoc.release().catch(() => undefined);
            try {
              assoc = await open(entry.group);
              assocGroup = entry.group;
            } catch (err) {
              // The same request would get the same answer: every file waiting for this group fails with it.
              assoc = undefined;
              const error = asError(err);
              fail(entry, error);
              for (let i = queue.length - 1; i >= 0; i--) {
                const e = queue[i] as Entry;
                if (e.group === entry.group) {
                  queue.splice(i, 1);
                  fail(e, error);
                }
              }
              continue;
            }
          }
          const current = assoc;
          inFlight = entry;
          await sendOne(current, entry, early, () => {
            // Once this file's PDUs are all with the socket (an inline runner reads the next file synchronously, which
            // would otherwise hold them back; issue 13). Dropped if the file already got its answer.
            if (inFlight !== entry || ahead !== undefined) return;
            const next = queue[0];
            if (next === undefined || next.group !== entry.group || !current.isEstablished) return;
            const ctx = chooseContext(current.contexts, next.info);
            if (ctx === undefined) return;
            queue.shift();
            const prepared = prepare(current, ctx, next);
            prepared.catch(() => undefined);
            ahead = { entry: next, prepared };
          });
          inFlight = undefined;
        }
      } finally {
        inFlight = undefined;
        if (ahead !== undefined) {
          ahead.prepared.then((p) => p.close(), () => undefined);
          queue.unshift(ahead.entry);
        }
        if (assoc?.isEstablished === true) await assoc.release().catch(() => undefined);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, queue.length)) }, lane));

    // Aborted through the signal: what was never sent fails with the reason.
    for (const entry of queue.splice(0)) {
      const reason: unknown = options.signal?.reason;
      fail(entry, reason instanceof Error ? reason : new AssociationError(AssociationErrorCode.InvalidState, "the store was aborted before this file was sent"));
    }
  } finally {
    await metaReader.close();
    if (options.codec === undefined) await codec.close();
  }

  const all = results.map((r, i) => r ?? { file: options.files[i] as string, outcome: "failed" as const, status: undefined, ok: false, error: new Error("not attempted"), bytes: 0 });
  const stored = all.filter((r) => r.outcome === "stored");
  const failed = all.filter((r) => r.outcome === "failed").length;
  return {
    results: all,
    ok: failed === 0,
    stored: stored.length,
    failed,
    skipped: all.filter((r) => r.outcome === "skipped").length,
    bytes: stored.reduce((n, r) => n + r.bytes, 0),
    associations: opened,
  };
}
