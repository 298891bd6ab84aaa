import type { DatasetHeader } from "../dataset/parse-header.js";

/**
 * Messages between the codec runner (`../codec`) and the worker entry. Every field is structured-cloneable; the
 * large buffers are listed by `transferablesOf` so they move instead of being copied.
 */

/** What the File Meta (PS3.10 §7.1) of a Part 10 file says, and where its dataset lies. */
export interface FileInfo {
  /** (0002,0002) Media Storage SOP Class UID */
  sopClassUid: string;
  /** (0002,0003) Media Storage SOP Instance UID */
  sopInstanceUid: string;
  /** (0002,0010): the transfer syntax the dataset is stored in. */
  transferSyntaxUid: string;
  /** Offset of the first dataset byte (after preamble, "DICM" and group 0002). */
  datasetOffset: number;
  datasetLength: number;
  fileSize: number;
}

/**
 * A piece of the outgoing dataset: bytes made by the worker (converted element headers and small elements), or a
 * range of the file sent as stored. The dataset is the concatenation of the segments, in order.
 */
export type DatasetSegment =
  | { readonly kind: "bytes"; readonly bytes: Uint8Array }
  | { readonly kind: "file"; readonly start: number; readonly end: number };

export interface PduLayout {
  presentationContextId: number;
  /** The peer's maximum PDU length (0 = no limit, PS3.8 D.1). */
  maxPduLength: number;
  /** Dataset bytes per batch, rounded down to whole PDVs (at least one). */
  batchBytes: number;
}

/**
 * P-DATA-TF PDUs back to back in `buffer` (one PDV each, PS3.8 §9.3.5): PDU i starts where i-1 ended; every PDU but
 * the last in the batch carries a full PDV of `maxPdvDataLength` bytes.
 */
export interface EncodedBatch {
  buffer: ArrayBuffer;
  byteLength: number;
  pduCount: number;
  /** Dataset bytes carried (without headers). */
  dataLength: number;
  /** This batch ends the dataset (its last PDU has the last-fragment bit). */
  last: boolean;
}

export interface ParseHeaderTask {
  kind: "parse-header";
  bytes: Uint8Array;
  transferSyntaxUid: string;
}

export interface FileInfoTask {
  kind: "file-info";
  path: string;
}

export interface PrepareFileTask extends PduLayout {
  kind: "prepare-file";
  path: string;
  /** The accepted transfer syntax of the presentation context. */
  transferSyntaxUid: string;
  /** A spent batch buffer to fill again (first touch of fresh memory is the slow part). */
  reuse?: ArrayBuffer;
}

export interface FileBatchTask extends PduLayout {
  kind: "file-batch";
  path: string;
  /** The plan's segments, as returned by prepare-file (only those reaching this batch need be sent). */
  segments: DatasetSegment[];
  /** Dataset offset of `segments[0]`. */
  segmentsStart: number;
  /** Dataset range of this batch: `start` is a multiple of the PDV size. */
  start: number;
  end: number;
  datasetLength: number;
  reuse?: ArrayBuffer;
}

/** Loads the worker's code (dcmjs included) so the first real task does not pay for it. */
export interface WarmUpTask {
  kind: "warm-up";
}

export type CodecTask = ParseHeaderTask | FileInfoTask | PrepareFileTask | FileBatchTask | WarmUpTask;

/** A failure as data: thrown errors lose their class and `code` when cloned across threads. */
export interface CodecFailure {
  code: string;
  message: string;
  path?: string;
  offset?: number;
  needMoreBytes?: boolean;
}

export interface PreparedFilePlan {
  info: FileInfo;
  /** The transfer syntax the PDUs carry (the accepted one). */
  transferSyntaxUid: string;
  segments: DatasetSegment[];
  /** Length of the dataset as sent (after conversion). */
  datasetLength: number;
  converted: boolean;
  first: EncodedBatch;
}

export type CodecTaskValue<T extends CodecTask> = T extends ParseHeaderTask
  ? DatasetHeader
  : T extends FileInfoTask
    ? FileInfo
    : T extends PrepareFileTask
      ? PreparedFilePlan
      : T extends WarmUpTask
        ? true
        : EncodedBatch;

export type CodecResult<V = unknown> = { ok: true; value: V } | { ok: false; error: CodecFailure };
