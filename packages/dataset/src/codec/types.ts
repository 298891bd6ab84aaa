import type { PduBatch } from "@dicomtls/pdu-codec";
import type { DatasetHeader } from "../dataset/index.js";
import type { FileInfo } from "../worker.js";

export type { FileInfo, PduBatch };

export interface TaskOptions {
  /** Aborts a queued task, or stops a prepared file between batches. */
  readonly signal?: AbortSignal;
}

export interface PrepareFileOptions extends TaskOptions {
  /** The accepted transfer syntax of the presentation context the dataset goes on. */
  readonly transferSyntaxUid: string;
  readonly presentationContextId: number;
  /** The peer's maximum PDU length from its A-ASSOCIATE (0 = no limit, PS3.8 D.1). */
  readonly maxPduLength: number;
  /** Dataset bytes per batch (rounded down to whole PDVs); defaults to the runner's. */
  readonly batchBytes?: number;
}

/**
 * A file's dataset as P-DATA-TF PDUs, produced batch by batch while it is iterated (one batch ahead), so the
 * file is never whole in memory. Iterate once. Conversion and structure faults are found before this resolves;
 * only I/O faults (the file changed or vanished) can still throw during iteration.
 */
export interface PreparedFile extends AsyncIterable<PduBatch> {
  readonly path: string;
  /** What the File Meta says: SOP Class / Instance UID and the stored transfer syntax. */
  readonly info: FileInfo;
  /** The transfer syntax the PDUs carry (the accepted one). */
  readonly transferSyntaxUid: string;
  /** True when the dataset was converted (Implicit <-> Explicit VR Little Endian). */
  readonly converted: boolean;
  /** Dataset bytes to be sent. */
  readonly datasetLength: number;
  /** Stops early (e.g. the association ended): no more batches are made. Iteration ending does it too. */
  close(): void;
}

/** What a codec runner is doing now, for a metrics scrape or a status page (read on demand, nothing is counted). */
export interface CodecRunnerStats {
  /** Worker threads alive (0 when everything runs inline). */
  readonly threads: number;
  /** Tasks running on workers or waiting for one. */
  readonly pending: number;
  /** Tasks waiting because the runner accepts no more at once (the socket of their association is paused). */
  readonly queued: number;
  /** Share of the pool's capacity used since it started, 0-1 (Piscina's ELU-based utilization). */
  readonly utilization: number;
}

/**
 * Where dataset work runs: a Piscina pool or the calling thread. Results are the same whichever runs it.
 */
export interface CodecRunner {
  /**
   * Identifiers of a dataset (no File Meta) for validation and the index. Only a prefix is handed over, as a copy
   * (64 KB, longer while the identifiers lie further): the caller keeps its buffers, e.g. for the storage writer.
   */
  parseHeader(bytes: Uint8Array | readonly Uint8Array[], transferSyntaxUid: string, options?: TaskOptions): Promise<DatasetHeader>;
  /** The File Meta of a Part 10 file: what to propose for it in an association request. */
  readFileInfo(path: string, options?: TaskOptions): Promise<FileInfo>;
  /** A Part 10 file's dataset as PDUs for one presentation context, converted if the accepted syntax asks. */
  prepareFile(path: string, options: PrepareFileOptions): Promise<PreparedFile>;
  /** True while the runner has as many tasks waiting as it accepts: callers should hold off (e.g. pause a socket). */
  readonly needsDrain: boolean;
  /** Resolves when `needsDrain` is false. */
  drained(): Promise<void>;
  /**
   * Starts the workers and loads their code now (dcmjs included), so the first real task does not wait for it:
   * call it at start-up where first-task latency matters (a server before listening, a benchmark before its clock).
   */
  warmUp(): Promise<void>;
  /** Stops accepting tasks, waits for running ones, ends the workers. */
  close(): Promise<void>;
  /** Pool figures now; optional so that test doubles need not provide it. */
  stats?(): CodecRunnerStats;
}
