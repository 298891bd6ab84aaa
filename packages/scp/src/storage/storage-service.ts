import { channel } from "node:diagnostics_channel";
import { performance } from "node:perf_hooks";
import { type Association, type DimseMessage, type HandlerResult, type PeerInfo } from "@dicomtls/association";
import { CodecError, CodecErrorCode, type CodecRunner, type DatasetHeader } from "@dicomtls/dataset";
import { CommandField, Status, cStoreRsp, type DimseCommand } from "@dicomtls/pdu-codec";
import { statusResponse } from "../responses.js";
import { ANY_SOP_CLASS } from "../service-registry.js";
import type { ServiceContext, ServiceHandler } from "../types.js";
import { STORAGE_SOP_CLASSES } from "../uids/storage-sop-classes.js";
import { STORAGE_TRANSFER_SYNTAXES } from "./accepted-transfer-syntaxes.js";
import { HeaderProbe } from "./header-probe.js";
import { WriterFeed } from "./writer-feed.js";

/** `node:diagnostics_channel` channels of the Storage SCP (`dicom:scp:<event>`). */
export const StorageChannels = {
  /** An instance is durable and the peer is about to get Success: a StoredInstance. */
  instanceStored: "dicom:scp:instance-stored",
  /** A C-STORE was answered with a failure status and nothing was kept: a StoreFailure. */
  storeFailed: "dicom:scp:store-failed",
  /** A stored-instance hook threw: `{ error, instance }`. The peer's answer is not affected. */
  hookError: "dicom:scp:stored-hook-error",
} as const;
const storedChannel = channel(StorageChannels.instanceStored);
const failedChannel = channel(StorageChannels.storeFailed);
const hookErrorChannel = channel(StorageChannels.hookError);

/** What the SCP knows when a C-STORE-RQ arrives, before any dataset byte. */
export interface StoreBeginInfo {
  /** Affected SOP Class UID of the command. */
  readonly sopClassUid: string;
  /** Affected SOP Instance UID of the command. */
  readonly sopInstanceUid: string;
  /** The presentation context's transfer syntax: the dataset bytes are in it, and are to be kept in it. */
  readonly transferSyntaxUid: string;
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  readonly peer: PeerInfo;
  /** SHA-256 fingerprint of the peer's TLS certificate, when it presented one. */
  readonly peerCertificateFingerprint?: string;
}

/** Where a committed instance went. */
export interface SinkCommitResult {
  /** The instance was known and is kept as it was (Orthanc's OverwriteInstances false): what arrived was dropped. */
  readonly duplicate: boolean;
  /** The instance was known and was replaced. */
  readonly replaced?: boolean;
  /** Where it lies, for logs (e.g. a path relative to the storage folder). */
  readonly location?: string;
  /** Bytes kept (e.g. the file size). */
  readonly size?: number;
}

/**
 * Receives one dataset as it arrives. `write` resolving is the backpressure signal: the next chunk is read from the
 * association only then. Chunks are views of received PDUs: never modified, valid for as long as the sink keeps them.
 */
export interface InstanceSinkWriter {
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Optional, used instead of write when present: takes `chunk` at once and returns undefined while the writer keeps
   * up, or the promise to wait for before the next chunk (backpressure; it rejects with a write failure). One promise
   * per chunk was most of the receive path's garbage with 16 KiB fragments (issue 13).
   */
  accept?(chunk: Uint8Array): Promise<void> | undefined;
  /**
   * Optional: makes the bytes written durable without putting the instance in place. Called once the dataset is
   * complete, while its header is still being checked, so the fsync overlaps the check; commit (or abort) follows.
   */
  sync?(): Promise<void>;
  /** Makes the instance durable; resolves only once it survives a crash. Identifiers come from the parsed header. */
  commit(header: DatasetHeader): Promise<SinkCommitResult>;
  /** Drops everything written; idempotent, also after a failed write. */
  abort(): Promise<void>;
}

/** The storage-agnostic side of the Storage SCP; the server adapts its instance store to it. */
export interface InstanceSink {
  begin(info: StoreBeginInfo): Promise<InstanceSinkWriter>;
}

/** A sink failure with the C-STORE status to answer; any other sink failure answers A700 (Out of Resources). */
export class StoreRefusedError extends Error {
  override readonly name: string = "StoreRefusedError";
  readonly code = "ERR_DICOM_STORE_REFUSED";
  readonly status: number;
  constructor(status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }
}

/** One instance made durable. */
export interface StoredInstance {
  readonly association: Association;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  readonly callingAeTitle: string;
  readonly peer: PeerInfo;
  /** Identifiers parsed from the dataset's first bytes (patient, study, series ...). */
  readonly header: DatasetHeader;
  readonly result: SinkCommitResult;
  /** Dataset bytes received. */
  readonly datasetBytes: number;
  /** From the C-STORE-RQ to durable, in milliseconds. */
  readonly durationMs: number;
}

/** One C-STORE answered with a failure. */
export interface StoreFailure {
  readonly association: Association;
  readonly sopClassUid: string | undefined;
  readonly sopInstanceUid: string | undefined;
  /** PS3.4 §B.2.3 status sent to the peer. */
  readonly status: number;
  /** Why, for people and the log (names UIDs and, for local faults, files). */
  readonly reason: string;
  /** What the peer got as Error Comment (0000,0902): short, and without local detail such as paths. */
  readonly comment: string;
  readonly error?: unknown;
}

export type StoredInstanceHook = (instance: StoredInstance) => void | Promise<void>;
export type StoreFailureHook = (failure: StoreFailure) => void;

export interface StorageServiceOptions {
  readonly sink: InstanceSink;
  /** Parses the header prefix off the event loop; one per server, owned (and closed) by the caller. */
  readonly codec: CodecRunner;
  /** Accepted transfer syntaxes, our preference first. Default STORAGE_TRANSFER_SYNTAXES (Orthanc's default set). */
  readonly transferSyntaxes?: readonly string[];
  /** Orthanc's UnknownSopClassAccepted: accept any abstract syntax for storage. Default false. */
  readonly unknownSopClassAccepted?: boolean;
  /** The SOP classes served. Default all of STORAGE_SOP_CLASSES. */
  readonly sopClasses?: readonly string[];
  /** Dataset bytes kept aside for the first header parse (more only if the identifiers lie further). Default 64 KiB. */
  readonly headerPrefixBytes?: number;
}

export interface StorageService {
  readonly handler: ServiceHandler;
  readonly transferSyntaxes: readonly string[];
  readonly sopClasses: readonly string[];
  /** Registers the handler on an SCP for every served SOP class (and as the fallback when unknown classes are accepted). */
  register(scp: { handle(sopClassUid: string, handler: ServiceHandler, options?: { transferSyntaxes?: readonly string[] }): unknown }): void;
  /** Observes each stored instance after it became durable; runs after the answer is on its way, errors never reach the peer. */
  onInstanceStored(hook: StoredInstanceHook): () => void;
  /** Observes each failed C-STORE. */
  onStoreFailed(hook: StoreFailureHook): () => void;
}

/** Dataset bytes held while the sink opens its writer; past this the reading waits for the writer. */
const EARLY_BYTES = 1024 * 1024;

/** DIMSE UI values may carry a trailing NUL or space (PS3.5 §6.2, UI padding). */
const uid = (s: string | undefined): string => (s ?? "").replace(/[\0 ]+$/, "");

/** A local failure as status, reason (log) and Error Comment (peer): the comment names the error code, not the files. */
function failureOf(err: unknown, what: string): { status: number; reason: string; comment: string } {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof StoreRefusedError) return { status: err.status, reason: `${what}: ${message}`, comment: message };
  const code = (err as { code?: unknown } | undefined)?.code;
  return { status: Status.OutOfResources, reason: `${what}: ${message}`, comment: `out of resources${typeof code === "string" ? ` (${code})` : ""}` };
}

/**
 * The Storage SCP (PS3.4 Annex B): each C-STORE-RQ's dataset streams from the association to a sink writer as its
 * PDVs arrive (memory does not grow with the dataset, and the socket pauses while the writer is behind), while the
 * codec runner parses a copy of its first bytes to check the SOP Class / Instance UIDs and read the identifiers.
 * Success is answered only once the sink committed (durable); every failure aborts the writer, so nothing is kept.
 *
 * PS3.4 §B.2.3 statuses: A900 when the dataset's SOP Instance UID or SOP Class UID differs from the command's, C000
 * when the dataset does not parse, A700 when the sink fails (storage full, I/O), or the sink's own StoreRefusedError.
 */
export function createStorageService(options: StorageServiceOptions): StorageService {
  const { sink, codec } = options;
  const transferSyntaxes = Object.freeze([...(options.transferSyntaxes ?? STORAGE_TRANSFER_SYNTAXES)]);
  const sopClasses = Object.freeze([...(options.sopClasses ?? STORAGE_SOP_CLASSES.map((c) => c.uid))]);
  const prefixBytes = options.headerPrefixBytes ?? 64 * 1024;
  const storedHooks = new Set<StoredInstanceHook>();
  const failedHooks = new Set<StoreFailureHook>();

  const fail = (rq: DimseCommand, association: Association, status: number, reason: string, comment: string, error?: unknown): HandlerResult => {
    const failure: StoreFailure = {
      association,
      sopClassUid: rq.affectedSopClassUid,
      sopInstanceUid: rq.affectedSopInstanceUid,
      status,
      reason,
      comment,
      ...(error !== undefined && { error }),
    };
    failedChannel.publish(failure);
    for (const hook of failedHooks) {
      try {
        hook(failure);
      } catch (hookError) {
        hookErrorChannel.publish({ error: hookError, failure });
      }
    }
    return { command: statusResponse(rq, status, comment) };
  };

  const announce = (instance: StoredInstance): void => {
    storedChannel.publish(instance);
    if (storedHooks.size === 0) return;
    // After the response is queued: a slow observer must not hold the peer's answer.
    setImmediate(() => {
      for (const hook of storedHooks) {
        try {
          const r = hook(instance);
          if (r instanceof Promise) r.catch((error: unknown) => hookErrorChannel.publish({ error, instance }));
        } catch (error) {
          hookErrorChannel.publish({ error, instance });
        }
      }
    });
  };

  const handler: ServiceHandler = async (message: DimseMessage, context: ServiceContext): Promise<HandlerResult> => {
    const { command: rq, dataset } = message;
    const { association } = context;
    if (rq.commandField !== CommandField.CStoreRq) {
      await dataset?.discard();
      return { command: statusResponse(rq, Status.UnrecognizedOperation) };
    }
    const started = performance.now();
    if (dataset === undefined) return fail(rq, association, Status.CannotUnderstand, "the C-STORE-RQ has no data set", "no data set");
    const sopClassUid = uid(rq.affectedSopClassUid);
    const sopInstanceUid = uid(rq.affectedSopInstanceUid);
    if (sopClassUid === "" || sopInstanceUid === "") {
      await dataset.discard();
      return fail(rq, association, Status.CannotUnderstand, "the C-STORE-RQ lacks the Affected SOP Class or Instance UID", "no Affected SOP Class/Instance UID");
    }
    const transferSyntaxUid = message.context.transferSyntax;
    const fingerprint = association.peer.tls?.certificate?.fingerprint256;

    // The sink opens its file while the first PDVs arrive (they wait in the feed, at most EARLY_BYTES): opening costs
    // a thread-pool round trip or two, which would otherwise hold every instance up before its first byte is read.
    const feed = new WriterFeed(dataset, EARLY_BYTES);
    let writer: InstanceSinkWriter | undefined;
    let beginError: unknown;
    const opening = sink
      .begin({
        sopClassUid,
        sopInstanceUid,
        transferSyntaxUid,
        callingAeTitle: association.callingAeTitle,
        calledAeTitle: association.calledAeTitle,
        peer: association.peer,
        ...(fingerprint !== undefined && { peerCertificateFingerprint: fingerprint }),
      })
      .then(
        (w) => {
          writer = w;
          feed.start(w);
        },
        (err: unknown) => {
          beginError = err;
          feed.stop(err);
        },
      );

    const probe = new HeaderProbe(codec, transferSyntaxUid, prefixBytes, context.signal);
    let stopped = false;
    // Each fragment goes to the header probe and the feed synchronously, as it arrives (no promise per fragment).
    const consumed = dataset.consume((chunk) => {
      if (stopped) return;
      const room = probe.offer(chunk);
      if (room !== undefined) {
        dataset.hold();
        void room.finally(() => dataset.release());
      }
      if (probe.error !== undefined || feed.error !== undefined) {
        // No point in taking the rest: the peer still sends it, it is received and dropped before the answer goes out.
        stopped = true;
        void dataset.discard();
        return;
      }
      feed.push(chunk);
    });
    try {
      await consumed;
    } catch {
      // The association ended mid-dataset (abort, close): nobody is left to answer.
      feed.stop(undefined);
      await opening;
      await writer?.abort();
      return undefined;
    }
    await opening;
    if (writer === undefined) {
      const f = failureOf(beginError, `cannot store ${sopInstanceUid}`);
      return fail(rq, association, f.status, f.reason, f.comment, beginError);
    }
    if (probe.error === undefined) await feed.finish();
    else feed.stop(undefined);
    const writeError = feed.error;

    if (writeError !== undefined) {
      await writer.abort();
      const f = failureOf(writeError, `cannot store ${sopInstanceUid}`);
      return fail(rq, association, f.status, f.reason, f.comment, writeError);
    }

    // The file's fsync runs while the header check finishes: neither waits for the other.
    const syncing = writer.sync?.().then(
      () => undefined,
      (err: unknown) => err ?? new Error("sync failed"),
    );
    await probe.finish();
    const syncError = await syncing;
    if (syncError !== undefined) {
      await writer.abort();
      const f = failureOf(syncError, `cannot store ${sopInstanceUid}`);
      return fail(rq, association, f.status, f.reason, f.comment, syncError);
    }
    const header = probe.header;
    if (header === undefined) {
      await writer.abort();
      const err = probe.error;
      if (err instanceof CodecError && err.code === CodecErrorCode.DatasetUnparsable) {
        return fail(rq, association, Status.CannotUnderstand, `the data set of ${sopInstanceUid} does not parse: ${err.message}`, `data set does not parse: ${err.message}`, err);
      }
      const f = failureOf(err, `cannot check the data set of ${sopInstanceUid}`);
      return fail(rq, association, f.status, f.reason, f.comment, err);
    }
    if (uid(header.sopInstanceUid) !== sopInstanceUid) {
      await writer.abort();
      return fail(
        rq,
        association,
        Status.DataSetDoesNotMatchSopClass,
        `data set SOP Instance UID ${header.sopInstanceUid} is not the command's ${sopInstanceUid}`,
        "data set SOP Instance UID is not the command's",
      );
    }
    if (uid(header.sopClassUid) !== sopClassUid) {
      await writer.abort();
      return fail(
        rq,
        association,
        Status.DataSetDoesNotMatchSopClass,
        `data set SOP Class UID ${header.sopClassUid} is not the command's ${sopClassUid}`,
        "data set SOP Class UID is not the command's",
      );
    }

    let result: SinkCommitResult;
    try {
      result = await writer.commit(header);
    } catch (err) {
      await writer.abort();
      const f = failureOf(err, `cannot store ${sopInstanceUid}`);
      return fail(rq, association, f.status, f.reason, f.comment, err);
    }
    announce({
      association,
      sopClassUid,
      sopInstanceUid,
      transferSyntaxUid,
      callingAeTitle: association.callingAeTitle,
      peer: association.peer,
      header,
      result,
      datasetBytes: dataset.receivedBytes,
      durationMs: performance.now() - started,
    });
    return { command: cStoreRsp(rq, Status.Success) };
  };

  return {
    handler,
    transferSyntaxes,
    sopClasses,
    register(scp) {
      for (const sopClass of sopClasses) scp.handle(sopClass, handler, { transferSyntaxes });
      if (options.unknownSopClassAccepted === true) scp.handle(ANY_SOP_CLASS, handler, { transferSyntaxes });
    },
    onInstanceStored(hook) {
      storedHooks.add(hook);
      return () => storedHooks.delete(hook);
    },
    onStoreFailed(hook) {
      failedHooks.add(hook);
      return () => failedHooks.delete(hook);
    },
  };
}
